package eval

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"slices"
	"sync"

	"golang.org/x/perf/benchmath"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/check"
)

// A Scenario is one kind of history the gate is evaluated on.
type Scenario struct {
	Name         string
	BaselineRuns int // nightly runs per config in the baseline
	PRRuns       int // PR runs per config
	// SlowRate is the share of baseline runs on a slow node (4–10% below the level).
	SlowRate float64
	// BimodalShare is the share of genuinely bimodal configs.
	BimodalShare float64
	// Confirm runs the confirmation protocol: configs whose decision is suspect are re-run
	// to ConfirmRuns PR runs and the suite is checked again with all its PR runs. Without
	// it, the check runs with Options.ConfirmRuns 0 (what a workflow that never re-runs
	// should set), so one run decides and nothing is suspect.
	Confirm bool
	// MemoryRuns older nightly runs of each config, beyond the window's BaselineRuns, are in
	// the store's git history: the check reads each config's noise class from them
	// (check.NoisyMemory, as perfgate check learns it from the store's git history). 0: no memory.
	MemoryRuns int
}

// ConfirmRuns is how many PR runs a suspect config has after the confirmation protocol.
const ConfirmRuns = 3

// Scenarios are the scenarios, in the order the tables list them.
var Scenarios = []Scenario{
	{Name: "standard", BaselineRuns: 7, PRRuns: 1},
	{Name: "short", BaselineRuns: 3, PRRuns: 1},
	{Name: "contaminated", BaselineRuns: 7, PRRuns: 1, SlowRate: 0.05},
	{Name: "short+contaminated", BaselineRuns: 3, PRRuns: 1, SlowRate: 0.05},
	{Name: "bimodal", BaselineRuns: 7, PRRuns: 1, BimodalShare: 1.0 / 6},
	{Name: "standard+confirm", BaselineRuns: 7, PRRuns: 1, Confirm: true},
	{Name: "short+contaminated+confirm", BaselineRuns: 3, PRRuns: 1, SlowRate: 0.05, Confirm: true},
	// Not among the scenarios: what the store's memory of noise classes buys (the
	// same suites and windows, 14 older runs in git).
	{Name: "standard+memory", BaselineRuns: 7, PRRuns: 1, MemoryRuns: 14},
	{Name: "bimodal+memory", BaselineRuns: 7, PRRuns: 1, BimodalShare: 1.0 / 6, MemoryRuns: 14},
	{Name: "contaminated+memory", BaselineRuns: 7, PRRuns: 1, SlowRate: 0.05, MemoryRuns: 14},
	{Name: "short+contaminated+memory", BaselineRuns: 3, PRRuns: 1, SlowRate: 0.05, MemoryRuns: 14},
	{Name: "short+contaminated+confirm+memory", BaselineRuns: 3, PRRuns: 1, SlowRate: 0.05, Confirm: true, MemoryRuns: 14},
}

// LookupScenario returns the scenario called name.
func LookupScenario(name string) (Scenario, bool) {
	for _, s := range Scenarios {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
}

// Setup describes an evaluation.
type Setup struct {
	Seed    uint64
	Suites  int       // simulated suites per scenario
	Configs int       // configs per suite
	Drops   []float64 // injected TFLOPS drops, in percent
	Noise   NoiseModel
	Check   check.Options
	// Workers is how many suites are simulated at once (the figures do not depend on it).
	Workers int
	// OracleNoisy gives the check the simulation's true noisy class (its noise, at
	// OracleDF degrees of freedom of prior weight) in scenarios without memory, as a store's
	// memory would: a bound on what a better fit of the noisy class from the window could buy.
	OracleNoisy bool
	// Ideal judges with the test that knows the simulation's noise model (Ideal) instead of
	// Check.Test: the bound of what any rule can do from the window alone, in the scenarios
	// it models (IdealModels).
	Ideal bool
}

// OracleDF is the prior weight of the noisy class under Setup.OracleNoisy: the simulation's
// noisy configs share one noise exactly, so it is the largest weight the fit can choose.
const OracleDF = 60

// DefaultSetup is the setup of the targets: 16-config suites, 1000 suites per scenario.
func DefaultSetup() Setup {
	return Setup{
		Seed: 1, Suites: 1000, Configs: 16,
		Drops: []float64{2, 3, 5, 10}, Noise: DefaultNoise, Check: check.DefaultOptions, Workers: 2,
	}
}

// Validate checks the setup: positive counts, and check options in the ranges the flags and
// the config file accept.
func (s Setup) Validate() error {
	if s.Suites < 1 || s.Configs < 1 {
		return errors.New("counts must be positive")
	}
	if s.Ideal && s.Noise != DefaultNoise {
		return errors.New("the ideal test knows the default noise model only")
	}
	if s.Ideal && s.OracleNoisy {
		return errors.New("the ideal test already knows the noisy class: drop the oracle")
	}
	return s.Check.Validate()
}

// Figures are the measured gate accuracy in one scenario.
type Figures struct {
	Scenario Scenario
	Suites   int
	// FalseFail is the fraction of clean suites (no injected change) whose verdict is fail.
	FalseFail float64
	// SuspectSuites is the fraction of clean suites with at least one suspect decision
	// before any confirmation (the suites a workflow would re-run configs of).
	SuspectSuites float64
	// Reruns is the mean number of extra PR runs per clean suite the protocol spent.
	Reruns float64
	// FlagRate is, per class of config, the fraction of clean configs the gate failed.
	FlagRate map[Class]float64
	// Recall maps a class and a drop size (percent) to the fraction of drops injected on a
	// config of that class that failed the gate on that config.
	Recall map[Class]map[float64]float64
	// PooledFalseFail is the clean-suite fail rate of the benchstat way on the same data:
	// every iteration pooled into one Mann-Whitney U test per config at alpha 0.05.
	PooledFalseFail float64
}

// tally is what one suite contributes.
type tally struct {
	fail, suspect, pooled bool
	reruns                int
	flagged, configs      map[Class]int
	hits, trials          map[Class]map[float64]int
}

// Run evaluates the gate in one scenario.
func Run(s Setup, sc Scenario) Figures {
	seed := scenarioSeed(s.Seed, sc)
	tallies := make([]tally, s.Suites)
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < max(s.Workers, 1); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				tallies[i] = runSuite(s, sc, rand.New(rand.NewPCG(seed, uint64(i))))
			}
		}()
	}
	for i := 0; i < s.Suites; i++ {
		next <- i
	}
	close(next)
	wg.Wait()

	f := Figures{Scenario: sc, Suites: s.Suites, FlagRate: map[Class]float64{}, Recall: map[Class]map[float64]float64{}}
	var fails, suspects, pooled, reruns int
	flagged, configs := map[Class]int{}, map[Class]int{}
	hits, trials := map[Class]map[float64]int{}, map[Class]map[float64]int{}
	for _, t := range tallies {
		fails += b2i(t.fail)
		suspects += b2i(t.suspect)
		pooled += b2i(t.pooled)
		reruns += t.reruns
		for c, n := range t.configs {
			configs[c] += n
			flagged[c] += t.flagged[c]
		}
		for c, m := range t.trials {
			if hits[c] == nil {
				hits[c], trials[c] = map[float64]int{}, map[float64]int{}
			}
			for d, n := range m {
				trials[c][d] += n
				hits[c][d] += t.hits[c][d]
			}
		}
	}
	n := float64(s.Suites)
	f.FalseFail, f.SuspectSuites, f.PooledFalseFail = float64(fails)/n, float64(suspects)/n, float64(pooled)/n
	f.Reruns = float64(reruns) / n
	for c, k := range configs {
		f.FlagRate[c] = float64(flagged[c]) / float64(k)
	}
	for c, m := range trials {
		f.Recall[c] = map[float64]float64{}
		for d, k := range m {
			f.Recall[c][d] = float64(hits[c][d]) / float64(k)
		}
	}
	return f
}

// scenarioSeed returns the seed of a scenario's suites: seed mixed with the scenario's
// history, not its protocol, so that a scenario and its confirmation and memory variants draw
// the same suites. salt, when given, draws other suites of the same history.
func scenarioSeed(seed uint64, sc Scenario, salt ...any) uint64 {
	h := fnv.New64a()
	fmt.Fprint(h, append([]any{sc.BaselineRuns, sc.PRRuns, sc.SlowRate, sc.BimodalShare}, salt...)...)
	return seed ^ h.Sum64()
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// runSuite simulates one suite: a clean PR and, per drop size and class of config, a PR with
// the drop injected on one config of that class.
func runSuite(s Setup, sc Scenario, rng *rand.Rand) tally {
	suite, base, mem := scenarioSuite(s, sc, rng)
	t := tally{flagged: map[Class]int{}, configs: map[Class]int{}, hits: map[Class]map[float64]int{}, trials: map[Class]map[float64]int{}}

	rep, suspect, reruns := gate(s, sc, suite, rng, base, mem, nil)
	t.fail, t.suspect, t.reruns = rep.Verdict == check.Fail, suspect, reruns
	t.pooled = sc.Name == "standard" && pooledFail(base, prRuns(suite, rng, sc.PRRuns, nil, nil))
	byClass := map[Class][]int{}
	for i, c := range suite.Class {
		t.configs[c]++
		if failed(rep, suite.Configs[i].Key()) {
			t.flagged[c]++
		}
		byClass[c] = append(byClass[c], i)
	}
	// Per drop size, one PR with the drop injected on one config of each class (the
	// victims are distinct configs; one regression hardly changes how Holm treats another).
	for _, d := range s.Drops {
		slow := unchanged(s.Configs)
		victims := map[Class]int{}
		for _, c := range []Class{Steady, Noisy, Bimodal} {
			if len(byClass[c]) > 0 {
				victims[c] = byClass[c][rng.IntN(len(byClass[c]))]
				slow[victims[c]] = 1 / (1 - d/100) // TFLOPS falls by d%
			}
		}
		rep, _, _ := gate(s, sc, suite, rng, base, mem, slow)
		for _, c := range []Class{Steady, Noisy, Bimodal} {
			v, ok := victims[c]
			if !ok {
				continue
			}
			if t.hits[c] == nil {
				t.hits[c], t.trials[c] = map[float64]int{}, map[float64]int{}
			}
			t.trials[c][d]++
			if failed(rep, suite.Configs[v].Key()) {
				t.hits[c][d]++
			}
		}
	}
	return t
}

// scenarioSuite draws a suite of the setup's configs under the scenario's noise, its
// baseline runs and, when the scenario has older runs in git, the memory of noise classes
// the check learns from them.
func scenarioSuite(s Setup, sc Scenario, rng *rand.Rand) (*Suite, []bench.Run, *check.Memory) {
	noise := s.Noise
	noise.SlowRate, noise.BimodalShare = sc.SlowRate, sc.BimodalShare
	suite := NewSuite(rng, s.Configs, noise)
	base := suite.Baseline(rng, sc.BaselineRuns)
	if sc.MemoryRuns == 0 {
		if s.OracleNoisy {
			return suite, base, &check.Memory{NoisyPct: noise.NoisyPct, NoisyDF: OracleDF}
		}
		return suite, base, nil
	}
	var older []bench.Run
	for r := 0; r < sc.MemoryRuns; r++ {
		older = append(older, suite.Run(rng, fmt.Sprintf("older-%02d", r+1), nil, true, nil)...)
	}
	return suite, base, check.NoisyMemory(older, base, s.Check)
}

// unchanged returns the slow factors (Suite.Run) of n configs that keep their level.
func unchanged(n int) []float64 {
	slow := make([]float64, n)
	for j := range slow {
		slow[j] = 1
	}
	return slow
}

// gate checks one PR of the suite, running the confirmation protocol when the scenario asks
// for it. It returns the final report, whether the first check had a suspect decision, and
// how many PR runs the protocol added.
func gate(s Setup, sc Scenario, suite *Suite, rng *rand.Rand, base []bench.Run, mem *check.Memory, slow []float64) (*check.Report, bool, int) {
	opts := s.Check
	opts.NoisyMemory = mem
	if s.Ideal {
		opts.Test = IdealTestName(sc.SlowRate)
	}
	if sc.Confirm {
		// The protocol is opted into, as a workflow that re-runs suspects does (-confirm-runs
		// of gateeval, else ConfirmRuns).
		if opts.ConfirmRuns == 0 {
			opts.ConfirmRuns = ConfirmRuns
		}
	} else {
		// Without the protocol nobody re-runs suspects: one run decides.
		opts.ConfirmRuns = 0
	}
	pr := prRuns(suite, rng, sc.PRRuns, slow, nil)
	rep := check.Compare(base, pr, opts)
	var suspects []int
	for i, cfg := range suite.Configs {
		if status(rep, cfg.Key()) == check.Suspect {
			suspects = append(suspects, i)
		}
	}
	if !sc.Confirm || len(suspects) == 0 || sc.PRRuns >= ConfirmRuns {
		return rep, len(suspects) > 0, 0
	}
	extra := prRuns(suite, rng, ConfirmRuns-sc.PRRuns, slow, suspects)
	pr = append(pr, extra...)
	return check.Compare(base, pr, opts), true, len(extra)
}

func prRuns(s *Suite, rng *rand.Rand, n int, slow []float64, only []int) []bench.Run {
	var runs []bench.Run
	for r := 0; r < n; r++ {
		runs = append(runs, s.Run(rng, fmt.Sprintf("pr-%d", r+1), slow, false, only)...)
	}
	return runs
}

// status returns the speed decision of config key.
func status(rep *check.Report, key string) check.Status {
	for _, r := range rep.Results {
		if r.Key == key && r.Decides() {
			return r.Status
		}
	}
	return ""
}

// failed reports whether the report fails the gate on config key.
func failed(rep *check.Report, key string) bool {
	for _, r := range rep.Results {
		if r.Key == key && r.Fails {
			return true
		}
	}
	return false
}

// pooledFail applies what benchstat does with such data: all iterations of all runs of a
// config pooled into one Mann-Whitney U test, alpha 0.05, no correction. The suite fails if
// any config's TFLOPS is significantly lower.
func pooledFail(base, cur []bench.Run) bool {
	pool := func(runs []bench.Run) map[string][]float64 {
		m := map[string][]float64{}
		for _, r := range runs {
			if mm := r.Metric(bench.MetricTFLOPS); mm != nil {
				k := r.Config.Key()
				m[k] = append(m[k], mm.Values...)
			}
		}
		return m
	}
	b, n := pool(base), pool(cur)
	th := benchmath.DefaultThresholds
	keys := make([]string, 0, len(b))
	for k := range b {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		xs, ys := b[k], n[k]
		if len(ys) == 0 {
			continue
		}
		s1 := benchmath.NewSample(append([]float64(nil), xs...), &th)
		s2 := benchmath.NewSample(append([]float64(nil), ys...), &th)
		c := benchmath.AssumeNothing.Compare(s1, s2)
		if c.P < th.CompareAlpha && bench.Center(ys) < bench.Center(xs) {
			return true
		}
	}
	return false
}

// Header writes what every table of an evaluation shares.
func Header(w io.Writer, s Setup) {
	n := s.Noise
	fmt.Fprintf(w, "perfgate gate accuracy: %d suites × %d configs per scenario, seed %d, test %s\n", s.Suites, s.Configs, s.Seed, s.Check.Test)
	fmt.Fprintf(w, "noise: steady configs %.1f–%.1f%% run to run, %.0f%% of configs noisy at %.1f%%; bimodal configs two modes %.0f%% apart; slow-node runs %.0f–%.0f%% below; iteration %.1f%%, %d warm-up iterations ×%.1f, %.0f%% outlier iterations ×%.1f–%.1f\n",
		n.RunPct[0], n.RunPct[1], 100*n.NoisyShare, n.NoisyPct, n.BimodalGapPct, n.SlowPct[0], n.SlowPct[1], n.IterPct,
		n.WarmupIters, n.WarmupFactor, 100*n.OutlierProb, n.OutlierFactor[0], n.OutlierFactor[1])
	fmt.Fprintf(w, "check: alpha %g (%s), min effect %g%%\n", s.Check.Alpha, s.Check.Correction, s.Check.MinEffectPct)
	if s.Ideal {
		fmt.Fprintf(w, "ideal: judged by the test that knows this noise model (eval.Ideal), not by %s: a bound from the window alone\n", s.Check.Test)
	}
	if s.OracleNoisy {
		fmt.Fprintf(w, "oracle: the check knows the true noisy class (%.1f%%, prior weight %d) where a scenario has no memory\n", n.NoisyPct, OracleDF)
	}
}

// Print writes the figures of one scenario as a Markdown table.
func (f Figures) Print(w io.Writer, s Setup) {
	sc := f.Scenario
	fmt.Fprintf(w, "\n#### %s: %d baseline runs, %d PR run(s)", sc.Name, sc.BaselineRuns, sc.PRRuns)
	if sc.SlowRate > 0 {
		fmt.Fprintf(w, ", %.0f%% slow-node baseline runs", 100*sc.SlowRate)
	}
	if sc.BimodalShare > 0 {
		fmt.Fprintf(w, ", %.0f%% bimodal configs", 100*sc.BimodalShare)
	}
	if sc.Confirm {
		fmt.Fprintf(w, ", suspects re-run to %d PR runs", ConfirmRuns)
	}
	if sc.MemoryRuns > 0 {
		fmt.Fprintf(w, ", %d older runs in the store's memory", sc.MemoryRuns)
	}
	fmt.Fprintf(w, "\n\n")
	fmt.Fprintf(w, "clean suites that fail: **%.1f%%**; with a suspect: %.1f%%", 100*f.FalseFail, 100*f.SuspectSuites)
	if sc.Confirm {
		fmt.Fprintf(w, "; re-runs per clean suite: %.2f", f.Reruns)
	}
	if sc.Name == "standard" {
		fmt.Fprintf(w, "; benchstat-style pooled iterations: %.1f%%", 100*f.PooledFalseFail)
	}
	fmt.Fprintf(w, "\n\n| drop |")
	classes := []Class{Steady, Noisy, Bimodal}
	for _, c := range classes {
		if f.Recall[c] != nil {
			fmt.Fprintf(w, " recall (%s) |", c)
		}
	}
	fmt.Fprintf(w, "\n|---|")
	for _, c := range classes {
		if f.Recall[c] != nil {
			fmt.Fprintf(w, "---|")
		}
	}
	fmt.Fprintln(w)
	for _, d := range s.Drops {
		fmt.Fprintf(w, "| %g%% |", d)
		for _, c := range classes {
			if f.Recall[c] != nil {
				fmt.Fprintf(w, " %.1f%% |", 100*f.Recall[c][d])
			}
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "| clean configs failed |")
	for _, c := range classes {
		if f.Recall[c] != nil {
			fmt.Fprintf(w, " %.2f%% |", 100*f.FlagRate[c])
		}
	}
	fmt.Fprintln(w)
}
