package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/check"
	"github.com/perfgate/perfgate/history"
	"github.com/perfgate/perfgate/report"
)

func newBaselineCmd(s *Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "baseline",
		Short: "Update or show the stored baseline",
	}
	cmd.AddCommand(newBaselineUpdateCmd(s), newBaselineShowCmd(s), newBaselineMergeCmd(s), newBaselineDropCmd(s))
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
	replaceBatch     bool
	memory           bool
	results          []string
	ingest           ingestFlags
	stats            checkFlags
	lockTimeout      time.Duration
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
still updated). Bad input changes nothing, and the file is replaced atomically.

Updates of one baseline serialise: each holds a lock on the directory from reading the store
to writing it back, so concurrent updates (CI re-runs, a matrix) lose no runs. An update that
waits longer than --lock-timeout exits 3.`,
		Args: needResults,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.results = args
			return runBaselineUpdate(cmd.Context(), s, o, cmd)
		},
	}
	fs := cmd.Flags()
	baselineDirVar(fs, &o.dir, "baseline directory (required; created if missing)")
	fs.IntVar(&o.window, "window", 0, fmt.Sprintf("runs to keep per config (default: the config file's window, else the one the store records, else %d)", baseline.DefaultWindow))
	fs.StringVar(&o.runID, "run-id", "", "name of this ingest, e.g. nightly-$GITHUB_RUN_ID (default: a hash of each file)")
	fs.StringVar(&o.commit, "commit", "", "commit the results were measured at (default: $GITHUB_SHA)")
	fs.StringVar(&o.date, "date", "", "date of the results, RFC 3339 (default: the results' own; else, when they equal their batch's stored runs (a retry), its date in the store; else now)")
	fs.BoolVar(&o.failOnRegression, "fail-on-regression", false, "exit 1 when the incoming runs regressed against the store")
	fs.BoolVar(&o.replaceBatch, "replace-batch", false, "the incoming runs of a --run-id already stored replace all its runs of their configs, whatever file those were read from (default: the runs of the files of the same name)")
	fs.BoolVar(&o.memory, "memory", true, memoryHelp+", as check does")
	fs.DurationVar(&o.lockTimeout, "lock-timeout", baseline.DefaultLockTimeout, "how long to wait for another update of the same baseline to finish")
	o.ingest.register(fs)
	o.stats.register(fs)
	setGroup(fs, groupStore, "baseline", "window", "run-id", "replace-batch", "commit", "date", "lock-timeout")
	setGroup(fs, groupGate, "fail-on-regression", "memory")
	cmd.MarkFlagRequired("baseline")
	return cmd
}

func runBaselineUpdate(ctx context.Context, s *Streams, o *updateOptions, cmd *cobra.Command) error {
	opts, cfgBetter, cfgWindow, err := o.stats.options(cmd.Flags(), o.dir)
	if err != nil {
		return inputError(err)
	}
	opts.Now = now(s) // ignore rules expire on the report's date (SOURCE_DATE_EPOCH)
	// The window: --window, else the config file's, else the one the store records (read
	// under the lock), else the default.
	windowGiven := cmd.Flags().Changed("window")
	if cfgWindow > 0 && !windowGiven {
		o.window, windowGiven = cfgWindow, true
	}
	window := o.window
	if !windowGiven {
		window = baseline.DefaultWindow
	} else if o.window < 1 {
		return inputError(fmt.Errorf("--window must be at least 1"))
	}
	if o.lockTimeout < 0 {
		return inputError(fmt.Errorf("--lock-timeout must not be negative"))
	}
	date := o.date
	if date != "" {
		if _, err := time.Parse(time.RFC3339, date); err != nil {
			return inputError(fmt.Errorf("--date %q: want RFC 3339, e.g. 2026-11-24T03:00:00Z", date))
		}
	} else {
		date = o.now().UTC().Format(time.RFC3339)
	}
	commit, err := commitOf(o.commit, cmd.Flags().Changed("commit"), s.Getenv("GITHUB_SHA"))
	if err != nil {
		return inputError(err)
	}
	iopts, err := o.ingest.options(cfgBetter)
	if err != nil {
		return inputError(err)
	}
	iopts.Batch = o.runID
	iopts.KeyArgs = append(iopts.KeyArgs, o.stats.cfgKeyArgs...)
	iopts.Exclude = []string{o.dir}
	iopts.OrderDates = true // a date that cannot be read as a time is an error at its line
	// The results are read before the store is locked, so the lock is held only for the
	// read-modify-write of the store itself.
	in, err := o.ingest.read(o.results, iopts)
	if err != nil {
		return inputError(err)
	}
	runs := in.Runs
	if r := skippedRemark(in.Skipped); r != nil {
		fmt.Fprintln(s.ErrOut, "perfgate: note: "+report.RemarkText(r))
	}
	// A date perfgate cannot order would leave the batch's place among the store's unknown,
	// and the window would prune by a guess (review: a backfill pruned a newer night). The
	// readers refuse one at its line (OrderDates) and store the others as RFC 3339; this is
	// for any other reader that gives a date.
	for i := range runs {
		if d := runs[i].Date; d != "" {
			nd, ok := bench.NormalizeDate(d)
			if !ok {
				_, err := bench.ParseDate(d)
				return inputError(fmt.Errorf("%s: %v: the date orders the night among the stored ones, from which the window drops the oldest", runs[i].Source, err))
			}
			runs[i].Date = nd
		}
	}
	// Runs without a date of their own get --date now; without it, the date their batch
	// already has in the store, else now, once the store is read (datesOf).
	for i := range runs {
		if runs[i].Date == "" && o.date != "" {
			runs[i].Date = date
		}
		if runs[i].Commit == "" {
			runs[i].Commit = commit
		}
	}
	var (
		rep *check.Report
		st  baseline.MergeStats
		n   int
	)
	// The memory is learned for the comparison, unless a record of it matches the store, and
	// again for the merged store, to record it once the store is saved: both from the store's
	// history, which this update does not change in between (its commits are not made by
	// it), so the history is read once. history.UpdateMemory lets the versions go (history.Done).
	ctx = history.ReadOnce(ctx)
	res, err := baseline.UpdateThen(o.dir, o.lockTimeout, func(store *baseline.Store) error {
		noteLegacy(s, store, true)
		converted, err := baseline.Conform(store.Runs, runs)
		if err != nil {
			return inputError(err)
		}
		for _, c := range converted {
			fmt.Fprintf(s.ErrOut, "perfgate: note: %s\n", c)
		}
		// After Conform, and with --recompute-tflops applied to a copy: datesOf compares the
		// runs as they would be stored, and returns them for the copy check.
		var recompute func([]bench.Run) error
		if o.stats.recompute != "" {
			recompute = func(rs []bench.Run) error { _, err := o.stats.tflops(nil, rs); return err }
		}
		incoming, err := datesOf(store.Runs, runs, date, recompute, o.replaceBatch)
		if err != nil {
			return inputError(err)
		}
		// Incoming runs that share no file name with their batch's runs of their configs
		// stored tonight from several files: which they re-run is not known (review: a
		// shard's retry under another layout replaced both shards' runs).
		if !o.replaceBatch {
			if err := baseline.CheckReplace(store.Runs, runs); err != nil {
				return inputError(err)
			}
		}
		// A copy of a stored batch is told by the values the store would hold on both sides:
		// under --recompute-tflops the update rewrites the stored runs' TFLOPS too (the
		// comparison recomputes them in place), so a copy of a batch stored with its logged
		// TFLOPS is one as well. A stored run that cannot be recomputed is the comparison's
		// error to report; here it is compared as read.
		// Recomputed, TFLOPS/GPU is a function of the time: equal, it is no evidence of its own.
		storedNow := store.Runs
		var derived []string
		if recompute != nil {
			derived = []string{bench.MetricTFLOPS}
			if rs, err := storedAs(store.Runs, func(rs []bench.Run) error { _, err := o.stats.tflops(rs, nil); return err }); err == nil {
				storedNow = rs
			}
		}
		// The stored runs the incoming ones replace (baseline.Replaced) are no copy to refuse
		// (a retry); the others are, the batch's own included: a stale file in a shard joining
		// the night's batch, or the night's results renamed, is no retry.
		if err := baseline.CheckCopiesReplacing(storedNow, incoming, o.replaceBatch, derived...); err != nil {
			return inputError(err)
		}
		if !windowGiven && store.Window > 0 {
			window = store.Window // the store's own window, unless one is given: never shrunk unasked
		}
		// The incoming runs are compared with the store without their batch's runs of their
		// configs, whatever file those were read from: a retry of a failed nightly under the
		// same --run-id would otherwise be compared with its own first attempt, or with the
		// night's other repetition file of the same regressed runs, and pass.
		base := baseline.Unreplaced(store.Runs, runs)
		if len(base) < len(store.Runs) && recompute != nil {
			// The comparison recomputes the TFLOPS of base in place, which, as a copy, is
			// not what is stored: recompute the store's runs themselves.
			if err := recompute(store.Runs); err != nil {
				return inputError(err)
			}
		}
		// A metric filter that matches nothing is a typo; results that match no stored config
		// may be a new sweep, and results that share no metric with the configs they share
		// may report a metric new to the store, so both are stored, with a warning that
		// nothing was compared; with --fail-on-regression, which must not pass on nothing,
		// both are an error (exit 2), as in check, and nothing is stored.
		if err := check.MetricsPresent(base, runs, opts.Metrics); err != nil {
			return inputError(err)
		}
		if err := configTypos(store.Runs, runs, opts, cfgBetter); err != nil {
			return inputError(err)
		}
		how, notCompared := uncompared(base, runs, opts.Metrics)
		if notCompared != nil {
			if o.failOnRegression {
				return inputError(fmt.Errorf("%w.\nNothing was stored: --fail-on-regression does not pass on runs it did not compare; to add them to the store all the same (a new sweep, a new metric), run the update without --fail-on-regression", notCompared))
			}
			fmt.Fprintf(s.ErrOut, "perfgate: warning: %v.\n%s\n", notCompared, how)
		}
		rep = &check.Report{Verdict: check.Pass}
		if len(base) == 0 {
			_, err = o.stats.tflops(base, runs) // --recompute-tflops still applies to what is stored
		} else {
			var remarks []check.Remark
			// The memory is learned for the store's window with the replaced runs in it, so
			// that it does not learn from them either (runs the window holds are not older
			// runs), and a record of it for this store still matches.
			if opts.NoisyMemory, remarks, err = history.LearnMemory(ctx, history.LearnFrom{Dir: o.dir, Git: o.memory}, store.Runs, opts); err != nil {
				return memoryError(err)
			}
			if rep, err = o.stats.compare(base, runs, opts); err == nil {
				rep.Remarks = append(rep.Remarks, remarks...)
			}
		}
		if err != nil {
			return inputError(err)
		}
		if len(base) > 0 {
			// Runs that only failed again, as stored, compared nothing either (check.Compared):
			// stored with a warning (unless uncompared gave it), an error under
			// --fail-on-regression.
			if err := check.Compared(rep); err != nil && notCompared == nil {
				if o.failOnRegression {
					return inputError(fmt.Errorf("%w.\nNothing was stored: --fail-on-regression does not pass on runs it did not compare; to store them all the same, run the update without --fail-on-regression", err))
				}
				fmt.Fprintf(s.ErrOut, "perfgate: warning: %v.\nThe runs are stored.\n", err)
			}
			fmt.Fprintln(s.Out, "Incoming runs compared with the stored baseline:")
			if err := logText(s, true, func() error { return report.Text(s.Out, rep, report.Options{Color: s.OutTTY}) }); err != nil {
				return internalError(err)
			}
			fmt.Fprintln(s.Out)
		}
		if err := ctx.Err(); err != nil {
			return internalError(err) // interrupted: the store stays as it was
		}
		st = store.MergeReplacing(runs, window, o.replaceBatch)
		n = len(store.Runs)
		if len(runs) > 0 && st.PrunedIncoming == len(runs) {
			// Stored, then dropped at once: the update would change nothing it was asked to
			// (and said "added N run(s)", exit 0, review).
			return inputError(fmt.Errorf("none of the %d incoming run(s) would be stored: dated %s, they are older than the newest %d run(s) of each of their configs, which the window keeps, so it would drop them at once. Nothing was stored. To keep them, pass a larger --window, or check the --date",
				len(runs), runs[0].Date, window))
		}
		if len(st.Unordered) > 0 {
			unorderedWarning(s, store.Runs, st)
		}
		return nil
	}, func(store *baseline.Store) {
		// memory.json describes the store as saved: written after it, never for a store a
		// failed save or a kill left unwritten.
		// The memory only saves the checks work: the store's update goes on without it.
		if err := history.UpdateMemory(ctx, o.dir, store.Runs, opts, o.memory); err != nil {
			fmt.Fprintf(s.ErrOut, "perfgate: warning: the memory of noisy configs was not recorded: %v\n", err)
		}
	})
	if err != nil {
		return storeError(err)
	}
	path := filepath.Join(o.dir, baseline.FileName)
	if res.TempsRemoved > 0 {
		fmt.Fprintf(s.ErrOut, "perfgate: note: removed %d temporary file(s) left in %s by an interrupted update\n", res.TempsRemoved, o.dir)
	}
	fmt.Fprintf(s.Out, "%s: %d incoming run(s): added %d run(s)", path, len(runs), st.Added)
	if len(st.Replaced) > 0 {
		fmt.Fprintf(s.Out, ", replaced %d run(s) of the same config in batch(es) already stored: %s", st.ReplacedRuns, strings.Join(st.Replaced, ", "))
	}
	if st.KeptRuns > 0 {
		fmt.Fprintf(s.Out, ", kept %d stored run(s) of those configs read from other files (%s), which replace their own runs only", st.KeptRuns, strings.Join(st.KeptFiles, ", "))
	}
	if st.Pruned > 0 {
		fmt.Fprintf(s.Out, ", dropped %d run(s) beyond the window of %d", st.Pruned, window)
		if st.PrunedIncoming > 0 {
			fmt.Fprintf(s.Out, " (%d of them incoming, not stored: older than the window's runs of their configs)", st.PrunedIncoming)
		}
	}
	fmt.Fprintf(s.Out, "; %d run(s) stored.\n", n)
	if st.ReplacedOther > 0 {
		fmt.Fprintf(s.ErrOut, "perfgate: warning: replaced %d stored run(s) of this night read from %s, which no incoming file has the name of: a re-ingest under the batch's --run-id replaces the runs of its files, by name, and the runs of its configs whole when it shares no file name with them (a retry whose results were renamed). If %s held other runs of the night (another shard or repetition of the same configs), they are gone from the store: restore it (git checkout) and give those files again with the re-run ones\n",
			st.ReplacedOther, strings.Join(st.ReplacedOtherFiles, ", "), strings.Join(st.ReplacedOtherFiles, ", "))
	}
	if w := report.RunIDReused(st.Replaced, st.ReplacedEarlier); w != "" {
		fmt.Fprintf(s.ErrOut, "perfgate: warning: %s\n", w)
	}
	if o.failOnRegression && rep.Verdict == check.Fail {
		fmt.Fprintln(s.ErrOut, "perfgate: the incoming runs regressed against the baseline (--fail-on-regression)")
		return errGateFailed
	}
	return nil
}

// unorderedWarning says which stored batches have a date perfgate cannot order, where, and
// that the window was not applied to their configs.
func unorderedWarning(s *Streams, runs []bench.Run, st baseline.MergeStats) {
	var where []string
	for _, b := range st.Unordered {
		for i := range runs {
			if runs[i].Batch == b {
				where = append(where, fmt.Sprintf("%s (date %q, %s)", b, runs[i].Date, runs[i].Source))
				break
			}
		}
	}
	kept := ""
	if st.Unpruned > 0 {
		kept = fmt.Sprintf("; %d run(s) beyond the window were kept rather than pruned on a guess", st.Unpruned)
	}
	fmt.Fprintf(s.ErrOut, "perfgate: warning: stored batch(es) with a date that is not a time: %s. perfgate cannot tell where they belong among the nights, so the window is not applied to their configs%s. Set each date on its '# perfgate run' line to RFC 3339 (e.g. 2026-01-11T03:00:00Z) and update again\n", strings.Join(where, ", "), kept)
}

// uncompared reports, as check.Gateable does, stored and incoming runs of which nothing would
// be compared although the store holds runs: no incoming config is stored, or the configs
// both hold share no metric (after the metric filter). how says how the runs are stored all
// the same, without --fail-on-regression.
func uncompared(stored, runs []bench.Run, metrics []string) (how string, err error) {
	if err := check.ConfigsMatch(stored, runs); err != nil {
		return "The runs are stored as new configs.", err
	}
	if err := check.MetricsShared(stored, runs, metrics); err != nil {
		return "The runs are stored, their metrics new to the store, and later updates compare them.", err
	}
	return "", nil
}

// datesOf dates the incoming runs that have no date yet. A batch already stored whose
// incoming runs equal its stored runs of their configs, as they would be stored (a CI retry
// of the same results under the same --run-id), keeps its dates, so that the retry leaves
// the store byte-identical and the night where it was; the runs of configs it does not hold
// yet (a matrix shard joining the night's batch) take its date too. A batch whose incoming
// runs differ from the stored ones (a run id reused every night, a re-run with new results)
// is dated now, as are new batches: it is a new ingest, which the history must tell from the
// one it replaces (ID@DATE). recompute, when not nil, is --recompute-tflops, which the
// comparison applies to the incoming runs before they are stored.
//
// It returns the incoming runs as they would be stored (storedAs), which it compared, for the
// copy check (baseline.CheckCopies), or the error of storedAs (a run --recompute-tflops cannot
// recompute), on which the update stops.
func datesOf(stored, runs []bench.Run, now string, recompute func([]bench.Run) error, whole bool) ([]bench.Run, error) {
	batchDate := map[string]string{} // the batch's date: its last stored run's
	type stRuns struct {
		date string
		runs []*bench.Run
	}
	byKey := map[string]*stRuns{} // stored runs that the incoming runs replace, by batch and config
	rep := baseline.ReplacedBy(stored, runs, whole)
	for i := range stored {
		r := &stored[i]
		if r.Batch == "" {
			continue
		}
		if r.Date != "" {
			batchDate[r.Batch] = r.Date
		}
		if !rep[i] {
			continue // another file's runs of the config: kept
		}
		k := r.Batch + "\x00" + r.ConfigKey()
		if byKey[k] == nil {
			byKey[k] = &stRuns{date: r.Date}
		}
		byKey[k].runs = append(byKey[k].runs, r)
	}
	// Tentatively, every undated run of a stored batch takes the date of its config's stored
	// runs, else its batch's.
	var undated []int
	for i := range runs {
		if runs[i].Date != "" {
			continue
		}
		undated = append(undated, i)
		if d, ok := batchDate[runs[i].Batch]; ok {
			runs[i].Date = d
			if sr := byKey[runs[i].Batch+"\x00"+runs[i].ConfigKey()]; sr != nil && sr.date != "" {
				runs[i].Date = sr.date
			}
		}
	}
	// Batches whose incoming runs differ from the stored runs they replace.
	differs := map[string]bool{}
	asStored, err := storedAs(runs, recompute)
	if err != nil {
		return nil, err
	}
	if len(asStored) != len(runs) {
		for _, i := range undated {
			differs[runs[i].Batch] = true // cannot tell: a new ingest
		}
	} else {
		incoming := map[string][]*bench.Run{}
		var keys []string
		for i := range asStored {
			r := &asStored[i]
			k := runs[i].Batch + "\x00" + runs[i].ConfigKey()
			if _, ok := incoming[k]; !ok {
				keys = append(keys, k)
			}
			incoming[k] = append(incoming[k], r)
		}
		for _, k := range keys {
			sr := byKey[k]
			if sr == nil {
				continue // a config the batch does not hold yet
			}
			in := incoming[k]
			same := len(in) == len(sr.runs)
			for j := 0; same && j < len(in); j++ {
				same = sameStoredRun(in[j], sr.runs[j])
			}
			if !same {
				differs[in[0].Batch] = true
			}
		}
	}
	for _, i := range undated {
		if runs[i].Date == "" || differs[runs[i].Batch] {
			runs[i].Date = now
		}
	}
	return asStored, nil
}

// storedAs returns runs as the update stores them: with recompute (--recompute-tflops, when
// not nil) applied to a copy, and written and read back as a store file holds them
// (baseline.AsStored), rounded after the recompute.
func storedAs(runs []bench.Run, recompute func([]bench.Run) error) ([]bench.Run, error) {
	out, err := baseline.AsStored(runs)
	// Read back, the runs name the store's lines; they are named by their input's (AsStored
	// keeps the runs' order): a run the recompute refuses, and runs the copy check finds.
	restore := func() {
		if len(out) == len(runs) {
			for i := range out {
				out[i].Source = runs[i].Source
			}
		}
	}
	restore()
	if err == nil && recompute != nil {
		if err = recompute(out); err == nil {
			out, err = baseline.AsStored(out)
			restore()
		}
	}
	return out, err
}

// sameStoredRun reports whether a and b, runs as the store reads them back, store the same
// run: everything but where they were read.
func sameStoredRun(a, b *bench.Run) bool {
	x, y := *a, *b
	x.Source, y.Source = "", ""
	x.Key, y.Key = "", ""
	return reflect.DeepEqual(x, y)
}

// storeError classifies an error of a store's read-modify-write: one already classified keeps
// its exit code, a damaged store is bad input, anything else (the lock's timeout, a failed
// write) is perfgate failing to do its job.
func storeError(err error) error {
	var ee *exitError
	var se *bench.SyntaxError
	switch {
	case errors.As(err, &ee):
		return err
	case errors.As(err, &se):
		return inputError(err)
	}
	return internalError(err)
}

// noteLegacy says when a store was written by a perfgate without the closing integrity line,
// and who adds it: this update, or the next.
func noteLegacy(s *Streams, store *baseline.Store, updating bool) {
	if !store.Legacy {
		return
	}
	who := "the next 'perfgate baseline update' adds it"
	if updating {
		who = "this update adds it"
	}
	fmt.Fprintf(s.ErrOut, "perfgate: note: %s was written by an older perfgate (format v1), without the closing line that detects a cut-short file; %s\n", store.Path(), who)
}

// commitRE is what --commit and $GITHUB_SHA must look like: an abbreviated or full SHA-1 or
// SHA-256 commit id.
var commitRE = regexp.MustCompile(`^[0-9a-fA-F]{4,64}$`)

// commitOf returns the commit to record: the flag when given, else $GITHUB_SHA. Either must
// look like a commit, so an unset variable in an unquoted "--commit $GITHUB_SHA" (which makes
// --commit swallow the next flag) is refused rather than stored.
func commitOf(flag string, given bool, env string) (string, error) {
	if !given || flag == "" {
		// An empty --commit (a quoted variable that is unset, as when the README's nightly
		// command runs outside Actions) records no commit, as leaving it out does.
		if env != "" && !commitRE.MatchString(env) {
			return "", fmt.Errorf("$GITHUB_SHA %q does not look like a commit (4 to 64 hex digits); pass --commit SHA", env)
		}
		return env, nil
	}
	if commitRE.MatchString(flag) {
		return flag, nil
	}
	if strings.HasPrefix(flag, "-") {
		return "", fmt.Errorf("--commit %q: a flag, not a commit; an unquoted empty variable (--commit $GITHUB_SHA with GITHUB_SHA unset) makes --commit take the next argument; quote it: --commit \"$GITHUB_SHA\"", flag)
	}
	return "", fmt.Errorf("--commit %q does not look like a commit: want 4 to 64 hex digits, e.g. --commit \"$(git rev-parse HEAD)\"", flag)
}

// showOptions are the inputs of "perfgate baseline show".
type showOptions struct {
	dir    string
	format string
	memory bool
	stats  checkFlags
}

func newBaselineShowCmd(s *Streams) *cobra.Command {
	o := &showOptions{}
	cmd := &cobra.Command{
		Use:   "show --baseline DIR",
		Short: "List the baseline's configs, run counts, centres and noise",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBaselineShow(cmd.Context(), s, o, cmd)
		},
	}
	baselineDirVar(cmd.Flags(), &o.dir, "baseline directory (required)")
	cmd.Flags().StringVar(&o.format, "format", "text", report.FormatNames(func(f *report.Format) bool { return f.Describe != nil }))
	cmd.Flags().BoolVar(&o.memory, "memory", true, memoryHelp+", as check does")
	o.stats.registerHistory(cmd.Flags())
	cmd.MarkFlagRequired("baseline")
	return cmd
}

func runBaselineShow(ctx context.Context, s *Streams, o *showOptions, cmd *cobra.Command) error {
	format, err := report.LookupDescribeFormat(o.format)
	if err != nil {
		return inputError(fmt.Errorf("--format %w", err))
	}
	opts, _, _, err := o.stats.options(cmd.Flags(), o.dir)
	if err != nil {
		return inputError(err)
	}
	opts.Now = now(s) // ignore rules expire on the report's date (SOURCE_DATE_EPOCH)
	store, err := baseline.Open(o.dir)
	if err != nil {
		return inputError(err)
	}
	mem, remarks, err := history.LearnMemory(ctx, history.LearnFrom{Dir: o.dir, Git: o.memory}, store.Runs, opts)
	if err != nil {
		return memoryError(err)
	}
	opts.NoisyMemory = mem
	for _, r := range remarks {
		fmt.Fprintf(s.ErrOut, "perfgate: note: %s\n", report.RemarkText(r))
	}
	if err := logText(s, format.Name == "text", func() error {
		return format.Describe(s.Out, check.Describe(store.Runs, opts), report.Options{Source: store.Path()})
	}); err != nil {
		return internalError(err)
	}
	return nil
}

// mergeOptions are the inputs of "perfgate baseline merge".
type mergeOptions struct {
	base, ours, theirs string
	path               string // the store's path in the work tree (git's %P), when given
	window             int
}

func newBaselineMergeCmd(s *Streams) *cobra.Command {
	o := &mergeOptions{}
	cmd := &cobra.Command{
		Use:   "merge BASE OURS THEIRS [PATH]",
		Short: "Merge two versions of a baseline file (git's merge driver)",
		Long: `merge resolves two versions of a baseline file, OURS and THEIRS, that descend from BASE:
the result holds the runs of both (by batch), runs that one side removed since BASE stay
removed, batches are in date order, and the rolling window is re-applied. The result is
written to OURS, as git's merge-driver convention wants, and merge exits 0. A config of a
batch that both branches re-ingested differently keeps the later ingest by its runs' dates
(the output says so); when the dates cannot tell, when a batch one side added is a copy of a
batch of the other (the same results under two run ids, which update refuses), or a version
is not a sound store, merge is refused with exit 2 and OURS is left as it was (git then
leaves the file in conflict).

Set it up once per clone, so that two nightly refresh branches merge without a hand-merge:

  git config merge.perfgate.driver "perfgate baseline merge %O %A %B %P"
  printf 'baseline.txt merge=perfgate\nmemory.json merge=perfgate\n' >> perf/baseline/.gitattributes

For memory.json (the memory the nightly update records, derived from the store) merge keeps
OURS: a check of the merged store ignores it until the next update records one.

BASE may be empty (the store was added on both branches). PATH (git's %P) is the file's path
in the work tree: messages name the versions by it ("perf/baseline/baseline.txt (theirs):12")
rather than by the temporary files git gives the driver (.merge_file_XXXXXX).`,
		Args: cobra.RangeArgs(3, 4),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.base, o.ours, o.theirs = args[0], args[1], args[2]
			if len(args) == 4 {
				o.path = args[3]
			}
			return runBaselineMerge(s, o)
		},
	}
	cmd.Flags().IntVar(&o.window, "window", 0, "runs to keep per config (default: the larger window the two versions record)")
	return cmd
}

func runBaselineMerge(s *Streams, o *mergeOptions) error {
	if o.window < 0 {
		return inputError(fmt.Errorf("--window must not be negative"))
	}
	var data [3][]byte
	for i, p := range []string{o.base, o.ours, o.theirs} {
		b, err := os.ReadFile(p)
		if err != nil {
			return inputError(err)
		}
		data[i] = b
	}
	if history.IsMemoryRecord(data[1]) {
		// memory.json, recorded on both branches by their nightly updates: derived data
		// that no merge of two records would make right. Ours stays; a check of the merged
		// store finds it learned for other runs, ignores it (and says so), and the next
		// update records one for the merged store.
		fmt.Fprintf(s.Out, "perfgate: %s: a memory record (%s): kept ours; checks ignore it until the next baseline update records one for the merged store\n", o.ours, history.MemoryFile)
		return nil
	}
	// The versions' names in messages: git's temporary files say nothing to the reader, the
	// store's path in the work tree (%P) does.
	names, shown := [3]string{o.base, o.ours, o.theirs}, o.ours
	if o.path != "" {
		names = [3]string{o.path + " (base)", o.path + " (ours)", o.path + " (theirs)"}
		shown = o.path
	}
	runs, st, err := baseline.MergeFiles(names[0], names[1], names[2], data[0], data[1], data[2], o.window)
	if err != nil {
		return inputError(err)
	}
	if err := baseline.WriteFile(o.ours, runs, st.Window); err != nil {
		return internalError(err)
	}
	fmt.Fprintf(s.Out, "perfgate: %s: %s\n", shown, st)
	return nil
}
