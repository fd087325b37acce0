package baseline

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/ingest"
)

// jsonlRuns reads one JSON Lines batch of peak-mem, a metric whose unit (GB) is not its name.
func jsonlRuns(t *testing.T, dir, run string, value string) []bench.Run {
	t.Helper()
	p := filepath.Join(dir, run+".jsonl")
	rec := `{"config":{"tp":8},"metric":"peak-mem","unit":"GB","better":"lower","values":[` + value + `],"run":"` + run + `"}` + "\n" +
		`{"config":{"tp":8},"metric":"TFLOPS/GPU","values":[148.5],"run":"` + run + `"}` + "\n"
	if err := os.WriteFile(p, []byte(rec), 0o644); err != nil {
		t.Fatal(err)
	}
	runs, err := ingest.ReadPaths([]string{p}, &ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

func metricOf(t *testing.T, r bench.Run, name string) bench.Metric {
	t.Helper()
	for _, m := range r.Metrics {
		if m.Name == name {
			return m
		}
	}
	t.Fatalf("run %s has no metric %q", r.Source, name)
	return bench.Metric{}
}

// A metric whose unit is not its name keeps both through the store: read back, updated a
// second time (the nightly refresh), and compared by check's Conform. Before the store kept
// the unit, the second update failed: the store read peak-mem back in unit "peak-mem".
func TestMetricUnitRoundTrip(t *testing.T) {
	in, dir := t.TempDir(), t.TempDir()
	for i, night := range []struct{ run, value string }{{"n1", "60"}, {"n2", "59.96"}} {
		runs := jsonlRuns(t, in, night.run, night.value)
		_, err := Update(dir, time.Second, func(s *Store) error {
			if _, err := Conform(s.Runs, runs); err != nil {
				return err
			}
			s.Merge(runs, DefaultWindow)
			return nil
		})
		if err != nil {
			t.Fatalf("update %d: %v", i+1, err)
		}
	}
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Runs) != 2 {
		t.Fatalf("stored %d runs, want 2", len(s.Runs))
	}
	for _, r := range s.Runs {
		if m := metricOf(t, r, "peak-mem"); m.Unit != "GB" || m.Better != bench.Lower {
			t.Errorf("%s: peak-mem read back in unit %q, %s-is-better; want GB, lower", r.Source, m.Unit, m.Better)
		}
		if m := metricOf(t, r, "TFLOPS/GPU"); m.Unit != "TFLOPS/GPU" {
			t.Errorf("%s: TFLOPS/GPU read back in unit %q", r.Source, m.Unit)
		}
	}
	data, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\nUnit TFLOPS/GPU better=higher\n", "\nUnit peak-mem better=lower unit=GB\n"} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("store lacks %q:\n%s", strings.TrimSpace(want), data)
		}
	}
	// check: a PR's results in the stored unit conform unchanged; in MB they are converted.
	pr := jsonlRuns(t, in, "pr", "60.1")
	conv, err := Conform(s.Runs, pr)
	if err != nil || len(conv) != 0 {
		t.Fatalf("Conform of results in the stored unit: %v, conversions %v", err, conv)
	}
	mb := jsonlRuns(t, in, "pr-mb", "60100")
	for i := range mb {
		for j := range mb[i].Metrics {
			if mb[i].Metrics[j].Name == "peak-mem" {
				mb[i].Metrics[j].Unit = "MB"
			}
		}
	}
	if conv, err := Conform(s.Runs, mb); err != nil || len(conv) != 1 || conv[0].To != "GB" {
		t.Fatalf("Conform of results in MB: %v, conversions %v; want one to GB", err, conv)
	}
	if v := metricOf(t, mb[0], "peak-mem").Values[0]; v != 60.1 {
		t.Errorf("60100 MB converted to %g GB, want 60.1", v)
	}
}

// A store written before units were kept (no unit= key) reads as before, with each metric's
// unit its name, and rewriting it leaves it byte-identical.
func TestMetricUnitOldStoreUnchanged(t *testing.T) {
	old := "# perfgate baseline v2\n" +
		"# One result line per run: the run's median per metric; the count is its number of samples.\n" +
		"# '# perfgate' lines carry provenance and failed runs. Read it with: benchstat baseline.txt\n" +
		"Unit TFLOPS/GPU better=higher\n" +
		"Unit s/iter better=lower\n" +
		"\n# perfgate run batch=n1 date=2026-11-20T03:00:00Z source=night1.txt\n" +
		"BenchmarkTrain/tp=8/pp=4 1 46.3 s/iter 148.59 TFLOPS/GPU\n" +
		"\n# perfgate end runs=1 batches=1 window=10\n"
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	if err := os.WriteFile(path, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range s.Runs[0].Metrics {
		if m.Unit != m.Name {
			t.Errorf("metric %q read in unit %q, want its name", m.Name, m.Unit)
		}
	}
	s.Window = 10
	if err := WriteFile(path, s.Runs, 10); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != old {
		t.Errorf("rewritten store differs:\n%s\nwant:\n%s", got, old)
	}
}

// One metric in two units cannot be written: the store keeps one unit per metric.
func TestMetricUnitConflictRefused(t *testing.T) {
	runs := []bench.Run{
		{Config: bench.Config{"tp": "8"}, Outcome: bench.OK, Batch: "b", Source: "a.jsonl:1",
			Metrics: []bench.Metric{{Name: "peak-mem", Unit: "GB", Better: bench.Lower, Values: []float64{60}}}},
		{Config: bench.Config{"tp": "4"}, Outcome: bench.OK, Batch: "b", Source: "a.jsonl:2",
			Metrics: []bench.Metric{{Name: "peak-mem", Unit: "MB", Better: bench.Lower, Values: []float64{60}}}},
	}
	var buf bytes.Buffer
	err := Write(&buf, runs)
	if err == nil || !strings.Contains(err.Error(), `metric "peak-mem" is in unit "MB" here but "GB" at a.jsonl:1`) {
		t.Fatalf("Write of one metric in two units: %v", err)
	}
}

// An empty unit= on a Unit line is damage, not a unit: the error names that Unit line, as
// the Go benchmark reader's does (one parser, gobench.MetricUnit).
func TestMetricUnitEmptyRefused(t *testing.T) {
	data := "# perfgate baseline v2\nUnit peak-mem better=lower unit=\n" +
		"\n# perfgate run batch=n1\nBenchmarkTrain/tp=8 1 60 peak-mem\n\n# perfgate end runs=1 batches=1\n"
	_, err := Parse("b.txt", []byte(data))
	const want = `b.txt:2: metric "peak-mem": its 'Unit peak-mem' line has an empty unit=`
	if err == nil || err.Error() != want {
		t.Fatalf("Parse: %v\nwant %s", err, want)
	}
}

// A unit= on a Unit line after the metric's first result is refused, naming that line: the
// store read the metric's values in the unit known at its first result (its name), so a
// rewrite silently dropped the later unit=GB, while the Go benchmark reader of the same file
// applied it.
func TestMetricUnitAfterResultsRefused(t *testing.T) {
	data := "# perfgate baseline v2\nUnit peak-mem better=lower\n" +
		"\n# perfgate run batch=n1\nBenchmarkTrain/tp=8 1 60 peak-mem\nUnit peak-mem unit=GB\n\n# perfgate end runs=1 batches=1\n"
	_, err := Parse("b.txt", []byte(data))
	const want = `b.txt:6: metric "peak-mem": its 'Unit peak-mem' line gives unit=GB after the metric's first result at line 5; a store's Unit lines come before its results`
	if err == nil || err.Error() != want {
		t.Fatalf("Parse: %v\nwant %s", err, want)
	}
	// The same unit= restated after the results changes nothing, and is read as before.
	ok := strings.Replace(data, "better=lower\n", "better=lower unit=GB\n", 1)
	runs, err := Parse("b.txt", []byte(ok))
	if err != nil {
		t.Fatal(err)
	}
	if u := runs[0].Metrics[0].Unit; u != "GB" {
		t.Errorf("unit %q, want GB", u)
	}
}

// Two versions that disagree on a metric's unit (one written before units were kept) are
// the merge's input problem, found before anything is written: MergeFiles refuses them, so
// the merge driver exits 2 and leaves OURS as it was.
func TestMergeFilesUnitConflict(t *testing.T) {
	store := func(unit, batch string) []byte {
		var buf bytes.Buffer
		r := bench.Run{Config: bench.Config{"tp": "8"}, Outcome: bench.OK, Batch: batch, Source: batch + ".jsonl:1",
			Metrics: []bench.Metric{{Name: "peak-mem", Unit: unit, Better: bench.Lower, Values: []float64{60}}}}
		if err := write(&buf, []bench.Run{r}, false, 10); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	_, _, err := MergeFiles("base", "ours", "theirs", nil, store("peak-mem", "n1"), store("GB", "n2"), 0)
	if err == nil || !strings.Contains(err.Error(), `metric "peak-mem" is in unit`) {
		t.Fatalf("MergeFiles of two units of one metric: %v", err)
	}
}

// scaledRuns are runs of two files of one update: a.txt in s/iter and TFLOPS/GPU, b.txt in
// ms/iter and GFLOPS/GPU.
func scaledRuns() []bench.Run {
	run := func(src, gbs, time, tput string, t, f float64) bench.Run {
		return bench.Run{Config: bench.Config{"tp": "8", "gbs": gbs}, Outcome: bench.OK, Batch: "n1", File: strings.Split(src, ":")[0], Source: src,
			Metrics: []bench.Metric{
				{Name: time, Unit: time, Better: bench.Lower, Values: []float64{t}},
				{Name: tput, Unit: tput, Better: bench.Higher, Values: []float64{f}},
			}}
	}
	return []bench.Run{
		run("a.txt:3", "1", "s/iter", "TFLOPS/GPU", 10, 100),
		run("b.txt:3", "2", "ms/iter", "GFLOPS/GPU", 12500, 80000),
		run("b.txt:4", "3", "ms/iter", "GFLOPS/GPU", 12000, 79000),
	}
}

// Incoming runs in two scalings of one metric are stored in one, the first seen, even in an
// empty store: stored side by side, a later check compared neither with the other and passed
// a 50% drop as "missing" and "new".
func TestConformEmptyStoreOneScaling(t *testing.T) {
	in := scaledRuns()
	convs, err := Conform(nil, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(convs) != 2 || convs[0].From != "ms/iter" || convs[0].To != "s/iter" || convs[0].Runs != 2 || convs[0].First != "a.txt:3" ||
		convs[1].From != "GFLOPS/GPU" || convs[1].To != "TFLOPS/GPU" {
		t.Fatalf("conversions %+v", convs)
	}
	if got := convs[0].String(); got != "converted ms/iter to s/iter (×0.001), the unit the results first give it in (a.txt:3), in 2 run(s)" {
		t.Errorf("note %q", got)
	}
	if m := metricOf(t, in[1], "s/iter"); m.Unit != "s/iter" || m.Values[0] != 12.5 {
		t.Errorf("converted metric %+v, want 12.5 s/iter", m)
	}
	if m := metricOf(t, in[2], "TFLOPS/GPU"); m.Values[0] != 79 {
		t.Errorf("converted metric %+v, want 79 TFLOPS/GPU", m)
	}
	var buf bytes.Buffer
	if err := Write(&buf, in); err != nil {
		t.Fatal(err)
	}
	if units := strings.Count(buf.String(), "\nUnit "); units != 2 {
		t.Errorf("%d Unit lines, want 2:\n%s", units, buf.String())
	}

	// The first file decides, whichever scaling it is in.
	in = scaledRuns()
	in[0], in[1] = in[1], in[0]
	if convs, err := Conform(nil, in); err != nil || len(convs) != 2 || convs[0].From != "s/iter" || convs[0].To != "ms/iter" || convs[0].Runs != 1 {
		t.Errorf("ms/iter first: %+v, %v", convs, err)
	}

	// Two directions of one metric among the incoming runs are refused, naming both.
	in = scaledRuns()
	in[2].Metrics[1].Better = bench.Lower
	_, err = Conform(nil, in)
	const want = `b.txt:4: metric "TFLOPS/GPU" is lower-is-better here, but higher-is-better at a.txt:3`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("two directions: %v\nwant prefix %s", err, want)
	}
}

// A store holding two scalings of one metric (written by a perfgate before Conform converted
// incoming runs among themselves) is refused on read, naming the line of the second, and a
// store is never written so.
func TestStoreTwoScalingsRefused(t *testing.T) {
	data := "# perfgate baseline v2\nUnit GFLOPS/GPU better=higher\nUnit TFLOPS/GPU better=higher\nUnit ms/iter better=lower\nUnit s/iter better=lower\n" +
		"\n# perfgate run batch=n1 source=a.txt\n" +
		"BenchmarkTrain/tp=8/gbs=1 1 10 s/iter 100 TFLOPS/GPU\n" +
		"BenchmarkTrain/tp=8/gbs=2 1 12500 ms/iter 80000 GFLOPS/GPU\n" +
		"\n# perfgate end runs=2 batches=1 window=10\n"
	_, err := Parse("b.txt", []byte(data))
	const want = `b.txt:9: metric "ms/iter" is a scaling of metric "s/iter" (first at line 8)`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("Parse: %v\nwant prefix %s", err, want)
	}
	if !strings.Contains(err.Error(), "multiply the ms/iter values by 0.001, rename them s/iter") {
		t.Errorf("no fix in %v", err)
	}
	// Metrics whose unit is not their name are other metrics, whatever their units.
	ok := "# perfgate baseline v2\nUnit mem-max better=lower unit=GB\nUnit mem-res better=lower unit=MB\n" +
		"\n# perfgate run batch=n1\nBenchmarkTrain/tp=8 1 60 mem-max 700 mem-res\n\n# perfgate end runs=1 batches=1\n"
	if _, err := Parse("b.txt", []byte(ok)); err != nil {
		t.Errorf("two metrics in GB and MB: %v", err)
	}

	var buf bytes.Buffer
	err = Write(&buf, scaledRuns())
	if err == nil || !strings.Contains(err.Error(), `b.txt:3: metric "ms/iter" is a scaling of metric "s/iter" at a.txt:3`) {
		t.Errorf("Write: %v", err)
	}
	// perfgate convert writes results as they are.
	if err := WriteSamples(&buf, scaledRuns()); err != nil {
		t.Errorf("WriteSamples: %v", err)
	}
}

// A metric's direction is merged three-way: a hand fix of its Unit line on one branch is
// kept when the other branch left it as in the base (it was silently undone by the other's
// direction), and two branches that changed it differently are a conflict, refused with
// file:line, with nothing merged.
func TestMergeFilesDirection(t *testing.T) {
	store := func(better string, batches ...string) []byte {
		s := "# perfgate baseline v2\nUnit mem-GB better=" + better + "\nUnit s/iter better=lower\n"
		for i, b := range batches {
			s += "\n# perfgate run batch=" + b + " date=2026-11-0" + b[1:] + "T03:00:00Z\nBenchmarkTrain/tp=8 1 " + fmt.Sprint(50+i) + " mem-GB 9 s/iter\n"
		}
		return []byte(s + fmt.Sprintf("\n# perfgate end runs=%d batches=%d window=10\n", len(batches), len(batches)))
	}
	dirOf := func(t *testing.T, runs []bench.Run) bench.Better {
		t.Helper()
		var d bench.Better
		for i, r := range runs {
			m := metricOf(t, r, "mem-GB")
			if i > 0 && m.Better != d {
				t.Fatalf("run %d: mem-GB is %s-is-better, run 0 %s", i, m.Better, d)
			}
			d = m.Better
		}
		return d
	}
	base := store("higher", "n1")
	for _, tt := range []struct {
		name         string
		ours, theirs []byte
		want         bench.Better
	}{
		{"ours fixed it", store("lower", "n1"), store("higher", "n1", "n2"), bench.Lower},
		{"theirs fixed it", store("higher", "n1", "n2"), store("lower", "n1"), bench.Lower},
		{"both fixed it", store("lower", "n1", "n3"), store("lower", "n1", "n2"), bench.Lower},
		{"neither", store("higher", "n1", "n3"), store("higher", "n1", "n2"), bench.Higher},
	} {
		t.Run(tt.name, func(t *testing.T) {
			runs, st, err := MergeFiles("base.txt", "ours.txt", "theirs.txt", base, tt.ours, tt.theirs, 0)
			if err != nil {
				t.Fatal(err)
			}
			if got := dirOf(t, runs); got != tt.want {
				t.Errorf("merged mem-GB is %s-is-better, want %s", got, tt.want)
			}
			if st.Removed != 0 || len(st.Reingested) != 0 {
				t.Errorf("a direction change read as a change of runs: %+v", st)
			}
			var buf bytes.Buffer
			if err := Write(&buf, runs); err != nil {
				t.Fatal(err)
			}
			if want := "\nUnit mem-GB better=" + tt.want.String() + "\n"; !strings.Contains(buf.String(), want) {
				t.Errorf("merged store lacks %q:\n%s", want, buf.String())
			}
		})
	}

	// With two directions, two branches that disagree and a base that holds the metric mean
	// one branch changed it; a conflict is two branches that added it with two directions.
	_, _, err := MergeFiles("base.txt", "ours.txt", "theirs.txt", nil, store("lower", "n3"), store("higher", "n2"), 0)
	const want = `ours.txt:6: metric "mem-GB" is lower-is-better in ours but higher-is-better in theirs (theirs.txt:6), and the base does not hold it, so both branches added it; nothing was merged`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("both added it with two directions: %v\nwant prefix %s", err, want)
	}
}
