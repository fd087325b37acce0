package baseline

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/perfgate/perfgate/bench"
)

// Unreplaced leaves out the stored runs of an incoming batch and config (of the same night);
// the batch's other configs, and other batches' runs of the config, stay. Without files
// recorded, that is exactly what Merge replaces.
func TestUnreplaced(t *testing.T) {
	run := func(batch, gbs string) bench.Run {
		return bench.Run{Batch: batch, Config: bench.Config{"tp": "8", "gbs": gbs}}
	}
	stored := []bench.Run{run("n1", "1"), run("n1", "2"), run("n2", "1"), run("n2", "2")}
	incoming := []bench.Run{run("n2", "1"), run("n3", "2")}
	got := Unreplaced(stored, incoming)
	want := []string{"n1/1", "n1/2", "n2/2"}
	if len(got) != len(want) {
		t.Fatalf("got %d runs, want %d", len(got), len(want))
	}
	for i, r := range got {
		if k := r.Batch + "/" + r.Config["gbs"]; k != want[i] {
			t.Errorf("run %d: %s, want %s", i, k, want[i])
		}
	}
	// The merge agrees: it replaces what Unreplaced left out.
	s := &Store{Runs: append([]bench.Run(nil), stored...)}
	if st := s.Merge(incoming, 0); st.ReplacedRuns != len(stored)-len(got) {
		t.Errorf("Merge replaced %d run(s), Unreplaced left out %d", st.ReplacedRuns, len(stored)-len(got))
	}
	// Nothing replaced: the stored runs themselves.
	if got := Unreplaced(stored, []bench.Run{run("n9", "1")}); &got[0] != &stored[0] {
		t.Error("Unreplaced copied the store although nothing is replaced")
	}
	if got := Unreplaced(stored[:2], []bench.Run{run("n1", "1"), run("n1", "2")}); len(got) != 0 {
		t.Errorf("all replaced: got %d run(s)", len(got))
	}
	// A run id reused on a later night: the previous night's runs, which the merge replaces,
	// are still what tonight is compared with; a retry the same day leaves them out.
	night := func(date string) bench.Run {
		r := run("nightly", "1")
		r.Date = date
		return r
	}
	prev := []bench.Run{night("2026-11-01T03:00:00Z")}
	if got := Unreplaced(prev, []bench.Run{night("2026-11-02T03:00:00Z")}); len(got) != 1 {
		t.Errorf("reused id, next night: got %d run(s), want the previous night's", len(got))
	}
	if got := Unreplaced(prev, []bench.Run{night("2026-11-01T09:00:00Z")}); len(got) != 0 {
		t.Errorf("retry the same day: got %d run(s), want none", len(got))
	}
	// A retry that crosses midnight is still a retry (review).
	late := []bench.Run{night("2026-11-01T23:30:00Z")}
	if got := Unreplaced(late, []bench.Run{night("2026-11-02T01:15:00Z")}); len(got) != 0 {
		t.Errorf("retry across midnight: got %d run(s), want none", len(got))
	}
}

// A re-run of one of two files that hold the same configs (two repetitions, two shards)
// under the night's run id replaces that file's runs and keeps the other's: replacing the
// batch's runs of the config whole deleted them without a word (review). Results that share
// no file name with the stored runs of their configs (a retry renamed, a run id reused every
// night) replace them whole, counted apart when they are the same night's.
func TestMergeReplacesByFile(t *testing.T) {
	run := func(file, gbs string, v float64) bench.Run {
		return bench.Run{Batch: "n7", File: file, Date: "2026-11-01T03:00:00Z", Config: bench.Config{"tp": "8", "gbs": gbs},
			Metrics: []bench.Metric{{Name: "s/iter", Unit: "s/iter", Better: bench.Lower, Values: []float64{v}}}}
	}
	stored := []bench.Run{run("a.bench", "1", 1), run("a.bench", "2", 2), run("b.bench", "1", 1.1), run("b.bench", "2", 2.1)}
	files := func(runs []bench.Run) (out []string) {
		for _, r := range runs {
			out = append(out, r.File+"/"+r.Config["gbs"])
		}
		return out
	}

	// a.bench again: b.bench's runs stay.
	s := &Store{Runs: slices.Clone(stored)}
	st := s.Merge([]bench.Run{run("a.bench", "1", 1.5), run("a.bench", "2", 2.5)}, 0)
	if want := []string{"b.bench/1", "b.bench/2", "a.bench/1", "a.bench/2"}; !slices.Equal(files(s.Runs), want) {
		t.Errorf("re-run of a.bench: stored %q, want %q", files(s.Runs), want)
	}
	if st.ReplacedRuns != 2 || st.KeptRuns != 2 || !slices.Equal(st.KeptFiles, []string{"b.bench"}) || st.Added != 0 || st.ReplacedOther != 0 {
		t.Errorf("re-run of a.bench: %+v, want 2 replaced, 2 kept of b.bench", st)
	}
	// The comparison leaves out b.bench's runs of the config too: the same night's, they hold
	// the same regressed runs as a.bench's retry, and compared with them a regression passed
	// (review). Only the merge keeps them.
	if got := Unreplaced(stored, []bench.Run{run("a.bench", "1", 1.5)}); !slices.Equal(files(got), []string{"a.bench/2", "b.bench/2"}) {
		t.Errorf("Unreplaced: %q, want the other config's runs only, of both files", files(got))
	}

	// A renamed file the same night: the configs' runs replaced whole, and counted apart.
	s = &Store{Runs: slices.Clone(stored)}
	st = s.Merge([]bench.Run{run("c.bench", "1", 1.5)}, 0)
	if want := []string{"a.bench/2", "b.bench/2", "c.bench/1"}; !slices.Equal(files(s.Runs), want) {
		t.Errorf("renamed: stored %q, want %q", files(s.Runs), want)
	}
	if st.ReplacedRuns != 2 || st.ReplacedOther != 2 || !slices.Equal(st.ReplacedOtherFiles, []string{"a.bench", "b.bench"}) {
		t.Errorf("renamed: %+v, want 2 replaced from a.bench, b.bench", st)
	}

	// A run id reused the next night under another name: replaced whole, no same-night count.
	next := run("night2.bench", "1", 1.5)
	next.Date = "2026-11-02T03:00:00Z"
	s = &Store{Runs: slices.Clone(stored)}
	if st = s.Merge([]bench.Run{next}, 0); st.ReplacedRuns != 2 || st.ReplacedOther != 0 || st.ReplacedEarlier != 2 {
		t.Errorf("reused id: %+v, want 2 replaced of an earlier day", st)
	}

	// A store that records no file (an older perfgate): replaced whole, as before.
	old := slices.Clone(stored)
	for i := range old {
		old[i].File = ""
	}
	s = &Store{Runs: old}
	if st = s.Merge([]bench.Run{run("a.bench", "1", 1.5)}, 0); st.ReplacedRuns != 2 || st.KeptRuns != 0 {
		t.Errorf("no files recorded: %+v, want both runs of the config replaced", st)
	}
}

// One batch with a date that does not parse no longer turns date order off for the whole
// store: a backfill goes before the nights it predates, the batch stays after the one it
// followed, and its configs are not pruned on a guess (review: the window pruned a newer
// night for a backfill).
func TestMergeUnorderableDate(t *testing.T) {
	run := func(batch, date string) bench.Run {
		return bench.Run{Batch: batch, Date: date, Config: bench.Config{"tp": "8"},
			Metrics: []bench.Metric{{Name: "s/iter", Unit: "s/iter", Better: bench.Lower, Values: []float64{1}}}}
	}
	batches := func(runs []bench.Run) (out []string) {
		for _, r := range runs {
			out = append(out, r.Batch)
		}
		return out
	}
	stored := []bench.Run{run("n1", "2026-01-01T03:00:00Z"), run("n2", "2026-01-02T03:00:00Z"), run("n3", "01/03/2026"), run("n4", "")}
	s := &Store{Runs: slices.Clone(stored)}
	st := s.Merge([]bench.Run{run("bf", "2025-12-01T03:00:00Z")}, 4)
	if want := []string{"bf", "n1", "n2", "n3", "n4"}; !slices.Equal(batches(s.Runs), want) {
		t.Errorf("stored %q, want %q", batches(s.Runs), want)
	}
	if st.Pruned != 0 || st.Unpruned != 1 || !slices.Equal(st.Unordered, []string{"n3"}) {
		t.Errorf("%+v: want nothing pruned, 1 run kept beyond the window, n3 unordered", st)
	}
	// Without it, the window prunes the backfill, the oldest.
	s = &Store{Runs: []bench.Run{stored[0], stored[1], stored[3]}}
	if st = s.Merge([]bench.Run{run("bf", "2025-12-01T03:00:00Z")}, 3); st.Pruned != 1 || !slices.Equal(batches(s.Runs), []string{"n1", "n2", "n4"}) {
		t.Errorf("%+v: stored %q, want the backfill pruned", st, batches(s.Runs))
	}
}

// UpdateThen calls saved once the store is on disk, and not when the save failed: what is
// derived from the store (memory.json) must never describe a store that was not written.
func TestUpdateThenAfterSave(t *testing.T) {
	dir := t.TempDir()
	r := bench.Run{Batch: "n1", Date: "2026-01-01T03:00:00Z", Config: bench.Config{"tp": "8"}, Outcome: bench.OK,
		Metrics: []bench.Metric{{Name: "s/iter", Unit: "s/iter", Better: bench.Lower, Values: []float64{1.5}}}}
	called := false
	_, err := UpdateThen(dir, time.Second, func(s *Store) error { s.Merge([]bench.Run{r}, 0); return nil }, func(s *Store) {
		called = true
		if got, err := Open(dir); err != nil || len(got.Runs) != 1 {
			t.Errorf("saved called before the store was written: %v", err)
		}
	})
	if err != nil || !called {
		t.Fatalf("UpdateThen: %v, saved called: %v", err, called)
	}
	// A store that does not read back is not written, and saved is not called.
	bad := r
	bad.Metrics = []bench.Metric{{Name: "s iter", Unit: "s iter", Better: bench.Lower, Values: []float64{1.5}}}
	called = false
	if _, err := UpdateThen(dir, time.Second, func(s *Store) error { s.Runs = append(s.Runs, bad); return nil }, func(*Store) { called = true }); err == nil || called {
		t.Errorf("a failed save: err %v, saved called: %v", err, called)
	}
}

// Merge counts the incoming runs the window drops at once (a backfill older than the window's
// runs of its configs), for the update to say so, and to refuse one that stores none.
func TestMergePrunedIncoming(t *testing.T) {
	run := func(batch, date, tp string) bench.Run {
		return bench.Run{Batch: batch, Date: date, Config: bench.Config{"tp": tp}}
	}
	s := &Store{Runs: []bench.Run{run("n1", "2026-01-01T03:00:00Z", "8"), run("n2", "2026-01-02T03:00:00Z", "8")}}
	st := s.Merge([]bench.Run{run("bf", "2025-12-01T03:00:00Z", "8"), run("bf", "2025-12-01T03:00:00Z", "4")}, 2)
	if st.Pruned != 1 || st.PrunedIncoming != 1 || len(s.Runs) != 3 {
		t.Errorf("%+v, %d run(s) stored: want the backfill's tp=8 run dropped, its tp=4 run stored", st, len(s.Runs))
	}
	if st = s.Merge([]bench.Run{run("n3", "2026-01-03T03:00:00Z", "8")}, 2); st.Pruned != 1 || st.PrunedIncoming != 0 {
		t.Errorf("%+v: want night 1 dropped, no incoming run", st)
	}
}

// A store written by an older perfgate holds JSON Lines dates as given: a day alone
// (2026-11-01), a timestamp without an offset. They are read as the readers read them
// (bench.ParseDate), so those batches are ordered and pruned as the others: read as bad
// dates, their configs were never pruned and every update warned (review).
func TestMergeDatesOfOlderStores(t *testing.T) {
	run := func(batch, date string) bench.Run {
		return bench.Run{Batch: batch, Date: date, Config: bench.Config{"tp": "8"},
			Metrics: []bench.Metric{{Name: "s/iter", Unit: "s/iter", Better: bench.Lower, Values: []float64{1}}}}
	}
	s := &Store{Runs: []bench.Run{run("n1", "2026-11-01"), run("n3", "2026-11-03 03:00:00"), run("n2", "2026-11-02T03:00:00")}}
	st := s.Merge([]bench.Run{run("n4", "2026-11-04T03:00:00Z")}, 3)
	var got []string
	for _, r := range s.Runs {
		got = append(got, r.Batch)
	}
	if want := []string{"n2", "n3", "n4"}; !slices.Equal(got, want) || st.Pruned != 1 || len(st.Unordered) != 0 || st.Unpruned != 0 {
		t.Errorf("stored %q, %+v: want %q, night 1 pruned, nothing unordered", got, st, want)
	}
	if !earlierDay("2026-11-01", "2026-11-02T01:00:00Z") || !earlierNight("2026-11-01", "2026-11-02T03:00:00Z") || earlierNight("2026-11-01 23:30:00", "2026-11-02T01:15:00Z") {
		t.Error("earlierDay, earlierNight do not read the dates of older stores")
	}
}

// Incoming runs that share no file name with their batch's runs of their configs stored the
// same night from several files are refused: which file they re-run is not known, and
// replacing all deleted the other shards' runs (review). One stored file (a retry renamed), a
// name shared, another night's runs (a run id reused), or --replace-batch go through.
func TestCheckReplace(t *testing.T) {
	run := func(file, date, pp string) bench.Run {
		return bench.Run{Batch: "n1", File: file, Date: date, Config: bench.Config{"tp": "8", "pp": pp}}
	}
	const night, later, next = "2026-11-01T03:00:00Z", "2026-11-01T05:00:00Z", "2026-11-02T03:00:00Z"
	stored := []bench.Run{run("shard1/out.bench", night, "1"), run("shard1/out.bench", night, "2"), run("shard2/out.bench", night, "1"), run("shard2/out.bench", night, "2")}
	retry := []bench.Run{run("out.bench", later, "1"), run("out.bench", later, "2")}
	var re *ReplaceError
	if err := CheckReplace(stored, retry); !errors.As(err, &re) || re.Configs != 2 || !slices.Equal(re.StoredFiles, []string{"shard1/out.bench", "shard2/out.bench"}) || !slices.Equal(re.Incoming, []string{"out.bench"}) {
		t.Errorf("a retry under another layout: %v, want a *ReplaceError of 2 configs", err)
	}
	if err := CheckReplace(stored, []bench.Run{run("shard1/out.bench", later, "1")}); err != nil {
		t.Errorf("a retry under the same layout: %v", err)
	}
	if err := CheckReplace(stored[:2], retry); err != nil {
		t.Errorf("one stored file (a retry renamed): %v", err)
	}
	if err := CheckReplace(stored, []bench.Run{run("out.bench", next, "1")}); err != nil {
		t.Errorf("a run id reused the next night: %v", err)
	}
	if err := CheckReplace(stored, []bench.Run{run("out.bench", later, "3")}); err != nil {
		t.Errorf("a config the batch does not hold: %v", err)
	}
	s := &Store{Runs: slices.Clone(stored)}
	if st := s.MergeReplacing(retry, 0, true); st.ReplacedRuns != 4 || len(s.Runs) != 2 {
		t.Errorf("--replace-batch: %+v, %d run(s) stored: want all 4 replaced", st, len(s.Runs))
	}
}
