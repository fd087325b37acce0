package report

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/perfgate/perfgate/check"
)

// TestIdleRuleNotes checks the exact words perfgate check prints on stderr for each kind of
// idle rule, and that a rule both idle and expired gets both notes, in that order.
func TestIdleRuleNotes(t *testing.T) {
	until := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	rule := func(metric string) *check.Rule {
		return &check.Rule{Source: "perfgate.json", Index: 2, Query: "/tp:16", Metric: metric, Until: until}
	}
	for _, tc := range []struct {
		name string
		ir   check.IdleRule
		want []string
	}{
		{"no config", check.IdleRule{Rule: rule(""), NoConfig: true},
			[]string{`perfgate.json: rule 2 (match "/tp:16") matches no config of the baseline or the results, so it applies to nothing`}},
		{"no config, with a metric", check.IdleRule{Rule: rule("s/iter"), NoConfig: true, Metrics: []string{"TFLOPS/GPU"}},
			[]string{`perfgate.json: rule 2 (match "/tp:16", metric "s/iter") matches no config of the baseline or the results, so it applies to nothing`}},
		{"metric nobody reports", check.IdleRule{Rule: rule("tflops"), Metrics: []string{"TFLOPS/GPU", "s/iter"}},
			[]string{`perfgate.json: rule 2 (match "/tp:16", metric "tflops") names a metric neither side reports (they hold TFLOPS/GPU, s/iter), so it applies to nothing`}},
		{"expired", check.IdleRule{Rule: rule(""), Expired: true},
			[]string{`perfgate.json: rule 2 (match "/tp:16") expired on 2026-11-01 and no longer applies (remove the rule, or move its until)`}},
		{"idle and expired", check.IdleRule{Rule: rule("tflops"), Metrics: []string{"s/iter"}, Expired: true},
			[]string{
				`perfgate.json: rule 2 (match "/tp:16", metric "tflops") names a metric neither side reports (they hold s/iter), so it applies to nothing`,
				`perfgate.json: rule 2 (match "/tp:16", metric "tflops") expired on 2026-11-01 and no longer applies (remove the rule, or move its until)`,
			}},
		{"not idle", check.IdleRule{Rule: rule("")}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, IdleRuleNotes(tc.ir)); diff != "" {
				t.Errorf("IdleRuleNotes (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDriftConflictText checks the exact words of perfgate check's refusal of formula drift
// that TFLOPS/GPU would decide, for each setting that leaves it to.
func TestDriftConflictText(t *testing.T) {
	for _, tc := range []struct {
		name         string
		d            check.FormulaDrift
		timeFiltered bool
		want         string
	}{
		{"metric filter", check.FormulaDrift{Baseline: []string{"megatron"}, New: []string{"6nd"}}, true,
			`TFLOPS formula drift: the baseline's TFLOPS/GPU match megatron but the new runs' match 6nd, and --metric (or "metrics" in the config file) keeps TFLOPS/GPU without s/iter, so TFLOPS/GPU would decide comparing two FLOPs conventions; pin one formula with --recompute-tflops, or gate on s/iter`},
		{"speed metrics", check.FormulaDrift{Baseline: []string{"megatron", "megatron-swiglu"}, New: []string{"6nd"}}, false,
			`TFLOPS formula drift: the baseline's TFLOPS/GPU match megatron/megatron-swiglu but the new runs' match 6nd, and "speed_metrics" in the config file does not hold both TFLOPS/GPU and s/iter, so TFLOPS/GPU would decide comparing two FLOPs conventions; pin one formula with --recompute-tflops, or gate on s/iter`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := DriftConflictText(tc.d, tc.timeFiltered); got != tc.want {
				t.Errorf("DriftConflictText:\ngot  %s\nwant %s", got, tc.want)
			}
		})
	}
}
