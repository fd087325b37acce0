package check

import (
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/perfgate/perfgate/bench"
)

// Options configure a check. Start from DefaultOptions: fields may be added.
type Options struct {
	// Alpha is the significance level for the whole suite after correction.
	Alpha float64
	// Correction is the multiple-comparison correction over each metric's tests.
	Correction Correction
	// Test names the statistical test (see Tests); "" means DefaultTest.
	Test string
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
	// SpeedMetrics are the metrics of one run that are functions of one another (TFLOPS/GPU
	// is work over s/iter, tokens/s/GPU and samples/s are fixed work over time): one
	// measurement, so one decision per config. The first of them, in this order, that a
	// config has on both sides decides; the others are shown with its decision and are not
	// counted in the correction family. Metrics not listed (memory) decide on their own.
	// Empty means every metric decides on its own. Where two speed metrics a config compares
	// disagree (one worse than the other by more than SpeedDisagreePct, which one
	// measurement cannot do), the worse decides, with a SpeedDisagree caveat: a FLOPs formula
	// or unit that changed between the sides must not hide a slowdown the time shows.
	SpeedMetrics []string
	// FormulaDrift says the two sides' TFLOPS/GPU follow different FLOPs formulas (a
	// FormulaDrift remark): the first speed metric (s/iter, with TimeFirst) decides, and
	// TFLOPS/GPU, whose change is the formula's as much as the speed's, never overrules it.
	FormulaDrift bool
	// ConfirmRuns is the number of new runs that confirms a regression. A significant,
	// material regression judged on fewer new runs is Suspect, not a failure, when it rests
	// on a short or contaminated baseline history or sits near its threshold: re-run the
	// config and check again with all its new runs. 0 or 1 turns the protocol off, and is
	// the default: a suspect passes, so a workflow that never re-runs would pass every
	// doubtful drop; the protocol is for workflows that re-run (the evaluation's +confirm
	// scenarios, with 3).
	ConfirmRuns int
	// NoisyMemory is what the store's longer (git) history showed of the configs' noise
	// classes and of the noisy class (see NoisyMemory); a test that models noise classes
	// uses it for the speed measurement (learnMetric). Nil: no memory.
	NoisyMemory *Memory
	// Rules are per-config overrides and ignores, in order; later rules win.
	Rules []Rule
	// Now is the time ignore rules expire against; zero means time.Now().
	Now time.Time
}

// DefaultOptions are perfgate's documented defaults.
var DefaultOptions = Options{
	Alpha:          0.014,
	Correction:     Holm,
	Test:           DefaultTest,
	MinEffectPct:   3,
	TolerancePct:   5,
	MinHistoryRuns: 3,
	SpeedMetrics:   DefaultSpeedMetrics,
}

// DefaultSpeedMetrics are the speed metrics of DefaultOptions, the deciding one first.
var DefaultSpeedMetrics = []string{bench.MetricTFLOPS, "tokens/s/GPU", "samples/s", bench.MetricTime}

// TimeFirst returns speed with s/iter moved first, so that s/iter decides: what a check does
// when the two sides' TFLOPS/GPU follow different FLOPs formulas (FormulaDrift).
func TimeFirst(speed []string) []string {
	out := []string{bench.MetricTime}
	for _, m := range speed {
		if m != bench.MetricTime {
			out = append(out, m)
		}
	}
	return out
}

// SpeedMeasurement is Result.Measurement for the speed metrics (Options.SpeedMetrics).
const SpeedMeasurement = "speed"

// measurementOf returns the measurement a metric belongs to: SpeedMeasurement for the speed
// metrics, the metric's own name otherwise.
func measurementOf(metric string, opts Options) string {
	if slices.Contains(opts.SpeedMetrics, metric) {
		return SpeedMeasurement
	}
	return metric
}

// A Rule adjusts how matching configs are judged.
type Rule struct {
	// Match reports whether the rule applies to a config.
	Match func(bench.Config) bool
	// Metric, when set, limits the rule to one metric.
	Metric string
	// MinEffectPct and TolerancePct override the defaults when non-nil.
	MinEffectPct, TolerancePct *float64
	// Ignore reports matching results without letting them fail the gate.
	Ignore bool
	// Until is the last day the rule applies (inclusive; zero means forever): a threshold
	// rule expires like an ignore rule, so a temporary loosening does not stay for good.
	Until  time.Time
	Reason string
	// Source is where the rule was written, for messages; Query is its match as written and
	// Index its place among the file's rules (1-based), 0 when it was not read from a file.
	Source string
	Query  string
	Index  int
}

// ToleranceTest is Result.Test for results the fixed tolerance decided.
const ToleranceTest = "tolerance"

// A series is what one config contributes for one side of the comparison.
type series struct {
	cfg     bench.Config
	key     string       // cfg's key (Run.ConfigKey)
	runs    []*bench.Run // in order, oldest first
	last    bench.Outcome
	okRuns  int
	failed  int
	failure *bench.Run // the most recent failed run
	points  []metricPoints
}

// metricPoints are a series' points of one metric.
type metricPoints struct {
	metric string
	ps     []Point
}

func group(runs []bench.Run) (map[string]*series, []string) {
	m := map[string]*series{}
	var order []string
	of := make([]*series, len(runs))
	for i := range runs {
		r := &runs[i]
		k := r.ConfigKey()
		s := m[k]
		if s == nil {
			s = &series{cfg: r.Config, key: k}
			m[k] = s
			order = append(order, k)
		}
		of[i] = s
		s.runs = append(s.runs, r)
		s.last = r.Outcome
		if r.Outcome == bench.OK {
			s.okRuns++
		} else {
			s.failed++
			s.failure = r
		}
	}
	// Every OK run's log centres, in one pass over the runs in their order: a large store's
	// runs of one config lie far apart, and walking them config by config missed the cache
	// at every run.
	for i := range runs {
		r := &runs[i]
		if r.Outcome != bench.OK {
			continue
		}
		for j := range r.Metrics {
			mt := &r.Metrics[j]
			if len(mt.Values) == 0 || r.Metric(mt.Name) != mt {
				continue // no value, or not the run's first metric of that name (Run.Metric)
			}
			c := bench.Center(mt.Values)
			of[i].addPoint(mt.Name, Point{Log: math.Log(c), Value: c, Key: of[i].key, Batch: r.Batch, Date: r.Date, Commit: r.Commit, Source: r.Source, File: r.File})
		}
	}
	return m, order
}

// addPoint appends p to the series' points of metric.
func (s *series) addPoint(metric string, p Point) {
	for k := range s.points {
		if s.points[k].metric == metric {
			s.points[k].ps = append(s.points[k].ps, p)
			return
		}
	}
	s.points = append(s.points, metricPoints{metric, append(make([]Point, 0, s.okRuns), p)})
}

// logPoints returns each OK run's log centre for metric, with the run's identity, in run
// order. The result must not be modified.
func (s *series) logPoints(metric string) []Point {
	for k := range s.points {
		if s.points[k].metric == metric {
			return s.points[k].ps
		}
	}
	return nil
}

// identical reports whether the series' OK runs, two or more, are one result ingested several
// times (the same results file under several --run-id): every speed metric they report has one
// value in all of them, ingested from files of the same name (known: a store records it as
// source=). Their spread of 0 is not a noise of 0. Runs ingested from different files are different runs, even when their values, rounded
// as logged, agree.
func (s *series) identical(opts Options) bool {
	same := false
	for _, m := range opts.SpeedMetrics {
		ps := s.logPoints(m)
		if len(ps) == 0 {
			continue
		}
		if len(ps) < 2 || ps[0].File == "" { // runs of no known file cannot be told to be one
			return false
		}
		for _, p := range ps[1:] {
			if p.Value != ps[0].Value || p.File != ps[0].File {
				return false
			}
		}
		same = true
	}
	return same
}

// testPoints returns the series' points of metric as the tests see them: a speed metric of
// identical runs (identical) is one run, its latest, so that a test neither learns a noise of
// 0 from it nor judges the config on one; the fixed tolerance decides it, as for any config
// with one run. n is the number of points that logPoints holds.
func (s *series) testPoints(metric string, opts Options) (ps []Point, n int) {
	ps = s.logPoints(metric)
	if len(ps) > 1 && measurementOf(metric, opts) == SpeedMeasurement && s.identical(opts) {
		return ps[len(ps)-1:], len(ps)
	}
	return ps, len(ps)
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

// outcomeMetric is the metric the results of a suite whose runs all failed, on both sides,
// are reported under: no run measured anything, but each config's outcome is still gated (a
// config that failed in the baseline and fails now is still-failing, one new to the suite is
// new), under the first metric the check was asked for, else the deciding speed metric.
func outcomeMetric(opts Options) metricInfo {
	name := bench.MetricTFLOPS
	switch {
	case len(opts.Metrics) > 0:
		name = opts.Metrics[0]
	case len(opts.SpeedMetrics) > 0:
		name = opts.SpeedMetrics[0]
	}
	return metricInfo{name: name, better: bench.DirectionOf(name)}
}

// Compare gates the new runs against the baseline runs and returns the report. Runs are
// grouped by config; several runs of one config are several samples of it. opts must be
// valid (Options.Validate); an unknown test falls back to DefaultTest.
func Compare(base, cur []bench.Run, opts Options) *Report {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	test := testOf(opts)
	bs, border := group(base)
	baseMetrics := suiteMetrics(opts.Metrics, base)
	// The test learns while the configs are judged: learning needs only the baseline. It
	// learns the metrics most likely to decide (predictLearn); Compare learns any other it
	// turns out to need afterwards, and waits for every learning before it returns.
	type learning struct {
		done chan struct{}
		l    Learned
	}
	early := map[string]*learning{}
	for _, mi := range predictLearn(baseMetrics, opts) {
		lr := &learning{done: make(chan struct{})}
		early[mi.name] = lr
		go func() {
			defer close(lr.done)
			lr.l = learnMetric(test, bs, border, mi, opts)
		}()
	}
	defer func() {
		for _, lr := range early {
			<-lr.done
		}
	}()
	ns, norder := group(cur)

	metrics := baseMetrics // then the new runs' other metrics: suiteMetrics(opts.Metrics, base, cur)
	for _, mi := range suiteMetrics(opts.Metrics, cur) {
		if !slices.ContainsFunc(baseMetrics, func(b metricInfo) bool { return b.name == mi.name }) {
			metrics = append(metrics, mi)
		}
	}
	if len(metrics) == 0 {
		metrics = []metricInfo{outcomeMetric(opts)}
	}
	keys := configKeys(bs, border, norder)

	rep := &Report{Schema: Schema, Results: []Result{}}
	var inputs []testInput
	for _, k := range keys {
		b, n := bs[k], ns[k]
		first := len(rep.Results)
		for _, mi := range metrics {
			res, in := judge(k, b, n, mi, opts)
			if res == nil {
				continue
			}
			res.Measurement = measurementOf(mi.name, opts)
			if in != nil {
				in.index = len(rep.Results)
				inputs = append(inputs, *in)
			}
			rep.Results = append(rep.Results, *res)
		}
		chooseDeciders(rep.Results[first:], opts)
	}
	// Only the deciding results are tested: a result shown with another metric's decision is
	// the same measurement in other units (TFLOPS/GPU is work over s/iter), so it takes the
	// decision's status and threshold (showWith) rather than a test of its own. A test learns
	// only the metrics that decide somewhere.
	learned := map[string]Learned{}
	for _, mi := range metrics {
		for _, in := range inputs {
			if in.mi.name == mi.name && rep.Results[in.index].Decides() {
				if lr := early[mi.name]; lr != nil {
					<-lr.done
					learned[mi.name] = lr.l
				} else {
					learned[mi.name] = learnMetric(test, bs, border, mi, opts)
				}
				break
			}
		}
	}
	derived := map[int]testInput{} // shown results that were compared
	var deciding []testInput
	for _, in := range inputs {
		if rep.Results[in.index].Decides() {
			deciding = append(deciding, in)
		} else {
			derived[in.index] = in
		}
	}
	// Each config is tested on its own (Learned.Judge may run concurrently).
	pts := make([]*pendingTest, len(deciding))
	parallel(len(deciding), func(lo, hi int) {
		for j := lo; j < hi; j++ {
			in := deciding[j]
			pts[j] = runTest(&rep.Results[in.index], in, learned[in.mi.name], opts)
		}
	})
	var tests []pendingTest
	adjusts := map[int]float64{} // per tested decision: its estimate minus its plain change
	for j, pt := range pts {
		if pt == nil {
			continue
		}
		r, in := &rep.Results[pt.index], deciding[j]
		pt.family = r.Measurement
		r.Test = test.Name()
		tests = append(tests, *pt)
		adjusts[in.index] = pt.diff - in.diff
	}
	// Only decisions are corrected together; ignored decisions are outside the family and
	// judged on their own, for information.
	var pending, ignored []pendingTest
	tolerance := 0
	for _, t := range tests {
		if rep.Results[t.index].Ignored {
			ignored = append(ignored, t)
		} else {
			pending = append(pending, t)
		}
	}
	family := decide(rep, pending, opts)
	for _, t := range ignored {
		decideOne(&rep.Results[t.index], t, t.pWorse, t.pBetter, 1, opts)
	}
	largest := 0
	for _, k := range family {
		largest = max(largest, k)
	}
	rep.Method = Method{
		Alpha: opts.Alpha, Correction: opts.Correction, Comparisons: largest,
		MinEffectPct: opts.MinEffectPct, TolerancePct: opts.TolerancePct, MinHistoryRuns: opts.MinHistoryRuns,
		Test: test.Name(),
	}
	rep.Verdict = Pass
	refresh := false
	deciders := map[string]int{}
	for i := range rep.Results {
		r := &rep.Results[i]
		if !r.Decides() {
			continue
		}
		if r.Test == ToleranceTest {
			tolerance++ // decided without a test: too little history
		}
		deciders[r.Key+"\x00"+r.Measurement] = i
		if r.Status == Suspect && !r.Ignored && !slices.Contains(rep.Suspects, r.Key) {
			rep.Suspects = append(rep.Suspects, r.Key)
		}
		if failedCompared(r) && r.Status != Regression && r.Status != Suspect {
			// Compared on the new runs that ran (judge): not worse, it still fails as before.
			r.Status = StillFailing
		}
		if r.Status == Unchanged && baselineFailed(r) {
			r.Status = Fixed // it ran, as its earlier baseline runs did: what failed runs again
		}
		r.Fails = !r.Ignored && r.Status.Fails(opts.RequireAll)
		if r.Fails {
			rep.Verdict = Fail
		}
		if r.Status == Improvement && !r.Ignored && !refresh {
			refresh = true
			rep.Remarks = append(rep.Remarks, RefreshBaseline{})
		}
	}
	if tolerance > 0 {
		tu := ToleranceUsed{Count: tolerance, TolerancePct: max(opts.TolerancePct, opts.MinEffectPct), MinHistoryRuns: opts.MinHistoryRuns}
		if opts.MinEffectPct > opts.TolerancePct {
			tu.RaisedFrom = opts.TolerancePct
		}
		rep.Remarks = slices.Insert(rep.Remarks, 0, Remark(tu))
	}
	for i := range rep.Results {
		r := &rep.Results[i]
		if r.Decides() {
			continue
		}
		di, ok := deciders[r.Key+"\x00"+r.Measurement]
		if !ok {
			continue
		}
		d := &rep.Results[di]
		if in, ok := derived[i]; ok {
			if adjust, tested := adjusts[di]; tested {
				followDecision(r, in, d, adjust)
			} else {
				tolerate(r, in, opts, betterOf(d)) // the decision had too little history: so has this result
			}
		}
		showWith(r, d)
	}
	if len(rep.Results) > 0 && Counts(rep)[New] == len(rep.Results) {
		rep.Remarks = append(rep.Remarks, NothingGated{})
	}
	rep.Sweep = sweep(bs, ns, keys, metrics)
	return rep
}

// baselineFailed reports whether r's baseline's last run failed (a BaselineFailed caveat).
func baselineFailed(r *Result) bool {
	return slices.ContainsFunc(r.Caveats, func(c Caveat) bool { _, ok := c.(BaselineFailed); return ok })
}

// failedCompared reports whether some of r's new runs failed, as its baseline's last run did,
// and the others were compared with the baseline's good runs (a RunFailed caveat with Ran).
func failedCompared(r *Result) bool {
	return slices.ContainsFunc(r.Caveats, func(c Caveat) bool { f, ok := c.(RunFailed); return ok && f.Ran > 0 })
}

// predictLearn returns the metrics of the baseline (baseMetrics) most likely to decide some
// config: the first speed metric it has, in the order of Options.SpeedMetrics, and every
// metric that is not a speed metric.
func predictLearn(baseMetrics []metricInfo, opts Options) []metricInfo {
	speed := decidingSpeed(baseMetrics, opts)
	var out []metricInfo
	for i, mi := range baseMetrics {
		if i == speed || !slices.Contains(opts.SpeedMetrics, mi.name) {
			out = append(out, mi)
		}
	}
	return out
}

// decidingSpeed returns the index, in metrics, of the first of Options.SpeedMetrics that
// metrics holds: the speed metric that decides where a config has them all. -1 when metrics
// holds none.
func decidingSpeed(metrics []metricInfo, opts Options) int {
	for _, m := range opts.SpeedMetrics {
		if i := slices.IndexFunc(metrics, func(mi metricInfo) bool { return mi.name == m }); i >= 0 {
			return i
		}
	}
	return -1
}

// configKeys returns, sorted, the keys of the baseline's configs (border, of bs) and of the
// new configs (norder) the baseline lacks.
func configKeys(bs map[string]*series, border, norder []string) []string {
	keys := append([]string(nil), border...)
	for _, k := range norder {
		if bs[k] == nil {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// learn runs the test's learning step over each metric's baseline histories.
func learn(test Test, bs map[string]*series, order []string, metrics []metricInfo, opts Options) map[string]Learned {
	learned := make(map[string]Learned, len(metrics))
	for _, mi := range metrics {
		learned[mi.name] = learnMetric(test, bs, order, mi, opts)
	}
	return learned
}

// learnMetric runs the test's learning step over one metric's baseline histories. The store's
// memory (Options.NoisyMemory) is of the speed measurement's noise (NoisyMemory learns it on
// the deciding speed metric), so a metric of another measurement, such as peak memory, learns
// without it: a config remembered noisy in speed is not noisy in memory.
func learnMetric(test Test, bs map[string]*series, order []string, mi metricInfo, opts Options) Learned {
	if measurementOf(mi.name, opts) != SpeedMeasurement {
		opts.NoisyMemory = nil
	}
	return test.Learn(mi.name, histories(bs, order, mi, opts), opts)
}

// histories returns every config's baseline history of one metric, in order, as the tests see
// it (testPoints).
func histories(bs map[string]*series, order []string, mi metricInfo, opts Options) []History {
	suite := make([]History, 0, len(order))
	for _, k := range order {
		s := bs[k]
		ps, _ := s.testPoints(mi.name, opts) // identical runs are one: no noise of 0 in the pool
		suite = append(suite, History{Key: k, Config: s.cfg, Better: mi.better, Points: ps})
	}
	return suite
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

// wanted reports whether metric name passes the Metrics filter list (empty: all do).
func wanted(list []string, name string) bool {
	return len(list) == 0 || slices.Contains(list, name)
}

// A pendingTest is a statistical comparison waiting for the multiple-comparison correction.
type pendingTest struct {
	index           int
	family          string // the measurement: tests of one measurement are corrected together
	pWorse, pBetter float64
	worse           bool
	minEffect       float64
	diff            float64
	bound           func(level float64) float64
	// short and contaminated are the test's doubts (Evidence); newRuns the new runs judged.
	short, contaminated bool
	newRuns             int
	// plainDelta is the change of the plain means, in percent, and plainWorse its direction:
	// on a doubtful history a material plain worsening is worth a re-run even when the test
	// explains it away.
	plainDelta float64
	plainWorse bool
}

// settings returns the min effect and tolerance for a config and metric, and the ignore rule
// that covers it, if any. A rule for one speed metric covers them all: they are one
// measurement, decided once by whichever of them decides (a rule for s/iter did nothing while
// TFLOPS/GPU decided).
func settings(cfg bench.Config, metric string, opts Options) (minEffect, tol float64, ignore *Rule) {
	minEffect, tol = opts.MinEffectPct, opts.TolerancePct
	speed := measurementOf(metric, opts) == SpeedMeasurement
	for i := range opts.Rules {
		r := &opts.Rules[i]
		covers := r.Metric == "" || r.Metric == metric || (speed && measurementOf(r.Metric, opts) == SpeedMeasurement)
		if !covers || r.Match == nil || !r.Match(cfg) || r.Expired(opts.Now) {
			continue
		}
		if r.MinEffectPct != nil {
			minEffect = *r.MinEffectPct
		}
		if r.TolerancePct != nil {
			tol = *r.TolerancePct
		}
		if r.Ignore {
			ignore = r
		}
	}
	return minEffect, tol, ignore
}

// MinEffectFor returns the minimum effect for a config and metric under opts's rules, as
// Compare applies them: a rule's minimum effect, unless it has expired, for its metric or,
// for a speed metric, any speed metric.
func MinEffectFor(cfg bench.Config, metric string, opts Options) float64 {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	m, _, _ := settings(cfg, metric, opts)
	return m
}

// Expired reports whether the rule's Until has passed at now.
func (r *Rule) Expired(now time.Time) bool {
	return !r.Until.IsZero() && now.After(endOfDay(r.Until))
}

func endOfDay(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 23, 59, 59, 0, t.Location())
}

func ptr(f float64) *float64 { return &f }

// A testInput is what a statistical comparison of one config and metric starts from: both
// sides' points and their plain change. Compare tests it (runTest) when its result decides.
type testInput struct {
	index     int // of the result in Report.Results
	mi        metricInfo
	xs, ys    []Point
	diff      float64 // the change of the mean log centres, new minus baseline
	minEffect float64
	tol       float64
}

// pointCenter is the geometric mean of points whose mean log is mean: a single run's own
// centre, as its input gave it, rather than exp(log(x)), which may differ in its last bits.
func pointCenter(ps []Point, mean float64) float64 {
	if len(ps) == 1 {
		return ps[0].Value
	}
	return math.Exp(mean)
}

// judge decides one config and metric from outcomes alone, or returns with the result the
// input of a statistical comparison (runTest).
func judge(key string, b, n *series, mi metricInfo, opts Options) (*Result, *testInput) {
	var cfg bench.Config
	if b != nil {
		cfg = b.cfg
	} else {
		cfg = n.cfg
	}
	res := &Result{Config: cfg, Key: key, Metric: mi.name, Better: mi.better.String()}
	minEffect, tol, ignore := settings(cfg, mi.name, opts)
	// ignored applies the ignore rule, if any. A result an outcome decided (the config's new
	// runs failed, or it is missing from them) is the whole config's, not one metric's: only
	// a rule for the whole config (no metric) ignores it, so that a rule meant to quiet one
	// metric's numbers does not wave an OOM through.
	ignored := func(outcome bool) {
		if ignore == nil || (outcome && ignore.Metric != "") {
			return
		}
		res.Ignored = true
		res.Caveats = slices.Insert(res.Caveats, 0, Caveat(Ignored{Until: ignore.Until, Reason: ignore.Reason, Source: ignore.Source}))
	}
	because := func(c Caveat) { res.Caveats = append(res.Caveats, c) }
	var xs, ys []Point
	var meanX, meanY float64 // the mean log centres, when there are points
	identical := 0           // the baseline's identical runs, counted as one (testPoints)
	// compare returns the result with the input of a statistical comparison of xs and ys.
	compare := func() (*Result, *testInput) {
		if identical > 0 {
			because(IdenticalRuns{Runs: identical})
		}
		diff := meanY - meanX
		res.DeltaPct = ptr(100 * (math.Exp(diff) - 1))
		return res, &testInput{mi: mi, xs: xs, ys: ys, diff: diff, minEffect: minEffect, tol: tol}
	}
	if b != nil {
		var n int
		if xs, n = b.testPoints(mi.name, opts); n > len(xs) {
			identical = n
		}
		if len(xs) > 0 || b.failed > 0 {
			res.Baseline = &Baseline{Runs: len(xs), Failed: b.failed}
			if len(xs) > 0 {
				meanX = pointMean(xs)
				c := pointCenter(xs, meanX)
				res.Baseline.Center, res.Baseline.Lo, res.Baseline.Hi = c, c, c
				res.Baseline.History = make([]float64, len(xs))
				for i, x := range xs {
					res.Baseline.History[i] = x.Value
				}
			}
		}
	}
	if n != nil {
		ys = n.logPoints(mi.name)
		res.Notes = n.notes()
		res.New = &NewRuns{Runs: len(ys)}
		if len(ys) > 0 {
			meanY = pointMean(ys)
			res.New.Center = pointCenter(ys, meanY)
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
		because(NotInNew{})
		ignored(true)
		return res, nil
	case n.failed > 0:
		// The new results failed, in every run or in some: a config that OOMs in one of its
		// new runs fails now, whatever its other runs measured (not fixed, nor merely new).
		res.Outcome = string(n.failure.Outcome)
		switch {
		case b == nil:
			res.Status = New
		case b.last == bench.OK:
			res.Status = NewlyFailing
		default:
			res.Status = StillFailing
		}
		if b != nil && len(xs) == 0 && b.okRuns > 0 {
			return nil, nil // the baseline measured other metrics only
		}
		if len(ys) == 0 && n.okRuns > 0 && (b == nil || b.okRuns == 0) {
			return nil, nil // the new runs measured other metrics only, and the baseline none
		}
		if res.Status == StillFailing && len(xs) > 0 && len(ys) > 0 {
			// Some new runs ran, and so did earlier baseline runs: compare them, so that a
			// config that failed one night and once again now is not waved through slower.
			// A significant, material slowdown is a regression (Compare); otherwise the
			// config stays still-failing.
			because(RunFailed{Outcome: n.failure.Outcome, Reason: n.failure.Reason, Ran: len(ys), Runs: len(n.runs)})
			ignored(false)
			return compare()
		}
		because(RunFailed{Outcome: n.failure.Outcome, Reason: n.failure.Reason})
		ignored(true)
		return res, nil
	}
	ignored(false)
	res.Outcome = string(bench.OK)
	switch {
	case len(ys) == 0:
		if len(xs) == 0 {
			return nil, nil
		}
		res.Status = Missing
		because(MetricNotReported{Metric: mi.name})
		return res, nil
	case b == nil:
		res.Status = New
		because(NoBaseline{})
		return res, nil
	case b.last != bench.OK:
		because(BaselineFailed{Outcome: b.last, Reason: b.failure.Reason}) // the last run failed: failure is it
		if len(xs) == 0 {
			res.Status = Fixed
			return res, nil
		}
		// Earlier baseline runs measured it: compare with them, so that a slowdown is not
		// passed as fixed because one nightly run failed. Unchanged, it is fixed (Compare).
	case len(xs) == 0:
		res.Status = New
		because(BaselineLacksMetric{Metric: mi.name})
		return res, nil
	}
	return compare()
}

// runTest compares in's two sides with the learned test, or with the fixed tolerance when
// there is none or it declines the config, and returns the pending test for decide (nil when
// the tolerance decided).
func runTest(res *Result, in testInput, learned Learned, opts Options) *pendingTest {
	var ev Evidence
	ok := learned != nil
	if ok {
		ev, ok = learned.Judge(in.xs, in.ys, opts)
	}
	if !ok {
		tolerate(res, in, opts, in.mi.better)
		return nil
	}
	diff, delta := in.diff, *res.DeltaPct
	worse := isWorse(in.mi.better, diff)
	res.Baseline.NoisePct = ev.NoisePct
	res.Caveats = append(res.Caveats, ev.Caveats...)
	plainDelta, plainWorse := delta, worse
	if ev.Diff != diff {
		// The test estimated the change otherwise (e.g. weighing a probably-slow baseline
		// run): its estimate is the change, and the baseline centre is the one it implies.
		diff = ev.Diff
		res.Baseline.Center = res.New.Center / math.Exp(diff)
		res.DeltaPct = ptr(100 * (math.Exp(diff) - 1))
		worse = isWorse(in.mi.better, diff)
	}
	// One-sided tests: is it worse? is it better? Only the first can fail the gate.
	pWorse, pBetter := ev.PLower, ev.PHigher
	if in.mi.better == bench.Lower {
		pWorse, pBetter = ev.PHigher, ev.PLower
	}
	return &pendingTest{index: in.index, pWorse: pWorse, pBetter: pBetter, worse: worse, minEffect: in.minEffect, diff: ev.Diff, bound: ev.Bound,
		short: ev.Short, contaminated: ev.Contaminated, newRuns: len(in.ys), plainDelta: plainDelta, plainWorse: plainWorse}
}

// tolerate decides in's result by the fixed tolerance: a config with too little history. The
// tolerance is never below the minimum effect, the smallest change that can fail. It is
// measured in the worse direction of the metric that decides the measurement (decider, the
// direction of its better side): for TFLOPS/GPU a drop of more than the tolerance fails. It
// is a bound on the log ratio, so that a result shown with the decision (s/iter) is held to
// the same bound in its own units (ThresholdPct: a rise of tol/(1−tol) for s/iter) and the
// speed metrics of one run, side by side, cannot disagree at the edge.
func tolerate(res *Result, in testInput, opts Options, decider bench.Better) {
	c := res.Baseline.Center
	tol := max(in.tol, in.minEffect)
	bound := worseLogOf(decider, tol)
	res.Test = ToleranceTest
	res.ThresholdPct = tol
	if in.mi.better != decider {
		res.ThresholdPct = worsePctOf(in.mi.better, bound)
	}
	res.Baseline.Lo, res.Baseline.Hi = c*math.Exp(-bound), c*math.Exp(bound)
	beyond := math.Abs(in.diff) > bound
	switch {
	case beyond && isWorse(in.mi.better, in.diff):
		res.Status = Regression
	case beyond:
		res.Status = Improvement
	default:
		res.Status = Unchanged
	}
	ft := FixedTolerance{Runs: len(in.xs), Needed: opts.MinHistoryRuns, TolerancePct: tol}
	if tol > in.tol {
		ft.RaisedFrom = in.tol
	}
	res.Caveats = append(res.Caveats, ft)
}

// worsePctOf returns the change, in percent, that a log ratio of bound in the worse direction
// is for a metric whose better direction is better: a drop of 100·(1−e^−bound) for a metric
// where higher is better, a rise of 100·(e^bound−1) where lower is. It is ThresholdPct: the
// change that would fail, in the metric's worse direction.
func worsePctOf(better bench.Better, bound float64) float64 {
	if better == bench.Higher {
		return -100 * math.Expm1(-bound)
	}
	return 100 * math.Expm1(bound)
}

// worseLogOf is worsePctOf's inverse: the log ratio of a change of pct percent in the worse
// direction of a metric whose better direction is better (pct below 100).
func worseLogOf(better bench.Better, pct float64) float64 {
	if better == bench.Higher {
		return -math.Log1p(-pct / 100)
	}
	return math.Log1p(pct / 100)
}

// betterOf returns the direction a Result.Better names.
func betterOf(r *Result) bench.Better {
	b, _ := bench.ParseBetter(r.Better)
	return b
}

// followDecision fills a shown result, in's, from the statistical decision d of the same
// measurement: the speed metrics are functions of one another (proportional, or inversely so
// when their better directions differ), so on a log scale they share the noise, the threshold
// and any adjustment the test made to the change (such as discounting a slow baseline run).
// The result keeps its own plain change, so adjusted, and has no p-value of its own.
// adjust is the decision's estimated change minus its plain one, as a log ratio.
func followDecision(r *Result, in testInput, d *Result, adjust float64) {
	diff := in.diff
	if r.Better != d.Better {
		adjust = -adjust
	}
	diff += adjust
	if diff != in.diff {
		r.Baseline.Center = r.New.Center / math.Exp(diff)
		r.DeltaPct = ptr(100 * (math.Exp(diff) - 1))
	}
	r.Test = d.Test
	// The decision's threshold as a log ratio, in this result's own worse direction.
	bound := worseLogOf(betterOf(d), d.ThresholdPct)
	r.ThresholdPct = worsePctOf(betterOf(r), bound)
	r.Baseline.NoisePct = d.Baseline.NoisePct
	c := r.Baseline.Center
	r.Baseline.Lo, r.Baseline.Hi = c*math.Exp(-bound), c*math.Exp(bound)
}

// isWorse reports whether a change of diff (new minus baseline, in logs) is a worsening of a
// metric whose better direction is better.
func isWorse(better bench.Better, diff float64) bool {
	return (better == bench.Higher && diff < 0) || (better == bench.Lower && diff > 0)
}

// decide applies the multiple-comparison correction to the pending tests and sets their
// statuses, thresholds and caveats. Each measurement is its own family, counting configs: the
// speed metrics of one run are one measurement (TFLOPS is work divided by time) decided once,
// and an independent metric (memory) is a family of its own. It returns each family's size.
func decide(rep *Report, tests []pendingTest, opts Options) map[string]int {
	families := map[string][]int{}
	for i, t := range tests {
		families[t.family] = append(families[t.family], i)
	}
	sizes := make(map[string]int, len(families))
	for f, idx := range families {
		sizes[f] = len(idx)
		worse := make([]float64, len(idx))
		better := make([]float64, len(idx))
		for j, i := range idx {
			worse[j], better[j] = tests[i].pWorse, tests[i].pBetter
		}
		adjust(worse, opts.Correction)
		adjust(better, opts.Correction)
		parallel(len(idx), func(lo, hi int) {
			for j := lo; j < hi; j++ {
				i := idx[j]
				decideOne(&rep.Results[tests[i].index], tests[i], worse[j], better[j], len(idx), opts)
			}
		})
	}
	return sizes
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
	if opts.Correction != NoCorrection {
		q /= float64(k)
	}
	// ThresholdPct is in the metric's worse direction (worsePctOf): for TFLOPS/GPU the drop
	// that fails, 100·(1−e^−bound), not the rise 100·(e^bound−1) it used to give, which
	// overstated it (a noisy config's −15% failed under a printed 17.5%).
	better := betterOf(r)
	r.ThresholdPct = t.minEffect
	band := worseLogOf(better, t.minEffect)
	if t.bound != nil { // a test that gives no bound leaves the threshold at the minimum effect
		bound := t.bound(q)
		r.ThresholdPct = math.Max(t.minEffect, worsePctOf(better, bound))
		band = math.Max(band, bound)
		r.Effect = &Interval{Lo: 100 * (math.Exp(t.diff-bound) - 1), Hi: 100 * (math.Exp(t.diff+bound) - 1)}
	}
	c := r.Baseline.Center
	r.Baseline.Lo, r.Baseline.Hi = c*math.Exp(-band), c*math.Exp(band)
	significant := p < opts.Alpha
	material := math.Abs(*r.DeltaPct) >= t.minEffect
	switch {
	case unconfirmed(t, p, material, opts):
		r.Status = Suspect
		r.Caveats = append(r.Caveats, Unconfirmed{Short: t.short, Contaminated: t.contaminated, NearThreshold: !significant,
			PValue: p, Alpha: opts.Alpha, NewRuns: t.newRuns, ConfirmRuns: opts.ConfirmRuns})
	case significant && material && t.worse:
		r.Status = Regression
		r.Caveats = append(r.Caveats, Material{MinEffectPct: t.minEffect})
	case significant && material:
		r.Status = Improvement
		r.Caveats = append(r.Caveats, Material{MinEffectPct: t.minEffect})
	case significant:
		r.Status = Unchanged
		r.Caveats = append(r.Caveats, BelowMinEffect{MinEffectPct: t.minEffect})
	default:
		r.Status = Unchanged
		r.Caveats = append(r.Caveats, WithinNoise{SlowRun: t.contaminated})
	}
}

// SpeedDisagreePct is how far (in percent, as a ratio) two speed metrics of one config may
// disagree on its change before the worse one decides: one measurement in two units moves
// alike, up to the rounding of logged values.
const SpeedDisagreePct = 1

// worsePct is a compared result's change in its worse direction, as a log ratio in percent
// (positive: worse), so that TFLOPS/GPU −x% and s/iter +x% compare alike.
func worsePct(r *Result) float64 {
	l := 100 * math.Log1p(*r.DeltaPct/100)
	if betterOf(r) == bench.Higher {
		return -l
	}
	return l
}

// chooseDeciders marks, among one config's results, which speed metric decides: the first of
// Options.SpeedMetrics compared on data on both sides, else the first present (outcomes such
// as OOM decide alike for every metric); but a compared speed metric worse than that one by
// more than SpeedDisagreePct decides instead (the worst such), with a SpeedDisagree caveat,
// unless it is TFLOPS/GPU under Options.FormulaDrift. The other speed results are shown with
// it.
func chooseDeciders(results []Result, opts Options) {
	decider := func() int {
		for _, compared := range []bool{true, false} {
			for _, m := range opts.SpeedMetrics {
				for i := range results {
					if results[i].Metric == m && (!compared || results[i].DeltaPct != nil) {
						return i
					}
				}
			}
		}
		return -1
	}()
	if decider < 0 {
		return
	}
	if first := decider; results[first].DeltaPct != nil {
		for i := range results {
			r := &results[i]
			if i == first || r.Measurement != SpeedMeasurement || r.DeltaPct == nil ||
				(opts.FormulaDrift && r.Metric == bench.MetricTFLOPS) {
				continue
			}
			if worsePct(r) > worsePct(&results[decider]) && worsePct(r)-worsePct(&results[first]) > SpeedDisagreePct {
				decider = i
			}
		}
		if decider != first {
			d, f := &results[decider], &results[first]
			d.Caveats = append(d.Caveats, SpeedDisagree{Metric: f.Metric, DeltaPct: *f.DeltaPct})
		}
	}
	for i := range results {
		if i != decider && results[i].Measurement == SpeedMeasurement {
			results[i].DecidedBy = results[decider].Metric
		}
	}
}

// showWith gives a shown result its decision's status and fail, and says so first (after an
// ignore rule, which leads).
func showWith(r, d *Result) {
	if d == nil {
		return
	}
	r.Status, r.Fails = d.Status, d.Fails && !r.Ignored
	at := 0
	if len(r.Caveats) > 0 {
		if _, ok := r.Caveats[0].(Ignored); ok {
			at = 1
		}
	}
	r.Caveats = slices.Insert(r.Caveats, at, Caveat(ShownWith{Metric: d.Metric}))
}

// The confirmation protocol's margins, chosen on the evaluation (eval/): on fewer than
// Options.ConfirmRuns new runs, a material worsening is Suspect when its p-value misses alpha
// by less than a factor looseP (near the threshold, from below) or reaches alpha by less than
// a factor nearP (near it, from above). On a short or contaminated history, a worsening that
// is material by the test's estimate or by the plain means is Suspect unless its p-value
// reaches alpha by a factor doubtP: there one run can neither clear nor convict it.
const (
	looseP = 20
	nearP  = 20
	doubtP = 10
)

// unconfirmed reports whether a worsening on too few new runs waits for confirmation rather
// than being decided now. material is whether the test's estimate of the change reaches the
// minimum effect.
func unconfirmed(t pendingTest, p float64, material bool, opts Options) bool {
	if t.newRuns >= opts.ConfirmRuns {
		return false
	}
	if t.short || t.contaminated {
		materialWorse := (material && t.worse) || (t.plainWorse && math.Abs(t.plainDelta) >= t.minEffect)
		return materialWorse && (!t.worse || p > opts.Alpha/doubtP)
	}
	if !material || !t.worse {
		return false
	}
	if p >= opts.Alpha {
		return p < opts.Alpha*looseP
	}
	return p > opts.Alpha/nearP
}

// parallelMin is the least work items worth splitting over goroutines.
var parallelMin = 512 // a variable so that a test can turn the splitting off

// parallel calls fn over [0, n) split into one contiguous range per processor (fn sees each
// index once), or over all of it at once when n is small. fn must write only what its indexes
// own.
func parallel(n int, fn func(lo, hi int)) {
	parts := min(runtime.GOMAXPROCS(0), n/parallelMin)
	if parts <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	for p := range parts {
		wg.Go(func() { fn(p*n/parts, (p+1)*n/parts) })
	}
	wg.Wait()
}
