package history

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/check"
)

// TestRecordedMemory: a recorded memory is read back exactly, and only for the store it was
// learned with; a record for other runs, a damaged one (a merge conflict) or one of another
// schema is not used.
func TestRecordedMemory(t *testing.T) {
	var runs []bench.Run
	for night := 1; night <= 3; night++ {
		for tp := 1; tp <= 2; tp++ {
			runs = append(runs, bench.Run{Config: bench.Config{"tp": fmt.Sprint(tp)}, Outcome: bench.OK, Batch: fmt.Sprintf("nightly-%d", night)})
		}
	}
	mem := &check.Memory{
		Noisy:    map[string]float64{"tp=1": 0.002, "tp=2": 0.9871234567891234},
		NoisyPct: 2.512345678901234, NoisyDF: 35,
		Own: map[string]check.OwnNoise{"tp=1": {Var: 6.4e-05, DF: 18}},
	}
	dir := t.TempDir()
	if err := RecordMemory(dir, runs, mem, 24, 6, check.DefaultOptions); err != nil {
		t.Fatal(err)
	}
	got, remark, ok := RecordedMemory(dir, runs, check.DefaultOptions)
	if !ok {
		t.Fatal("the memory recorded for these runs was not read back")
	}
	if diff := cmp.Diff(mem, got); diff != "" {
		t.Errorf("memory read back differs (-recorded +read):\n%s", diff)
	}
	if want := (check.MemoryUsed{Runs: 24, Commits: 6, Recorded: true}); remark != want {
		t.Errorf("remark %+v, want %+v", remark, want)
	}
	// The same runs in another order are the same store.
	reversed := make([]bench.Run, len(runs))
	for i, r := range runs {
		reversed[len(runs)-1-i] = r
	}
	if _, _, ok := RecordedMemory(dir, reversed, check.DefaultOptions); !ok {
		t.Error("the same runs in another order: record not used")
	}
	if _, _, ok := RecordedMemory(dir, runs[:5], check.DefaultOptions); ok {
		t.Error("a record of other runs was used")
	}
	path := filepath.Join(dir, MemoryFile)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"conflict": "<<<<<<< HEAD\n" + string(data) + "=======\n" + string(data) + ">>>>>>> other\n",
		"schema":   `{"schema": 3, "store": "x", "memory": {}}`,
		// Schema 1 learned the memory with the store's own runs too: not what a check learns.
		"schema 1": strings.Replace(string(data), `"schema": 2`, `"schema": 1`, 1),
		"empty":    "",
	} {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, ok := RecordedMemory(dir, runs, check.DefaultOptions); ok {
			t.Errorf("%s: record used", name)
		}
	}
	if _, _, ok := RecordedMemory(t.TempDir(), runs, check.DefaultOptions); ok {
		t.Error("no record: one was used")
	}
}

// TestRecordedMemoryOptions: the memory depends on the options it was learned with (the
// metric that decides, the runs a config needs): a check whose options differ from the
// nightly update's (a flag, another config file) does not use the record, and learns the
// memory with its own options, as it would without one.
func TestRecordedMemoryOptions(t *testing.T) {
	runs := []bench.Run{{Config: bench.Config{"tp": "1"}, Outcome: bench.OK, Batch: "nightly-1"}}
	mem := &check.Memory{Noisy: map[string]float64{"tp=1": 0.5}, Own: map[string]check.OwnNoise{}}
	dir := t.TempDir()
	if err := RecordMemory(dir, runs, mem, 3, 2, check.DefaultOptions); err != nil {
		t.Fatal(err)
	}
	same := check.DefaultOptions
	same.Alpha, same.MinEffectPct, same.Metrics = 0.05, 5, []string{"s/iter"} // not what the memory learns with
	if _, _, ok := RecordedMemory(dir, runs, same); !ok {
		t.Error("options the memory does not depend on: record not used")
	}
	minHistory := check.DefaultOptions
	minHistory.MinHistoryRuns = 5
	speed := check.DefaultOptions
	speed.SpeedMetrics = []string{"s/iter"}
	for name, opts := range map[string]check.Options{"min history": minHistory, "speed metrics": speed} {
		if _, _, ok := RecordedMemory(dir, runs, opts); ok {
			t.Errorf("%s differs from the record's: record used", name)
		}
	}
}

// TestRecordIgnoredSays: a record a check does not use says why.
func TestRecordIgnoredSays(t *testing.T) {
	runs := []bench.Run{{Config: bench.Config{"tp": "1"}, Outcome: bench.OK, Batch: "nightly-1"}}
	dir := t.TempDir()
	if err := RecordMemory(dir, runs, &check.Memory{Noisy: map[string]float64{}}, 1, 1, check.DefaultOptions); err != nil {
		t.Fatal(err)
	}
	other := check.DefaultOptions
	other.MinHistoryRuns++
	for _, tt := range []struct {
		runs []bench.Run
		opts check.Options
		want check.Remark
	}{
		{nil, check.DefaultOptions, check.MemoryRecordIgnored{OtherRuns: true}},
		{runs, other, check.MemoryRecordIgnored{OtherOptions: true}},
		{nil, other, check.MemoryRecordIgnored{OtherRuns: true, OtherOptions: true}},
	} {
		if _, remark, ok := RecordedMemory(dir, tt.runs, tt.opts); ok || remark != tt.want {
			t.Errorf("used %v, remark %+v, want %+v", ok, remark, tt.want)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, MemoryFile), []byte("<<<<<<< ours\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, remark, ok := RecordedMemory(dir, runs, check.DefaultOptions); ok || remark != (check.MemoryRecordIgnored{}) {
		t.Errorf("conflicted record: used %v, remark %+v", ok, remark)
	}
}

// TestRecordOfOtherSchema: a record of an older schema (learned with the window's runs too)
// is not used, and its remark says it is an older perfgate's; one of a newer schema cannot be
// read, as a conflicted one cannot.
func TestRecordOfOtherSchema(t *testing.T) {
	runs := []bench.Run{{Config: bench.Config{"tp": "1"}, Outcome: bench.OK, Batch: "nightly-1"}}
	dir := t.TempDir()
	if err := RecordMemory(dir, runs, &check.Memory{Noisy: map[string]float64{}}, 1, 1, check.DefaultOptions); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, MemoryFile)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		schema int
		want   check.Remark
	}{
		{1, check.MemoryRecordIgnored{OlderSchema: true}},
		{memorySchema + 1, check.MemoryRecordIgnored{}},
		{0, check.MemoryRecordIgnored{}}, // no schema: not a record perfgate wrote
	} {
		var rec map[string]any
		if err := json.Unmarshal(data, &rec); err != nil {
			t.Fatal(err)
		}
		rec["schema"] = tt.schema
		other, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, other, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, remark, ok := RecordedMemory(dir, runs, check.DefaultOptions); ok || remark != tt.want {
			t.Errorf("schema %d: used %v, remark %+v, want %+v", tt.schema, ok, remark, tt.want)
		}
	}
}

// TestRecordedMemoryValues: the memory is learned from the store's values too, so a value
// edited by hand (the configs and batches as they were) makes the record another store's;
// the same runs read back in another order are still the same store.
func TestRecordedMemoryValues(t *testing.T) {
	var runs []bench.Run
	for night := 1; night <= 3; night++ {
		for tp := 1; tp <= 2; tp++ {
			runs = append(runs, bench.Run{
				Config: bench.Config{"tp": fmt.Sprint(tp)}, Outcome: bench.OK, Batch: fmt.Sprintf("nightly-%d", night),
				Date:    fmt.Sprintf("2026-11-0%dT03:00:00Z", night),
				Metrics: []bench.Metric{{Name: "s/iter", Unit: "s/iter", Better: bench.Lower, Values: []float64{40 + float64(tp) + float64(night)/10}}},
			})
		}
	}
	dir := t.TempDir()
	if err := RecordMemory(dir, runs, &check.Memory{Noisy: map[string]float64{"tp=1": 0.5}, Own: map[string]check.OwnNoise{}}, 12, 4, check.DefaultOptions); err != nil {
		t.Fatal(err)
	}
	// edited returns a deep enough copy of runs with run i changed by edit.
	edited := func(i int, edit func(*bench.Run)) []bench.Run {
		out := slices.Clone(runs)
		out[i].Metrics = slices.Clone(out[i].Metrics)
		out[i].Metrics[0].Values = slices.Clone(out[i].Metrics[0].Values)
		edit(&out[i])
		return out
	}
	if _, _, ok := RecordedMemory(dir, slices.Clone(runs), check.DefaultOptions); !ok {
		t.Fatal("the recorded store: record not used")
	}
	rev := slices.Clone(runs)
	slices.Reverse(rev)
	if _, _, ok := RecordedMemory(dir, rev, check.DefaultOptions); !ok {
		t.Error("the same runs in another order: record not used")
	}
	for name, edit := range map[string]func(*bench.Run){
		"value":   func(r *bench.Run) { r.Metrics[0].Values[0] = 60 },
		"metric":  func(r *bench.Run) { r.Metrics[0].Name = "TFLOPS/GPU" },
		"date":    func(r *bench.Run) { r.Date = "2026-10-01T03:00:00Z" },
		"outcome": func(r *bench.Run) { r.Outcome, r.Metrics = bench.OOM, nil },
	} {
		_, remark, ok := RecordedMemory(dir, edited(2, edit), check.DefaultOptions)
		if ok || remark != (check.MemoryRecordIgnored{OtherRuns: true}) {
			t.Errorf("a store with a %s edited by hand: record used %v, remark %+v", name, ok, remark)
		}
	}
}

// TestRecordMemoryShallow: in a shallow clone Older finds the runs of the few versions the
// clone holds (the runs the update pruned), and a memory learned from them, recorded, would
// be read by every check of the store in place of its month of history. The nightly update
// there records none, as the README says; a full clone, and a shallow one deep enough for
// MemoryCommits commits, record it.
func TestRecordMemoryShallow(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not on PATH")
	}
	root := t.TempDir()
	full := filepath.Join(root, "full")
	if err := os.MkdirAll(filepath.Join(full, "perf"), 0o755); err != nil {
		t.Fatal(err)
	}
	gitIn(t, full, "init", "-q")
	for night := 1; night <= 3; night++ {
		if err := os.WriteFile(filepath.Join(full, "perf", "baseline.txt"), []byte(fmt.Sprintf("night %d\n", night)), 0o644); err != nil {
			t.Fatal(err)
		}
		gitIn(t, full, "add", "-A")
		gitIn(t, full, "commit", "-q", "-m", fmt.Sprint("night ", night))
	}
	shallow := filepath.Join(root, "shallow")
	gitIn(t, root, "clone", "-q", "--depth", "1", "file://"+full, shallow)

	runs := []bench.Run{{Config: bench.Config{"tp": "1"}, Outcome: bench.OK, Batch: "nightly-3"}}
	mem := &check.Memory{Noisy: map[string]float64{"tp=1": 0.5}, Own: map[string]check.OwnNoise{}}
	for _, tt := range []struct {
		name    string
		dir     string
		commits int
		want    bool
	}{
		{"full clone", filepath.Join(full, "perf"), 2, true},
		{"shallow clone", filepath.Join(shallow, "perf"), 1, false},
		{"shallow clone holding MemoryCommits commits", filepath.Join(shallow, "perf"), MemoryCommits, true},
	} {
		path := filepath.Join(tt.dir, MemoryFile)
		os.Remove(path)
		if err := RecordMemory(tt.dir, runs, mem, 1, tt.commits, check.DefaultOptions); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if _, err := os.Stat(path); (err == nil) != tt.want {
			t.Errorf("%s: memory recorded %v, want %v", tt.name, err == nil, tt.want)
		}
	}
}
