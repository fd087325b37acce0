package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newBaselineCmd(s *Streams) *cobra.Command {
	return &cobra.Command{
		Use:  "baseline",
		RunE: func(*cobra.Command, []string) error { return internalError(errors.New("baseline: not implemented yet")) },
	}
}
