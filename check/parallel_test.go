package check

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/perfgate/perfgate/bench"
)

// TestParallelSameReport: Compare splits the tests of a large suite over goroutines; the
// report is the same as when it tests one config after the other (run with -race, this also
// guards the sharing).
func TestParallelSameReport(t *testing.T) {
	const n = 1500
	var base, cur []bench.Run
	for _, x := range noisySuite(n, 6, 3, 0.01) { // TFLOPS/GPU near 100: s/iter near 70
		base = append(base, withMetrics(x.Config.Key(), x.Batch, 7000/x.Metrics[0].Values[0], 1000))
	}
	for c := 1; c <= n; c++ {
		secs := 70.0
		if c%100 == 0 {
			secs *= 1.08 // some regressions, so that statuses and caveats vary
		}
		cur = append(cur, withMetrics(fmt.Sprintf("tp=%d", c), "pr", secs, 1000))
	}
	o := DefaultOptions
	o.Now = now
	got := Compare(base, cur, o)
	defer func(m int) { parallelMin = m }(parallelMin)
	parallelMin = 1 << 30
	want := Compare(base, cur, o)
	if decisionCounts(want)[Regression]+decisionCounts(want)[Suspect] == 0 {
		t.Fatalf("the suite should hold worsenings: %v", decisionCounts(want))
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateNaNs(), cmpopts.IgnoreFields(Evidence{}, "Bound")); diff != "" {
		t.Errorf("parallel report differs from the serial one (-serial +parallel):\n%s", diff)
	}
}
