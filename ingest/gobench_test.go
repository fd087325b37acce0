package ingest

import (
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/internal/gobench"
)

func TestGoBenchBadInput(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"non-numeric value", "BenchmarkTrain/tp=8 1 5.7 s/iter\nBenchmarkTrain/tp=8 1 fast s/iter\n", "g.txt:2: parsing measurement"},
		{"missing unit", "BenchmarkTrain/tp=8 1 5.7 s/iter 75\n", "g.txt:1: missing units"},
		{"bad iteration count", "BenchmarkTrain/tp=8 x 5.7 s/iter\n", "g.txt:1: parsing iteration count"},
		// One metric in two units was read as two metrics; the check converted ms/iter to the
		// baseline's s/iter and kept whichever came first, so the order decided the verdict.
		{"one metric in two units on a line", "BenchmarkTrain/tp=8 1 44.6 s/iter 60000 ms/iter 154 TFLOPS/GPU\n",
			`g.txt:1: one metric in two units: "ms/iter" here and "s/iter" on this line (1 ms/iter = 0.001 s/iter)`},
		{"one metric in two units, ms first", "BenchmarkTrain/tp=8 1 60000 ms/iter 44.6 s/iter\n",
			`g.txt:1: one metric in two units: "s/iter" here and "ms/iter" on this line (1 s/iter = 1000 ms/iter)`},
		{"one metric in two units across lines", "BenchmarkTrain/tp=8 1 154 TFLOPS/GPU\nBenchmarkTrain/tp=4 1 150 TFLOPS/GPU\nBenchmarkTrain/tp=8 1 154000 GFLOPS/GPU\n",
			`g.txt:3: one metric in two units: "GFLOPS/GPU" here and "TFLOPS/GPU" at line 1 for the same config (1 GFLOPS/GPU = 0.001 TFLOPS/GPU)`},
		{"go test units in two spellings", "BenchmarkX 1 5 ns/op 0.000000005 sec/op\n", `g.txt:1: one metric in two units: "sec/op" here and "ns/op"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readCore(GoBenchFormat, "g.txt", tt.in)
			wantSyntaxError(t, err, tt.want)
		})
	}
}

// TestGoBenchDistinctUnits keeps apart what is not one metric: different quantities on one
// line, and one unit per config even where configs differ in it.
func TestGoBenchDistinctUnits(t *testing.T) {
	in := "BenchmarkTrain/tp=8 1 44.6 s/iter 154 TFLOPS/GPU 12000 MB-max-allocated 13000 MB-max-reserved 3000 tokens/s/GPU\n" +
		"BenchmarkTrain/tp=8 1 44.7 s/iter 153 TFLOPS/GPU 12000 MB-max-allocated 13000 MB-max-reserved 3000 tokens/s/GPU\n"
	runs, err := readCore(GoBenchFormat, "g.txt", in)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || len(runs[0].Metrics) != 5 {
		t.Fatalf("runs = %+v, want one run of 5 metrics", runs)
	}
}

// TestGoBenchFailureLines reads the failed runs perfgate convert writes as '# perfgate fail'
// lines: each is a failed run of its own, long (up to gobench.MaxFailureLine) and with CRLF
// line ends.
func TestGoBenchFailureLines(t *testing.T) {
	long := strings.Repeat("x", 100<<10)
	in := "BenchmarkTrain/tp=8 1 5.7 s/iter\r\n" +
		"# perfgate fail oom BenchmarkTrain/tp=4 reason=\"pr.txt:3: OOM in the time column\"\r\n" +
		"# perfgate fail error BenchmarkTrain/tp=2 reason=\"" + long + "\"\n" +
		"# perfgate fail oom BenchmarkTrain/tp=1\n" +
		"BenchmarkTrain/tp=8 1 5.8 s/iter\n"
	runs, err := readCore(GoBenchFormat, "g.txt", in)
	if err != nil {
		t.Fatal(err)
	}
	type got struct{ key, outcome, reason, source string }
	var gots []got
	for _, r := range runs {
		gots = append(gots, got{r.ConfigKey(), string(r.Outcome), r.Reason, r.Source})
	}
	want := []got{
		{"tp=8", "ok", "", "g.txt:1"},
		{"tp=4", "oom", "pr.txt:3: OOM in the time column", "g.txt:2"},
		{"tp=2", "error", long, "g.txt:3"},
		{"tp=1", "oom", "", "g.txt:4"},
	}
	if diff := cmp.Diff(want, gots, cmp.AllowUnexported(got{})); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
	if n := len(runs[0].Metrics[0].Values); n != 2 {
		t.Errorf("tp=8 has %d samples, want 2", n)
	}

	bad := []struct{ name, in, want string }{
		{"outcome", "# perfgate fail crashed BenchmarkTrain/tp=4 reason=x\n", `g.txt:1: failure line: outcome "crashed" is not oom or error`},
		{"ok", "# perfgate fail ok BenchmarkTrain/tp=4\n", `g.txt:1: failure line: outcome "ok" is not oom or error`},
		{"no name", "BenchmarkTrain/tp=8 1 5.7 s/iter\n# perfgate fail oom\n", `g.txt:2: failure line: want`},
		{"not a name", "# perfgate fail oom tp=4\n", `g.txt:1: failure line: "tp=4" is not a benchmark name`},
		{"bad quote", "# perfgate fail oom BenchmarkTrain/tp=4 reason=\"x\n", `g.txt:1: failure line: reason: bad quoted value`},
		{"other field", "# perfgate fail oom BenchmarkTrain/tp=4 why=x\n", `g.txt:1: failure line: want`},
		{"key twice", "# perfgate fail oom BenchmarkTrain/tp=4/tp=8\n", `g.txt:1: failure line: config key "tp" appears twice`},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readCore(GoBenchFormat, "g.txt", tt.in)
			wantSyntaxError(t, err, tt.want)
		})
	}
}

// TestGoBenchValidate checks the problems only Validate sees, through ReadPaths: unusable
// values and metrics of unknown direction.
func TestGoBenchValidate(t *testing.T) {
	tests := []struct {
		name, in, want string // want follows "PATH:"
	}{
		{"NaN", "BenchmarkTrain/tp=8 1 5.7 s/iter\nBenchmarkTrain/tp=4 1 NaN s/iter\n", `2: metric "s/iter": value is NaN`},
		{"Inf", "BenchmarkTrain/tp=8 1 +Inf TFLOPS/GPU\n", `1: metric "TFLOPS/GPU": value is infinite`},
		{"negative throughput", "BenchmarkTrain/tp=8 1 -75.4 TFLOPS/GPU\n", `1: metric "TFLOPS/GPU": throughput -75.4 is not positive`},
		{"zero throughput", "BenchmarkTrain/tp=8 1 0 TFLOPS/GPU\n", `1: metric "TFLOPS/GPU": throughput 0 is not positive`},
		{"negative time", "BenchmarkTrain/tp=8 1 -5.7 s/iter\n", `1: metric "s/iter": value -5.7 is negative`},
		// The run's source is the line of its first sample, wherever the bad sample is.
		{"bad later sample", "BenchmarkTrain/tp=8 1 5.7 s/iter\nBenchmarkTrain/tp=8 1 -1 s/iter\n", `1: metric "s/iter": value -1 is negative`},
		{"unknown direction", "BenchmarkTrain/tp=8 1 5 widgets\n", `1: metric "widgets": cannot tell whether higher or lower is better; declare it (Go format: "Unit widgets better=higher"; JSON Lines: "better") or pass --better widgets=higher|lower`},
		{"declared direction", "Unit tok better=higher\nBenchmarkTrain/tp=8 1 5 tok\n", ""}, // valid: see TestGoBenchDirections
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeCore(t, t.TempDir(), "g.txt", tt.in)
			_, err := ReadPaths([]string{path}, nil)
			if tt.want == "" {
				if err != nil {
					t.Errorf("unexpected error %v", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), path+":"+tt.want) {
				t.Errorf("got  %v\nwant prefix %s:%s", err, path, tt.want)
			}
			if tt.name == "unknown direction" && !strings.Contains(err.Error(), "--better") {
				t.Errorf("error does not mention --better")
			}
		})
	}
	// --better fixes the unknown direction.
	path := writeCore(t, t.TempDir(), "g.txt", "BenchmarkTrain/tp=8 1 5 widgets\n")
	runs, err := ReadPaths([]string{path}, &Options{SkipIters: -1, Better: map[string]bench.Better{"widgets": bench.Higher}})
	if err != nil || runs[0].Metrics[0].Better != bench.Higher {
		t.Errorf("--better widgets=higher: %v, %+v", err, runs)
	}
}

func TestGoBenchDirections(t *testing.T) {
	in := "Unit widgets better=higher\n" +
		"Unit s/iter better=higher\n" + // explicit metadata beats the unit's inferred direction
		"Unit gadgets better=lower\n" +
		"BenchmarkTrain/tp=8 1 5 widgets 6 s/iter 7 gadgets 8 TFLOPS/GPU 9 GiB-max-allocated 10 allocs/op 12 tokens/s/GPU\n"
	runs, err := readCore(GoBenchFormat, "g.txt", in)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bench.Better{}
	for _, m := range runs[0].Metrics {
		got[m.Name] = m.Better
	}
	want := map[string]bench.Better{
		"widgets": bench.Higher, "s/iter": bench.Higher, "gadgets": bench.Lower, "TFLOPS/GPU": bench.Higher,
		"GiB-max-allocated": bench.Lower, "allocs/op": bench.Lower, "tokens/s/GPU": bench.Higher,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("directions (-want +got):\n%s", diff)
	}
}

func TestGoBenchConfig(t *testing.T) {
	in := "goos: linux\n" +
		"model: Llama-3 70B\n" + // file keys are kept verbatim, spaces and case included
		"commit: 0123abc\n" +
		"date: 2026-11-24T03:00:00Z\n" +
		"run: nightly-42\n" +
		"BenchmarkTrain/tp=8/pp=4/flags=Dist-Opt,overlap-grad/sl=4096 1 46.1 s/iter 149.27 TFLOPS/GPU\n" +
		"BenchmarkTrain/tp=8/pp=4/flags=Dist-Opt,overlap-grad/sl=4096 1 46.3 s/iter 148.9 TFLOPS/GPU\n" +
		"BenchmarkTrain/tp=8/pp=8/flags=a%2Fb/note=x%3Dy 1 48.7 s/iter\n" +
		"BenchmarkTrain/tp=8/pp=4/flags=Dist-Opt,overlap-grad/sl=4096 1 46.2 s/iter 149.1 TFLOPS/GPU\n" +
		"BenchmarkAllReduce/size=1GB/warm-8 1 3.2 s/iter\n" +
		"BenchmarkTrain 1 9 s/iter\n" +
		"model: other\n" +
		"BenchmarkTrain/tp=8/pp=4/flags=Dist-Opt,overlap-grad/sl=4096 1 50 s/iter\n"
	runs, err := readCore(GoBenchFormat, "g.txt", in)
	if err != nil {
		t.Fatal(err)
	}
	type summary struct {
		Config  bench.Config
		Samples map[string][]float64
		Source  string
		Batch   string
		Date    string
		Commit  string
	}
	var got []summary
	for _, r := range runs {
		s := summary{Config: r.Config, Samples: map[string][]float64{}, Source: r.Source, Batch: r.Batch, Date: r.Date, Commit: r.Commit}
		for _, m := range r.Metrics {
			s.Samples[m.Name] = m.Values
		}
		got = append(got, s)
	}
	base := bench.Config{"goos": "linux", "model": "Llama-3 70B"}
	with := func(kv ...string) bench.Config {
		c := base.Clone()
		for i := 0; i < len(kv); i += 2 {
			c[kv[i]] = kv[i+1]
		}
		return c
	}
	prov := func(s summary) summary {
		s.Batch, s.Date, s.Commit = "nightly-42", "2026-11-24T03:00:00Z", "0123abc"
		return s
	}
	want := []summary{
		// Three lines of one config, interleaved with another: three samples of ONE run.
		// Flags are read through the flag vocabulary, as in tables and JSON Lines.
		prov(summary{Config: with("tp", "8", "pp", "4", "flags", "dist-opt+overlap-grad", "sl", "4096"),
			Samples: map[string][]float64{"s/iter": {46.1, 46.3, 46.2}, "TFLOPS/GPU": {149.27, 148.9, 149.1}}, Source: "g.txt:6"}),
		prov(summary{Config: with("tp", "8", "pp", "8", "flags", "a+b", "note", "x=y"),
			Samples: map[string][]float64{"s/iter": {48.7}}, Source: "g.txt:8"}),
		prov(summary{Config: with("bench", "AllReduce/warm", "size", "1GB", "procs", "8"),
			Samples: map[string][]float64{"s/iter": {3.2}}, Source: "g.txt:10"}),
		prov(summary{Config: base.Clone(), Samples: map[string][]float64{"s/iter": {9}}, Source: "g.txt:11"}),
		// A changed file key makes a different config.
		prov(summary{Config: bench.Config{"goos": "linux", "model": "other", "tp": "8", "pp": "4", "flags": "dist-opt+overlap-grad", "sl": "4096"},
			Samples: map[string][]float64{"s/iter": {50}}, Source: "g.txt:13"}),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
}

// TestGoBenchNameRoundTrip checks that Config.BenchName reads back as the same config,
// including values that look like a GOMAXPROCS suffix.
func TestGoBenchNameRoundTrip(t *testing.T) {
	cfgs := []bench.Config{
		{"tp": "8", "pp": "4", "flags": "dist-opt+overlap-grad"},
		{"tp": "8", "model": "llama-70"},
		{"model": "a b/c=d%e"},
		{"tp": "8", "tag": "v-1"},
	}
	for _, c := range cfgs {
		in := c.BenchName() + " 1 5 s/iter\n"
		runs, err := readCore(GoBenchFormat, "g.txt", in)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if diff := cmp.Diff(c, runs[0].Config); diff != "" {
			t.Errorf("%s (-want +got):\n%s", strings.TrimSpace(in), diff)
		}
	}
}

// TestGoBenchUnitsAsWritten checks that metrics keep the unit and value as written, not
// benchfmt's tidied ones: perfgate's canonical MB-max-allocated must not become
// "B-max-allocated" ×1e6, or a baseline from logs would never match a Go-format file such as
// the output of perfgate convert. (Found by this suite as TestBugGoBenchTidiesUnits; fixed in
// b7cd778.)
func TestGoBenchUnitsAsWritten(t *testing.T) {
	in := "BenchmarkTrain/tp=8 1 46.1 s/iter 61234 MB-max-allocated 1500 ns/op 20 MB/s\n"
	runs, err := readCore(GoBenchFormat, "g.txt", in)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]float64{}
	for _, m := range runs[0].Metrics {
		got[m.Name] = m.Values
	}
	want := map[string][]float64{bench.MetricTime: {46.1}, bench.MetricMaxAlloc: {61234}, "ns/op": {1500}, "MB/s": {20}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
}

// TestGoBenchUnitKey checks that a "Unit NAME unit=UNIT" line, which perfgate's store and
// convert write for a metric whose unit is not its name, gives the metric that unit, and that
// a metric without it keeps its name as unit.
func TestGoBenchUnitKey(t *testing.T) {
	in := "Unit peak-mem better=lower unit=GB\nBenchmarkTrain/tp=8 1 60 peak-mem 46.1 s/iter\n"
	runs, err := readCore(GoBenchFormat, "g.txt", in)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range runs[0].Metrics {
		got[m.Name] = m.Unit + " " + m.Better.String()
	}
	want := map[string]string{"peak-mem": "GB lower", bench.MetricTime: bench.MetricTime + " lower"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("metric units (-want +got):\n%s", diff)
	}
	_, err = readCore(GoBenchFormat, "g.txt", "Unit peak-mem better=lower unit=\nBenchmarkTrain/tp=8 1 60 peak-mem\n")
	wantSyntaxError(t, err, `g.txt:1: metric "peak-mem": its 'Unit peak-mem' line has an empty unit=`)
}

// TestGoBenchManyMetrics checks that a run keeps every metric's samples apart and in order,
// both for the few metrics found by a scan and past the count where a map takes over.
func TestGoBenchManyMetrics(t *testing.T) {
	var b strings.Builder
	const metrics = 20
	for line := 0; line < 3; line++ {
		b.WriteString("BenchmarkTrain/tp=8 1")
		for m := 0; m < metrics; m++ {
			fmt.Fprintf(&b, " %d s/op%d", 100*m+line, m)
		}
		b.WriteString("\nBenchmarkTrain/tp=4 1 7 s/op0\n")
	}
	runs, err := readCore(GoBenchFormat, "g.txt", b.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || len(runs[0].Metrics) != metrics || len(runs[1].Metrics) != 1 {
		t.Fatalf("got %d runs: %+v", len(runs), runs)
	}
	for m, got := range runs[0].Metrics {
		want := []float64{float64(100 * m), float64(100*m + 1), float64(100*m + 2)}
		if got.Name != fmt.Sprintf("s/op%d", m) || !cmp.Equal(got.Values, want) {
			t.Errorf("metric %d: %s %v, want s/op%d %v", m, got.Name, got.Values, m, want)
		}
	}
	if got := runs[1].Metrics[0].Values; !cmp.Equal(got, []float64{7, 7, 7}) {
		t.Errorf("tp=4: %v", got)
	}
}

// TestGoBenchSharesConfigsAcrossFiles checks that the files of one ReadPaths, read
// concurrently, share one config map and key per benchmark name, and that a file
// configuration still makes its own config.
func TestGoBenchSharesConfigsAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	const body = "Unit s/iter better=lower\nBenchmarkTrain/tp=8/pp=4 1 5 s/iter\nBenchmarkTrain/tp=4/pp=8 1 6 s/iter\n"
	var paths []string
	for i := 0; i < 6; i++ {
		paths = append(paths, writeCore(t, dir, fmt.Sprintf("r%d.txt", i), fmt.Sprintf("run: r%d\n%s", i, body)))
	}
	paths = append(paths, writeCore(t, dir, "gpu.txt", "run: g\ngpu: h100\n"+body))
	runs, err := ReadPaths(paths, &Options{SkipIters: -1})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 14 {
		t.Fatalf("%d runs, want 14", len(runs))
	}
	first := map[string]bench.Config{}
	for _, r := range runs {
		if r.Key != r.Config.Key() {
			t.Errorf("%s: Key %q, config key %q", r.Source, r.Key, r.Config.Key())
		}
		if strings.HasPrefix(r.File, "gpu") {
			if r.Config["gpu"] != "h100" {
				t.Errorf("%s: file configuration lost: %v", r.Source, r.Config)
			}
			continue
		}
		if c, ok := first[r.Key]; !ok {
			first[r.Key] = r.Config
		} else if reflect.ValueOf(c).UnsafePointer() != reflect.ValueOf(r.Config).UnsafePointer() {
			t.Errorf("%s: config %s is a second map", r.Source, r.Key)
		}
	}
	if len(first) != 2 {
		t.Errorf("%d distinct configs, want 2", len(first))
	}
}

// TestGoBenchRealOutput reads real `go test -bench` output: benchstat's own test data
// (testdata/gobench/benchstat-crc-old.txt, from golang.org/x/perf cmd/benchstat/testdata/
// crc-old.txt at the version pinned in go.mod: hash/crc32 on darwin/amd64, 36 benchmarks × 10
// samples, a file header of pkg/goarch/goos/note). Each benchmark is one run whose config
// holds its name's key=value parts and the header's keys, with both of its units.
func TestGoBenchRealOutput(t *testing.T) {
	runs, _, _, err := readFile("../testdata/gobench/benchstat-crc-old.txt", &Options{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 36 {
		t.Fatalf("%d runs, want 36 (one per benchmark)", len(runs))
	}
	for _, r := range runs {
		for k, want := range map[string]string{"pkg": "hash/crc32", "goos": "darwin", "goarch": "amd64", "bench": "CRC32"} {
			if r.Config[k] != want {
				t.Fatalf("run %v: %s=%q, want %q", r.Config, k, r.Config[k], want)
			}
		}
		if r.Config["poly"] == "" || r.Config["size"] == "" || r.Config["align"] == "" {
			t.Fatalf("run %v: the name's key=value parts are missing", r.Config)
		}
		ns, mbs := r.Metric("ns/op"), r.Metric("MB/s")
		if ns == nil || mbs == nil || len(ns.Values) != 10 || len(mbs.Values) != 10 {
			t.Fatalf("run %v: metrics %v, want ns/op and MB/s with 10 samples each", r.Config, r.Metrics)
		}
		if ns.Better != bench.Lower || mbs.Better != bench.Higher {
			t.Errorf("run %v: ns/op %s, MB/s %s; want lower and higher better", r.Config, ns.Better, mbs.Better)
		}
	}
}

// TestConfigControlCharacters: a config key or value with a control character (a JSON Lines
// "\u0000" or "a\nb") is an input error naming the run: written raw, a NUL makes git take
// the store for a binary file, and a line break splits the report's row of that config.
func TestConfigControlCharacters(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"NUL", `{"config":{"tp":8,"model":"\u0000"},"metric":"TFLOPS/GPU","values":[1]}`, `j.jsonl:1: config "model": value "\x00" holds a control character`},
		{"newline", `{"config":{"tp":8,"model":"a\nb"},"metric":"TFLOPS/GPU","values":[1]}`, `j.jsonl:1: config "model": value "a\nb" holds a control character`},
		{"key", `{"config":{"tp":8,"mo\tdel":"x"},"metric":"TFLOPS/GPU","values":[1]}`, `j.jsonl:1: config key "mo\tdel" holds a control character`},
		// A right-to-left override would make "tp=8" and another config read alike.
		{"bidi", `{"config":{"tp":8,"model":"llama\u202e07b"},"metric":"TFLOPS/GPU","values":[1]}`, `j.jsonl:1: config "model": value "llama\u202e07b" holds a control character`},
		{"bidi key", `{"config":{"tp":8,"\u2066model":"x"},"metric":"TFLOPS/GPU","values":[1]}`, `j.jsonl:1: config key "\u2066model" holds a control character`},
		{"unicode", `{"config":{"tp":8,"model":"模型 é"},"metric":"TFLOPS/GPU","values":[1]}`, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := writeCore(t, t.TempDir(), "j.jsonl", tt.in+"\n")
			_, err := ReadPaths([]string{path}, nil)
			if tt.want == "" {
				if err != nil {
					t.Errorf("unexpected error %v", err)
				}
				return
			}
			if err == nil || err.Error() != path+":"+strings.TrimPrefix(tt.want, "j.jsonl:") {
				t.Errorf("got  %v\nwant %s", err, tt.want)
			}
		})
	}
}

// TestGoBenchFailureLineTooLong: a results file's failure line longer than
// gobench.MaxFailureLine is refused where it stands, as bad input (a *bench.SyntaxError, exit
// 2), not read into memory whole.
func TestGoBenchFailureLineTooLong(t *testing.T) {
	in := "BenchmarkTrain/tp=8 1 5.7 s/iter\n" +
		"# perfgate fail error BenchmarkTrain/tp=2 reason=\"" + strings.Repeat("x", gobench.MaxFailureLine) + "\"\n" +
		"BenchmarkTrain/tp=8 1 5.8 s/iter\n"
	_, err := readCore(GoBenchFormat, "g.txt", in)
	wantSyntaxError(t, err, "g.txt:2: failure line longer than")
}

// A Go benchmark file's "date:" lines are read as JSON Lines dates are (bench.ParseDate):
// stored as RFC 3339, and where dates order batches (OrderDates) one that cannot be read as a
// time is an error at its "date:" line, not at the result line it applies to (review).
func TestGoBenchDates(t *testing.T) {
	in := "goos: linux\ndate: 2026-11-24 03:00:00\nBenchmarkTrain/tp=8 1 5.7 s/iter\n\n# a comment\ndate: yesterday\nrun: r2\nBenchmarkTrain/tp=4 1 5.9 s/iter\ndate: 2026-11-25\nBenchmarkTrain/tp=2 1 6.1 s/iter\n"
	runs, err := GoBenchFormat.Read("g.txt", strings.NewReader(in), &Options{SkipIters: -1})
	if err != nil {
		t.Fatal(err)
	}
	var dates []string
	for _, r := range runs {
		dates = append(dates, r.Date)
	}
	if want := []string{"2026-11-24T03:00:00Z", "yesterday", "2026-11-25T00:00:00Z"}; !reflect.DeepEqual(dates, want) {
		t.Errorf("dates %q, want %q", dates, want)
	}
	_, err = GoBenchFormat.Read("g.txt", strings.NewReader(in), &Options{SkipIters: -1, OrderDates: true})
	wantSyntaxError(t, err, `g.txt:6: date "yesterday" is not a time`)
	// Read a few bytes at a time, the lines still count.
	_, err = GoBenchFormat.Read("g.txt", &smallReads{s: in}, &Options{SkipIters: -1, OrderDates: true})
	wantSyntaxError(t, err, `g.txt:6: date "yesterday" is not a time`)
}

// smallReads returns at most 3 bytes a read.
type smallReads struct{ s string }

func (r *smallReads) Read(p []byte) (int, error) {
	if r.s == "" {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 3)], r.s)
	r.s = r.s[n:]
	return n, nil
}
