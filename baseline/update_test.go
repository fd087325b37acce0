package baseline

import (
	"testing"

	"github.com/perfgate/perfgate/bench"
)

// Unreplaced leaves out exactly the stored runs Merge replaces: those of an incoming batch
// and config; the batch's other configs, and other batches' runs of the config, stay.
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
