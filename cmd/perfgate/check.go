package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newCheckCmd(s *Streams) *cobra.Command {
	return &cobra.Command{
		Use:  "check",
		RunE: func(*cobra.Command, []string) error { return internalError(errors.New("check: not implemented yet")) },
	}
}
