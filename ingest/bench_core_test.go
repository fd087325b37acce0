package ingest

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/bench"
)

// The parser benchmarks read generated inputs of realistic size and report results/s, the
// number of result records (table rows, Go benchmark result lines, JSON Lines records) parsed
// per second:
//
//	go test ./ingest -run XXX -bench 'Table|GoBench|JSONL' -benchmem

const (
	benchConfigs = 3000 // configs in a large sweep
	benchIters   = 40   // logged iterations per run
)

// benchConfig returns the i-th config of a generated sweep as table cells.
func benchConfig(i int) (tp, pp, mbs, gbs int, flags string, nodes int) {
	tps := []int{1, 2, 4, 8}
	pps := []int{1, 2, 4, 8, 16}
	mbss := []int{1, 2, 4}
	flagss := []string{"None", "dist-opt", "dist-opt, overlap-grad/param", "recompute-selective", "recompute, block"}
	return tps[i%4], pps[i/4%5], mbss[i/20%3], 1024, flagss[i/60%5], 8 << (i / 300 % 10)
}

func tableInput(rows int) []byte {
	var b bytes.Buffer
	b.WriteString("Generated sweep\n\ntp | pp | mbs | gbs | addtl args | sl | nodes | time | TFLOPS\n")
	b.WriteString(strings.Repeat("-", 90) + "\n")
	for i := 0; i < rows; i++ {
		tp, pp, mbs, gbs, flags, nodes := benchConfig(i)
		if i%50 == 49 {
			fmt.Fprintf(&b, "%d | %d | %d | %d | %s | 4096 | %d | OOM | XXX\n", tp, pp, mbs, gbs, flags, nodes)
			continue
		}
		fmt.Fprintf(&b, "%d | %d | %d | %d | %s | 4096 | %d | %.2f | %.2f\n", tp, pp, mbs, gbs, flags, nodes, 40+float64(i%97)/10, 140+float64(i%89)/7)
	}
	return b.Bytes()
}

func goBenchInput(configs, iters int) []byte {
	var b bytes.Buffer
	b.WriteString("goos: linux\ngoarch: amd64\nmodel: llama3-70b\ncommit: 0123456789abcdef\nrun: nightly-42\n")
	for i := 0; i < configs; i++ {
		tp, pp, mbs, gbs, flags, nodes := benchConfig(i)
		name := bench.Config{"tp": fmt.Sprint(tp), "pp": fmt.Sprint(pp), "mbs": fmt.Sprint(mbs), "gbs": fmt.Sprint(gbs),
			"flags": bench.CanonicalFlags(flags), "sl": "4096", "nodes": fmt.Sprint(nodes), "idx": fmt.Sprint(i)}.BenchName()
		for it := 0; it < iters; it++ {
			fmt.Fprintf(&b, "%s 1 %.3f s/iter %.2f TFLOPS/GPU\n", name, 46+float64((i+it)%13)/10, 148+float64((i*7+it)%17)/10)
		}
	}
	return b.Bytes()
}

func jsonlInput(configs, iters int) []byte {
	var b bytes.Buffer
	for i := 0; i < configs; i++ {
		tp, pp, mbs, gbs, flags, nodes := benchConfig(i)
		for it := 0; it < iters; it++ {
			fmt.Fprintf(&b, `{"config":{"tp":%d,"pp":%d,"mbs":%d,"gbs":%d,"flags":%q,"sl":4096,"nodes":%d,"idx":%d},"metric":"TFLOPS/GPU","values":[%.2f],"run":"nightly-42"}`+"\n",
				tp, pp, mbs, gbs, flags, nodes, i, 148+float64((i*7+it)%17)/10)
		}
	}
	return b.Bytes()
}

func benchFormat(b *testing.B, f *Format, data []byte, records, wantRuns int) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		runs, err := f.Read("bench.txt", bytes.NewReader(data), &Options{SkipIters: -1})
		if err != nil {
			b.Fatal(err)
		}
		if len(runs) != wantRuns {
			b.Fatalf("%d runs, want %d", len(runs), wantRuns)
		}
	}
	b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "results/s")
}

// BenchmarkTable parses a sweep table of 3000 rows.
func BenchmarkTable(b *testing.B) {
	benchFormat(b, TableFormat, tableInput(benchConfigs), benchConfigs, benchConfigs)
}

// BenchmarkGoBench parses 3000 configs × 40 iterations, one result line per iteration.
func BenchmarkGoBench(b *testing.B) {
	benchFormat(b, GoBenchFormat, goBenchInput(benchConfigs, benchIters), benchConfigs*benchIters, benchConfigs)
}

// BenchmarkJSONL parses 3000 configs × 40 iterations, one record per iteration.
func BenchmarkJSONL(b *testing.B) {
	benchFormat(b, JSONLFormat, jsonlInput(benchConfigs, benchIters), benchConfigs*benchIters, benchConfigs)
}
