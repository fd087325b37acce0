package check

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/perfgate/perfgate/bench"
)

// TestDescribeFailedOnly: a store of failed runs only holds no metric; Describe still lists
// each config, with its failed runs and last outcome, in the order of their keys, so that
// baseline show of a seeding sweep that ran out of memory throughout is not an empty table.
func TestDescribeFailedOnly(t *testing.T) {
	run := func(tp string, o bench.Outcome) bench.Run {
		return bench.Run{Config: bench.Config{"tp": tp, "pp": "4"}, Outcome: o}
	}
	runs := []bench.Run{run("8", bench.OOM), run("4", bench.OOM), run("8", bench.Error)}
	d := Describe(runs, DefaultOptions)
	var got []SeriesSummary
	for _, e := range d.Series {
		got = append(got, SeriesSummary{Config: e.Config, Metric: e.Metric, Failed: e.Failed, Last: e.Last})
	}
	want := []SeriesSummary{
		{Config: map[string]string{"tp": "4", "pp": "4"}, Failed: 1, Last: string(bench.OOM)},
		{Config: map[string]string{"tp": "8", "pp": "4"}, Failed: 2, Last: string(bench.Error)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Describe of failed runs only (-want +got):\n%s", diff)
	}
	if d.Configs != 2 || d.Runs != 3 || len(d.Pooled) != 0 {
		t.Errorf("configs %d, runs %d, pooled %v; want 2, 3, none", d.Configs, d.Runs, d.Pooled)
	}
}
