package gobench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/perfgate/perfgate/bench"
)

func TestConfigOf(t *testing.T) {
	tests := []struct {
		name         string
		lenient, err string // err: wanted error prefix in strict mode, "" when accepted
		want         bench.Config
	}{
		{name: "Train", want: bench.Config{}},
		{name: "Train/tp=8/pp=4", want: bench.Config{"tp": "8", "pp": "4"}},
		{name: "Train/model=a%2Fb%20c/tag=v%2D1", want: bench.Config{"model": "a/b c", "tag": "v-1"}},
		{name: "Decode/tp=2-8", lenient: "ok", err: `benchmark name "BenchmarkDecode/tp=2-8" does not start with BenchmarkTrain/`,
			want: bench.Config{"bench": "Decode", "tp": "2", "procs": "8"}},
		{name: "Train/x/tp=1", lenient: "ok", err: `config part "x" is not key=value`, want: bench.Config{"bench": "x", "tp": "1"}},
		{name: "Train/pct=50%", lenient: "ok", err: `config part "pct=50%" has a bad %-escape`, want: bench.Config{"pct": "50%"}},
		{name: "Train/tp=1/tp=2", lenient: `config key "tp" appears twice`, err: `config key "tp" appears twice`},
		{name: "Foo/bench=x", lenient: `config key "bench" appears twice`, err: "benchmark name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ConfigOf([]byte(tt.name), true)
			if tt.err == "" {
				if err != nil || !reflect.DeepEqual(got, tt.want) {
					t.Errorf("strict: got %v, %v; want %v", got, err, tt.want)
				}
			} else if err == nil || !strings.HasPrefix(err.Error(), tt.err) {
				t.Errorf("strict: got %v, %v; want error %q", got, err, tt.err)
			}
			got, err = ConfigOf([]byte(tt.name), false)
			switch tt.lenient {
			case "", "ok":
				if err != nil || !reflect.DeepEqual(got, tt.want) {
					t.Errorf("lenient: got %v, %v; want %v", got, err, tt.want)
				}
			default:
				if err == nil || err.Error() != tt.lenient {
					t.Errorf("lenient: got %v, %v; want error %q", got, err, tt.lenient)
				}
			}
		})
	}
}

// TestConfigOfInvertsBenchName checks the rule against the writer: every config's BenchName
// reads back as the config, strictly.
func TestConfigOfInvertsBenchName(t *testing.T) {
	for _, c := range []bench.Config{
		{}, {"tp": "8"}, {"nodes": "32-8"}, {"a/b": "c=d", "e f": "100%"}, {"model": "llama3-70b", "gpus": "256"},
		{"bench": "Decode/x"}, {"x": ""}, {"procs": "8"},
	} {
		name := strings.TrimPrefix(c.BenchName(), "Benchmark")
		got, err := ConfigOf([]byte(name), true)
		if err != nil || got.Key() != c.Key() {
			t.Errorf("%v: BenchName %q reads back as %v, %v", c, name, got, err)
		}
	}
}

func TestInternerSharesConfigs(t *testing.T) {
	data := []byte("Unit s/iter better=lower\n" +
		"BenchmarkTrain/tp=8 1 5 s/iter\n" +
		"BenchmarkTrain/tp=8 1 6 s/iter\n" +
		"gpu: h100\n" +
		"commit: abc\n" +
		"BenchmarkTrain/tp=8 1 7 s/iter\n" +
		"BenchmarkTrain/tp=8/gpu=h100 1 8 s/iter\n")
	in := Interner{Provenance: map[string]bool{"commit": true}}
	var entries []*Entry
	var lines []int
	var values []float64
	_, err := Read("g.txt", bytes.NewReader(data), func(r *Result) error {
		entries = append(entries, in.Of(r))
		lines = append(lines, r.Line)
		values = append(values, r.Values[0].Value)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{2, 3, 6, 7}, lines); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]float64{5, 6, 7, 8}, values); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	if entries[0] != entries[1] {
		t.Error("two lines of one name under one file configuration got two entries")
	}
	if entries[2].Key != "tp=8/gpu=h100" || entries[2].Prov["commit"] != "abc" {
		t.Errorf("file configuration: got key %q prov %v", entries[2].Key, entries[2].Prov)
	}
	// A different name and file configuration, same config: one shared map and key.
	if reflect.ValueOf(entries[2].Config).UnsafePointer() != reflect.ValueOf(entries[3].Config).UnsafePointer() {
		t.Error("one config read under two names is two maps")
	}
	for _, e := range entries {
		if e.Key != e.Config.Key() {
			t.Errorf("entry key %q, config key %q", e.Key, e.Config.Key())
		}
	}
}

func TestReadErrorsArePositioned(t *testing.T) {
	_, err := Read("g.txt", strings.NewReader("Unit s/iter better=lower\nBenchmarkTrain/tp=8 1 x s/iter\n"), func(*Result) error { return nil })
	if err == nil || !strings.HasPrefix(err.Error(), "g.txt:2: parsing measurement") {
		t.Errorf("got %v", err)
	}
	var se *bench.SyntaxError
	if _, ok := err.(*bench.SyntaxError); !ok {
		t.Errorf("error is %T, want %T", err, se)
	}
}

func TestValuesAsWritten(t *testing.T) {
	var got []Value
	_, err := Read("g.txt", strings.NewReader("BenchmarkTrain 1 61234 MB-max-allocated 0 MB 5 s/iter\n"), func(r *Result) error {
		got = append(got, r.Values...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []Value{{"MB-max-allocated", 61234, "B-max-allocated"}, {"MB", 0, "MB"}, {"s/iter", 5, "s/iter"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
}

// BenchmarkRead reads 3000 configs × 40 result lines (eval/speed.sh's PR file shape) with
// benchfmt underneath:
//
//	go test ./internal/gobench -run XXX -bench Read -benchmem
func BenchmarkRead(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("Unit s/iter better=lower\nUnit TFLOPS/GPU better=higher\n")
	for c := 0; c < 3000; c++ {
		name := fmt.Sprintf("BenchmarkTrain/tp=%d/pp=%d/mbs=%d/gbs=1024/flags=cfg%d/sl=4096/nodes=32", 1<<(c%4), 1+c/4%8, 1+c/32%4, c)
		for it := 0; it < 40; it++ {
			t := 20 + float64((c*7+it)%97)/10
			fmt.Fprintf(&buf, "%s 1 %.4f s/iter %.3f TFLOPS/GPU\n", name, t, 7000/t)
		}
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		if _, err := Read("p.txt", bytes.NewReader(data), func(*Result) error { n++; return nil }); err != nil || n != 120000 {
			b.Fatal(n, err)
		}
	}
	b.ReportMetric(float64(120000*b.N)/b.Elapsed().Seconds(), "results/s")
}

// TestReadLongLines: benchfmt's scanner stops at a line longer than MaxLine with an I/O error
// naming the line before it. A long comment line (a store's failure line quoting a long log
// line) is read as blank, so the lines after it keep their numbers; any other long line is a
// *bench.SyntaxError naming it.
func TestReadLongLines(t *testing.T) {
	const MaxLine = bufio.MaxScanTokenSize // as benchfmt's scanner
	const unit = "Unit s/iter better=lower\n"
	longComment := "# perfgate fail oom BenchmarkTrain/tp=8 reason=\"" + strings.Repeat("x", 3*MaxLine) + "\"\n"
	var lines []int
	_, err := Read("g.txt", strings.NewReader(unit+"BenchmarkTrain/tp=1 1 5 s/iter\n"+longComment+"BenchmarkTrain/tp=2 1 6 s/iter\n"+longComment), func(r *Result) error {
		lines = append(lines, r.Line)
		return nil
	})
	if err != nil || !slices.Equal(lines, []int{2, 4}) {
		t.Errorf("long comment lines: results on lines %v, error %v; want lines [2 4]", lines, err)
	}

	// A test's long log output is ignored as benchfmt ignores it.
	lines = nil
	logLine := "    trainer_test.go:12: " + strings.Repeat("loss 1.25 ", MaxLine/5) + "\n"
	_, err = Read("g.txt", strings.NewReader(unit+logLine+"ok  \t"+strings.Repeat("p", MaxLine)+"\nBenchmarkTrain/tp=2 1 6 s/iter\n"), func(r *Result) error {
		lines = append(lines, r.Line)
		return nil
	})
	if err != nil || !slices.Equal(lines, []int{4}) {
		t.Errorf("long log lines: results on lines %v, error %v; want line [4]", lines, err)
	}

	// What benchfmt reads is refused where it stands.
	for name, line := range map[string]string{
		"result":        "BenchmarkTrain/tp=" + strings.Repeat("8", MaxLine) + " 1 5 s/iter",
		"unit":          "Unit s/iter better=" + strings.Repeat("lower", MaxLine),
		"configuration": "model: " + strings.Repeat("llama", MaxLine),
	} {
		_, err = Read("g.txt", strings.NewReader(unit+"BenchmarkTrain/tp=1 1 5 s/iter\n"+line+"\n"), func(*Result) error { return nil })
		var se *bench.SyntaxError
		if !errors.As(err, &se) || se.Line != 3 || !strings.HasPrefix(err.Error(), "g.txt:3: line longer than") {
			t.Errorf("long %s line: error %v (%T), want a *bench.SyntaxError at g.txt:3", name, err, err)
		}
	}

	// The longest line benchfmt reads is read.
	const head, tail = "BenchmarkTrain/k=", "/tp=1 1 5 s/iter\n"
	fit := head + strings.Repeat("a", MaxLine-len(head)-len(tail)) + tail
	if len(fit) != MaxLine {
		t.Fatalf("test line is %d bytes", len(fit))
	}
	n := 0
	if _, err := Read("g.txt", strings.NewReader(unit+fit), func(*Result) error { n++; return nil }); err != nil || n != 1 {
		t.Errorf("a line of MaxLine bytes: %d result(s), error %v", n, err)
	}
}
