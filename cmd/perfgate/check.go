package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/check"
	"github.com/perfgate/perfgate/github"
	"github.com/perfgate/perfgate/history"
	"github.com/perfgate/perfgate/ingest"
	"github.com/perfgate/perfgate/internal/atomicfile"
	"github.com/perfgate/perfgate/report"
)

// checkOptions are the inputs of "perfgate check".
type checkOptions struct {
	baselineDir string
	baselineRef string
	memory      bool
	memoryRefs  []string
	format      string
	output      string
	results     []string
	ingest      ingestFlags
	stats       checkFlags
	publish     bool
	publishArgs publishFlags
}

func newCheckCmd(s *Streams) *cobra.Command {
	o := &checkOptions{}
	cmd := &cobra.Command{
		Use:   "check --baseline DIR [flags] RESULTS...",
		Short: "Gate results against the baseline (the PR gate and the local pre-merge check)",
		Long: `check compares new results with the baseline, config by config and metric by metric, and
gives each one status: regression, newly-failing, missing, still-failing, improvement, fixed,
new or unchanged. The verdict is fail if and only if some result is a regression or newly
failing (or missing, with --require-all). A check that compared nothing (every config still
failing as in the baseline, missing or new) is no pass but an input error.

It needs no network and gives the same verdict locally as in CI:

  perfgate check --baseline perf/baseline --baseline-ref origin/main results/

RESULTS are files or directories in any supported format (see --input-format).

In a git repository it also reads the baseline's last ` + strconv.Itoa(history.MemoryCommits) + ` commits, to learn which configs are
noisy from more than the current window (--memory=false: the current window only).

Exit codes: 0 pass, 1 gate failed, 2 usage or input error, 3 internal failure.`,
		Args: needResults,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.results = args
			err := runCheck(cmd.Context(), s, o, cmd)
			if o.publish {
				markUndecided(cmd.Context(), s, o, err)
			}
			return err
		},
	}
	fs := cmd.Flags()
	baselineDirVar(fs, &o.baselineDir, "baseline directory (required)")
	fs.StringVar(&o.baselineRef, "baseline-ref", "", "read the baseline as committed at this git ref (e.g. origin/main)")
	fs.BoolVar(&o.memory, "memory", true, memoryHelp+": a config its longer history showed noisy stays noisy (read from the memory.json baseline update records, else from the history)")
	fs.StringArrayVar(&o.memoryRefs, "memory-ref", nil, "also learn each config's noise class from the baseline as committed at this git ref (repeatable, e.g. origin/main~30)")
	fs.StringVar(&o.format, "format", "text", "report format: "+report.FormatNames(func(*report.Format) bool { return true }))
	fs.StringVarP(&o.output, "output", "o", "", "write the report to FILE; stdout then gets the verdict, the counts and the rows that did not stay unchanged")
	fs.BoolVar(&o.publish, "publish", false, "also publish the report to GitHub, as 'perfgate publish' does (the publish flags below apply); a failed publish is a warning and never changes the exit code")
	o.ingest.register(fs)
	o.stats.register(fs)
	o.publishArgs.register(fs)
	setGroup(fs, groupGate, "baseline", "baseline-ref", "memory", "memory-ref", "format", "output")
	setGroup(fs, groupPublishing, "publish")
	cmd.MarkFlagRequired("baseline")
	return cmd
}

func runCheck(ctx context.Context, s *Streams, o *checkOptions, cmd *cobra.Command) error {
	format, err := report.LookupFormat(o.format)
	if err != nil {
		return inputError(fmt.Errorf("--format %w", err))
	}
	if err := checkOutputDir(o.output); err != nil {
		return err
	}
	// The publishing flags are checked whether or not --publish is given, and refused
	// without it: a workflow that set --comment but forgot --publish would post nothing
	// and say nothing.
	popts, err := o.publishArgs.options(s)
	if err != nil {
		return inputError(err)
	}
	if !o.publish {
		var set []string
		cmd.Flags().Visit(func(f *pflag.Flag) {
			if groupOf(f) == groupPublishing && f.Name != "publish" {
				set = append(set, "--"+f.Name)
			}
		})
		if len(set) > 0 {
			return inputError(fmt.Errorf("publishing flag(s) %s given without --publish: add --publish, or drop them", strings.Join(set, ", ")))
		}
	}
	dir := o.baselineDir
	// --baseline-ref is resolved once, here: the memory reads the history of the commit the
	// store came from, not of wherever the ref points by then (a fetch in another step).
	var refCommit string
	if o.baselineRef != "" {
		tmp, commit, cleanup, err := baseline.Materialize(ctx, o.baselineDir, o.baselineRef)
		defer cleanup()
		if err != nil {
			return inputError(fmt.Errorf("--baseline-ref: %w", err))
		}
		dir, refCommit = tmp, commit
	}
	opts, cfgBetter, _, err := o.stats.options(cmd.Flags(), dir)
	if err != nil {
		return inputError(err)
	}
	opts.Now = now(s) // ignore rules expire on the report's date (SOURCE_DATE_EPOCH)
	iopts, err := o.ingest.options(cfgBetter)
	if err != nil {
		return inputError(err)
	}
	iopts.KeyArgs = append(iopts.KeyArgs, o.stats.cfgKeyArgs...)
	// The results are read while the store is: neither needs the other, and on two cores
	// the store costs no wall time. A store error still comes first.
	iopts.Exclude = []string{o.baselineDir}
	type read struct {
		in  *ingest.Input
		err error
	}
	results := make(chan read, 1)
	go func() {
		in, err := o.ingest.read(o.results, iopts)
		results <- read{in, err}
	}()
	store, err := baseline.Open(dir)
	r := <-results
	if err != nil {
		if errors.Is(err, baseline.ErrNoBaseline) && o.baselineRef != "" {
			err = fmt.Errorf("%s at %s: %w", o.baselineDir, o.baselineRef, err)
		}
		return inputError(err)
	}
	noteLegacy(s, store, false)
	in, err := r.in, r.err
	if err != nil {
		return inputError(err)
	}
	converted, err := baseline.Conform(store.Runs, in.Runs)
	if err != nil {
		return inputError(err)
	}
	for _, c := range converted {
		fmt.Fprintf(s.ErrOut, "perfgate: note: %s\n", c)
	}
	var memRemarks []check.Remark
	from := history.LearnFrom{Dir: o.baselineDir, Read: dir, Commit: refCommit, Git: o.memory, Refs: o.memoryRefs}
	opts.NoisyMemory, memRemarks, err = history.LearnMemory(ctx, from, store.Runs, opts)
	if err != nil {
		return memoryError(err)
	}
	rep, err := o.stats.compare(store.Runs, in.Runs, opts)
	if err != nil {
		return inputError(err)
	}
	if err := driftConflict(rep.Remarks, opts); err != nil {
		return inputError(err)
	}
	if ds := check.ModelDrift(rep.Remarks); len(ds) > 0 {
		return inputError(errors.New(report.ModelDriftText(ds)))
	}
	rep.Remarks = append(rep.Remarks, memRemarks...)
	if err := check.Gateable(store.Runs, in.Runs, opts); err != nil {
		return inputError(err)
	}
	if err := configTypos(store.Runs, in.Runs, opts, cfgBetter); err != nil {
		return inputError(err)
	}
	// After the comparison: a pass on configs that only failed again, or are missing, would
	// say "compared, and fine" of nothing.
	if err := check.Compared(rep); err != nil {
		return inputError(err)
	}
	noteIdleRules(s, check.IdleRules(store.Runs, in.Runs, opts))
	if r := skippedRemark(in.Skipped); r != nil {
		rep.Remarks = append(rep.Remarks, r)
	}
	rep.Provenance = provenance(ctx, s, cmd.Flags(), o.baselineRef, store.Runs, in.Runs, rep)
	if err := ctx.Err(); err != nil {
		return internalError(err) // interrupted: no report, rather than one whose memory was cut short
	}
	if err := writeReport(s, rep, format, o.output); err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			return err
		}
		return internalError(err)
	}
	if o.publish {
		if _, err := github.Publish(ctx, rep, popts); err != nil {
			fmt.Fprintf(s.ErrOut, "perfgate: warning: publishing failed; the verdict stands: %v\n", err)
		}
	}
	if rep.Verdict == check.Fail {
		return errGateFailed
	}
	return nil
}

// noteIdleRules says on stderr which rules of the config file apply to nothing: a typo in a
// match or a metric name leaves the threshold or ignore its author meant unapplied, silently.
func noteIdleRules(s *Streams, idle []check.IdleRule) {
	for _, ir := range idle {
		for _, note := range report.IdleRuleNotes(ir) {
			fmt.Fprintf(s.ErrOut, "perfgate: note: %s\n", note)
		}
	}
}

// memoryHelp is the help of --memory, for check and the baseline commands that share it.
var memoryHelp = fmt.Sprintf("also learn each config's noise class from the baseline's last %d commits in git", history.MemoryCommits)

// memoryError gives an error of history.LearnMemory its exit code: a --memory-ref that could
// not be read is bad input, a learning its context stopped an internal failure.
func memoryError(err error) error {
	var re *history.RefError
	if errors.As(err, &re) {
		return inputError(fmt.Errorf("--memory-ref: %w", err))
	}
	return internalError(err)
}

// writeReport renders rep in format to output, or to s.Out. With an output file, s.Out gets
// the brief text report (the verdict, the counts and the rows that did not stay unchanged),
// so a CI log always shows what failed without the thousands of unchanged rows.
func writeReport(s *Streams, rep *check.Report, format *report.Format, output string) error {
	if output == "" {
		return logText(s, format.Name == "text", func() error { return format.Render(s.Out, rep, report.Options{Color: s.OutTTY}) })
	}
	var buf bytes.Buffer
	if err := format.Render(&buf, rep, report.Options{}); err != nil {
		return err
	}
	if err := writeOutput(output, buf.Bytes()); err != nil {
		return err
	}
	if err := logText(s, true, func() error { return report.Text(s.Out, rep, report.Options{Color: s.OutTTY, Brief: true}) }); err != nil {
		return err
	}
	_, err := fmt.Fprintf(s.Out, "full report (%s): %s\n", format.Name, output)
	return err
}

// checkOutputDir refuses an -o FILE whose directory does not exist before any work is done:
// the write would fail only after the whole check, with the name of a temporary file.
func checkOutputDir(output string) error {
	if output == "" {
		return nil
	}
	dir := filepath.Dir(output)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return inputError(fmt.Errorf("-o %s: directory %s does not exist; create it first", output, dir))
	case err == nil && !st.IsDir():
		return inputError(fmt.Errorf("-o %s: %s is not a directory", output, dir))
	}
	return nil
}

// writeOutput writes data to the -o FILE output atomically. A target it must not replace (a
// directory, a device, a FIFO) or a directory that does not exist (as behind a symbolic link)
// is an input error; anything else is perfgate failing to write (exit 3).
func writeOutput(output string, data []byte) error {
	err := atomicfile.Write(output, data, 0o644)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, atomicfile.ErrNotRegular):
		return inputError(fmt.Errorf("-o %w (without -o the output goes to stdout)", err))
	case errors.Is(err, fs.ErrNotExist):
		return inputError(fmt.Errorf("-o %s: the directory to write it in does not exist (%v)", output, err))
	}
	return internalError(fmt.Errorf("-o %s: %w", output, err))
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// markUndecided publishes, for a check --publish that ended without a verdict (exit 2 or 3:
// bad input, an internal failure, an interruption), what publish --error does: the status
// error and the sticky comment marked stale. Otherwise a "pending" status and "running" note
// posted earlier in the job would wait for ever, and a required check with them. A failure to
// publish it is a warning, and the exit code stays the check's.
func markUndecided(ctx context.Context, s *Streams, o *checkOptions, err error) {
	if err == nil || exitCode(err) == ExitFail {
		return // a verdict, published by runCheck
	}
	popts, perr := o.publishArgs.options(s)
	if perr != nil {
		return // the publishing flags themselves are wrong: nothing can be published
	}
	// An interrupted check (a cancelled job) marks the gate too, with a context of its own.
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if _, merr := github.Mark(mctx, github.PhaseError, popts); merr != nil {
		fmt.Fprintf(s.ErrOut, "perfgate: warning: could not mark the gate error on GitHub: %v\n", merr)
		return
	}
	fmt.Fprintln(s.ErrOut, "perfgate: the check could not decide; the gate is marked error on GitHub")
}
