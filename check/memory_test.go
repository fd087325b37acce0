package check

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/perfgate/perfgate/bench"
)

// TestMemoryCountsWindowOnce: the memory is a prior the check combines with the current
// window's runs, so it is learned from the older runs alone. Learned with the window's runs
// too, the window counted twice: a config's remembered noise rested on its window's degrees
// of freedom as well (18 instead of 12 here), and its class on the window's evidence, which
// the check then weighed again.
func TestMemoryCountsWindowOnce(t *testing.T) {
	all := suiteRuns(16, 21, 3)
	rng := rand.New(rand.NewPCG(4, 4))
	var older, window []bench.Run
	for _, r := range all {
		if r.Config["tp"] == "5" { // a noisy config
			r.Metrics[0].Values[0] = 100 * math.Exp(0.025*rng.NormFloat64())
		}
		if r.Batch <= "nightly-14" {
			older = append(older, r)
		} else {
			window = append(window, r)
		}
	}
	alone := NoisyMemory(older, nil, DefaultOptions)
	if alone == nil {
		t.Fatal("no memory from 14 older runs")
	}
	mem := NoisyMemory(older, window, DefaultOptions)
	if got, want := mem.Own["tp=1"].DF, alone.Own["tp=1"].DF; got != want || want > 12 {
		t.Errorf("tp=1's remembered noise rests on %.0f degrees of freedom, want the older runs' %.0f (at most 2 windows of 7)", got, want)
	}
	if fmt.Sprint(mem) != fmt.Sprint(alone) {
		t.Errorf("memory with the window:\n%v\nwant the older runs' alone:\n%v", mem, alone)
	}
	// An older version of the store that holds the window's runs too (--memory-ref of a
	// recent commit) gives them no weight either.
	if both := NoisyMemory(append(append([]bench.Run(nil), older...), window...), window, DefaultOptions); fmt.Sprint(both) != fmt.Sprint(alone) {
		t.Errorf("memory of older runs and the window's, given the window:\n%v\nwant the older runs' alone:\n%v", both, alone)
	}
	// A config the older runs do not hold, or hold too few runs of, has no memory: it is
	// judged by its window alone, not by a memory of that window.
	var few []bench.Run
	for _, r := range older {
		if r.Config["tp"] != "7" || r.Batch <= "nightly-02" {
			few = append(few, r)
		}
	}
	m := NoisyMemory(few, window, DefaultOptions)
	if _, ok := m.Noisy["tp=7"]; ok {
		t.Errorf("tp=7, 2 older runs: remembered noisy with probability %.3f, want no memory of it", m.Noisy["tp=7"])
	}
	if o, ok := m.Own["tp=7"]; ok {
		t.Errorf("tp=7, 2 older runs: remembered noise %+v, want none", o)
	}
	if NoisyMemory(nil, window, DefaultOptions) != nil {
		t.Error("a memory without older runs")
	}
}
