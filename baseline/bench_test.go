package baseline

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/perfgate/perfgate/bench"
)

// The store benchmarks read and write a baseline of realistic size, 3000 configs × a window
// of 10 runs with one OOM config in fifty, and report results/s, stored runs per second:
//
//	go test ./baseline -run XXX -bench . -benchmem

const (
	benchConfigs = 3000
	benchRuns    = DefaultWindow
)

func benchStore() []bench.Run {
	var runs []bench.Run
	for n := 0; n < benchRuns; n++ {
		batch := fmt.Sprintf("nightly-%d", n)
		date := fmt.Sprintf("2026-11-%02dT03:00:00Z", n+1)
		for i := 0; i < benchConfigs; i++ {
			cfg := bench.Config{"tp": fmt.Sprint(1 << (i % 4)), "pp": fmt.Sprint(1 << (i / 4 % 5)), "mbs": fmt.Sprint(1 << (i / 20 % 3)),
				"gbs": "1024", "flags": []string{"none", "dist-opt", "dist-opt+overlap-grad"}[i/60%3], "sl": "4096", "nodes": fmt.Sprint(i / 180), "idx": fmt.Sprint(i)}
			r := bench.Run{Config: cfg, Outcome: bench.OK, Batch: batch, Date: date, Commit: "0123456789abcdef", Source: "sweep.txt:1"}
			if i%50 == 49 {
				r.Outcome, r.Reason = bench.OOM, "sweep.txt:11: OOM in the time column"
			} else {
				r.Metrics = []bench.Metric{
					{Name: bench.MetricTime, Unit: bench.MetricTime, Better: bench.Lower, Values: []float64{46 + float64((i+n)%13)/10}},
					{Name: bench.MetricTFLOPS, Unit: bench.MetricTFLOPS, Better: bench.Higher, Values: []float64{148 + float64((i*7+n)%17)/10}},
				}
			}
			runs = append(runs, r)
		}
	}
	return runs
}

func BenchmarkParse(b *testing.B) {
	runs := benchStore()
	var buf bytes.Buffer
	if err := Write(&buf, runs); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		got, err := Parse("baseline.txt", data)
		if err != nil {
			b.Fatal(err)
		}
		if len(got) != len(runs) {
			b.Fatalf("%d runs, want %d", len(got), len(runs))
		}
	}
	b.ReportMetric(float64(len(runs))*float64(b.N)/b.Elapsed().Seconds(), "results/s")
}

func BenchmarkWrite(b *testing.B) {
	runs := benchStore()
	b.ReportAllocs()
	for b.Loop() {
		if err := Write(io.Discard, runs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(runs))*float64(b.N)/b.Elapsed().Seconds(), "results/s")
}
