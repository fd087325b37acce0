package check

// Schema is the version of the JSON report. It changes only when a field changes meaning or
// disappears; new fields may be added without a bump.
const Schema = 1

// A Status is the verdict for one config and metric.
type Status string

// The statuses, in the order reports list them.
const (
	Regression   Status = "regression"    // significantly and materially worse than the baseline
	NewlyFailing Status = "newly-failing" // the baseline ran; now OOM or error
	Missing      Status = "missing"       // in the baseline, absent from the new results
	StillFailing Status = "still-failing" // failed in the baseline and fails now
	// Suspect: significantly and materially worse, but the decision rests on a short or
	// contaminated history or sits near the threshold, and the new side has fewer than
	// Options.ConfirmRuns runs. It does not fail the gate: re-run the config and check again
	// with all its new runs, which then decides (the confirmation protocol).
	Suspect     Status = "suspect"
	Improvement Status = "improvement" // significantly and materially better
	Fixed       Status = "fixed"       // failed in the baseline, runs now
	New         Status = "new"         // no baseline for this config and metric
	Unchanged   Status = "unchanged"   // no material, significant change
)

// Statuses lists every status in report order.
var Statuses = []Status{Regression, NewlyFailing, Missing, StillFailing, Suspect, Improvement, Fixed, New, Unchanged}

// Fails reports whether s fails the gate. Missing fails only when requireAll is set.
func (s Status) Fails(requireAll bool) bool {
	return s == Regression || s == NewlyFailing || (requireAll && s == Missing)
}

// Counts returns how many results of rep have each status.
func Counts(rep *Report) map[Status]int {
	c := map[Status]int{}
	for _, r := range rep.Results {
		c[r.Status]++
	}
	return c
}

// A Report is the outcome of gating one set of results against a baseline: decisions as data.
// Every output format renders it (package report), and its JSON tags are the versioned schema.
//
// The fields that hold words — Result.Reason, Notes and Method.Summary — are the words of a
// rendered report: Compare leaves them empty and sets the typed fields (Result.Caveats,
// Remarks, Method); package report writes the words into the JSON, and a report read back
// from JSON (github's artifact) carries them instead of the typed fields, which JSON does not
// hold. Renderers use recorded words when present and build them from the typed fields
// otherwise.
type Report struct {
	Schema  int      `json:"schema"`
	Verdict Verdict  `json:"verdict"`
	Results []Result `json:"results"`
	// Method is how significance and thresholds were decided, including the
	// multiple-comparison correction, so that every report carries its own caveats.
	Method Method `json:"method"`
	// Remarks are report-wide caveats as data, such as TFLOPS formula drift.
	Remarks []Remark `json:"-"`
	// Notes are the remarks in words (see Report).
	Notes []string `json:"notes,omitempty"`
	// Suspects are the config keys with a Suspect decision, sorted: the configs a workflow
	// re-runs (to Options.ConfirmRuns runs) before checking again with all its new runs.
	// Added to schema 1.
	Suspects []string `json:"suspects,omitempty"`
	// Sweep answers "which config is fastest at each scale" and whether the results changed
	// the winner. It may be empty.
	Sweep []Winner `json:"sweep,omitempty"`
	// Provenance says what was compared with what; nil when the caller did not say.
	Provenance *Provenance `json:"provenance,omitempty"`
}

// Method describes the statistics a report used.
type Method struct {
	Alpha          float64    `json:"alpha"`            // family-wise (or FDR) level
	Correction     Correction `json:"correction"`       // "holm", "bh" or "none"
	Comparisons    int        `json:"comparisons"`      // tests per family (configs of a measurement) corrected over
	MinEffectPct   float64    `json:"min_effect_pct"`   // default minimum effect
	TolerancePct   float64    `json:"tolerance_pct"`    // fixed tolerance with too little history
	MinHistoryRuns int        `json:"min_history_runs"` // baseline runs needed for a statistical test
	// Test is the registered name of the statistical test (not in schema 1).
	Test string `json:"-"`
	// Summary is the above in words (see Report).
	Summary string `json:"summary"`
}

// A Result is the verdict for one config and metric.
type Result struct {
	Config map[string]string `json:"config"`
	Metric string            `json:"metric"`
	Better string            `json:"better"` // "higher" or "lower"
	Status Status            `json:"status"`
	// Fails is true when this result fails the gate (see Status.Fails and Ignored).
	Fails bool `json:"fails"`
	// Outcome is the new run's outcome: "ok", "oom" or "error". For a missing config it is
	// the baseline's last outcome.
	Outcome      string    `json:"outcome"`
	Baseline     *Baseline `json:"baseline,omitempty"`
	New          *NewRuns  `json:"new,omitempty"`
	DeltaPct     *float64  `json:"delta_pct"`     // (new-baseline)/baseline×100; null when undefined
	PValue       *float64  `json:"p_value"`       // adjusted p-value; null when no test was earned
	ThresholdPct float64   `json:"threshold_pct"` // the |delta| that fails, in this direction
	// Test names what decided the status: a registered statistical test (Method.Test),
	// "tolerance" for the fixed tolerance, or "" when outcomes decided (failures, missing
	// and new configs). Not in schema 1.
	Test string `json:"-"`
	// Effect is the interval of the change, in percent, at the per-test level of the
	// correction; nil unless a statistical test decided. Not in schema 1.
	Effect *Interval `json:"-"`
	// Caveats are the typed reasons behind Status, most important first (an Ignored caveat
	// leads). Not in schema 1.
	Caveats []Caveat `json:"-"`
	// Reason is the caveats in words (see Report).
	Reason string `json:"reason"`
	// Ignored is set when an ignore rule of the config file covers the result: it is reported
	// but never fails the gate.
	Ignored bool `json:"ignored,omitempty"`
	// Notes are caveats from ingest, such as a log cut off by a time limit.
	Notes []string `json:"notes,omitempty"`
	// Key is the canonical config key ("tp=8/pp=4/…"), for sorting and matching.
	Key string `json:"key"`
	// Measurement names what the result measures: SpeedMeasurement ("speed") for the speed
	// metrics (Options.SpeedMetrics), which are one measurement of a run, else the metric's
	// own name. A config has one decision per measurement. Added to schema 1.
	Measurement string `json:"measurement,omitempty"`
	// DecidedBy is set on a result shown with another metric's decision: the metric of the
	// same config and measurement that decided, whose Status and Fails this result carries.
	// It is not tested again: its delta is its own plain change with the adjustment the
	// decision's test made (e.g. for a slow baseline run), in its own direction; its
	// threshold and noise are the decision's (equal on a log scale); it has no p-value. It
	// is outside the correction family. Empty when the result is a decision. Added to
	// schema 1.
	DecidedBy string `json:"decided_by,omitempty"`
}

// Decides reports whether r is a decision of its own rather than shown with another metric's.
func (r *Result) Decides() bool { return r.DecidedBy == "" }

// Baseline summarises the stored runs of one config and metric.
type Baseline struct {
	// Center, Lo and Hi are absent from the JSON when Runs is 0 (only failed runs): a
	// reader must not take 0 for a measurement.
	Center float64 `json:"center,omitempty"` // robust centre of the per-run summaries
	Lo     float64 `json:"lo,omitempty"`     // lower edge of the no-change band (in the metric's unit)
	Hi     float64 `json:"hi,omitempty"`     // upper edge
	Runs   int     `json:"runs"`             // runs with measurements
	Failed int     `json:"failed,omitempty"`
	// NoisePct is the run-to-run noise (robust standard deviation, percent) used for the test.
	NoisePct float64 `json:"noise_pct,omitempty"`
	// History is each baseline run's summary, oldest first (added to schema 1), for the
	// report's sparkline.
	History []float64 `json:"history,omitempty"`
}

// NewRuns summarises the new results of one config and metric.
type NewRuns struct {
	Center float64 `json:"center,omitempty"` // absent when Runs is 0: the runs failed, or did not report the metric
	Runs   int     `json:"runs"`
}

// A Winner names the best config at one scale.
type Winner struct {
	Scale    map[string]string `json:"scale"`  // the job: every key that is not a knob (model, gbs, sl, nodes, …)
	Metric   string            `json:"metric"` // the metric ranked by
	Baseline string            `json:"baseline,omitempty"`
	New      string            `json:"new,omitempty"`
	Changed  bool              `json:"changed"`
}
