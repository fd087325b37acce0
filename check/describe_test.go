package check

import (
	"fmt"
	"slices"
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

// TestDescribeIdenticalRuns: a config whose stored runs are one result ingested several times
// (the same file, value for value) is described as check gates it: by the fixed tolerance,
// with no noise and no detectable drop, not as a statistically tested config whose noise
// is the pool's. Its row still counts every stored run.
func TestDescribeIdenticalRuns(t *testing.T) {
	var base []bench.Run
	for i, c := range []float64{100, 100.6, 99.5, 100.3, 99.8, 100.9, 99.2} {
		batch := fmt.Sprintf("nightly-%d", i+1)
		same := run("tp=1", batch, 100)
		same.File = "results/sweep.txt"
		other := run("tp=2", batch, c)
		other.File = batch + ".txt"
		third := run("tp=4", batch, c*1.01)
		third.File = batch + ".txt"
		base = append(base, same, other, third)
	}
	d := Describe(base, DefaultOptions)
	for _, e := range d.Series {
		key := bench.Config(e.Config).Key()
		switch key {
		case "tp=1":
			if e.Tested || !e.Identical || e.Runs != 7 || e.DetectablePct != 0 || e.NoisePct != 0 {
				t.Errorf("%s: tested %v, identical %v, runs %d, detects %g, noise %g; want the fixed tolerance over 7 identical runs",
					key, e.Tested, e.Identical, e.Runs, e.DetectablePct, e.NoisePct)
			}
		default:
			if !e.Tested || e.Identical || e.Runs != 7 || e.DetectablePct < DefaultOptions.MinEffectPct {
				t.Errorf("%s: tested %v, identical %v, runs %d, detects %g; want a statistical test over 7 runs",
					key, e.Tested, e.Identical, e.Runs, e.DetectablePct)
			}
		}
	}
	// check gates it the same way: a 4% drop is within the ±5% tolerance.
	rep := Compare(base, []bench.Run{run("tp=1", "pr", 96)}, DefaultOptions)
	judged := 0
	for _, r := range rep.Results {
		if r.Key != "tp=1" || !r.Decides() {
			continue
		}
		judged++
		if r.Test != ToleranceTest || r.Status != Unchanged {
			t.Errorf("check judged tp=1 by %q as %s, want %q, unchanged", r.Test, r.Status, ToleranceTest)
		}
	}
	if judged != 1 {
		t.Errorf("check decided tp=1 %d times, want once", judged)
	}
}

// TestDescribeOrder: baseline show lists configs as people read them, tp=2 before tp=16 and
// tp=128 (audit: they were sorted as text).
func TestDescribeOrder(t *testing.T) {
	var base []bench.Run
	for _, tp := range []string{"16", "128", "2"} {
		base = append(base, runs("tp="+tp, "n", 100, 101, 99)...)
	}
	var got []string
	for _, e := range Describe(base, DefaultOptions).Series {
		got = append(got, bench.Config(e.Config).Key())
	}
	if want := []string{"tp=2", "tp=16", "tp=128"}; !slices.Equal(got, want) {
		t.Errorf("rows %q, want %q", got, want)
	}
}
