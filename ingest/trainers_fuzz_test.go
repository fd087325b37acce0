package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/bench"
)

// fuzzFormat reads data with f and checks what every trainer-log reader promises: no
// panic, positioned *SyntaxErrors, and runs that are well formed.
func fuzzFormat(t *testing.T, f *Format, data []byte, skip int) {
	runs, err := f.Read("fuzz.log", bytes.NewReader(data), &Options{SkipIters: skip})
	if err != nil {
		var se *bench.SyntaxError
		if !errors.As(err, &se) {
			t.Fatalf("error %v is %T, not a *SyntaxError", err, err)
		}
		return
	}
	for _, r := range runs {
		if !strings.HasPrefix(r.Source, "fuzz.log:") {
			t.Fatalf("source %q", r.Source)
		}
		switch r.Outcome {
		case bench.OK:
			if len(r.Metrics) == 0 {
				t.Fatalf("ok run without metrics: %+v", r)
			}
		case bench.OOM, bench.Error:
			if !strings.HasPrefix(r.Reason, "fuzz.log:") {
				t.Fatalf("failed run's reason %q does not say where", r.Reason)
			}
		default:
			t.Fatalf("outcome %q", r.Outcome)
		}
		for _, m := range r.Metrics {
			if m.Better == bench.Unknown || len(m.Values) == 0 {
				t.Fatalf("metric %+v", m)
			}
			if m.Better == bench.Higher {
				for _, v := range m.Values {
					if msg := bench.CheckValue(v, m.Unit, m.Better); msg != "" {
						t.Fatalf("metric %s: %s", m.Name, msg)
					}
				}
			}
		}
		for k, v := range r.Config {
			if k == "" || (v == "" && k != "flags") {
				t.Fatalf("config %v", r.Config)
			}
		}
	}
}

func FuzzMegatron(f *testing.F) {
	f.Add([]byte(argDump(nil)+iterLines(1, 5, 5, 1000, 400)), -1)
	f.Add([]byte("0: "+realIterLine+"\r\n[Rank 0] (after 1 iterations) memory (MB) | max allocated: 1e3\n"), 0)
	f.Fuzz(func(t *testing.T, data []byte, skip int) { fuzzFormat(t, MegatronFormat, data, skip%1000) })
}

func FuzzBridge(f *testing.F) {
	f.Add([]byte("Step Time : 3.41s GPU utilization: 402.7MODEL_TFLOP/s/GPU\n"+iterLine(1, 3, 3412.5, 0)+"\nStep Time : 12.78s GPU utilization: 528.1 TFLOP/s/GPU\n"), -1)
	f.Fuzz(func(t *testing.T, data []byte, skip int) { fuzzFormat(t, MegatronBridgeFormat, data, skip%1000) })
}

func FuzzNeMo(f *testing.F) {
	f.Add([]byte("Training epoch 0, iteration 0/2 | train_step_timing in s: 5.1\nTraining epoch 0, iteration 1/2 | train_step_timing in s: 0.03146 | TFLOPS_per_GPU: 312.4\n"), -1)
	f.Fuzz(func(t *testing.T, data []byte, skip int) { fuzzFormat(t, NeMoFormat, data, skip%1000) })
}

func FuzzTorchtitan(f *testing.F) {
	f.Add([]byte("[rank0]:[titan] x - root - INFO - \x1b[31mstep:  3  \x1b[36mmemory:  0.00GiB(0.00%)  \x1b[34mtps: 30,768  \x1b[36mtflops: 3.15  \x1b[35mmfu: N/A\x1b[39m\n"), -1)
	f.Fuzz(func(t *testing.T, data []byte, skip int) { fuzzFormat(t, TorchtitanFormat, data, skip%1000) })
}

func FuzzGolden(f *testing.F) {
	f.Add([]byte(`{"iteration-time": {"start_step": 1, "end_step": 4, "step_interval": 1, "values": {"1": "nan", "2": 7.9, "4": 1.1}}}`), -1)
	f.Fuzz(func(t *testing.T, data []byte, skip int) { fuzzFormat(t, GoldenFormat, data, skip%1000) })
}

// FuzzNumberAt checks the allocation-free number parser against strconv.
func FuzzNumberAt(f *testing.F) {
	for _, s := range []string{"5361.6 |", "10,050  tflops", "1,314.71", "1.420000E-05", "-3", "1e", ".5", "12345678901234567890.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, n, ok := numberAt([]byte(s))
		if !ok {
			return
		}
		if n <= 0 || n > len(s) {
			t.Fatalf("numberAt(%q) used %d bytes", s, n)
		}
		tok := strings.ReplaceAll(strings.TrimLeft(s[:n], " \t"), ",", "")
		want, err := parseFloatRef(tok)
		if err == nil && want != v && !(v != v && want != want) {
			t.Fatalf("numberAt(%q) = %v, strconv says %v", s, v, want)
		}
	})
}

// BenchmarkMegatron reads a Megatron-LM log of about 1 GB streamed from a generator: an
// argument dump, then iteration lines with throughput, each prefixed by srun's rank. Run
// with: go test ./ingest -run '^$' -bench BenchmarkMegatron -benchtime 1x
func BenchmarkMegatron(b *testing.B) {
	header := []byte(argDump(nil))
	const target = 1 << 30
	line := "255: " + iterLine(1, 10_000_000, 5361.6, 243.6) + "\n"
	lines := (target - len(header)) / len(line)
	size := int64(len(header) + lines*len(line))
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := &megaStream{header: header, lines: lines}
		runs, err := MegatronFormat.Read("bench.log", r, &Options{SkipIters: 0})
		if err != nil {
			b.Fatal(err)
		}
		if len(runs) != 1 || len(runs[0].Metrics[0].Values) != lines-1 {
			b.Fatalf("got %d runs", len(runs))
		}
	}
	b.StopTimer()
	if sec := b.Elapsed().Seconds(); sec > 0 {
		mbps := float64(size) * float64(b.N) / sec / 1e6
		b.ReportMetric(mbps, "MB/s")
		b.Logf("read %d MB of Megatron log at %.0f MB/s", size/1e6, mbps)
	}
}

// megaStream generates Megatron-LM iteration lines with increasing iteration numbers
// without holding the log in memory: it patches the iteration field of a block of
// template lines.
type megaStream struct {
	header []byte
	lines  int // lines still to generate
	it     int
	block  []byte
	line   int // length of one line
	field  int // offset of the 8-wide iteration field in a line
	buf    []byte
}

const streamBlock = 512 // lines per generated block

func (s *megaStream) Read(p []byte) (int, error) {
	if len(s.buf) == 0 {
		switch {
		case s.header != nil:
			s.buf, s.header = s.header, nil
		case s.lines > 0:
			s.fill()
		default:
			return 0, io.EOF
		}
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	return n, nil
}

func (s *megaStream) fill() {
	if s.block == nil {
		tmpl := "255: " + iterLine(1, 10_000_000, 5361.6, 243.6) + "\n"
		s.line = len(tmpl)
		s.field = strings.Index(tmpl, "iteration ") + len("iteration ")
		s.block = []byte(strings.Repeat(tmpl, streamBlock))
	}
	n := min(streamBlock, s.lines)
	for i := 0; i < n; i++ {
		s.it++
		f := s.block[i*s.line+s.field : i*s.line+s.field+8]
		v := s.it
		for j := 7; j >= 0; j-- {
			if v > 0 {
				f[j] = byte('0' + v%10)
				v /= 10
			} else {
				f[j] = ' '
			}
		}
	}
	s.lines -= n
	s.buf = s.block[:n*s.line]
}

func parseFloatRef(s string) (float64, error) { return strconv.ParseFloat(s, 64) }

// fuzzSeeds are the seed corpora in testdata/fuzz: heads of the fixtures and edge cases.
func fuzzSeeds() map[string][]string {
	fix := logFixtures()
	head := func(name string, n int) string {
		s := fix[name]
		if len(s) > n {
			s = s[:n]
		}
		return s
	}
	sweep := sweepFixtures()
	return map[string][]string{
		"FuzzMegatron": {
			head("megatron-no-throughput.log", 8000),
			sweep["tp8-pp8-mbs4-gbs1024-none.run1.log"],
			sweep["tp4-pp8-mbs1-gbs1024-none.run1.log"],
			strings.Replace(argDump(nil), "end of arguments", "end of argument", 1) + iterLines(1, 3, 3, 1, 1),
			"0: " + realIterLine + "\r\n255: " + realIterLine + "\n",
			argDump(nil) + argDump(nil),
			iterLine(5, 3, 0, 0) + "\n" + iterLine(4, 3, 1e300, 1e-300) + "\n",
			"[Rank 0] (after 1 iterations) memory (KB) | max allocated: 5\n[Rank 1] (after 1 iterations) memory (GB) | peak alloc: -1\n",
		},
		"FuzzBridge": {
			head("bridge.log", 4000),
			head("bridge-old_tp=8_pp=8_mbs=1_gbs=512_sl=4096_nodes=16.log", 1000),
			"Step Time : 0.00s GPU utilization: 0.0MODEL_TFLOP/s/GPU\n" + iterLine(1, 1, 0, 0) + "\n",
		},
		"FuzzNeMo": {
			head("nemo_tp=2_pp=1_mbs=4_gbs=32_sl=2048_nodes=1_flags=dist-opt.log", 4000),
			"Training epoch 0, iteration 5/3 | train_step_timing in s: 1e400\nTraining epoch 0, iteration 1/3 | train_step_timing in s: -1 | TFLOPS_per_GPU: 0\n",
		},
		"FuzzTorchtitan": {
			head("torchtitan.log", 6000),
			"[titan] step: 1 tflops: 1 tps: 1,0000 memory: 1MiB\nStarting job: x\n[titan] step: 0 tflops: N/A\n",
		},
		"FuzzGolden": {
			fix["megatron-golden-values/gpt3_7b_tp1_pp4_memory_speed/golden_values_dev_dgx_h100.json"],
			`{"iteration-time": {"values": {"-1": 1, "2": "inf", "3": 1e309}}}`,
			`{"iteration-time": null, "mem-max-allocated-bytes": {"values": {"1": -5}}}`,
		},
	}
}

// TestFuzzCorpus checks that the seed corpora exist (and writes them with -updateLogs), so
// the default go test runs every fuzz test over them.
func TestFuzzCorpus(t *testing.T) {
	for name, seeds := range fuzzSeeds() {
		for i, s := range seeds {
			path := filepath.Join("testdata", "fuzz", name, fmt.Sprintf("seed-%02d", i))
			content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nint(%d)\n", s, -1+i%2)
			if *updateLogs {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(path)
			if err != nil || string(got) != content {
				t.Errorf("%s is missing or stale (run go test ./ingest -run TestFuzzCorpus -updateLogs)", path)
			}
		}
	}
}
