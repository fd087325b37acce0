package main

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/check"
	"github.com/perfgate/perfgate/flops"
	"github.com/perfgate/perfgate/ingest"
	"github.com/perfgate/perfgate/report"
)

// ingestFlags are the flags of every command that reads results.
type ingestFlags struct {
	format    string
	set       []string
	skipIters int
	better    []string
	noConfig  bool
	keyArgs   []string
}

func (f *ingestFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.format, "input-format", "auto", "input format: auto, "+ingest.FormatNames())
	fs.StringArrayVar(&f.set, "set", nil, "add or override a config key on every run, as key=value (repeatable)")
	fs.IntVar(&f.skipIters, "skip-iters", -1, "warm-up iterations to drop from logs beyond the first logged one (-1: the format's default)")
	fs.StringArrayVar(&f.better, "better", nil, "metric direction, as METRIC=higher|lower (repeatable)")
	fs.BoolVar(&f.noConfig, "allow-no-config", false, "accept runs whose input gives no config key (or a trainer log only the batch and sequence sizes it printed), gating them as one config per such key")
	fs.StringArrayVar(&f.keyArgs, "key-arg", nil, "put a launch argument of Megatron logs (e.g. sequence_parallel) in the config key as a flag (repeatable)")
	setGroup(fs, groupInputs, "input-format", "set", "skip-iters", "better", "allow-no-config", "key-arg")
}

// options validates the flags and returns ingest options. cfgBetter are directions from the
// config file, which flags override.
func (f *ingestFlags) options(cfgBetter map[string]bench.Better) (*ingest.Options, error) {
	opts := &ingest.Options{Format: f.format, SkipIters: f.skipIters, Better: map[string]bench.Better{}, Summarize: bench.Center,
		AllowNoConfig: f.noConfig, KeyArgs: f.keyArgs}
	if f.skipIters < -1 {
		return nil, fmt.Errorf("--skip-iters must be -1 (the format's default) or more, not %d", f.skipIters)
	}
	if f.format != "auto" {
		if _, err := ingest.LookupFormat(f.format); err != nil {
			return nil, fmt.Errorf("--input-format: %w", err)
		}
	}
	for m, b := range cfgBetter {
		opts.Better[m] = b
	}
	for _, s := range f.set {
		k, v, ok := strings.Cut(s, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("--set %q: want key=value", s)
		}
		if opts.Set == nil {
			opts.Set = bench.Config{}
		}
		if k == "flags" {
			v = bench.CanonicalFlags(v)
		}
		opts.Set[k] = v
	}
	for _, s := range f.better {
		m, d, ok := strings.Cut(s, "=")
		b, okb := bench.ParseBetter(d)
		if !ok || m == "" || !okb {
			return nil, fmt.Errorf("--better %q: want METRIC=higher or METRIC=lower", s)
		}
		opts.Better[m] = b
	}
	return opts, nil
}

// used returns an error when a flag given for reading the input applied to nothing read in:
//
//   - --skip-iters when no input is a trainer log, the only inputs with warm-up iterations
//     (a sweep table, JSON Lines and Go benchmarks give one value per run);
//   - --key-arg when no run read came with a Megatron-LM argument dump, the only input it
//     reads (a table's config is its columns, a log without a dump has none);
//   - --better when it names a metric that none of the runs read reports: a misspelt metric
//     (--better mem_gb=lower for mem/GB) would otherwise leave the direction it meant to set
//     at the format's guess. Runs that measured nothing (all failed) leave nothing to check.
//
// A user who gave them believes they applied; silently ignored, they do not.
// read reads paths (ingest.ReadAll) and checks that the flags applied to what was read (used).
func (f *ingestFlags) read(paths []string, o *ingest.Options) (*ingest.Input, error) {
	in, err := ingest.ReadAll(paths, o)
	if err == nil {
		err = f.used(in)
	}
	return in, err
}

func (f *ingestFlags) used(in *ingest.Input) error {
	if f.skipIters >= 0 && !slices.ContainsFunc(in.Read, func(r ingest.FormatRead) bool { return r.Format.Warmup }) {
		var logs []string
		for _, fm := range ingest.Formats {
			if fm.Warmup {
				logs = append(logs, fm.Name)
			}
		}
		return fmt.Errorf("--skip-iters %d applies only to trainer logs (%s), whose warm-up iterations it drops, and no input read is one: %s.\nDrop --skip-iters, or give the logs",
			f.skipIters, strings.Join(logs, ", "), readFormats(in.Read))
	}
	if len(f.keyArgs) > 0 && !slices.ContainsFunc(in.Runs, func(r bench.Run) bool { return r.Args != nil }) {
		return fmt.Errorf("--key-arg %s applies only to Megatron-LM logs with an argument dump, and no run read has one: %s.\nDrop --key-arg; in a table, a column or --set puts a key in the config",
			strings.Join(f.keyArgs, ", --key-arg "), readFormats(in.Read))
	}
	reported := bench.MetricNames(in.Runs)
	if len(reported) == 0 {
		return nil
	}
	for _, s := range f.better {
		m, _, _ := strings.Cut(s, "=")
		if !reported[m] {
			names := slices.Sorted(maps.Keys(reported))
			return fmt.Errorf("--better %q: no run read reports a metric named %q (they report %s)", s, m, strings.Join(names, ", "))
		}
	}
	return nil
}

// readFormats names the formats inputs were read in, with a file of each: "sweep.txt
// (table), run.log (megatron)".
func readFormats(read []ingest.FormatRead) string {
	var out []string
	for _, r := range read {
		out = append(out, fmt.Sprintf("%s (%s)", r.File, r.Format.Name))
	}
	if len(out) == 0 {
		return "no file"
	}
	return strings.Join(out, ", ")
}

// configTypos returns an error for a metric name of the config file (its better keys, its
// speed_metrics when they are not the defaults) that is a near miss of a metric the runs
// report (check.MetricTypos).
func configTypos(base, cur []bench.Run, opts check.Options, cfgBetter map[string]bench.Better) error {
	if err := check.MetricTypos(base, cur, slices.Sorted(maps.Keys(cfgBetter)), "better"); err != nil {
		return err
	}
	if slices.Equal(opts.SpeedMetrics, check.DefaultOptions.SpeedMetrics) {
		return nil
	}
	return check.MetricTypos(base, cur, opts.SpeedMetrics, "speed_metrics")
}

// checkFlags are the statistical settings shared by check and baseline update.
type checkFlags struct {
	config     string
	alpha      float64
	correction check.Correction
	minEffect  float64
	tolerance  float64
	minHistory int
	confirm    int
	metrics    []string
	requireAll bool
	recompute  string
	gpn        int
	cfgKeyArgs []string // key_args of the config file, read by options
}

func (f *checkFlags) register(fs *pflag.FlagSet) {
	d := check.DefaultOptions
	f.registerHistory(fs)
	fs.Float64Var(&f.alpha, "alpha", d.Alpha, "significance level for the whole suite, after correction")
	f.correction = d.Correction
	fs.Var(&f.correction, "correction", "multiple-comparison correction: holm (family-wise), bh (false discovery rate) or none")
	fs.Float64Var(&f.minEffect, "min-effect", d.MinEffectPct, "smallest change in percent that can fail the gate")
	fs.IntVar(&f.confirm, "confirm-runs", d.ConfirmRuns, "new runs that confirm a regression: on fewer, a doubtful one is 'suspect' (listed, not failing) until the config is re-run; 0, the default, turns this off (one run decides): turn it on only in a workflow that re-runs suspects")
	fs.StringArrayVar(&f.metrics, "metric", nil, "check only this metric (repeatable)")
	fs.BoolVar(&f.requireAll, "require-all", false, "fail when a baseline config is missing from the results")
	fs.StringVar(&f.recompute, "recompute-tflops", "", "recompute TFLOPS/GPU from s/iter with one pinned formula ("+formulaNames()+") on both sides, so baselines from different Megatron versions compare; configs need a model key (--set model=llama3-70b)")
	fs.IntVar(&f.gpn, "gpus-per-node", 8, "GPUs per node, for TFLOPS recomputation and the formula-drift check")
	setGroup(fs, groupStatistics, "alpha", "correction", "min-effect", "confirm-runs", "recompute-tflops", "gpus-per-node")
	setGroup(fs, groupGate, "metric", "require-all")
}

// registerHistory registers the flags that say how a baseline's history is judged, the only
// ones "baseline show" needs. Flags left unregistered keep their config-file or default value.
func (f *checkFlags) registerHistory(fs *pflag.FlagSet) {
	d := check.DefaultOptions
	fs.StringVar(&f.config, "config", "", "config file (default: perfgate.json in the baseline directory, if present)")
	fs.Float64Var(&f.tolerance, "tolerance", d.TolerancePct, "fixed tolerance in percent for configs with too little history")
	fs.IntVar(&f.minHistory, "min-history", d.MinHistoryRuns, "baseline runs a config needs for a statistical test")
	setGroup(fs, groupStatistics, "tolerance", "min-history")
	setGroup(fs, groupGate, "config")
}

func formulaNames() string {
	var names []string
	for _, f := range flops.Formulas {
		names = append(names, string(f))
	}
	return strings.Join(names, ", ")
}

// tflops applies --recompute-tflops to base and cur, or, without it, returns the formula-drift
// remarks.
func (f *checkFlags) tflops(base, cur []bench.Run) ([]check.Remark, error) {
	if f.recompute == "" {
		return check.CheckFormulas(base, cur, f.gpn), nil
	}
	formula, err := flops.ParseFormula(f.recompute)
	if err != nil {
		return nil, fmt.Errorf("--recompute-tflops: %w", err)
	}
	// The store's configs are its keys: --set changes the results' configs, not the store's,
	// so a baseline run without the model is fixed where the store is written.
	if err := check.RecomputeTFLOPS(base, formula, f.gpn, "a store's configs are its keys, which --set on the results does not change: a store written with 'baseline update --set model=…' from its first run has it; else gate without --recompute-tflops"); err != nil {
		return nil, err
	}
	if err := check.RecomputeTFLOPS(cur, formula, f.gpn, "add it with --set"); err != nil {
		return nil, err
	}
	return []check.Remark{check.TFLOPSRecomputed{Formula: string(formula)}}, nil
}

// compare is the one path from runs to a report shared by check and baseline update: apply
// --recompute-tflops (or look for formula drift), compare, and put the TFLOPS remarks first.
// An error is bad input.
func (f *checkFlags) compare(base, cur []bench.Run, opts check.Options) (*check.Report, error) {
	remarks, err := f.tflops(base, cur)
	if err != nil {
		return nil, err
	}
	// Launch drift, and the formulas logged TFLOPS match (bench.ArgsDrift), before the
	// formula-drift rule below, which applies to both kinds of evidence.
	remarks = append(remarks, check.CheckLaunch(base, cur)...)
	for _, m := range remarks {
		if _, drift := m.(check.FormulaDrift); drift && len(opts.SpeedMetrics) > 0 {
			// The two sides' TFLOPS differ at the same speed: let the time decide.
			opts.SpeedMetrics = check.TimeFirst(opts.SpeedMetrics)
			opts.FormulaDrift = true
		}
	}
	rep := check.Compare(base, cur, opts)
	rep.Remarks = append(remarks, rep.Remarks...)
	return rep, nil
}

// driftConflict refuses a check whose remarks hold TFLOPS formula drift while its options
// leave TFLOPS/GPU deciding on its own (a metric filter without s/iter, speed metrics that do
// not hold both): the time cannot decide for it, so two FLOPs conventions would be compared
// while the drift note says s/iter decides. report words the refusal.
func driftConflict(remarks []check.Remark, opts check.Options) error {
	for _, m := range remarks {
		d, drift := m.(check.FormulaDrift)
		if !drift {
			continue
		}
		keep := func(m string) bool { return len(opts.Metrics) == 0 || slices.Contains(opts.Metrics, m) }
		shown := slices.Contains(opts.SpeedMetrics, bench.MetricTFLOPS) && slices.Contains(opts.SpeedMetrics, bench.MetricTime)
		if !keep(bench.MetricTFLOPS) || (keep(bench.MetricTime) && shown) {
			continue
		}
		return errors.New(report.DriftConflictText(d, !keep(bench.MetricTime)))
	}
	return nil
}

// options merges defaults, the config file and the flags that were set, in that order. It
// returns the metric directions from the config file too.
func (f *checkFlags) options(fs *pflag.FlagSet, baselineDir string) (check.Options, map[string]bench.Better, int, error) {
	opts, better, cf, err := loadConfigFile(f.config, baselineDir)
	if err != nil {
		return opts, nil, 0, err
	}
	window := 0
	if cf != nil {
		if cf.Window != nil {
			window = *cf.Window
		}
		f.cfgKeyArgs = cf.KeyArgs
	}
	// The config file was validated by LoadConfig; flags are validated here, with the same
	// ranges (check's Check* functions).
	for _, v := range []struct {
		name string
		err  func() error
		set  func()
	}{
		{"alpha", func() error { return check.CheckAlpha(f.alpha) }, func() { opts.Alpha = f.alpha }},
		{"correction", func() error { return nil }, func() { opts.Correction = f.correction }}, // parsed by its flag.Value
		{"min-effect", func() error { return check.CheckPercent(f.minEffect) }, func() { opts.MinEffectPct = f.minEffect }},
		{"tolerance", func() error { return check.CheckPercent(f.tolerance) }, func() { opts.TolerancePct = f.tolerance }},
		{"min-history", func() error { return check.CheckMinHistory(f.minHistory) }, func() { opts.MinHistoryRuns = f.minHistory }},
		{"confirm-runs", func() error { return check.CheckConfirmRuns(f.confirm) }, func() { opts.ConfirmRuns = f.confirm }},
	} {
		if !fs.Changed(v.name) {
			continue
		}
		if err := v.err(); err != nil {
			return opts, nil, 0, fmt.Errorf("--%s %w", v.name, err)
		}
		v.set()
	}
	if fs.Lookup("gpus-per-node") != nil && f.gpn < 1 {
		return opts, nil, 0, fmt.Errorf("--gpus-per-node must be at least 1, not %d", f.gpn)
	}
	if len(f.metrics) > 0 {
		opts.Metrics = f.metrics
	}
	opts.RequireAll = f.requireAll
	if err := opts.Validate(); err != nil {
		return opts, nil, 0, err
	}
	return opts, better, window, nil
}

// loadConfigFile finds the config file (path, else perfgate.json in baselineDir when there is
// one) and returns check's defaults overlaid with it, its metric directions and the file
// itself, which is nil without one.
func loadConfigFile(path, baselineDir string) (check.Options, map[string]bench.Better, *check.ConfigFile, error) {
	opts := check.DefaultOptions
	if path == "" && baselineDir != "" {
		// Anything named perfgate.json is the config: a dangling link or a directory in its
		// place is an error, not a check that silently runs on the defaults.
		if p := filepath.Join(baselineDir, check.ConfigFileName); fileExists(p) {
			path = p
		} else if _, err := os.Lstat(p); err == nil {
			return opts, nil, nil, fmt.Errorf("%s is not a readable file (a link to nothing, or a directory), so its settings cannot apply; fix it or remove it", p)
		}
	}
	if path == "" {
		return opts, nil, nil, nil
	}
	cf, err := check.LoadConfig(path)
	if err != nil {
		return opts, nil, nil, err
	}
	better, err := cf.Apply(&opts, path)
	if err != nil {
		return opts, nil, nil, err
	}
	return opts, better, cf, nil
}

// baselineDir is the --baseline flag: a directory. A path to an existing file (the store's
// baseline.txt itself, the commonest slip) is refused when the flag is parsed, naming the
// directory to give instead, rather than failing later on "baseline.txt/baseline.txt".
type baselineDir string

func baselineDirVar(fs *pflag.FlagSet, p *string, usage string) {
	fs.Var((*baselineDir)(p), "baseline", usage)
}

func (d *baselineDir) String() string { return string(*d) }
func (d *baselineDir) Type() string   { return "dir" }
func (d *baselineDir) Set(v string) error {
	if st, err := os.Stat(v); err == nil && !st.IsDir() {
		return fmt.Errorf("%s is a file, not a baseline directory: give the directory that holds it (--baseline %s)", v, filepath.Dir(v))
	}
	*d = baselineDir(v)
	return nil
}
