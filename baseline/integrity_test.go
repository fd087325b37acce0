package baseline

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfgate/perfgate/bench"
)

// storeBytes returns the seed sweep saved as a store, in two batches.
func storeBytes(t *testing.T) []byte {
	t.Helper()
	s := &Store{Dir: t.TempDir()}
	runs := seedRuns(t)
	s.Merge(runs, DefaultWindow)
	more := seedRuns(t)
	for i := range more {
		more[i].Batch = "night"
	}
	s.Merge(more, DefaultWindow)
	return saved(t, s)
}

// saved saves s and returns the store file's bytes.
func saved(t *testing.T, s *Store) []byte {
	t.Helper()
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Every cut of a store, at any byte, is refused: none reads as a smaller store.
func TestTruncationAlwaysDetected(t *testing.T) {
	data := storeBytes(t)
	if _, err := Parse("b.txt", data); err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(data)-1; n++ {
		cut := data[:n]
		if n > 0 && bytes.Equal(bytes.TrimRight(cut, "\n"), bytes.TrimRight(data, "\n")) {
			continue // only trailing newlines gone: nothing lost
		}
		if runs, err := Parse("b.txt", cut); err == nil {
			t.Fatalf("a store cut at byte %d of %d reads as %d runs", n, len(data), len(runs))
		}
	}
}

func TestDamageErrors(t *testing.T) {
	data := string(storeBytes(t))
	lines := strings.Split(data, "\n")
	drop := func(pred func(string) bool) string {
		var out []string
		for _, l := range lines {
			if !pred(l) {
				out = append(out, l)
			}
		}
		return strings.Join(out, "\n")
	}
	// lineOf is the 1-based line number of the first line that contains sub.
	lineOf := func(sub string) int {
		return slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, sub) }) + 1
	}
	result := lineOf("flags=dist-opt/")
	replaced := slices.Clone(lines)
	replaced[result-1] = "hello world"
	night := lineOf("batch=night")
	junk := slices.Insert(slices.Clone(lines), night, "\x00\x01\x02")
	zero := slices.Clone(lines)
	zero[result-1] = strings.Replace(zero[result-1], "/nodes=32 1 ", "/nodes=32 0 ", 1)
	unit := lineOf("Unit s/iter")
	for _, c := range []struct {
		name, data, want string
	}{
		{"a run line damaged into text", strings.Join(replaced, "\n"),
			fmt.Sprintf("b.txt:%d: not a line of a perfgate store", result)},
		{"binary junk between runs", strings.Join(junk, "\n"),
			fmt.Sprintf("b.txt:%d: not a line of a perfgate store", night+1)},
		{"a sample count of 0", strings.Join(zero, "\n"),
			fmt.Sprintf("b.txt:%d: sample count 0", result)},
		{"cut mid-line", data[:strings.LastIndex(data, "\nBenchmarkTrain")+20],
			fmt.Sprintf("b.txt:%d: the store ends here without its closing '# perfgate end' line: it was cut short mid-line", strings.Count(data[:strings.LastIndex(data, "\nBenchmarkTrain")+1], "\n")+1)},
		{"a Unit line with a bad direction", strings.Replace(data, "Unit s/iter better=lower", "Unit s/iter better=sideways", 1),
			fmt.Sprintf(`b.txt:%d: Unit s/iter: better="sideways", want higher or lower`, unit)},
		{"runs removed", drop(func(l string) bool { return strings.Contains(l, "flags=dist-opt/") }),
			"the closing line counts 34 run(s) in 2 batch(es), but the file holds 30 in 2"},
		{"a batch removed", drop(func(l string) bool { return strings.Contains(l, "batch=night") }),
			"but the file holds 34 in 1"},
		{"conflict", strings.Replace(data, "\n# perfgate run batch=night", "\n<<<<<<< HEAD\n=======\n>>>>>>> night\n# perfgate run batch=night", 1),
			"git merge-conflict marker"},
		{"conflict with base", strings.Replace(data, "\n# perfgate run batch=night", "\n||||||| base\n# perfgate run batch=night", 1),
			"git merge-conflict marker"},
		{"newer", strings.Replace(data, "baseline v2", "baseline v3", 1),
			"b.txt:1: written by a newer perfgate (format v3; this perfgate reads up to v2): upgrade perfgate"},
		{"joined", data + data, "content after the closing line"},
		{"bad closing", strings.Replace(data, "runs=34", "runs=many", 1), "closing line: runs=\"many\" is not a count"},
	} {
		_, err := Parse("b.txt", []byte(c.data))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want %q", c.name, err, c.want)
		}
		var se *bench.SyntaxError
		if !errors.As(err, &se) || se.Line == 0 {
			t.Errorf("%s: %v has no line", c.name, err)
		}
	}
	// A format-1 store has no closing line and is read, marked legacy.
	legacy := strings.Replace(drop(func(l string) bool { return strings.HasPrefix(l, endPrefix) }), "baseline v2", "baseline v1", 1)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(legacy), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir)
	if err != nil || !s.Legacy || len(s.Runs) != 34 {
		t.Fatalf("legacy store: %v, legacy %v, %d runs", err, s != nil && s.Legacy, len(s.Runs))
	}
}

// A line that only looks like a marker is not one.
func TestConflictMarkerShape(t *testing.T) {
	for line, want := range map[string]bool{
		"<<<<<<< HEAD": true, "<<<<<<<": true, "=======": true, "=======\r": true, ">>>>>>> b": true, "||||||| base": true,
		"========": false, "<<<<<<<<": false, "======= x": false, "<<<<<< a": false,
	} {
		if got := len(line) >= 7 && isConflictMarker([]byte(line)); got != want {
			t.Errorf("isConflictMarker(%q) = %v, want %v", line, got, want)
		}
	}
}

func TestMergeFiles(t *testing.T) {
	base := storeBytes(t)
	side := func(batch, date string, drop string) []byte {
		runs, err := Parse("x", base)
		if err != nil {
			t.Fatal(err)
		}
		s := &Store{Dir: t.TempDir(), Window: DefaultWindow}
		for _, r := range runs {
			if r.Batch != drop {
				s.Runs = append(s.Runs, r)
			}
		}
		add := seedRuns(t)
		for i := range add {
			add[i].Batch, add[i].Date = batch, date
			// Values of its own: a batch equal to another is a copy, which the merge refuses.
			ms := slices.Clone(add[i].Metrics)
			for j := range ms {
				ms[j].Values = slices.Clone(ms[j].Values)
				for k := range ms[j].Values {
					ms[j].Values[k] *= 1 + float64(batch[0]-'a'+1)/1000
				}
			}
			add[i].Metrics = ms
		}
		s.Merge(add, DefaultWindow)
		if err := s.Save(); err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(s.Path())
		return data
	}
	ours := side("a", "2026-11-26T03:00:00Z", "")
	theirs := side("b", "2026-11-25T03:00:00Z", "night") // theirs also removed the night batch
	runs, st, err := MergeFiles("base", "ours", "theirs", base, ours, theirs, 0)
	if err != nil {
		t.Fatal(err)
	}
	var batches []string
	for _, r := range runs {
		if len(batches) == 0 || batches[len(batches)-1] != r.Batch {
			batches = append(batches, r.Batch)
		}
	}
	if got := strings.Join(batches, " "); got != "seed b a" {
		t.Errorf("batches %q, want seed, then b and a in date order, night removed", got)
	}
	if st.Merged != 51 || st.Removed != 17 || st.Window != DefaultWindow {
		t.Errorf("stats %+v", st)
	}
	// The window is re-applied to the union.
	runs, st, err = MergeFiles("base", "ours", "theirs", base, ours, theirs, 1)
	if err != nil || len(runs) != 16 || st.Pruned != 35 { // the seed lists one config twice
		t.Errorf("window 1: %d runs, %+v, %v", len(runs), st, err)
	}
	// An empty base (the store added on both sides) is a union.
	runs, _, err = MergeFiles("base", "ours", "theirs", nil, ours, theirs, 0)
	if err != nil || len(runs) != 85-17 {
		t.Errorf("empty base: %d runs, %v", len(runs), err)
	}
	// A damaged version is refused.
	if _, _, err := MergeFiles("base", "ours", "theirs", base, ours[:len(ours)/2], theirs, 0); err == nil || !strings.Contains(err.Error(), "ours:") {
		t.Errorf("cut ours: %v", err)
	}
}

// Only the base may be empty: an empty OURS is refused as a damaged version, whatever its
// name (it was taken for the base when both were given the same path).
func TestMergeFilesEmptyOurs(t *testing.T) {
	theirs := storeBytes(t)
	if _, _, err := MergeFiles("b.txt", "b.txt", "theirs", nil, nil, theirs, 0); err == nil || !strings.Contains(err.Error(), "empty file") {
		t.Errorf("empty ours: err = %v, want an empty-file error", err)
	}
}

func TestConform(t *testing.T) {
	stored := seedRuns(t)
	incoming := seedRuns(t)
	for i := range incoming {
		for j := range incoming[i].Metrics {
			m := &incoming[i].Metrics[j]
			if m.Name == bench.MetricTFLOPS {
				m.Name, m.Unit = "GFLOPS/GPU", "GFLOPS/GPU"
				for k := range m.Values {
					m.Values[k] *= 1000
				}
			}
		}
	}
	want := stored[0].Metric(bench.MetricTFLOPS).Values[0]
	convs, err := Conform(stored, incoming)
	if err != nil || len(convs) != 1 || convs[0].From != "GFLOPS/GPU" || convs[0].To != bench.MetricTFLOPS {
		t.Fatalf("Conform = %v, %v", convs, err)
	}
	if got := incoming[0].Metric(bench.MetricTFLOPS); got == nil || got.Values[0] != want {
		t.Errorf("converted value %v, want %v", got, want)
	}
	flipped := seedRuns(t)
	flipped[0].Metrics[0].Better = -flipped[0].Metrics[0].Better
	flipped[0].Source = "x.txt:3"
	if _, err := Conform(stored, flipped); err == nil || !strings.HasPrefix(err.Error(), "x.txt:3: metric") {
		t.Errorf("flipped direction: %v", err)
	}
}

// Concurrent Updates of one store in one process serialise too (flock is per open file),
// and a lock held past the timeout is an ErrLocked that says what to do.
func TestUpdateSerialises(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runs := seedRuns(t)
			for k := range runs {
				runs[k].Batch = fmt.Sprint("b", i)
			}
			if _, err := Update(dir, time.Minute, func(s *Store) error { s.Merge(runs, 100); return nil }); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	s, err := Open(dir)
	if err != nil || len(s.Runs) != 8*17 {
		t.Fatalf("%d runs after 8 concurrent updates of 17, want %d (%v)", len(s.Runs), 8*17, err)
	}
	l, err := LockDir(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Update(dir, 50*time.Millisecond, func(*Store) error { t.Error("ran without the lock"); return nil })
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "--lock-timeout") {
		t.Errorf("locked store: %v", err)
	}
	l.Unlock()
	// Leftover temporary files of a killed update are removed by the next.
	os.WriteFile(filepath.Join(dir, ".baseline.txt.tmp12345"), []byte("partial"), 0o644)
	res, err := Update(dir, time.Second, func(*Store) error { return nil })
	if err != nil || res.TempsRemoved != 1 {
		t.Errorf("Update = %+v, %v; want 1 temp removed", res, err)
	}
}

// A metric named as stored but in another unit is converted when the unit is a scaling of the
// store's, refused otherwise.
func TestConformUnitOfStoredName(t *testing.T) {
	stored := seedRuns(t)
	in := seedRuns(t)
	m := in[0].Metric(bench.MetricTFLOPS)
	want := m.Values[0]
	m.Unit = "GFLOPS/GPU"
	m.Values[0] *= 1000
	convs, err := Conform(stored, in[:1])
	if err != nil || len(convs) != 1 || m.Unit != bench.MetricTFLOPS || m.Values[0] != want {
		t.Errorf("Conform = %v, %v; metric %+v", convs, err, m)
	}
	in = seedRuns(t)
	in[0].Metric(bench.MetricTFLOPS).Unit = "tokens/s"
	in[0].Source = "y.jsonl:4"
	if _, err := Conform(stored, in[:1]); err == nil || !strings.Contains(err.Error(), `y.jsonl:4: metric "TFLOPS/GPU" is in unit "tokens/s" here`) {
		t.Errorf("foreign unit: %v", err)
	}
}

// version returns the store of base's runs as edit changes them.
func version(t *testing.T, base []byte, edit func([]bench.Run) []bench.Run) []byte {
	t.Helper()
	runs, err := Parse("x", base)
	if err != nil {
		t.Fatal(err)
	}
	return saved(t, &Store{Dir: t.TempDir(), Window: DefaultWindow, Runs: edit(runs)})
}

// reingest returns base with the batch "night" re-ingested: its OK runs' values scaled and
// all its runs dated date ("" keeps the date).
func reingest(t *testing.T, base []byte, scale float64, date string) []byte {
	return version(t, base, func(runs []bench.Run) []bench.Run {
		for i := range runs {
			r := &runs[i]
			if r.Batch != "night" {
				continue
			}
			if date != "" {
				r.Date = date
			}
			r.Metrics = slices.Clone(r.Metrics)
			for j := range r.Metrics {
				m := &r.Metrics[j]
				m.Values = slices.Clone(m.Values)
				for k := range m.Values {
					m.Values[k] *= scale
				}
			}
		}
		return runs
	})
}

// TestMergeFilesReingested: a batch one side re-ingested (same batch, new values) keeps the
// new values whichever side did it; a batch both sides re-ingested keeps the later ingest
// by date, as 'baseline update' run twice would, and says so; when the dates do not tell
// which is later, the merge is refused, naming the batch, the config and both versions'
// lines, rather than one side's runs dropped without a word.
func TestMergeFilesReingested(t *testing.T) {
	base := storeBytes(t)
	runs, err := Parse("x", base)
	if err != nil {
		t.Fatal(err)
	}
	night := func(runs []bench.Run) float64 {
		for _, r := range runs {
			if r.Batch == "night" && r.Outcome == bench.OK {
				return r.Metrics[0].Values[0]
			}
		}
		t.Fatal("no night run")
		return 0
	}
	want := night(runs)
	const (
		d0 = "2026-11-24T03:00:00Z" // the base's date of the night batch
		d1 = "2026-11-25T03:00:00Z"
		d2 = "2026-11-26T03:00:00Z"
	)
	for _, tt := range []struct {
		name         string
		ours, theirs []byte
		scale        float64
		kept         string // the stats' Reingested: "", or "ours" or "theirs" for all 16 configs
		err          string // the merge is refused with this message
	}{
		{name: "theirs re-ingested", ours: base, theirs: reingest(t, base, 1.5, d1), scale: 1.5},
		{name: "ours re-ingested", ours: reingest(t, base, 1.5, d1), theirs: base, scale: 1.5},
		{name: "both re-ingested alike", ours: reingest(t, base, 1.5, d1), theirs: reingest(t, base, 1.5, d1), scale: 1.5},
		{name: "both re-ingested, theirs later", ours: reingest(t, base, 1.5, d1), theirs: reingest(t, base, 2, d2), scale: 2, kept: "theirs"},
		{name: "both re-ingested, ours later", ours: reingest(t, base, 1.5, d2), theirs: reingest(t, base, 2, d1), scale: 1.5, kept: "ours"},
		{name: "both re-ingested, same date", ours: reingest(t, base, 1.5, d1), theirs: reingest(t, base, 2, d1),
			err: `ours:27: batch "night", config tp=8/pp=8/mbs=1/gbs=64/flags=none/sl=4096/nodes=32: both branches re-ingested it since the base, with different results (theirs:27 in theirs), and their dates do not tell which ingest came later (both dated ` + d1 + `); so are 11 more config(s); nothing was merged`},
		{name: "both re-ingested, same date as the base", ours: reingest(t, base, 1.5, ""), theirs: reingest(t, base, 2, ""),
			err: `ours:27: batch "night", config tp=8/pp=8/mbs=1/gbs=64/flags=none/sl=4096/nodes=32: both branches re-ingested it since the base, with different results (theirs:27 in theirs), and their dates do not tell which ingest came later (both dated ` + d0 + `)`},
		{name: "both re-ingested, no RFC 3339 date", ours: reingest(t, base, 1.5, "last night"), theirs: reingest(t, base, 2, d2),
			err: `(ours dated last night, theirs ` + d2 + `)`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			merged, st, err := MergeFiles("base", "ours", "theirs", base, tt.ours, tt.theirs, 0)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one containing %q", err, tt.err)
				}
				var se *bench.SyntaxError
				if !errors.As(err, &se) || se.File != "ours" || se.Line != 27 {
					t.Errorf("err = %#v, want a *bench.SyntaxError at ours:27", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := night(merged); math.Abs(got/(want*tt.scale)-1) > 1e-9 {
				t.Errorf("night run %v, want %v", got, want*tt.scale)
			}
			// Nothing else is lost: the seed batch and every night config are there once.
			if len(merged) != len(runs) || st.Merged != len(runs) || st.Removed != 0 {
				t.Errorf("%d runs, stats %+v, want %d runs", len(merged), st, len(runs))
			}
			if tt.kept == "" {
				if len(st.Reingested) != 0 {
					t.Errorf("stats say re-ingested on both sides: %+v", st.Reingested)
				}
				return
			}
			if len(st.Reingested) != 16 {
				t.Fatalf("%d configs re-ingested on both sides, want the night's 16: %+v", len(st.Reingested), st.Reingested)
			}
			later, earlier := d2, d1
			for _, re := range st.Reingested {
				if re.Batch != "night" || re.KeptTheirs != (tt.kept == "theirs") || re.Kept != later || re.Dropped != earlier || re.DroppedRuns < 1 {
					t.Errorf("re-ingested %+v, want night kept from %s of %s over %s", re, tt.kept, later, earlier)
				}
			}
			other := map[string]string{"ours": "theirs", "theirs": "ours"}[tt.kept]
			msg := `batch "night" re-ingested on both branches: kept the later ingest, ` + tt.kept + ` of ` + later + `, for 16 config(s), and dropped the 17 run(s) of ` + other + ` of ` + earlier
			if s := st.String(); !strings.Contains(s, msg) {
				t.Errorf("stats say %q, want %q in it", s, msg)
			}
		})
	}
}

// TestMergeFilesRemovedRuns: runs of one batch and config that each side removed some of (the
// window drops a config's oldest runs) stay removed when either side removed them, however
// many each side kept, and the stats count the runs one side kept and the other removed: the
// seed lists one config twice, so its batch holds two runs of it.
func TestMergeFilesRemovedRuns(t *testing.T) {
	base := storeBytes(t)
	const twice = "tp=8/pp=4/mbs=1/gbs=1024/flags=none/sl=4096/nodes=32"
	// keep returns base with the night batch's runs of twice kept as keep says (by their
	// order), and the rest of the store as it is.
	keep := func(keep ...bool) []byte {
		return version(t, base, func(runs []bench.Run) []bench.Run {
			var out []bench.Run
			n := 0
			for _, r := range runs {
				if r.Batch == "night" && r.ConfigKey() == twice {
					n++
					if !keep[n-1] {
						continue
					}
				}
				out = append(out, r)
			}
			return out
		})
	}
	all, err := Parse("x", base)
	if err != nil {
		t.Fatal(err)
	}
	var values []float64 // the night's two runs of twice, in order
	for _, r := range all {
		if r.Batch == "night" && r.ConfigKey() == twice {
			values = append(values, r.Metrics[0].Values[0])
		}
	}
	if len(values) != 2 || values[0] == values[1] {
		t.Fatalf("the night batch's runs of %s: %v, want two of different values", twice, values)
	}
	for _, tt := range []struct {
		name         string
		ours, theirs []byte
		want         []float64 // the night's runs of twice in the merge
		removed      int
	}{
		{"ours dropped the first", keep(false, true), base, values[1:], 1},
		{"theirs dropped the first", base, keep(false, true), values[1:], 1},
		{"each dropped another", keep(false, true), keep(true, false), nil, 2},
		{"both dropped the first", keep(false, true), keep(false, true), values[1:], 0},
		{"ours dropped both", keep(false, false), keep(false, true), nil, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			merged, st, err := MergeFiles("base", "ours", "theirs", base, tt.ours, tt.theirs, 0)
			if err != nil {
				t.Fatal(err)
			}
			var got []float64
			for _, r := range merged {
				if r.Batch == "night" && r.ConfigKey() == twice {
					got = append(got, r.Metrics[0].Values[0])
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("night runs of %s: %v, want %v", twice, got, tt.want)
			}
			if st.Merged != len(all)-2+len(tt.want) || st.Removed != tt.removed {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// TestMergeFilesReingestedRemoved: a batch one side re-ingested stays, with the new values,
// where the other removed it: 'baseline update' run on both would have stored the re-ingest
// whichever ran first, and the window, re-applied to the merge, decides whether it stays.
func TestMergeFilesReingestedRemoved(t *testing.T) {
	base := storeBytes(t)
	removed := version(t, base, func(runs []bench.Run) []bench.Run {
		return slices.DeleteFunc(runs, func(r bench.Run) bool { return r.Batch == "night" })
	})
	re := reingest(t, base, 2, "2026-11-25T03:00:00Z")
	for _, tt := range []struct {
		name         string
		ours, theirs []byte
	}{
		{"ours removed", removed, re},
		{"theirs removed", re, removed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			merged, st, err := MergeFiles("base", "ours", "theirs", base, tt.ours, tt.theirs, 0)
			if err != nil {
				t.Fatal(err)
			}
			if st.Merged != 34 || st.Removed != 0 || len(st.Reingested) != 0 {
				t.Errorf("stats %+v, want the 34 runs of seed and the re-ingested night", st)
			}
			for _, r := range merged {
				if r.Batch == "night" && r.Date != "2026-11-25T03:00:00Z" {
					t.Fatalf("a night run of the base is back: %+v", r)
				}
			}
		})
	}
}

// The merge driver's per-file copy check groups a batch's runs by the results file the store
// records (source=), not by their Source, which for runs read from a store is the store:
// grouped by it, a batch theirs added with a stale copy of one of ours's batches among its
// files passed (review).
func TestMergeFilesCopyOfOneFile(t *testing.T) {
	night := func(batch, date, file string, values ...float64) []bench.Run {
		var out []bench.Run
		for i, v := range values {
			out = append(out, bench.Run{Batch: batch, Date: date, File: file, Outcome: bench.OK, Config: bench.Config{"tp": "8", "pp": fmt.Sprint(i + 1)},
				Metrics: []bench.Metric{{Name: "s/iter", Unit: "s/iter", Better: bench.Lower, Values: []float64{v}}}})
		}
		return out
	}
	save := func(runs ...[]bench.Run) []byte {
		s := &Store{Dir: t.TempDir(), Window: DefaultWindow}
		for _, r := range runs {
			s.Merge(r, DefaultWindow)
		}
		if err := s.Save(); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(s.Path())
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	n1 := night("n1", "2026-11-01T03:00:00Z", "a.bench", 101.2882, 111.5944, 120.0796)
	n2 := night("n2", "2026-11-02T03:00:00Z", "a.bench", 100.9382, 111.2709, 120.4738)
	stale := night("n3", "2026-11-03T03:00:00Z", "old.bench", 100.9382, 111.2709, 120.4738)
	fresh := night("n3", "2026-11-03T03:00:00Z", "new.bench", 101.5512, 110.8231, 119.9617)
	for i := range fresh {
		fresh[i].Config["pp"] = fmt.Sprint(i + 4)
	}
	base, ours, theirs := save(n1), save(n1, n2), save(n1, append(stale, fresh...))
	_, _, err := MergeFiles("base", "ours", "theirs", base, ours, theirs, 0)
	var se *bench.SyntaxError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), `batch "n3", added in theirs (theirs:`) ||
		!strings.Contains(err.Error(), "source=old.bench") || !strings.Contains(err.Error(), `equal to batch "n2"`) {
		t.Fatalf("MergeFiles: %v, want batch n3's old.bench refused as a copy of n2", err)
	}
	t.Log(err)
	// Without the stale file, the merge goes through.
	if _, _, err := MergeFiles("base", "ours", "theirs", base, ours, save(n1, fresh), 0); err != nil {
		t.Errorf("without the copy: %v", err)
	}
}

// Under --recompute-tflops a store's TFLOPS/GPU are F/(s/iter), to 10 digits: a function of
// a time logged to three digits. The merge driver counted them as evidence, and refused two
// legitimate nights whose times repeated to three digits, which the update accepts (review).
// A logged TFLOPS/GPU, which does not follow the time to 10 digits, still counts.
func TestMergeFilesRecomputedTFLOPS(t *testing.T) {
	flop := []float64{7096.797802, 7052.79381, 7053.63621}
	night := func(batch, date string, recomputed bool, times ...float64) []bench.Run {
		var out []bench.Run
		for i, tm := range times {
			tf := flop[i] / tm
			if recomputed {
				tf, _ = strconv.ParseFloat(strconv.FormatFloat(tf, 'g', 10, 64), 64)
			} else {
				tf = math.Round(tf*10) / 10 // a table's TFLOPS, to four digits
			}
			out = append(out, bench.Run{Batch: batch, Date: date, File: batch + ".txt", Outcome: bench.OK, Config: bench.Config{"tp": "8", "pp": fmt.Sprint(i + 1)},
				Metrics: []bench.Metric{{Name: "s/iter", Unit: "s/iter", Better: bench.Lower, Values: []float64{tm}},
					{Name: "TFLOPS/GPU", Unit: "TFLOPS/GPU", Better: bench.Higher, Values: []float64{tf}}}})
		}
		return out
	}
	save := func(runs ...[]bench.Run) []byte {
		s := &Store{Dir: t.TempDir(), Window: DefaultWindow}
		for _, r := range runs {
			s.Merge(r, DefaultWindow)
		}
		if err := s.Save(); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(s.Path())
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	for _, recomputed := range []bool{true, false} {
		n0 := night("n0", "2026-10-31T03:00:00Z", recomputed, 15.9, 16.2, 16.6)
		n1 := night("n1", "2026-11-01T03:00:00Z", recomputed, 15.8, 16.1, 16.5)
		n2 := night("n2", "2026-11-02T03:00:00Z", recomputed, 15.8, 16.1, 16.5) // its times repeat n1's
		_, _, err := MergeFiles("base", "ours", "theirs", save(n0), save(n0, n2), save(n0, n1), 0)
		if recomputed && err != nil {
			t.Errorf("recomputed TFLOPS: %v, want the two nights merged", err)
		}
		if !recomputed && (err == nil || !strings.Contains(err.Error(), `equal to batch "n2"`)) {
			t.Errorf("logged TFLOPS: %v, want n1 refused as a copy of n2", err)
		}
	}
}
