package report

import (
	"fmt"
	"strings"

	"github.com/perfgate/perfgate/check"
)

// This file words what check found about a check's own settings rather than its results:
// rules of the config file that apply to nothing, and formula drift that the settings leave
// TFLOPS/GPU to decide. The command line prints these words; it builds none of its own.

// IdleRuleNotes says why one rule of the config file applies to nothing (check.IdleRule):
// a note for a match that selects no config or a metric neither side reports, and one for
// an expired rule; a rule can have both.
func IdleRuleNotes(ir check.IdleRule) []string {
	r := ir.Rule
	name := fmt.Sprintf("%s: rule %d (match %q", r.Source, r.Index, r.Query)
	if r.Metric != "" {
		name += fmt.Sprintf(", metric %q", r.Metric)
	}
	name += ")"
	var notes []string
	switch {
	case ir.NoConfig:
		notes = append(notes, name+" matches no config of the baseline or the results, so it applies to nothing")
	case ir.Metrics != nil:
		notes = append(notes, fmt.Sprintf("%s names a metric neither side reports (they hold %s), so it applies to nothing", name, strings.Join(ir.Metrics, ", ")))
	}
	if ir.Expired {
		notes = append(notes, fmt.Sprintf("%s expired on %s and no longer applies (remove the rule, or move its until)", name, r.Until.Format("2006-01-02")))
	}
	return notes
}

// DriftConflictText says why a check refuses TFLOPS formula drift (check.FormulaDrift) that
// its settings leave TFLOPS/GPU to decide, so that two FLOPs conventions would be compared.
// timeFiltered: the metric filter (--metric, "metrics") keeps TFLOPS/GPU without s/iter;
// otherwise it keeps both, but "speed_metrics" does not hold both, so s/iter cannot decide
// for TFLOPS/GPU.
func DriftConflictText(d check.FormulaDrift, timeFiltered bool) string {
	how := "\"speed_metrics\" in the config file does not hold both TFLOPS/GPU and s/iter"
	if timeFiltered {
		how = "--metric (or \"metrics\" in the config file) keeps TFLOPS/GPU without s/iter"
	}
	return fmt.Sprintf("TFLOPS formula drift: the baseline's TFLOPS/GPU match %s but the new runs' match %s, and %s, so TFLOPS/GPU would decide comparing two FLOPs conventions; pin one formula with --recompute-tflops, or gate on s/iter",
		strings.Join(d.Baseline, "/"), strings.Join(d.New, "/"), how)
}

// ModelDriftText says why check refuses configs whose new runs trained another model than
// their baseline runs (check.ModelDrift): "num_layers 80 → 40 in tp=8/…".
func ModelDriftText(ds []check.ArgsDrift) string {
	var parts []string
	for _, d := range ds {
		parts = append(parts, fmt.Sprintf("%s %s → %s in %s", d.Arg, argValues(d.Baseline), argValues(d.New), configList(d.Configs)))
	}
	return "the new runs trained another model than the baseline's runs of the same configs (" + strings.Join(parts, "; ") +
		"), so their speed cannot be gated against them. If the launch script changed the model by mistake, fix it; if the change is intended, " +
		"gate it against a baseline of the new model: fold runs of it into the store (perfgate baseline update) first, or keep both models apart with a model key (--set model=NAME) in the store's runs and the new ones"
}
