package check

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/perfgate/perfgate/bench"
)

// Options configure a check. Start from DefaultOptions: fields may be added.
type Options struct {
	// Alpha is the significance level for the whole suite after correction.
	Alpha float64
	// Correction is the multiple-comparison correction: "holm" (family-wise error rate),
	// "bh" (false discovery rate) or "none".
	Correction string
	// MinEffectPct is the smallest change, in percent, that can fail the gate, however
	// significant it is.
	MinEffectPct float64
	// TolerancePct is the fixed tolerance used when a config has too little history for a
	// statistical test.
	TolerancePct float64
	// MinHistoryRuns is the number of baseline runs a config needs for a statistical test.
	MinHistoryRuns int
	// RequireAll makes configs missing from the new results fail the gate.
	RequireAll bool
	// Metrics, when non-empty, restricts the check to these metrics.
	Metrics []string
	// Rules are per-config overrides and ignores, in order; later rules win.
	Rules []Rule
	// Now is the time ignore rules expire against; zero means time.Now().
	Now time.Time
}

// DefaultOptions are perfgate's documented defaults.
var DefaultOptions = Options{
	Alpha:          0.05,
	Correction:     "holm",
	MinEffectPct:   3,
	TolerancePct:   5,
	MinHistoryRuns: 3,
}

// A Rule adjusts how matching configs are judged.
type Rule struct {
	// Match reports whether the rule applies to a config.
	Match func(bench.Config) bool
	// Metric, when set, limits the rule to one metric.
	Metric string
	// MinEffectPct and TolerancePct override the defaults when non-nil.
	MinEffectPct, TolerancePct *float64
	// Ignore reports matching results without letting them fail the gate, until Until
	// (inclusive; zero means forever).
	Ignore bool
	Until  time.Time
	Reason string
	// Source is where the rule was written, for messages.
	Source string
}

// A series is what one config contributes for one side of the comparison.
type series struct {
	cfg     bench.Config
	runs    []*bench.Run // in order, oldest first
	last    bench.Outcome
	okRuns  int
	failed  int
	failure *bench.Run // the most recent failed run
	logs    map[string][]float64
}

func group(runs []bench.Run) (map[string]*series, []string) {
	m := map[string]*series{}
	var order []string
	for i := range runs {
		r := &runs[i]
		k := r.ConfigKey()
		s := m[k]
		if s == nil {
			s = &series{cfg: r.Config}
			m[k] = s
			order = append(order, k)
		}
		s.runs = append(s.runs, r)
		s.last = r.Outcome
		if r.Outcome == bench.OK {
			s.okRuns++
		} else {
			s.failed++
			s.failure = r
		}
	}
	return m, order
}

// logCenters returns the log of each OK run's centre for metric. The result is cached and
// must not be modified.
func (s *series) logCenters(metric string) []float64 {
	if xs, ok := s.logs[metric]; ok {
		return xs
	}
	if s.logs == nil {
		s.logs = map[string][]float64{}
	}
	xs := s.computeLogCenters(metric)
	s.logs[metric] = xs
	return xs
}

func (s *series) computeLogCenters(metric string) []float64 {
	var xs []float64
	for _, r := range s.runs {
		if r.Outcome != bench.OK {
			continue
		}
		if m := r.Metric(metric); m != nil && len(m.Values) > 0 {
			xs = append(xs, math.Log(bench.Center(m.Values)))
		}
	}
	return xs
}

// notes returns the ingest notes of the series' runs.
func (s *series) notes() []string {
	var out []string
	for _, r := range s.runs {
		out = append(out, r.Notes...)
	}
	return out
}

// metricInfo records a metric's direction.
type metricInfo struct {
	name   string
	better bench.Better
}

// Compare gates the new runs against the baseline runs and returns the report. Runs are
// grouped by config; several runs of one config are several samples of it.
func Compare(base, cur []bench.Run, opts Options) *Report {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	bs, border := group(base)
	ns, norder := group(cur)

	metrics := suiteMetrics(opts.Metrics, base, cur)
	noise := map[string]noiseModel{}
	for _, mi := range metrics {
		noise[mi.name] = learnNoise(bs, border, mi.name, opts.MinHistoryRuns)
	}

	keys := append([]string(nil), border...)
	for _, k := range norder {
		if bs[k] == nil {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)

	rep := &Report{Schema: Schema, Results: []Result{}}
	var pending, ignored []pendingTest
	tolerance := 0
	for _, k := range keys {
		b, n := bs[k], ns[k]
		for _, mi := range metrics {
			res, test := judge(k, b, n, mi, noise[mi.name], opts)
			if res == nil {
				continue
			}
			if test != nil {
				test.index = len(rep.Results)
				if res.Ignored {
					ignored = append(ignored, *test)
				} else {
					pending = append(pending, *test)
				}
			}
			if test == nil && res.DeltaPct != nil {
				tolerance++ // compared without a test: too little history
			}
			rep.Results = append(rep.Results, *res)
		}
	}
	decide(rep, pending, opts)
	// Ignored results are outside the family: they are judged on their own, for information.
	for _, t := range ignored {
		decideOne(&rep.Results[t.index], t, t.pWorse, t.pBetter, 1, opts)
	}

	family := map[string]int{}
	largest := 0
	for _, t := range pending {
		family[t.metric]++
		largest = max(largest, family[t.metric])
	}
	rep.Method = method(opts, largest)
	if tolerance > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d comparison(s) used the fixed ±%g%% tolerance: their configs have fewer than %d baseline runs, too few to learn the noise from.", tolerance, opts.TolerancePct, opts.MinHistoryRuns))
	}
	rep.Verdict = Pass
	for i := range rep.Results {
		r := &rep.Results[i]
		r.Fails = !r.Ignored && r.Status.Fails(opts.RequireAll)
		if r.Fails {
			rep.Verdict = Fail
		}
		if r.Status == Improvement && !r.Ignored {
			rep.Notes = appendOnce(rep.Notes, "Some configs improved: refresh the baseline (perfgate baseline update) once this lands, so later changes are judged against the new level.")
		}
	}
	if len(rep.Results) > 0 && Counts(rep)[New] == len(rep.Results) {
		rep.Notes = append(rep.Notes, "Nothing was gated: no config of these results is in the baseline. Check that the configs match (perfgate baseline show), or start the baseline with perfgate baseline update.")
	}
	rep.Sweep = sweep(bs, border, ns, metrics)
	return rep
}

// suiteMetrics returns the metrics of the runs that pass the filter (empty: all), in order of
// first appearance, with their direction.
func suiteMetrics(filter []string, runSets ...[]bench.Run) []metricInfo {
	var metrics []metricInfo
	seen := map[string]bool{}
	for _, runs := range runSets {
		for _, r := range runs {
			for _, m := range r.Metrics {
				if !seen[m.Name] && wanted(filter, m.Name) {
					seen[m.Name] = true
					metrics = append(metrics, metricInfo{m.Name, m.Better})
				}
			}
		}
	}
	return metrics
}

// learnNoise learns the run-to-run noise of metric from the baseline series.
func learnNoise(bs map[string]*series, order []string, metric string, minRuns int) noiseModel {
	logs := make([][]float64, 0, len(order))
	for _, k := range order {
		logs = append(logs, bs[k].logCenters(metric))
	}
	return newNoiseModel(logs, minRuns)
}

func appendOnce(xs []string, s string) []string {
	if slices.Contains(xs, s) {
		return xs
	}
	return append(xs, s)
}

// wanted reports whether metric name passes the Metrics filter list (empty: all do).
func wanted(list []string, name string) bool {
	return len(list) == 0 || slices.Contains(list, name)
}

// A pendingTest is a statistical comparison waiting for the multiple-comparison correction.
type pendingTest struct {
	index           int
	ignoreNote      string // set when an ignore rule covers the result
	metric          string
	pWorse, pBetter float64
	worse           bool
	absPct          float64
	minEffect       float64
	se, df          float64
}

// settings returns the min effect and tolerance for a config and metric, and the ignore rule
// that covers it, if any.
func settings(cfg bench.Config, metric string, opts Options) (minEffect, tol float64, ignore *Rule) {
	minEffect, tol = opts.MinEffectPct, opts.TolerancePct
	for i := range opts.Rules {
		r := &opts.Rules[i]
		if (r.Metric != "" && r.Metric != metric) || r.Match == nil || !r.Match(cfg) {
			continue
		}
		if r.MinEffectPct != nil {
			minEffect = *r.MinEffectPct
		}
		if r.TolerancePct != nil {
			tol = *r.TolerancePct
		}
		if r.Ignore && (r.Until.IsZero() || !opts.Now.After(endOfDay(r.Until))) {
			ignore = r
		}
	}
	return minEffect, tol, ignore
}

func endOfDay(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 23, 59, 59, 0, t.Location())
}

func ptr(f float64) *float64 { return &f }

// judge decides one config and metric, or returns a pending test for decide.
func judge(key string, b, n *series, mi metricInfo, nm noiseModel, opts Options) (*Result, *pendingTest) {
	var cfg bench.Config
	if b != nil {
		cfg = b.cfg
	} else {
		cfg = n.cfg
	}
	res := &Result{Config: cfg, Key: key, Metric: mi.name, Better: mi.better.String()}
	minEffect, tol, ignore := settings(cfg, mi.name, opts)
	if ignore != nil {
		res.Ignored = true
	}
	ignoreNote := ""
	if ignore != nil {
		until := "with no expiry"
		if !ignore.Until.IsZero() {
			until = "until " + ignore.Until.Format("2006-01-02")
		}
		ignoreNote = fmt.Sprintf("ignored %s (%s): ", until, ignore.Reason)
	}
	defer func() {
		if res != nil && res.Status != "" { // tested results get their reason in decide
			res.Reason = ignoreNote + res.Reason
		}
	}()
	var xs, ys []float64
	if b != nil {
		xs = b.logCenters(mi.name)
		if len(xs) > 0 || b.failed > 0 {
			res.Baseline = &Baseline{Runs: len(xs), Failed: b.failed}
			if len(xs) > 0 {
				c := math.Exp(mean(xs))
				res.Baseline.Center, res.Baseline.Lo, res.Baseline.Hi = c, c, c
			}
		}
	}
	if n != nil {
		ys = n.logCenters(mi.name)
		res.Notes = n.notes()
		res.New = &NewRuns{Runs: len(ys)}
		if len(ys) > 0 {
			res.New.Center = math.Exp(mean(ys))
		}
	}
	res.ThresholdPct = tol
	switch {
	case n == nil:
		// In the baseline only. Report each metric the config was measured on, or the
		// config's failure once per suite metric.
		if len(xs) == 0 && b.failed == 0 {
			return nil, nil
		}
		res.Status = Missing
		res.Outcome = string(b.last)
		res.Reason = "in the baseline but not in the new results"
		return res, nil
	case n.okRuns == 0 || (n.failed > 0 && b != nil && b.last == bench.OK):
		// The new results failed.
		res.Outcome = string(n.failure.Outcome)
		why := n.failure.Reason
		if why == "" {
			why = string(n.failure.Outcome)
		}
		switch {
		case b == nil:
			res.Status = New
			res.Reason = "new config; it failed: " + why
		case b.last == bench.OK:
			res.Status = NewlyFailing
			res.Reason = "the baseline ran; now " + why
		default:
			res.Status = StillFailing
			res.Reason = "failed in the baseline too; now " + why
		}
		if b != nil && len(xs) == 0 && b.okRuns > 0 {
			return nil, nil // the baseline measured other metrics only
		}
		return res, nil
	}
	res.Outcome = string(bench.OK)
	switch {
	case len(ys) == 0:
		if len(xs) == 0 {
			return nil, nil
		}
		res.Status = Missing
		res.Reason = "the new runs did not report " + mi.name
		return res, nil
	case b == nil:
		res.Status = New
		res.Reason = "no baseline for this config"
		return res, nil
	case b.last != bench.OK:
		res.Status = Fixed
		res.Reason = fmt.Sprintf("failed in the baseline (%s); runs now", b.last)
		if b.failure != nil && b.failure.Reason != "" {
			res.Reason = fmt.Sprintf("failed in the baseline (%s); runs now", b.failure.Reason)
		}
		return res, nil
	case len(xs) == 0:
		res.Status = New
		res.Reason = "the baseline has no " + mi.name + " for this config"
		return res, nil
	}

	diff := mean(ys) - mean(xs)
	delta := 100 * (math.Exp(diff) - 1)
	res.DeltaPct = ptr(delta)
	worse := (mi.better == bench.Higher && diff < 0) || (mi.better == bench.Lower && diff > 0)
	c := res.Baseline.Center
	if len(xs) < opts.MinHistoryRuns || !nm.ok {
		res.ThresholdPct = tol
		res.Baseline.Lo, res.Baseline.Hi = c*(1-tol/100), c*(1+tol/100)
		beyond := math.Abs(delta) > tol
		switch {
		case beyond && worse:
			res.Status = Regression
		case beyond:
			res.Status = Improvement
		default:
			res.Status = Unchanged
		}
		res.Reason = fmt.Sprintf("%d baseline run(s): fixed ±%g%% tolerance (a statistical test needs %d)", len(xs), tol, opts.MinHistoryRuns)
		return res, nil
	}
	v, df := nm.configNoise(xs)
	res.Baseline.NoisePct = 100 * math.Sqrt(v)
	se := math.Sqrt(v * (1/float64(len(xs)) + 1/float64(len(ys))))
	// One-sided tests: is it worse? is it better? Only the first can fail the gate.
	worseDiff := diff
	if mi.better == bench.Higher {
		worseDiff = -diff
	}
	pWorse := tTest(worseDiff, v, df, len(xs), len(ys))
	pBetter := tTest(-worseDiff, v, df, len(xs), len(ys))
	return res, &pendingTest{ignoreNote: ignoreNote, metric: mi.name, pWorse: pWorse, pBetter: pBetter, worse: worse, absPct: math.Abs(delta), minEffect: minEffect, se: se, df: df}
}

// decide applies the multiple-comparison correction to the pending tests and sets their
// statuses, thresholds and reasons. Each metric is its own family: the metrics of one run are
// strongly correlated (TFLOPS is work divided by time), so counting both would halve the power
// without protecting against anything.
func decide(rep *Report, tests []pendingTest, opts Options) {
	families := map[string][]int{}
	for i, t := range tests {
		families[t.metric] = append(families[t.metric], i)
	}
	for _, idx := range families {
		worse := make([]float64, len(idx))
		better := make([]float64, len(idx))
		for j, i := range idx {
			worse[j], better[j] = tests[i].pWorse, tests[i].pBetter
		}
		adjust(worse, opts.Correction)
		adjust(better, opts.Correction)
		for j, i := range idx {
			decideOne(&rep.Results[tests[i].index], tests[i], worse[j], better[j], len(idx), opts)
		}
	}
}

func decideOne(r *Result, t pendingTest, pWorse, pBetter float64, k int, opts Options) {
	p := pBetter
	if t.worse {
		p = pWorse
	}
	r.PValue = ptr(p)
	// The |change| that fails: the larger of the minimum effect and the change that reaches
	// significance at the most stringent (Bonferroni) step of the correction.
	q := opts.Alpha
	if opts.Correction != "none" {
		q /= float64(k)
	}
	crit := 100 * (math.Exp(tQuantile(q, t.df)*t.se) - 1)
	r.ThresholdPct = math.Max(t.minEffect, crit)
	c := r.Baseline.Center
	r.Baseline.Lo, r.Baseline.Hi = c/(1+r.ThresholdPct/100), c*(1+r.ThresholdPct/100)
	significant := p < opts.Alpha
	material := t.absPct >= t.minEffect
	switch {
	case significant && material && t.worse:
		r.Status = Regression
		r.Reason = fmt.Sprintf("worse by %.1f%%: significant (p=%.2g) and above the %g%% minimum effect", t.absPct, p, t.minEffect)
	case significant && material:
		r.Status = Improvement
		r.Reason = fmt.Sprintf("better by %.1f%%: significant (p=%.2g) and above the %g%% minimum effect", t.absPct, p, t.minEffect)
	case significant:
		r.Status = Unchanged
		r.Reason = fmt.Sprintf("significant (p=%.2g) but below the %g%% minimum effect", p, t.minEffect)
	default:
		r.Status = Unchanged
		r.Reason = fmt.Sprintf("within run-to-run noise (p=%.2g)", p)
	}
	r.Reason = t.ignoreNote + r.Reason
}

func method(opts Options, k int) Method {
	m := Method{
		Alpha: opts.Alpha, Correction: opts.Correction, Comparisons: k,
		MinEffectPct: opts.MinEffectPct, TolerancePct: opts.TolerancePct, MinHistoryRuns: opts.MinHistoryRuns,
	}
	corr := map[string]string{
		"holm": "Holm–Bonferroni correction (family-wise error rate)",
		"bh":   "Benjamini–Hochberg correction (false discovery rate)",
		"none": "no multiple-comparison correction",
	}[opts.Correction]
	m.Summary = fmt.Sprintf("Each run is summarised by its median; runs are compared on a log scale with one-sided t-tests whose noise is learned from the baseline history (pooled across configs, widened for noisier configs). Alpha %g with %s over the %d comparison(s) of each metric; a change must also exceed %g%% to count. Configs with fewer than %d baseline runs use a fixed ±%g%% tolerance instead.",
		opts.Alpha, corr, k, opts.MinEffectPct, opts.MinHistoryRuns, opts.TolerancePct)
	return m
}
