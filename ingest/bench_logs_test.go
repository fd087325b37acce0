package ingest

import (
	"bytes"
	"os"
	"testing"
)

// benchLog reads one fixture log with format f, b.N times, and reports samples per second
// (one sample is one value of one metric, typically one iteration) and MB/s.
func benchLog(b *testing.B, f *Format, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	samples := 0
	for b.Loop() {
		runs, err := f.Read(path, bytes.NewReader(data), &Options{SkipIters: -1})
		if err != nil || len(runs) == 0 {
			b.Fatalf("%s: %d runs, %v", path, len(runs), err)
		}
		for _, r := range runs {
			for _, m := range r.Metrics {
				samples += len(m.Values)
			}
		}
	}
	b.ReportMetric(float64(samples)/b.Elapsed().Seconds(), "samples/s")
}

func BenchmarkBridge(b *testing.B) { benchLog(b, MegatronBridgeFormat, "../testdata/logs/bridge.log") }
func BenchmarkNeMo(b *testing.B) {
	benchLog(b, NeMoFormat, "../testdata/logs/nemo_tp=2_pp=1_mbs=4_gbs=32_sl=2048_nodes=1_flags=dist-opt.log")
}
func BenchmarkTorchtitan(b *testing.B) {
	benchLog(b, TorchtitanFormat, "../testdata/logs/torchtitan.log")
}
func BenchmarkGolden(b *testing.B) {
	benchLog(b, GoldenFormat, "../testdata/logs/megatron-golden-values/gpt3_7b_tp1_pp4_memory_speed/golden_values_dev_dgx_h100.json")
}
func BenchmarkMegatronFixture(b *testing.B) {
	benchLog(b, MegatronFormat, "../testdata/logs/megatron-sweep/tp8-pp4-mbs1-gbs1024-none.runs1-2.log")
}
