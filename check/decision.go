package check

import (
	"time"

	"github.com/perfgate/perfgate/bench"
)

// A Caveat is one typed reason behind a result's status: what decided it, or what limits
// how far it can be trusted. Package report turns caveats into words; check never does. The
// concrete types below are the whole vocabulary; a new statistical test may add its own.
type Caveat interface {
	// CaveatKind names the kind of caveat, for machines (e.g. "fixed-tolerance").
	CaveatKind() string
}

// Ignored: an ignore rule of the config file covers the result, so it cannot fail the gate.
type Ignored struct {
	Until  time.Time // zero: no expiry
	Reason string    // as written in the rule
	Source string    // where the rule was written, e.g. "perfgate.json:4"
}

// FixedTolerance: the config has too few baseline runs for a statistical test, so the change
// was judged against a fixed tolerance: a change fails when a metric of the measurement moves
// by more than TolerancePct the worse way (as a log ratio, log(1+TolerancePct/100); the
// result's ThresholdPct is that in its own worse direction).
type FixedTolerance struct {
	Runs         int     // baseline runs with the metric
	Needed       int     // runs a statistical test needs
	TolerancePct float64 // the tolerance applied: the larger of the tolerance and the minimum effect
	// RaisedFrom is the configured tolerance when the minimum effect, larger, was applied
	// instead (the minimum effect is the smallest change that can fail); 0 otherwise.
	RaisedFrom float64
}

// Material: the change is significant and at least the minimum effect (a regression or an
// improvement decided by a test).
type Material struct {
	MinEffectPct float64
}

// BelowMinEffect: the change is significant but smaller than the minimum effect.
type BelowMinEffect struct {
	MinEffectPct float64
}

// WithinNoise: the change is not significant. SlowRun says that the test's judgement rests on
// a baseline that probably holds a slow run (Evidence.Contaminated): what the change is within
// is then not the config's run-to-run noise alone but the doubt whether that run was slow.
type WithinNoise struct {
	SlowRun bool
}

// NotInNew: the config is in the baseline but not in the new results.
type NotInNew struct{}

// MetricNotReported: the new runs ran but did not report the metric.
type MetricNotReported struct {
	Metric string
}

// NoBaseline: the baseline has no run of this config.
type NoBaseline struct{}

// BaselineLacksMetric: the baseline ran the config but never reported the metric.
type BaselineLacksMetric struct {
	Metric string
}

// RunFailed: the new runs failed. Reason quotes the input that proves it (file, line and
// text, as ingest wrote it); it is empty when the input gave none. The status says what the
// baseline did (new, newly-failing or still-failing).
//
// When the baseline's last run failed too and some new runs ran, those were compared with the
// baseline's good runs: Ran of the Runs new runs ran (both 0 when nothing was compared), and
// the status is a regression (or suspect) when they are significantly and materially worse,
// else still-failing.
type RunFailed struct {
	Outcome   bench.Outcome
	Reason    string
	Ran, Runs int
}

// BaselineFailed: the baseline's last run of the config failed, and the new runs ran (fixed).
type BaselineFailed struct {
	Outcome bench.Outcome
	Reason  string // the proving input, as for RunFailed; may be empty
}

// NoiseClass: the config's noise class as the test weighed it. PNoisy is the posterior
// probability that the config belongs to the noisy class; NoisePct the run-to-run noise the
// test expects for it. Own says that the config's own runs alone gave its noise because their
// spread is above the suite's pooled noise's 1% quantile (the moderated t on a long, clean
// history); Noisy is then true whatever PNoisy says. Remembered says that the store's history
// remembers the config as noisy (Options.NoisyMemory) and its noise was moderated towards the
// remembered noisy class (on a long, clean history); Noisy is then true too.
type NoiseClass struct {
	Noisy      bool
	PNoisy     float64
	NoisePct   float64
	Own        bool
	Remembered bool
}

// SlowBaselineRun: a baseline run of the config probably landed on a slow node; the test
// weighed its judgement with and without it.
type SlowBaselineRun struct {
	Batch    string  // the run's batch, e.g. "nightly-03"
	Source   string  // its input, file:line; may be empty
	BelowPct float64 // how far below the config's other runs it lies, in percent
	Prob     float64 // the posterior probability that it is slow
}

// Unconfirmed: a material worsening that waits for confirmation (status Suspect) because the
// new side has fewer than ConfirmRuns runs and the decision is not safe on them: it sits near
// the threshold (NearThreshold: p-value just above Alpha), or it is significant but rests on a
// short baseline history or one that probably holds a slow run.
type Unconfirmed struct {
	Short, Contaminated, NearThreshold bool
	PValue, Alpha                      float64
	NewRuns, ConfirmRuns               int
}

// IdenticalRuns: the config's Runs baseline runs measured exactly the same speed, which
// separate runs do not: the same results ingested under several run ids. They count as one
// run (a spread of 0 is not a noise of 0), so the fixed tolerance decides unless the test
// has enough other runs.
type IdenticalRuns struct {
	Runs int
}

func (IdenticalRuns) CaveatKind() string { return "identical-runs" }

func (NoiseClass) CaveatKind() string      { return "noise-class" }
func (SlowBaselineRun) CaveatKind() string { return "slow-baseline-run" }
func (Unconfirmed) CaveatKind() string     { return "unconfirmed" }

// ShownWith: the metric is one measurement with another metric of the same run (s/iter and
// TFLOPS/GPU), and that metric's result decided; this result carries its status.
type ShownWith struct {
	Metric string // the deciding metric
}

// SpeedDisagree: two speed metrics of one config disagree on its change by more than
// SpeedDisagreePct, which one measurement in two units cannot; this one, the worse, decides
// rather than Metric, the one Options.SpeedMetrics put first.
type SpeedDisagree struct {
	Metric   string  // the speed metric put first, overruled
	DeltaPct float64 // its change
}

func (SpeedDisagree) CaveatKind() string { return "speed-disagree" }

func (ShownWith) CaveatKind() string           { return "shown-with" }
func (Ignored) CaveatKind() string             { return "ignored" }
func (FixedTolerance) CaveatKind() string      { return "fixed-tolerance" }
func (Material) CaveatKind() string            { return "material" }
func (BelowMinEffect) CaveatKind() string      { return "below-min-effect" }
func (WithinNoise) CaveatKind() string         { return "within-noise" }
func (NotInNew) CaveatKind() string            { return "not-in-new" }
func (MetricNotReported) CaveatKind() string   { return "metric-not-reported" }
func (NoBaseline) CaveatKind() string          { return "no-baseline" }
func (BaselineLacksMetric) CaveatKind() string { return "baseline-lacks-metric" }
func (RunFailed) CaveatKind() string           { return "run-failed" }
func (BaselineFailed) CaveatKind() string      { return "baseline-failed" }

// An Interval is a range of the change, in percent of the baseline.
type Interval struct {
	Lo, Hi float64
}

// A Remark is a typed report-wide caveat. Package report turns remarks into the report's
// notes.
type Remark interface {
	// RemarkKind names the kind of remark, for machines (e.g. "tolerance-used").
	RemarkKind() string
}

// ToleranceUsed: Count comparisons used the fixed tolerance for lack of history.
type ToleranceUsed struct {
	Count int
	// TolerancePct is the default tolerance as applied: never below the default minimum
	// effect (rules may set others per config). RaisedFrom is the configured tolerance when
	// the minimum effect, larger, was applied instead; 0 otherwise.
	TolerancePct   float64
	RaisedFrom     float64
	MinHistoryRuns int
}

// RefreshBaseline: some configs improved, so the baseline should be refreshed once the change
// lands.
type RefreshBaseline struct{}

// NothingGated: no config of the new results is in the baseline.
type NothingGated struct{}

// FormulaDrift: the logged TFLOPS of the baseline and of the new runs match different FLOPs
// formulas (each side lists the formulas it matches).
type FormulaDrift struct {
	Baseline, New []string
	// Mixed: the runs of some config on one side match different formulas among themselves
	// (a baseline window that spans a trainer upgrade), so no one formula explains a side;
	// Baseline and New then name the formulas of each side's runs that the other side's
	// runs lack (all of a side's, when the other has them too).
	Mixed bool
}

// FormulaUnmatched: a run's logged TFLOPS agree with no known formula within 0.5%.
type FormulaUnmatched struct {
	Source       string  // the run's input, file:line
	Logged       float64 // its logged TFLOPS/GPU
	Closest      string  // the closest formula
	ClosestValue float64 // what that formula gives
}

// TFLOPSRecomputed: TFLOPS/GPU were recomputed from s/iter with one formula on both sides.
type TFLOPSRecomputed struct {
	Formula string
}

func (ToleranceUsed) RemarkKind() string    { return "tolerance-used" }
func (RefreshBaseline) RemarkKind() string  { return "refresh-baseline" }
func (NothingGated) RemarkKind() string     { return "nothing-gated" }
func (FormulaDrift) RemarkKind() string     { return "formula-drift" }
func (FormulaUnmatched) RemarkKind() string { return "formula-unmatched" }
func (TFLOPSRecomputed) RemarkKind() string { return "tflops-recomputed" }
