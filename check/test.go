package check

import (
	"fmt"
	"strings"

	"github.com/perfgate/perfgate/bench"
)

// A Test is the statistical test behind the gate: it learns from a metric's whole baseline
// once, then judges one config at a time. The multiple-comparison correction, the minimum
// effect, ignore rules and the verdict stay outside it, in Compare; the fixed tolerance
// decides the configs a test declines.
//
// To add a test: write a type that implements Test in a new file and add it to Tests.
type Test interface {
	// Name is what Options.Test selects, e.g. "moderated-t".
	Name() string
	// Learn studies one metric over every config's baseline history (the pooled noise of
	// the suite, or fitted priors) and returns what it learned.
	Learn(metric string, suite []History, opts Options) Learned
}

// Learned is what a Test learned from one metric's baseline.
type Learned interface {
	// Judge compares one config's baseline points with its new points (both non-empty).
	// ok is false when the test cannot judge the config (too little history), and the fixed
	// tolerance decides instead.
	Judge(base, cur []Point, opts Options) (e Evidence, ok bool)
	// Noise returns the run-to-run noise, in percent, the test would use for a config with
	// these baseline points; ok is false when it would not test the config.
	Noise(base []Point, opts Options) (pct float64, ok bool)
	// Pooled returns the suite-wide run-to-run noise and what it was learned from; its
	// Configs is 0 when the test learned none.
	Pooled() Pool
}

// A Pool is a suite-wide run-to-run noise and what it was learned from.
type Pool struct {
	NoisePct float64 `json:"noise_pct"`
	// Configs is the number of configs it was learned from, each with at least MinRuns runs.
	Configs int `json:"configs"`
	MinRuns int `json:"min_runs"`
}

// A Point is one run's summary of a metric, with the run's identity so that a test can name
// a run (e.g. a probably-slow baseline run).
type Point struct {
	Log    float64 // natural log of the run's centre (bench.Center of its samples)
	Value  float64 // the centre itself, as reports echo it (exp(Log) may differ in its last bits)
	Key    string  // the run's config key
	Batch  string  // the run's batch, e.g. "nightly-03"
	Date   string  // RFC 3339, may be empty
	Commit string  // may be empty
	Source string  // file:line of the input, may be empty
	File   string  // the results file the run was ingested from (a store's source=), may be empty
}

// A History is one config's baseline runs of one metric, oldest first.
type History struct {
	Key    string
	Config bench.Config
	// Better is the metric's direction, so a test knows which side a slow run falls on.
	Better bench.Better
	Points []Point
}

// Evidence is what a test says about one config. Probabilities are one-sided p-values (or
// posterior probabilities of the opposite): PHigher for "the new runs are higher", PLower
// for "lower"; Compare maps them to worse and better by the metric's direction.
type Evidence struct {
	// Diff is the estimated change as a log ratio, new over baseline.
	Diff            float64
	PHigher, PLower float64
	// NoisePct is the run-to-run noise the test used, in percent.
	NoisePct float64
	// Bound returns the |log ratio| of a worsening that reaches significance at the one-sided
	// level (the worse direction's: a skewed posterior's two tails differ); Compare
	// calls it with the per-test level of the correction to give the threshold and the
	// effect interval. nil leaves the threshold at the minimum effect and no interval.
	Bound func(level float64) float64
	// Caveats are what the test wants said about its judgement (e.g. a noise class).
	Caveats []Caveat
	// Short and Contaminated say that the judgement rests on a short baseline history or on
	// one that probably holds a slow run: a significant regression then waits for
	// confirmation (status Suspect) while the new side has fewer than Options.ConfirmRuns
	// runs.
	Short, Contaminated bool
}

// Tests are the statistical tests Options.Test may name. Register a new test here.
var Tests = []Test{
	ModeratedT{},
	Mixture{},
}

// DefaultTest is the test DefaultOptions use.
const DefaultTest = "mixture"

// LookupTest returns the registered test called name ("" means DefaultTest).
func LookupTest(name string) (Test, error) {
	if name == "" {
		name = DefaultTest
	}
	for _, t := range Tests {
		if t.Name() == name {
			return t, nil
		}
	}
	names := make([]string, len(Tests))
	for i, t := range Tests {
		names[i] = t.Name()
	}
	return nil, fmt.Errorf("unknown test %q; registered: %s", name, strings.Join(names, ", "))
}

// testOf returns the test opts name, or DefaultTest when it names none registered (opts are
// meant to be valid: Options.Validate).
func testOf(opts Options) Test {
	if t, err := LookupTest(opts.Test); err == nil {
		return t
	}
	t, _ := LookupTest(DefaultTest)
	return t
}
