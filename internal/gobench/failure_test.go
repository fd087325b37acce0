package gobench

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/perfgate/perfgate/bench"
)

// TestParseFailure: the one reader of a failure line, for the store and for results. It reads
// every line a store has held (a name without "Benchmark", fields besides reason=, any
// spacing); CheckResult refuses, in a results file, what convert never writes and perfgate
// would otherwise ignore.
func TestParseFailure(t *testing.T) {
	const want = `failure line: want '# perfgate fail OUTCOME NAME reason="…"'`
	tests := []struct {
		name, in string
		want     Failure
		err      string // from ParseFailure
		result   string // from CheckResult, when ParseFailure accepts
	}{
		{name: "written", in: `# perfgate fail oom BenchmarkTrain/tp=8 reason="pr.txt:3: OOM"`,
			want: Failure{Outcome: bench.OOM, Name: "Train/tp=8", Prefixed: true, Fields: map[string]string{"reason": "pr.txt:3: OOM"}}},
		{name: "no reason", in: "# perfgate fail error BenchmarkTrain/tp=8",
			want: Failure{Outcome: bench.Error, Name: "Train/tp=8", Prefixed: true, Fields: map[string]string{}}},
		{name: "one word", in: "# perfgate fail oom\tBenchmarkTrain/tp=8\treason=x  ",
			want: Failure{Outcome: bench.OOM, Name: "Train/tp=8", Prefixed: true, Fields: map[string]string{"reason": "x"}}},
		{name: "spaced", in: "# perfgate fail  oom BenchmarkTrain/tp=8",
			want: Failure{Outcome: bench.OOM, Name: "Train/tp=8", Prefixed: true, Fields: map[string]string{}}},
		{name: "no prefix", in: "# perfgate fail oom Train/tp=8 reason=x",
			want:   Failure{Outcome: bench.OOM, Name: "Train/tp=8", Fields: map[string]string{"reason": "x"}},
			result: `failure line: "Train/tp=8" is not a benchmark name`},
		{name: "empty name", in: "# perfgate fail oom Benchmark",
			want:   Failure{Outcome: bench.OOM, Name: "", Prefixed: true, Fields: map[string]string{}},
			result: `failure line: "Benchmark" is not a benchmark name`},
		{name: "other field", in: `# perfgate fail error BenchmarkTrain/tp=8 why=x reason="a b"`,
			want:   Failure{Outcome: bench.Error, Name: "Train/tp=8", Prefixed: true, Fields: map[string]string{"why": "x", "reason": "a b"}},
			result: want},
		{name: "no name", in: "# perfgate fail oom", err: want},
		{name: "not a failure line", in: "# perfgate run oom BenchmarkTrain", err: want},
		{name: "ok", in: "# perfgate fail ok BenchmarkTrain/tp=8", err: `failure line: outcome "ok" is not oom or error`},
		{name: "outcome", in: "# perfgate fail crashed BenchmarkTrain/tp=8", err: `failure line: outcome "crashed" is not oom or error`},
		{name: "bad quote", in: `# perfgate fail oom BenchmarkTrain/tp=8 reason="x`, err: "failure line: reason: bad quoted value"},
		{name: "after quote", in: `# perfgate fail oom BenchmarkTrain/tp=8 reason="x"y`, err: `failure line: want key=value, got "y"`},
		{name: "twice", in: "# perfgate fail oom BenchmarkTrain/tp=8 reason=x reason=y", err: "failure line: reason= appears twice"},
		{name: "not key=value", in: "# perfgate fail oom BenchmarkTrain/tp=8 reason x", err: `failure line: want key=value, got "reason x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFailure(tt.in)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, f); diff != "" {
				t.Errorf("failure (-want +got):\n%s", diff)
			}
			if err := f.CheckResult(); tt.result == "" && err != nil || tt.result != "" && (err == nil || err.Error() != tt.result) {
				t.Errorf("CheckResult: %v, want %q", err, tt.result)
			}
		})
	}
}

// TestParseFields: values, quoted or not, read back as written, and what is not key=value is
// refused.
func TestParseFields(t *testing.T) {
	kv, err := ParseFields(`batch=a date="2026-11-24 03:00" reason="say \"hi\"\tthen=" empty=`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"batch": "a", "date": "2026-11-24 03:00", "reason": "say \"hi\"\tthen=", "empty": ""}
	if diff := cmp.Diff(want, kv); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	for in, msg := range map[string]string{
		"=x":            `want key=value, got "=x"`,
		"a b=c":         `want key=value, got "a b=c"`,
		`a="x`:          "a: bad quoted value",
		"a=1 a=2":       "a= appears twice",
		"a=1 b":         `want key=value, got "b"`,
		"a=\"x\"\"y\"":  `want key=value, got "\"y\""`,
		"a\tb=c d=e":    `want key=value, got "a\tb=c d=e"`,
		"k=v " + "x=\"": "x: bad quoted value",
	} {
		if _, err := ParseFields(in); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParseFields(%q) = %v, want %q", in, err, msg)
		}
	}
}

// endlessLine is a reader of a failure line that goes on for n bytes without an end of line,
// generated as it is read; read counts the bytes handed out.
type endlessLine struct {
	head    string
	n, read int
}

func (e *endlessLine) Read(p []byte) (int, error) {
	if e.read >= e.n {
		return 0, io.EOF
	}
	k := 0
	for k < len(p) && e.read < e.n {
		if e.read < len(e.head) {
			p[k] = e.head[e.read]
		} else {
			p[k] = 'x'
		}
		k++
		e.read++
	}
	return k, nil
}

// TestReadFailuresBoundsLineLength: a failure line is read whole, to hand to ParseFailure, but
// only up to MaxFailureLine bytes: a longer one (a damaged file, a line without end) is a
// *bench.SyntaxError naming its line, and the read stops there rather than holding the line in
// memory. Before the bound, the whole line was gathered (by string concatenation, quadratic
// in its length) and handed on, however long.
func TestReadFailuresBoundsLineLength(t *testing.T) {
	const unit = "Unit s/iter better=lower\n"
	read := func(in io.Reader) (failures []int, err error) {
		_, err = ReadFailures("g.txt", in, func(*Result) error { return nil }, func(line int, text string) error {
			failures = append(failures, line)
			return nil
		})
		return failures, err
	}
	head := "# perfgate fail oom BenchmarkTrain/tp=8 reason=\""
	fit := head + strings.Repeat("x", MaxFailureLine-len(head)-2) + "\"\n"
	if len(fit) != MaxFailureLine {
		t.Fatalf("test line is %d bytes", len(fit))
	}
	if got, err := read(strings.NewReader(unit + fit + "BenchmarkTrain/tp=1 1 5 s/iter\n")); err != nil || !slices.Equal(got, []int{2}) {
		t.Errorf("a failure line of MaxFailureLine bytes: failures on lines %v, error %v; want [2], nil", got, err)
	}
	over := head + strings.Repeat("x", MaxFailureLine-len(head)-1) + "\"\n"
	_, err := read(strings.NewReader(unit + "BenchmarkTrain/tp=1 1 5 s/iter\n" + over + "BenchmarkTrain/tp=2 1 5 s/iter\n"))
	var se *bench.SyntaxError
	if !errors.As(err, &se) || se.Line != 3 || !strings.HasPrefix(err.Error(), "g.txt:3: failure line longer than 1048576 bytes") {
		t.Errorf("a failure line one byte too long: error %v (%T), want a *bench.SyntaxError at g.txt:3", err, err)
	}

	// A line without end is read no further than the bound (and a read buffer) past it.
	endless := &endlessLine{head: head, n: 16 * MaxFailureLine}
	_, err = read(endless)
	if !errors.As(err, &se) || se.Line != 1 {
		t.Errorf("an endless failure line: error %v (%T), want a *bench.SyntaxError at g.txt:1", err, err)
	}
	if endless.read > MaxFailureLine+2*maxLine {
		t.Errorf("an endless failure line: %d bytes read, want at most %d", endless.read, MaxFailureLine+2*maxLine)
	}
}
