package baseline

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
	for _, c := range []struct {
		name, data, want string
	}{
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
