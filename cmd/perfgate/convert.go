package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newConvertCmd(s *Streams) *cobra.Command {
	return &cobra.Command{
		Use:  "convert",
		RunE: func(*cobra.Command, []string) error { return internalError(errors.New("convert: not implemented yet")) },
	}
}
