package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/check"
	"github.com/perfgate/perfgate/history"
	"github.com/perfgate/perfgate/ingest"
	"github.com/perfgate/perfgate/report"
)

// historyOptions are the inputs of "perfgate history".
type historyOptions struct {
	dir        string
	format     string
	output     string
	failOn     bool
	recent     int
	hold       int
	accept     []string
	acceptFile string
	minEffect  float64
	window     int
	config     string
	results    []string
	ingest     ingestFlags
	now        func() time.Time
}

func newHistoryCmd(s *Streams) *cobra.Command {
	o := &historyOptions{now: time.Now}
	d := history.DefaultOptions()
	cmd := &cobra.Command{
		Use:   "history --baseline DIR [--format text|json|markdown|html] [--output FILE] [RESULTS...]",
		Short: "Trends and change points of every config over the baseline's git history; the dashboard",
		Long: `history builds the series of every config and metric from the git history of the baseline
directory: each commit that changed the store contributes the batches it recorded first, so the
rolling window does not limit history. Outside a git repository it uses the store as it is, and
says so. RESULTS files add points, for example tonight's run before it is committed.

It finds change points with E-divisive means (a permutation test on log values, as Apache Otava
does) and keeps those of at least the gate's minimum effect; a config that starts or stops
failing (OOM, error) is a change point too.

--format html writes a self-contained dashboard page. --fail-on exits 1 when a change for the
worse starts in the newest --recent batches, naming the commit range to bisect, and while a
change for the worse of the newest --hold batches still holds (main is still worse than before
it), until it is fixed or accepted with --accept BATCH (every config's change from that very
night) or --accept "BATCH CONFIG" (one config's, from that night or one either side); each
alert an acceptance silences is named on stderr. A drift (a slow slide no night stepped) alerts every
night it still measures, unless change points that alert that night explain it.

Alerts are one per measurement, as the gate decides: the speed metrics of a config
(TFLOPS/GPU, tokens/s/GPU, samples/s, s/iter; speed_metrics of perfgate.json) are one alert, on
the first of them the config has in its newest night, with the others' changes shown on it;
memory alerts on its own. A night on which at least half the configs, and at least 3, got
worse is reported once, as a cluster-wide event with its range to bisect, followed by its
configs; they still fail --fail-on, and the JSON lists every alert with its event.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.results = args
			return runHistory(cmd.Context(), s, o, cmd)
		},
	}
	fs := cmd.Flags()
	baselineDirVar(fs, &o.dir, "baseline directory (required)")
	fs.StringVar(&o.format, "format", "text", "text, json, markdown or html")
	fs.StringVarP(&o.output, "output", "o", "", "write to FILE instead of standard output")
	fs.BoolVar(&o.failOn, "fail-on", false, "exit 1 when a change for the worse starts in the newest --recent batches")
	fs.IntVar(&o.recent, "recent", 3, "newest batches --fail-on and the alert list look at")
	fs.StringVar(&o.acceptFile, "accept-file", "", "read acceptances from this file, one --accept value a line (BATCH or BATCH CONFIG); blank lines and # comments are skipped; a missing file is an error")
	fs.IntVar(&o.hold, "hold", d.HoldNights, "newest batches in which a change for the worse keeps alerting while it still holds (0: only the newest --recent)")
	fs.StringArrayVar(&o.accept, "accept", nil, "accept the changes for the worse from BATCH as the new normal once older than --recent: \"BATCH\" (every config, that night) or \"BATCH CONFIG\" (one config, ± 1 night); repeatable")
	fs.Float64Var(&o.minEffect, "min-effect", d.MinEffectPct, "smallest step in percent kept as a change point (default: the gate's, or min_effect_pct of perfgate.json)")
	fs.IntVar(&o.window, "window", d.Window, "newest runs the baseline band is drawn from (default: the store's, or window of perfgate.json)")
	fs.StringVar(&o.config, "config", "", "config file (default: perfgate.json in the baseline directory, if present)")
	o.ingest.register(fs)
	cmd.MarkFlagRequired("baseline")
	return cmd
}

func runHistory(ctx context.Context, s *Streams, o *historyOptions, cmd *cobra.Command) error {
	switch o.format {
	case "text", "json", "markdown", "html":
	default:
		return inputError(fmt.Errorf("--format must be text, json, markdown or html"))
	}
	if o.recent < 1 {
		return inputError(fmt.Errorf("--recent must be at least 1"))
	}
	// A level step is found once MinSegment nights lie after its start, so its first bad night
	// is at least the MinSegment-th newest: a smaller --recent would make --fail-on blind to
	// every slowdown, alerting only on configs that started failing, and pass.
	if seg := minRecent(); o.failOn && o.recent < seg {
		return inputError(fmt.Errorf("--fail-on --recent %d: a change in level is found once %d nights lie on its far side, so its first night is at least the %d-th newest batch and --fail-on would never see one (only configs that started failing); use --recent %d or more", o.recent, seg, seg, seg))
	}
	if o.hold < 0 {
		return inputError(fmt.Errorf("--hold must be at least 0"))
	}
	var accepted []history.Accept
	for _, a := range o.accept {
		acc, err := history.ParseAccept(a)
		if err != nil {
			return inputError(fmt.Errorf("--accept %w", err))
		}
		accepted = append(accepted, acc)
	}
	if o.acceptFile != "" {
		fromFile, err := readAcceptFile(o.acceptFile)
		if err != nil {
			return inputError(err)
		}
		accepted = append(accepted, fromFile...)
	}
	if err := checkOutputDir(o.output); err != nil {
		return err
	}
	copts, cfgBetter, cf, err := loadConfigFile(o.config, o.dir)
	if err != nil {
		return inputError(err)
	}
	rules := copts.Rules
	opts := history.DefaultOptions()
	opts.HoldNights, opts.Accepted = o.hold, accepted
	opts.MinEffectPct = copts.MinEffectPct // the gate's: its default, or the config file's
	// The speed metrics that are one measurement, the deciding one first, as the gate
	// decides them: one alert per config of them.
	opts.SpeedMetrics = copts.SpeedMetrics
	if cf != nil && cf.Window != nil {
		opts.Window = *cf.Window
	}
	if cmd.Flags().Changed("min-effect") {
		if err := check.CheckPercent(o.minEffect); err != nil {
			return inputError(fmt.Errorf("--min-effect %w", err))
		}
		opts.MinEffectPct = o.minEffect
	}
	if cmd.Flags().Changed("window") {
		opts.Window = o.window
	}
	if opts.MinEffectPct < 0 || opts.MinEffectPct >= 100 {
		return inputError(fmt.Errorf("--min-effect must be in [0, 100)"))
	}
	if opts.Window < 1 {
		return inputError(fmt.Errorf("--window must be at least 1"))
	}
	// The gate's rules may give configs their own minimum effect, applied as check applies
	// them (later rules win, expired ones do not, a speed metric's covers the others).
	if len(rules) > 0 {
		ropts := copts
		ropts.MinEffectPct = opts.MinEffectPct
		ropts.Now = now(s)
		opts.MinEffectFor = func(cfg bench.Config, metric string) float64 {
			return check.MinEffectFor(cfg, metric, ropts)
		}
	}

	src := history.FromGit
	// A damaged older version of the store (a commit with merge-conflict markers) is left
	// out, and said; the current store's damage is an error (RecentRevisions).
	revs, skipped, err := baseline.RecentRevisions(ctx, o.dir, "", 0)
	switch {
	case errors.Is(err, baseline.ErrNotInGit):
		src = history.FromStore
		store, err := baseline.Open(o.dir)
		if err != nil {
			return inputError(err)
		}
		revs = []baseline.Revision{{Runs: store.Runs}}
	case ctx.Err() != nil:
		return internalError(ctx.Err())
	case err != nil:
		return inputError(err)
	case len(revs) == 0:
		// In git, but nothing committed and no store in the work tree.
		if _, err := baseline.Open(o.dir); err != nil {
			return inputError(err)
		}
	}
	if src == history.FromGit && !slices.ContainsFunc(revs, func(r baseline.Revision) bool { return r.Commit != "" }) {
		// In git, but no commit holds the store: its history is the work tree's window.
		src = history.FromWorkTree
	}

	var extra []bench.Run
	if len(o.results) == 0 {
		// The ingest flags apply to RESULTS: given none, --skip-iters and --key-arg apply to
		// nothing, which is an error as when no input read is a trainer log (review).
		if err := o.ingest.used(&ingest.Input{}); err != nil {
			return inputError(err)
		}
	} else {
		iopts, err := o.ingest.options(cfgBetter)
		if err != nil {
			return inputError(err)
		}
		iopts.Exclude = []string{o.dir}
		if cf != nil { // the store's configs were keyed with them, as check and update key
			iopts.KeyArgs = append(iopts.KeyArgs, cf.KeyArgs...)
		}
		in, err := o.ingest.read(o.results, iopts)
		if err != nil {
			return inputError(err)
		}
		extra = in.Runs
		// Runs that do not say when they ran are tonight's, unless they are runs the store
		// has committed already: Build decides, and dates the others (an undated run dated
		// here could never match the committed night it is).
		opts.ExtraDate = o.now().UTC().Format(time.RFC3339)
		for i := range extra {
			if extra[i].Commit == "" {
				extra[i].Commit = s.Getenv("GITHUB_SHA")
			}
		}
	}

	if o.failOn && len(extra) > 0 {
		// RESULTS of configs the store never held, or that report none of its metrics, add
		// series of one point: nothing to find a change in, so --fail-on would pass having
		// compared nothing. check refuses them; so does --fail-on.
		var stored []bench.Run
		for _, rev := range revs {
			stored = append(stored, rev.Runs...)
		}
		if err := check.ConfigsMatch(stored, extra); err != nil {
			return inputError(fmt.Errorf("--fail-on: %w", err))
		}
		if err := check.MetricsShared(stored, extra, nil); err != nil {
			return inputError(fmt.Errorf("--fail-on: %w", err))
		}
	}

	h := history.Build(revs, extra, src, opts)
	if src == history.FromWorkTree {
		h.Commits = 0
	}
	h.Shallow = src == history.FromGit && baseline.Shallow(ctx, o.dir)
	for _, d := range skipped.Versions {
		h.Skipped = append(h.Skipped, d.String())
		h.SkippedLost = h.SkippedLost || d.Lost
	}
	h.AllSkipped = skipped.All()
	if o.failOn {
		if err := failOnSkipped(skipped.Versions, revs, h, o.recent); err != nil {
			return inputError(err)
		}
	}
	ro := report.HistoryOptions{Store: o.dir, Recent: o.recent}
	var buf bytes.Buffer
	switch o.format {
	case "text":
		err = report.HistoryText(&buf, h, ro)
	case "json":
		err = report.HistoryJSON(&buf, h, ro)
	case "markdown":
		err = report.HistoryMarkdown(&buf, h, ro)
	case "html":
		err = report.HTML(&buf, h, ro)
	}
	if err != nil {
		return internalError(err)
	}
	if err := ctx.Err(); err != nil {
		return internalError(err) // interrupted: write nothing
	}
	if o.output != "" {
		if err := writeOutput(o.output, buf.Bytes()); err != nil {
			return err
		}
	} else if err := logText(s, o.format == "text", func() error { _, err := s.Out.Write(buf.Bytes()); return err }); err != nil {
		return internalError(err)
	}
	// A limited history is said where people look, whatever the format.
	if (src != history.FromGit || h.Shallow) && (o.output != "" || o.format != "text") {
		fmt.Fprintf(s.ErrOut, "perfgate: %s\n", report.HistorySource(h, ro))
	}
	if note := report.HistorySkipped(h); note != "" {
		fmt.Fprintf(s.ErrOut, "perfgate: note: %s\n", note)
	}
	for _, a := range h.UnknownAccepted() {
		fmt.Fprintf(s.ErrOut, "perfgate: note: --accept %q: no batch %s in the history; it accepts nothing\n", strings.TrimSpace(a.Batch+" "+a.Key), a.Batch)
	}
	for _, a := range h.UnmatchedAccepted() {
		fmt.Fprintf(s.ErrOut, "perfgate: warning: --accept %q: no config %s in the history; it accepts nothing\n", a.String(), a.Key)
	}
	// Say what acceptances silence, night after night: one that accepts a change nobody
	// meant to accept must not pass unseen.
	for _, sl := range h.Silenced(o.recent) {
		for _, l := range report.AlertLines(h, []history.Alert{sl.Alert}) {
			fmt.Fprintf(s.ErrOut, "perfgate: note: --accept %q silenced %s\n", sl.By.String(), l)
		}
	}
	if alerts := h.Alerts(o.recent); o.failOn && len(alerts) > 0 {
		held := ""
		if n := heldCount(alerts); n > 0 {
			held = fmt.Sprintf(", %d of them older and still holding (--hold %d; --accept BATCH to accept one)", n, o.hold)
		}
		fmt.Fprintf(s.ErrOut, "perfgate: %s in the newest %d batch(es)%s (--fail-on):\n", report.AlertCount(alerts, h.Events(alerts)), o.recent, held)
		for _, l := range report.AlertLines(h, alerts) {
			fmt.Fprintf(s.ErrOut, "  %s\n", l)
		}
		return errGateFailed
	}
	return nil
}

// heldCount returns how many alerts are older changes that still hold.
func heldCount(alerts []history.Alert) int {
	n := 0
	for _, a := range alerts {
		if a.Held {
			n++
		}
	}
	return n
}

// minRecent is the smallest --recent --fail-on takes: the nights a level step needs on its far
// side to be found (history's MinSegment).
func minRecent() int { return max(history.DefaultOptions().MinSegment, 2) }

// failOnSkipped fails closed when --fail-on cannot vouch for the newest recent batches: a
// damaged older version that was left out may have held a night that no version read holds
// (it is Lost), and fewer than recent batches are newer than it (those recorded first by
// later versions, and those of results files), so that night could have been one of the
// newest recent that --fail-on looks at, and a change for the worse in it would pass unseen.
// Batches are taken to be recorded in the order they ran, as the nightly refresh records
// them. A damaged version whose nights a later version holds, or one older than the newest
// recent batches, is only left out (with a note).
func failOnSkipped(skipped []baseline.DamagedVersion, revs []baseline.Revision, h *history.History, recent int) error {
	stored := map[string]bool{}
	for _, rev := range revs {
		for _, r := range rev.Runs {
			stored[r.Batch] = true
		}
	}
	fromResults := len(h.Batches) - len(stored) // batches only results files hold
	for _, d := range skipped {
		newer := d.Newer + fromResults
		if !d.Lost || newer >= recent {
			continue
		}
		return fmt.Errorf("--fail-on: %s", report.FailOnSkipped(d.String(), newer, recent, minRecent()))
	}
	return nil
}

// readAcceptFile reads --accept-file: one acceptance a line, as --accept takes it; blank
// lines and lines starting with # are skipped. A file that cannot be read is an error, not
// an empty list: a mistyped path must not pass as "nothing accepted" unnoticed, and a line
// that does not parse fails the job rather than accepting something else.
func readAcceptFile(path string) ([]history.Accept, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--accept-file: %w", err)
	}
	var out []history.Accept
	text := strings.TrimPrefix(string(data), "\ufeff") // an editor's byte-order mark
	for i, line := range strings.Split(text, "\n") {
		// A comment is a line's rest from "#" at its start or after white space (a reason
		// written after the acceptance); tabs count as spaces between its parts.
		for j := 0; j < len(line); j++ {
			if line[j] == '#' && (j == 0 || line[j-1] == ' ' || line[j-1] == '\t') {
				line = line[:j]
				break
			}
		}
		line = strings.Join(strings.Fields(line), " ")
		if line == "" {
			continue
		}
		a, err := history.ParseAccept(line)
		if err != nil {
			return nil, fmt.Errorf("--accept-file %s:%d: %w", path, i+1, err)
		}
		out = append(out, a)
	}
	return out, nil
}
