package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/check"
	"github.com/perfgate/perfgate/ingest"
	"github.com/perfgate/perfgate/report"
)

func newBaselineCmd(s *Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "baseline",
		Short: "Update or show the stored baseline",
	}
	cmd.AddCommand(newBaselineUpdateCmd(s), newBaselineShowCmd(s))
	return cmd
}

// updateOptions are the inputs of "perfgate baseline update".
type updateOptions struct {
	dir              string
	window           int
	runID            string
	commit           string
	date             string
	failOnRegression bool
	results          []string
	ingest           ingestFlags
	stats            checkFlags
	now              func() time.Time
}

func newBaselineUpdateCmd(s *Streams) *cobra.Command {
	o := &updateOptions{now: time.Now}
	cmd := &cobra.Command{
		Use:   "update --baseline DIR [flags] RESULTS...",
		Short: "Fold new runs into the baseline (the nightly refresh)",
		Long: `update merges the runs in RESULTS into the baseline directory, keeping the newest --window runs
of each config. It is idempotent: results already stored (same --run-id, or the same file
content when no id is given) replace themselves, so running it twice changes nothing.

Before merging it compares the incoming runs with the store and prints the report, so the
nightly log shows drift; --fail-on-regression then exits 1 if they regressed (the baseline is
still updated). Bad input changes nothing, and the file is replaced atomically.`,
		Args: needResults,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.results = args
			return runBaselineUpdate(cmd.Context(), s, o, cmd)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.dir, "baseline", "", "baseline directory (required; created if missing)")
	fs.IntVar(&o.window, "window", baseline.DefaultWindow, "runs to keep per config")
	fs.StringVar(&o.runID, "run-id", "", "name of this ingest, e.g. nightly-$GITHUB_RUN_ID (default: a hash of each file)")
	fs.StringVar(&o.commit, "commit", "", "commit the results were measured at (default: $GITHUB_SHA)")
	fs.StringVar(&o.date, "date", "", "date of the results, RFC 3339 (default: the results' own, else now)")
	fs.BoolVar(&o.failOnRegression, "fail-on-regression", false, "exit 1 when the incoming runs regressed against the store")
	o.ingest.register(fs)
	o.stats.register(fs)
	setGroup(fs, groupStore, "baseline", "window", "run-id", "commit", "date")
	setGroup(fs, groupGate, "fail-on-regression")
	cmd.MarkFlagRequired("baseline")
	return cmd
}

func runBaselineUpdate(ctx context.Context, s *Streams, o *updateOptions, cmd *cobra.Command) error {
	opts, cfgBetter, cfgWindow, err := o.stats.options(cmd.Flags(), o.dir)
	if err != nil {
		return inputError(err)
	}
	if cfgWindow > 0 && !cmd.Flags().Changed("window") {
		o.window = cfgWindow
	}
	if o.window < 1 {
		return inputError(fmt.Errorf("--window must be at least 1"))
	}
	date := o.date
	if date != "" {
		if _, err := time.Parse(time.RFC3339, date); err != nil {
			return inputError(fmt.Errorf("--date %q: want RFC 3339, e.g. 2026-11-24T03:00:00Z", date))
		}
	} else {
		date = o.now().UTC().Format(time.RFC3339)
	}
	commit := o.commit
	if commit == "" {
		commit = s.Getenv("GITHUB_SHA")
	}
	iopts, err := o.ingest.options(cfgBetter)
	if err != nil {
		return inputError(err)
	}
	iopts.Batch = o.runID
	iopts.KeyArgs = append(iopts.KeyArgs, o.stats.cfgKeyArgs...)
	store, err := baseline.Open(o.dir)
	if err != nil && !errors.Is(err, baseline.ErrNoBaseline) {
		return inputError(err)
	}
	in, err := ingest.ReadAll(o.results, iopts)
	if err != nil {
		return inputError(err)
	}
	runs := in.Runs
	if r := skippedRemark(in.Skipped); r != nil {
		fmt.Fprintln(s.ErrOut, "perfgate: note: "+report.RemarkText(r))
	}
	for i := range runs {
		if runs[i].Date == "" {
			runs[i].Date = date
		}
		if runs[i].Commit == "" {
			runs[i].Commit = commit
		}
	}
	rep := &check.Report{Verdict: check.Pass}
	if len(store.Runs) == 0 {
		_, err = o.stats.tflops(store.Runs, runs) // --recompute-tflops still applies to what is stored
	} else {
		rep, err = o.stats.compare(store.Runs, runs, opts)
	}
	if err != nil {
		return inputError(err)
	}
	if len(store.Runs) > 0 {
		fmt.Fprintln(s.Out, "Incoming runs compared with the stored baseline:")
		if err := report.Text(s.Out, rep, report.Options{Color: s.OutTTY}); err != nil {
			return internalError(err)
		}
		fmt.Fprintln(s.Out)
	}
	st := store.Merge(runs, o.window)
	if err := store.Save(); err != nil {
		return internalError(fmt.Errorf("saving %s: %w", store.Path(), err))
	}
	fmt.Fprintf(s.Out, "%s: added %d run(s)", store.Path(), st.Added)
	if len(st.Replaced) > 0 {
		fmt.Fprintf(s.Out, ", replaced batch(es) already stored: %s", strings.Join(st.Replaced, ", "))
	}
	if st.Pruned > 0 {
		fmt.Fprintf(s.Out, ", dropped %d run(s) beyond the window of %d", st.Pruned, o.window)
	}
	fmt.Fprintf(s.Out, "; %d run(s) stored.\n", len(store.Runs))
	if o.failOnRegression && rep.Verdict == check.Fail {
		fmt.Fprintln(s.ErrOut, "perfgate: the incoming runs regressed against the baseline (--fail-on-regression)")
		return errGateFailed
	}
	return nil
}

// showOptions are the inputs of "perfgate baseline show".
type showOptions struct {
	dir    string
	format string
	stats  checkFlags
}

func newBaselineShowCmd(s *Streams) *cobra.Command {
	o := &showOptions{}
	cmd := &cobra.Command{
		Use:   "show --baseline DIR",
		Short: "List the baseline's configs, run counts, centres and noise",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBaselineShow(s, o, cmd)
		},
	}
	cmd.Flags().StringVar(&o.dir, "baseline", "", "baseline directory (required)")
	cmd.Flags().StringVar(&o.format, "format", "text", report.FormatNames(func(f *report.Format) bool { return f.Describe != nil }))
	o.stats.registerHistory(cmd.Flags())
	cmd.MarkFlagRequired("baseline")
	return cmd
}

func runBaselineShow(s *Streams, o *showOptions, cmd *cobra.Command) error {
	format, err := report.LookupDescribeFormat(o.format)
	if err != nil {
		return inputError(fmt.Errorf("--format %w", err))
	}
	opts, _, _, err := o.stats.options(cmd.Flags(), o.dir)
	if err != nil {
		return inputError(err)
	}
	store, err := baseline.Open(o.dir)
	if err != nil {
		return inputError(err)
	}
	if err := format.Describe(s.Out, check.Describe(store.Runs, opts), report.Options{Source: store.Path()}); err != nil {
		return internalError(err)
	}
	return nil
}
