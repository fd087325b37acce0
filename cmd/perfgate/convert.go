package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/check"
	"github.com/perfgate/perfgate/ingest"
	"github.com/perfgate/perfgate/report"
)

// skippedRemark is the remark for files a directory walk left out, or nil. Hidden entries
// are left out silently: a check of "." in a repository root would otherwise list .git,
// .github and every editor's dot directory in each report, and nobody keeps results there.
// (A directory holding nothing else is still an error that names them.)
func skippedRemark(skipped []ingest.Skipped) check.Remark {
	var r check.SkippedInputs
	for _, sk := range skipped {
		if sk.Reason == ingest.SkipHidden {
			continue
		}
		r.Files = append(r.Files, sk.File)
		r.Reasons = append(r.Reasons, sk.Reason)
	}
	if len(r.Files) == 0 {
		return nil
	}
	return r
}

// convertOptions are the inputs of "perfgate convert".
type convertOptions struct {
	results []string
	ingest  ingestFlags
}

func newConvertCmd(s *Streams) *cobra.Command {
	o := &convertOptions{}
	cmd := &cobra.Command{
		Use:   "convert [flags] RESULTS...",
		Short: "Write any supported input as Go benchmark format, for benchstat",
		Long: `convert reads results in any supported format and writes them to stdout in Go benchmark
format, one line per sample, so that benchstat and other tools read what perfgate reads:

  perfgate convert logs/ > new.txt && benchstat perf/baseline/baseline.txt new.txt

Failed runs and provenance are kept as '# perfgate' lines, which benchstat ignores.`,
		Args: needResultsLike("results/ > results.txt"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.results = args
			iopts, err := o.ingest.options(nil)
			if err != nil {
				return inputError(err)
			}
			iopts.Summarize = nil // convert writes every sample
			in, err := o.ingest.read(o.results, iopts)
			if err != nil {
				return inputError(err)
			}
			if r := skippedRemark(in.Skipped); r != nil {
				fmt.Fprintln(s.ErrOut, "perfgate: note: "+report.RemarkText(r))
			}
			if err := baseline.WriteSamples(s.Out, in.Runs); err != nil {
				return internalError(err)
			}
			return nil
		},
	}
	o.ingest.register(cmd.Flags())
	return cmd
}
