package baseline

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/bench"
)

// copyRun returns a run of batch for config tp=tp: OK with one TFLOPS/GPU metric of values
// standing for samples samples (0: as many as values), or failed with outcome when it is not
// OK.
func copyRun(batch, tp string, outcome bench.Outcome, samples int, values ...float64) bench.Run {
	r := bench.Run{Config: bench.Config{"tp": tp, "pp": "4"}, Outcome: outcome, Batch: batch}
	if outcome == bench.OK {
		r.Metrics = []bench.Metric{{Name: "TFLOPS/GPU", Unit: "TFLOPS/GPU", Better: bench.Higher, Values: values, Samples: samples}}
	}
	return r
}

// threeDigits returns n runs of batch, of configs tp=1…n, with values to three digits.
func threeDigits(batch string, n int) []bench.Run {
	var out []bench.Run
	for i := 1; i <= n; i++ {
		out = append(out, copyRun(batch, fmt.Sprint(i), bench.OK, 0, 15+float64(i)/10))
	}
	return out
}

// withMemory returns runs with a peak memory metric added, to eight digits, the same every
// night (a deterministic metric).
func withMemory(runs []bench.Run) []bench.Run {
	out := make([]bench.Run, len(runs))
	for i, r := range runs {
		r.Metrics = append(slices.Clone(r.Metrics), bench.Metric{Name: bench.MetricMaxAlloc, Unit: bench.MetricMaxAlloc, Better: bench.Lower,
			Values: []float64{45123.4567 - 1000*float64(i)}})
		out[i] = r
	}
	return out
}

// The speed metrics carry copy evidence; memory, counts and unknown metrics do not.
func TestSpeedMetric(t *testing.T) {
	for _, u := range []string{"s/iter", "ms/iter", "sec/op", "ns/op", "TFLOPS/GPU", "tokens/s/GPU", "samples/s", "MFU", "step_time", "ttft_ms"} {
		if !speedMetric(bench.Metric{Name: u, Unit: u}) {
			t.Errorf("%s: not a speed metric", u)
		}
	}
	for _, u := range []string{"MB-max-allocated", "GB", "B/op", "allocs/op", "bytes", "loss", "peak-mem"} {
		if speedMetric(bench.Metric{Name: u, Unit: u}) {
			t.Errorf("%s: a speed metric", u)
		}
	}
	if speedMetric(bench.Metric{Name: "peak", Unit: "GB"}) || !speedMetric(bench.Metric{Name: "iter", Unit: "s/iter"}) {
		t.Error("the unit decides")
	}
}

// from returns runs read from file, one a line.
func from(file string, runs ...bench.Run) []bench.Run {
	out := make([]bench.Run, len(runs))
	for i, r := range runs {
		r.Source = fmt.Sprintf("%s:%d", file, i+1)
		out[i] = r
	}
	return out
}

// rebatch returns runs with their batch set to batch.
func rebatch(runs []bench.Run, batch string) []bench.Run {
	out := make([]bench.Run, len(runs))
	for i, r := range runs {
		r.Batch = batch
		out[i] = r
	}
	return out
}

func TestCheckCopies(t *testing.T) {
	night := []bench.Run{
		copyRun("n1", "8", bench.OK, 0, 148.59),
		copyRun("n1", "4", bench.OK, 0, 152.21),
		copyRun("n1", "2", bench.OOM, 0),
	}
	summarised := []bench.Run{copyRun("s1", "8", bench.OK, 30, 148.59)}
	night5 := []bench.Run{
		copyRun("n1", "8", bench.OK, 0, 148.59),
		copyRun("n1", "4", bench.OK, 0, 152.21),
		copyRun("n1", "1", bench.OK, 0, 160.01),
	}
	tests := []struct {
		name             string
		stored, incoming []bench.Run
		of               string // the stored batch copied; "" for no copy
		runs             int
		derived          []string
	}{
		// Two single-value runs can repeat a steady night by chance; three are a copy.
		{"two single-value runs equal", night, rebatch(night, "n2"), "", 0, nil},
		{"a whole batch under another run id", append(night, copyRun("n1", "1", bench.OK, 0, 160.01)),
			rebatch(append(night, copyRun("n1", "1", bench.OK, 0, 160.01)), "n2"), "n1", 3, nil},
		{"a retry under the batch's own run id", night, night, "", 0, nil},
		{"one single-value run equal", night, []bench.Run{copyRun("n2", "8", bench.OK, 0, 148.59)}, "", 0, nil},
		{"one single-value run equal, the rest failed", night, []bench.Run{
			copyRun("n2", "8", bench.OK, 0, 148.59),
			copyRun("n2", "2", bench.OOM, 0),
			copyRun("n2", "4", bench.Error, 0),
		}, "", 0, nil},
		// One trainer log's median, logged to four digits, is one of its iteration times, and
		// another night can repeat it (review): one equal run is no copy, summarised or not.
		{"one summarised run equal", summarised, rebatch(summarised, "s2"), "", 0, nil},
		// The incoming runs hold their samples, the stored ones their medians: compared as the
		// store would hold the incoming runs (review: a copy of a trainer log never matched).
		{"three runs of raw samples equal to their stored medians",
			[]bench.Run{copyRun("r1", "8", bench.OK, 3, 148.66), copyRun("r1", "4", bench.OK, 3, 152.23), copyRun("r1", "2", bench.OK, 3, 160.17)},
			[]bench.Run{copyRun("r2", "8", bench.OK, 0, 148.62, 148.71, 148.66), copyRun("r2", "4", bench.OK, 0, 152.13, 152.23, 152.31), copyRun("r2", "2", bench.OK, 0, 160.17, 160.04, 160.2)}, "r1", 3, nil},
		// Values to three digits fall on a grid about as wide as a steady config's noise: three
		// of them repeat a night about once in thirty (review: a night refused as a copy under
		// --recompute-tflops); sixteen cannot.
		{"three runs to three digits", threeDigits("t1", 3), threeDigits("t2", 3), "", 0, nil},
		{"sixteen runs to three digits", threeDigits("t1", 16), threeDigits("t2", 16), "t1", 16, nil},
		// A derived metric (TFLOPS/GPU recomputed from the time) is no evidence of its own.
		{"equal values of a derived metric only", night5, rebatch(night5, "n2"), "", 0, []string{"TFLOPS/GPU"}},
		{"equal values to five digits", night5, rebatch(night5, "n2"), "n1", 3, nil},
		{"medians of many iterations, stored to 10 digits",
			[]bench.Run{copyRun("r1", "8", bench.OK, 40, 148.6123457), copyRun("r1", "4", bench.OK, 40, 152.2), copyRun("r1", "2", bench.OK, 40, 160.1)},
			[]bench.Run{copyRun("r2", "8", bench.OK, 40, 148.61234567891234), copyRun("r2", "4", bench.OK, 40, 152.2), copyRun("r2", "2", bench.OK, 40, 160.1)}, "r1", 3, nil},
		{"one summarised run equal in value, not in samples", summarised, []bench.Run{copyRun("s2", "8", bench.OK, 20, 148.59)}, "", 0, nil},
		{"one run of the batch differs", night, []bench.Run{
			copyRun("n2", "8", bench.OK, 0, 148.59),
			copyRun("n2", "4", bench.OK, 0, 152.20),
			copyRun("n2", "2", bench.OOM, 0),
		}, "", 0, nil},
		{"a batch with a run of a config the stored batch lacks", night, []bench.Run{
			copyRun("n2", "8", bench.OK, 0, 148.59),
			copyRun("n2", "4", bench.OK, 0, 152.21),
			copyRun("n2", "1", bench.OK, 0, 160),
		}, "", 0, nil},
		// Failed runs measured nothing: they neither make a batch a copy nor keep it from one.
		{"OOM runs ignored: the measured runs are a copy", append(night, copyRun("n1", "1", bench.OK, 0, 160.01)), []bench.Run{
			copyRun("n2", "8", bench.OK, 0, 148.59),
			copyRun("n2", "4", bench.OK, 0, 152.21),
			copyRun("n2", "1", bench.OK, 0, 160.01),
			copyRun("n2", "16", bench.OOM, 0),
			copyRun("n2", "32", bench.OOM, 0),
		}, "n1", 3, nil},
		{"OOM runs ignored: a batch of OOM runs only", night, []bench.Run{copyRun("n2", "2", bench.OOM, 0)}, "", 0, nil},
		{"equal runs spread over two stored batches", []bench.Run{
			copyRun("a", "8", bench.OK, 0, 148.59),
			copyRun("b", "4", bench.OK, 0, 152.21),
		}, []bench.Run{
			copyRun("c", "8", bench.OK, 0, 148.59),
			copyRun("c", "4", bench.OK, 0, 152.21),
		}, "", 0, nil},
		{"an empty store", nil, night, "", 0, nil},
		// Part of a batch: a stale copy of last night's file beside tonight's (review: its
		// runs hid tonight's regression and were stored twice).
		{"a file of a batch equal to a stored batch", night5, append(from("old.txt", rebatch(night5, "n2")...),
			from("new.txt", copyRun("n2", "8", bench.OK, 0, 156.02),
				copyRun("n2", "4", bench.OK, 0, 159.81),
				copyRun("n2", "1", bench.OK, 0, 168.01))...), "n1", 3, nil},
		{"a file of a batch, values too short to tell", threeDigits("t1", 3), append(from("old.txt", threeDigits("t2", 3)...),
			from("new.txt", copyRun("t2", "1", bench.OK, 0, 17.25))...), "", 0, nil},
		// A file with one value of its own is a night of its own.
		{"a file with one value of its own", night5, append(from("new.txt",
			copyRun("n2", "8", bench.OK, 0, 148.59),
			copyRun("n2", "4", bench.OK, 0, 152.21),
			copyRun("n2", "1", bench.OK, 0, 160.02)),
			from("other.txt", copyRun("n2", "2", bench.OK, 0, 171.13))...), "", 0, nil},
		// A shard joining a batch already stored (its run id) is no retry of another batch.
		{"a stored batch's incoming runs equal to another stored batch", append(slices.Clone(night5),
			copyRun("n2", "8", bench.OK, 0, 156.02)), rebatch(night5, "n2"), "n1", 3, nil},
		// Peak memory repeats every night, to every digit: it is no evidence. Three configs
		// whose times repeat to three digits beside a fixed memory are no copy (review: a
		// legitimate night was refused); the same with times to five digits are.
		{"three runs to three digits with a fixed memory", withMemory(threeDigits("t1", 3)), withMemory(threeDigits("t2", 3)), "", 0, nil},
		{"three runs to five digits with a fixed memory", withMemory(night5), withMemory(rebatch(night5, "n2")), "n1", 3, nil},
		{"a file to three digits with a fixed memory beside a changed one", withMemory(threeDigits("t1", 6)),
			append(from("a.jsonl", withMemory(threeDigits("t2", 3))...), from("b.jsonl", withMemory([]bench.Run{
				copyRun("t2", "4", bench.OK, 0, 15.3), copyRun("t2", "5", bench.OK, 0, 15.6), copyRun("t2", "6", bench.OK, 0, 15.5)})...)...), "", 0, nil},
		// Each equal incoming run needs a stored run of its own: three runs of one config
		// equal to one stored run are not three equal runs.
		{"equal runs matched one to one", night5, []bench.Run{
			copyRun("n2", "8", bench.OK, 0, 148.59),
			copyRun("n2", "8", bench.OK, 0, 148.59),
			copyRun("n2", "8", bench.OK, 0, 148.59),
		}, "", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			incoming, err := AsStored(tt.incoming)
			if err != nil {
				t.Fatal(err)
			}
			for i := range incoming { // as the update does: named by their input's lines
				incoming[i].Source = tt.incoming[i].Source
			}
			err = CheckCopies(tt.stored, incoming, tt.derived...)
			if tt.of == "" {
				if err != nil {
					t.Fatalf("CheckCopies: %v, want no copy", err)
				}
				return
			}
			var ce *CopyError
			if !errors.As(err, &ce) {
				t.Fatalf("CheckCopies: %v, want a *CopyError", err)
			}
			if ce.Of != tt.of || ce.Runs != tt.runs || ce.Batch != tt.incoming[0].Batch {
				t.Errorf("CheckCopies: %+v, want batch %s a copy of %s in %d run(s)", *ce, tt.incoming[0].Batch, tt.of, tt.runs)
			}
			if want := "pass --run-id " + tt.of; !strings.Contains(err.Error(), want) {
				t.Errorf("the message does not say how to redo the batch (%q):\n%v", want, err)
			}
		})
	}
}

// TestAsStoredInterleaved: runs whose batches interleave (a JSON Lines file of several
// nights, config by config) come back as stored in their own order, not refused because a
// store file holds a batch once.
func TestAsStoredInterleaved(t *testing.T) {
	in := []bench.Run{copyRun("a", "8", bench.OK, 0, 1.5, 1.7), copyRun("b", "8", bench.OK, 0, 2.5), copyRun("a", "4", bench.OK, 0, 3.5)}
	out, err := AsStored(in)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range out {
		got = append(got, fmt.Sprintf("%s/%s=%g", r.Batch, r.Config["tp"], r.Metrics[0].Values[0]))
	}
	if want := []string{"a/8=1.6", "b/8=2.5", "a/4=3.5"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestCopyErrorFiles: the error names the incoming files the equal runs were read from, with
// the line of the first, and how many of each file's runs are equal.
func TestCopyErrorFiles(t *testing.T) {
	stored := []bench.Run{
		copyRun("n1", "8", bench.OK, 0, 148.59),
		copyRun("n1", "4", bench.OK, 0, 152.21),
		copyRun("n1", "1", bench.OK, 0, 160.01),
	}
	var incoming []bench.Run
	for i, r := range rebatch(stored, "n2") {
		r.Source = fmt.Sprintf("res/old-night.txt:%d", i+3)
		incoming = append(incoming, r)
	}
	for i, v := range []float64{156.02, 159.81, 168.01} {
		r := copyRun("n2", fmt.Sprint(i+10), bench.OK, 0, v)
		r.Source = fmt.Sprintf("res/night.txt:%d", i+3)
		incoming = append(incoming, r)
	}
	err := CheckCopies(stored, incoming)
	var ce *CopyError
	if !errors.As(err, &ce) {
		t.Fatalf("CheckCopies: %v, want a *CopyError", err)
	}
	want := []CopyFile{{Name: "res/old-night.txt", Line: 3, Equal: 3, Measured: 3}}
	if !slices.Equal(ce.Files, want) || ce.Runs != 3 || ce.Measured != 6 {
		t.Errorf("CheckCopies: %+v, want 3 of 6 runs equal, files %+v", *ce, want)
	}
	for _, s := range []string{"3 of the 6 measured incoming run(s) (batch n2) are batch n1's", "res/old-night.txt:3 (all its 3 measured run(s))", "Nothing was stored"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("the message lacks %q:\n%v", s, err)
		}
	}
}
