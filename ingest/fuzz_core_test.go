package ingest

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/perfgate/perfgate/bench"
)

// The fuzz targets of the hand-written formats check that no input panics, that every
// error names the file, and that whatever is accepted is well formed: a known outcome, a
// source line, usable values, and a config that survives its canonical key and its Go
// benchmark name. Seeds live in testdata/fuzz/<FuzzName>/ and are added below as well, so
// that a plain "go test" runs them. Run one for longer with, for example,
//
//	go test ./ingest -run XXX -fuzz FuzzTable -fuzztime 60s

// coreSeed reads a seed file from the repository, or returns "" if it is absent.
func coreSeed(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(data)
}

// damaged returns variants of s broken the ways hand-edited files break: truncated mid-line,
// a line duplicated, a cell dropped, CRLF line ends, a number made negative.
func damaged(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.Split(s, "\n")
	out := []string{
		s[:len(s)/2],
		strings.ReplaceAll(s, "\n", "\r\n"),
		strings.Replace(s, "|", "", 1),
		strings.Replace(s, "4096", "-4096", 1),
		strings.Replace(s, " 1 ", " -1 ", 1),
	}
	if len(lines) > 3 {
		dup := append(append([]string{}, lines[:3]...), lines[2:]...)
		out = append(out, strings.Join(dup, "\n"), strings.Join(lines[2:], "\n"))
	}
	return out
}

func addSeeds(f *testing.F, seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
}

// checkCore checks what every accepted run of a hand-written format must satisfy.
func checkCore(t *testing.T, format *Format, data []byte) []bench.Run {
	const file = "fuzz.txt"
	runs, err := format.Read(file, bytes.NewReader(data), &Options{SkipIters: -1})
	if err != nil {
		if !strings.HasPrefix(err.Error(), file) {
			t.Fatalf("error does not name the file: %v", err)
		}
		var se *bench.SyntaxError
		if format != GoBenchFormat && !errors.As(err, &se) {
			t.Fatalf("error %v is %T, not a *SyntaxError", err, err)
		}
		return nil
	}
	for _, r := range runs {
		if !strings.HasPrefix(r.Source, file+":") {
			t.Fatalf("source %q", r.Source)
		}
		if _, ok := bench.ParseOutcome(string(r.Outcome)); !ok {
			t.Fatalf("outcome %q", r.Outcome)
		}
		if r.Outcome == bench.OK && len(r.Metrics) == 0 {
			t.Fatalf("ok run without metrics: %+v", r)
		}
		if r.Outcome != bench.OK && len(r.Metrics) != 0 {
			t.Fatalf("failed run with metrics: %+v", r)
		}
		for _, m := range r.Metrics {
			if m.Name == "" || len(m.Values) == 0 {
				t.Fatalf("metric %+v", m)
			}
			if format == GoBenchFormat {
				continue // values are checked by Validate
			}
			for _, v := range m.Values {
				if msg := bench.CheckValue(v, m.Unit, m.Better); msg != "" {
					t.Fatalf("accepted %v for %s: %s", v, m.Name, msg)
				}
			}
		}
		// The canonical key is a faithful identity.
		back, err := bench.ParseKey(r.Config.Key())
		if err != nil {
			t.Fatalf("ParseKey(%q): %v", r.Config.Key(), err)
		}
		if len(r.Config) > 0 && !cmp.Equal(r.Config, back) {
			t.Fatalf("key %q reads back as %v, not %v", r.Config.Key(), back, r.Config)
		}
		// So is the Go benchmark name the baseline store writes (except for the known bugs).
		if !benchNameReadsBack(r.Config) {
			t.Fatalf("config %q: benchmark name %q does not read back", r.Config, r.Config.BenchName())
		}
	}
	// Validation never panics, whatever it decides.
	_ = Validate(runs)
	return runs
}

// benchNameReadsBack reports whether cfg's Go benchmark name reads back as cfg, as the
// baseline store needs. Configs the store could not hold are reported by TestBugKeyEscapesUnicodeSpace.
func benchNameReadsBack(cfg bench.Config) bool {
	runs, err := GoBenchFormat.Read("n.txt", strings.NewReader(cfg.BenchName()+" 1 5 s/iter\n"), &Options{})
	return err == nil && len(runs) == 1 && cmp.Equal(cfg, runs[0].Config, cmp.Comparer(func(a, b bench.Config) bool {
		return a.Key() == b.Key()
	}))
}

// tableSeeds are FuzzTable's seeds: the seed sweep, the example PR sweep, damaged variants
// of both, and small tables. testdata/fuzz/FuzzTable holds the same.
func tableSeeds() []string {
	seed := coreSeed("../testdata/seed/sweep-70b-32nodes.txt")
	pr := coreSeed("../testdata/example/pr-sweep.txt")
	out := []string{seed, pr, tableHead, "| TP | PP | TFLOPS |\n|---|---|---|\n| 8 | 4 | 1 |\n"}
	out = append(out, damaged(seed)...)
	return append(out, damaged(pr)...)
}

func FuzzTable(f *testing.F) {
	addSeeds(f, tableSeeds()...)
	f.Fuzz(func(t *testing.T, data []byte) {
		runs := checkCore(t, TableFormat, data)
		for _, r := range runs {
			if !strings.HasPrefix(r.Reason, "fuzz.txt:") && r.Outcome != bench.OK {
				t.Fatalf("failed run's reason %q does not say where", r.Reason)
			}
			if r.Outcome == bench.OK {
				for _, m := range r.Metrics {
					if m.Name != bench.MetricTime && m.Name != bench.MetricTFLOPS {
						t.Fatalf("metric %q", m.Name)
					}
				}
			}
			for _, k := range []string{"tp", "pp", "mbs", "gbs", "sl", "nodes"} {
				if v, ok := r.Config[k]; ok && (v == "" || strings.TrimLeft(v, "0123456789") != "" || v[0] == '0') {
					t.Fatalf("%s=%q is not a canonical whole number", k, v)
				}
			}
			if f, ok := r.Config["flags"]; ok && f != bench.CanonicalFlags(f) {
				t.Fatalf("flags %q not canonical", f)
			}
		}
	})
}

// goBenchSeeds are FuzzGoBench's seeds: the example baseline store, its damaged variants and
// small Go benchmark files. testdata/fuzz/FuzzGoBench holds the same.
func goBenchSeeds() []string {
	baseline := coreSeed("../testdata/example/baseline/baseline.txt")
	return append([]string{baseline,
		"goos: linux\nmodel: llama\nBenchmarkTrain/tp=8/pp=4 1 5.7 s/iter 75.4 TFLOPS/GPU\nBenchmarkTrain/tp=8/pp=4 1 5.8 s/iter 75.1 TFLOPS/GPU\n",
		"Unit widgets better=higher\nBenchmarkTrain/tp=8 1 5 widgets\n",
		"BenchmarkAllReduce/size=1GB/warm-8 100 3.2 ns/op 20 MB/s\n",
		"commit: abc\nrun: n1\nBenchmarkTrain/flags=a%2Fb 1 NaN s/iter\n"}, damaged(baseline)...)
}

func FuzzGoBench(f *testing.F) {
	addSeeds(f, goBenchSeeds()...)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, r := range checkCore(t, GoBenchFormat, data) {
			// A failed run comes from a '# perfgate fail' line, alone: it has no metrics.
			if r.Outcome != bench.OK && len(r.Metrics) > 0 {
				t.Fatalf("Go benchmark run with outcome %q has metrics", r.Outcome)
			}
			seen := map[string]bool{}
			for _, m := range r.Metrics {
				if seen[m.Name] {
					t.Fatalf("metric %q twice in one run", m.Name)
				}
				seen[m.Name] = true
			}
		}
	})
}

// jsonlSeeds are FuzzJSONL's seeds. testdata/fuzz/FuzzJSONL holds the same.
func jsonlSeeds() []string {
	return []string{
		jsonlOK,
		"# c\n" + `{"config":{"tp":8,"pp":4,"gbs":1024,"flags":"overlap-grad, dist-opt"},"metric":"TFLOPS/GPU","values":[148.2,148.9],"run":"n42","date":"2026-11-24","commit":"abc"}` + "\n" +
			`{"config":{"tp":8,"pp":8,"mbs":4,"gbs":1024},"metric":"TFLOPS/GPU","outcome":"oom","reason":"CUDA out of memory","run":"n42"}` + "\n",
		`{"config":{"tp":"4","lr":1.5e-4},"metric":"tokens/s/GPU","unit":"tokens/s","better":"higher","values":[3000]}` + "\n",
		`{"config":{"tp":8},"metric":"s/iter","values":[-1]}` + "\n",
		`{"config":{"tp":8},"metric":"TFLOPS/GPU","values":[1]} {}` + "\n",
		`{"config":{"tp":{"x":1}},"metric":"m","values":[1e999]}` + "\n",
	}
}

func FuzzJSONL(f *testing.F) {
	addSeeds(f, jsonlSeeds()...)
	f.Fuzz(func(t *testing.T, data []byte) {
		// A run may leave the reader without config: ReadAll gives it one from --set or the
		// directory name, or refuses it (TestJSONLNoConfig).
		for _, r := range checkCore(t, JSONLFormat, data) {
			if f, ok := r.Config["flags"]; ok && f != bench.CanonicalFlags(f) {
				t.Fatalf("flags %q not canonical", f)
			}
		}
	})
}

// TestBugKeyEscapesUnicodeSpace guards a fixed bug: Config.Key (and so BenchName)
// percent-encoded ASCII white space only, but benchfmt splits a result line at any Unicode
// space. A config value with a no-break space (pasted from a wiki table into a sweep table:
// "Llama\u00a03") gave a benchmark name that did not read back, and "perfgate baseline
// update" refused to save.
func TestBugKeyEscapesUnicodeSpace(t *testing.T) {
	in := "tp | pp | model | TFLOPS\n8 | 4 | Llama\u00a03 | 148.2\n8 | 4 | a\u2003b | 148.2\n"
	runs, err := readCore(TableFormat, "t.txt", in)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if !benchNameReadsBack(r.Config) {
			t.Errorf("config %q: benchmark name %q does not read back", r.Config, r.Config.BenchName())
		}
	}
}

// TestGoBenchKeysUnescaped checks that a config key needing %-escaping (JSON Lines allows
// any key, e.g. {"config":{"seq len":4096}}) reads back from its Go benchmark name. The
// fuzzers found this in all three formats; fixed in b7cd778.
func TestGoBenchKeysUnescaped(t *testing.T) {
	for _, cfg := range []bench.Config{
		{"seq len": "4096", "tp": "8"},
		{"a%00": "00", "pp": "1"},
		{"c%": "0"},
		{"a/b": "1"},
		{"k=v": "1"},
	} {
		if !benchNameReadsBack(cfg) {
			t.Errorf("config %q: benchmark name %q does not read back", cfg, cfg.BenchName())
		}
	}
}
