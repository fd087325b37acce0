package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newCalcCmd(s *Streams) *cobra.Command {
	return &cobra.Command{
		Use:  "calc",
		RunE: func(*cobra.Command, []string) error { return internalError(errors.New("calc: not implemented yet")) },
	}
}
