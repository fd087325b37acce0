package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newPublishCmd(s *Streams) *cobra.Command {
	return &cobra.Command{
		Use:  "publish",
		RunE: func(*cobra.Command, []string) error { return internalError(errors.New("publish: not implemented yet")) },
	}
}
