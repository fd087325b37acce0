package baseline

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/perfgate/perfgate/bench"
)

// FuzzParse checks that the store parser never panics on any input, and that whatever it
// accepts, Write then Parse reproduces: the same runs with the same configs, outcomes,
// reasons, provenance and values. Run it for longer with
//
//	go test ./baseline -run XXX -fuzz FuzzParse -fuzztime 60s
func FuzzParse(f *testing.F) {
	for _, s := range parseSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		runs, err := Parse("b.txt", data)
		// Save's check that a store reads back keeps no runs; it must accept and refuse alike.
		if _, verr := parse("b.txt", data, parseVerify); fmt.Sprint(verr) != fmt.Sprint(err) {
			t.Fatalf("parse without runs: %v; Parse: %v", verr, err)
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "b.txt") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		var buf bytes.Buffer
		if err := Write(&buf, runs); err != nil {
			t.Fatalf("Write of parsed runs: %v", err)
		}
		back, err := Parse("b.txt", buf.Bytes())
		if err != nil {
			t.Fatalf("written store does not parse: %v\ninput:\n%s\nwritten:\n%s", err, data, buf.Bytes())
		}
		if diff := cmp.Diff(comparable(runs), comparable(back)); diff != "" {
			t.Fatalf("round trip changed the runs (-parsed +reparsed):\n%s\ninput:\n%s\nwritten:\n%s", diff, data, buf.Bytes())
		}
		// A second write is byte-identical: the format has one spelling for each store.
		var again bytes.Buffer
		if err := Write(&again, back); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), again.Bytes()) {
			t.Fatalf("Write is not stable:\n%s\nvs\n%s", buf.Bytes(), again.Bytes())
		}
	})
}

// stored is what a round trip must keep of a run (Source is a line number of the file
// written, so it may change).
type stored struct {
	Key, Outcome, Reason, Batch, Date, Commit, File string
	Metrics                                         []bench.Metric
}

// comparable returns what a round trip must keep of runs. A run's value is stored to 10
// significant digits (Write), so the parsed runs are compared
// at that precision: a hand-written 155.77777772 is rewritten as 155.7777777, and from then on
// stays as it is (the second write is byte-identical).
func comparable(runs []bench.Run) []stored {
	out := make([]stored, len(runs))
	for i, r := range runs {
		ms := make([]bench.Metric, len(r.Metrics))
		for j, m := range r.Metrics {
			m.Values = slices.Clone(m.Values)
			for k, v := range m.Values {
				m.Values[k], _ = strconv.ParseFloat(strconv.FormatFloat(v, 'g', 10, 64), 64)
			}
			ms[j] = m
		}
		out[i] = stored{Key: r.Config.Key(), Outcome: string(r.Outcome), Reason: r.Reason, Batch: r.Batch, Date: r.Date, Commit: r.Commit, File: r.File, Metrics: ms}
	}
	return out
}

// parseSeeds are FuzzParse's seeds: the example baseline, damaged variants of it, the
// corner cases of TestParseErrors, and a store of the seed table. testdata/fuzz/FuzzParse
// holds the same.
func parseSeeds() []string {
	example, _ := os.ReadFile("../testdata/example/baseline/baseline.txt")
	s := string(example)
	const head = "# perfgate baseline v1\nUnit s/iter better=lower\nUnit TFLOPS/GPU better=higher\n"
	seeds := []string{
		s,
		head + "# perfgate run batch=a date=2026-11-24T03:00:00Z commit=abc source=s.txt\nBenchmarkTrain/tp=8/pp=4 3 5.7 s/iter 75.4 TFLOPS/GPU\n# perfgate fail oom BenchmarkTrain/tp=8/pp=8 reason=\"s.txt:11: OOM in the time column\"\n",
		head + "# perfgate run batch=\"a b\" commit=\"\\x00\"\nBenchmarkTrain/model=a%2Fb%20c/tag=v%2D1 1 5 s/iter\n",
		head + "# perfgate run batch=a\nBenchmarkTrain 1 5 s/iter\n# perfgate fail error BenchmarkTrain/tp=4 reason=\"\"\n",
		"# perfgate baseline v1\nUnit MB-max-allocated better=lower\n# perfgate run batch=a\nBenchmarkTrain/tp=8 1 61234 MB-max-allocated\n",
		head + "# perfgate run batch=a\n# perfgate run batch=a\n",
		head + "# perfgate run batch=a source=a.txt\nBenchmarkTrain/tp=8 1 5 s/iter\n# perfgate source=\"b c.txt\"\nBenchmarkTrain/tp=4 1 6 s/iter\n# perfgate source=a.txt\n# perfgate fail oom BenchmarkTrain/tp=2 reason=x\n",
		head + "# perfgate run batch=a\nBenchmarkTrain/tp=8 1 5 s/iter\nBenchmarkTrain/tp=4 1 5000 ms/iter\n",
		head + "# perfgate run batch=a\nBenchmarkTrain/tp=8 1 NaN s/iter\n",
		head + "goos: linux\n# perfgate run batch=a\nBenchmarkTrain/tp=8 1 5 s/iter\n",
		"hello\n",
		"",
	}
	if s != "" {
		lines := strings.Split(s, "\n")
		seeds = append(seeds,
			s[:len(s)/2],
			strings.ReplaceAll(s, "\n", "\r\n"),
			strings.Replace(s, "46.3 s/iter", "x46.3 s/iter", 1),
			strings.Replace(s, "batch=", "batch=\"", 1),
			strings.Join(append(append([]string{}, lines[:6]...), lines[7:]...), "\n"), // first run line gone
			strings.Replace(s, "fail oom", "fail ok", 1),
		)
	}
	return seeds
}

// TestBugWriteKeepsBlockSource guards a fixed bug: Parse did not keep a block's "source=",
// so Write rewrote every stored block as "source=baseline.txt" and every "perfgate baseline
// update" erased the provenance of the runs already stored. Runs now carry it in File.
func TestBugWriteKeepsBlockSource(t *testing.T) {
	data, err := os.ReadFile("../testdata/example/baseline/baseline.txt")
	if err != nil {
		t.Fatal(err)
	}
	runs, err := Parse("base/baseline.txt", data)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, runs); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), " source=sweep-70b-32nodes.txt\n") {
		t.Errorf("rewritten store lost the block's source:\n%s", buf.String()[:400])
	}
}

// TestBugWriteDropsDotValues guards a fixed bug: Write dropped the value "." of every
// provenance field, so a block with date=. or commit=. lost it on the next write. FuzzParse
// found this input.
func TestBugWriteDropsDotValues(t *testing.T) {
	in := "# perfgate baseline v1\nUnit s/iter better=lower\n# perfgate run batch=a date=. commit=.\nBenchmarkTrain/tp=8 1 5 s/iter\n"
	runs, err := Parse("b.txt", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, runs); err != nil {
		t.Fatal(err)
	}
	back, err := Parse("b.txt", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if back[0].Date != "." || back[0].Commit != "." {
		t.Errorf("date %q commit %q after a round trip, want \".\"", back[0].Date, back[0].Commit)
	}
}

// TestParseProvenance pins what Parse reads from each line, which the round trip of
// FuzzParse cannot see (a field dropped on both reads survives a round trip): the count
// field is the samples the median summarises, and a rewrite of the store keeps it.
func TestParseProvenance(t *testing.T) {
	in := "# perfgate baseline v1\n" +
		"Unit s/iter better=lower\nUnit TFLOPS/GPU better=higher\n" +
		"# perfgate run batch=n1 date=2026-11-01T03:00:00Z commit=abc source=s.txt\n" +
		"BenchmarkTrain/tp=8/pp=4 40 46.3 s/iter 148.59 TFLOPS/GPU\n" +
		"# perfgate fail oom BenchmarkTrain/tp=8/pp=8 reason=\"s.txt:11: OOM in the time column\"\n" +
		"\n" +
		"# perfgate run batch=\"n 2\"\n" +
		"BenchmarkTrain/tp=8/pp=4 1 46.1 s/iter\n"
	runs, err := Parse("b.txt", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		Key, Outcome, Reason, Source, Batch, Date, Commit string
		Metrics                                           []bench.Metric
	}
	var gs []got
	for _, r := range runs {
		gs = append(gs, got{r.Config.Key(), string(r.Outcome), r.Reason, r.Source, r.Batch, r.Date, r.Commit, r.Metrics})
	}
	want := []got{
		{"tp=8/pp=4", "ok", "", "b.txt:5", "n1", "2026-11-01T03:00:00Z", "abc", []bench.Metric{
			{Name: "s/iter", Unit: "s/iter", Better: bench.Lower, Values: []float64{46.3}, Samples: 40},
			{Name: "TFLOPS/GPU", Unit: "TFLOPS/GPU", Better: bench.Higher, Values: []float64{148.59}, Samples: 40}}},
		{"tp=8/pp=8", "oom", "s.txt:11: OOM in the time column", "b.txt:6", "n1", "2026-11-01T03:00:00Z", "abc", nil},
		{"tp=8/pp=4", "ok", "", "b.txt:9", "n 2", "", "", []bench.Metric{
			{Name: "s/iter", Unit: "s/iter", Better: bench.Lower, Values: []float64{46.1}}}},
	}
	if diff := cmp.Diff(want, gs); diff != "" {
		t.Errorf("parsed runs (-want +got):\n%s", diff)
	}
}
