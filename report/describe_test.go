package report

import (
	"strings"
	"testing"

	"github.com/perfgate/perfgate/check"
)

// TestDescribeTextNoMetric: a description of a store that holds no metric (no pooled noise,
// rows without a metric) shows the rows' configs with "—" for the metric and says why no check
// can compare with it yet: all runs failed, or, were some not failed, that none reports one.
func TestDescribeTextNoMetric(t *testing.T) {
	for _, tc := range []struct {
		failed []int
		runs   int
		want   string
	}{
		{[]int{2, 1}, 3, "No metric is stored yet: all 3 stored run(s) failed"},
		{[]int{2, 1}, 4, "No metric is stored yet: 3 of the 4 stored run(s) failed and the others report none"},
	} {
		d := &check.Description{Configs: len(tc.failed), Runs: tc.runs, TolerancePct: 5}
		for i, f := range tc.failed {
			d.Series = append(d.Series, check.SeriesSummary{Config: map[string]string{"tp": string(rune('1' + i))}, Failed: f, Last: "oom"})
		}
		var b strings.Builder
		if err := DescribeText(&b, d, Options{Source: "perf/baseline.txt"}); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if !strings.Contains(out, tc.want) {
			t.Errorf("failed %v of %d runs: no %q in\n%s", tc.failed, tc.runs, tc.want, out)
		}
		for _, row := range []string{"tp=1    —       0     —     2", "tp=2    —       0     —     1"} {
			if !strings.Contains(out, row) {
				t.Errorf("no row %q in\n%s", row, out)
			}
		}
	}
	// A store with metrics has no such line.
	d := &check.Description{Configs: 1, Runs: 1, Series: []check.SeriesSummary{{Config: map[string]string{"tp": "1"}, Metric: "s/iter", Runs: 1}},
		Pooled: []check.PooledNoise{{Metric: "s/iter"}}}
	var b strings.Builder
	if err := DescribeText(&b, d, Options{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "No metric") {
		t.Errorf("a store with a metric says it has none:\n%s", b.String())
	}
}
