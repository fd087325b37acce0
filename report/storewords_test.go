package report

import "testing"

// TestRunIDReused checks the exact words of baseline update's warning for a run id that
// replaced an earlier day's runs, and that an update that replaced none gets no warning.
func TestRunIDReused(t *testing.T) {
	if w := RunIDReused([]string{"nightly"}, 0); w != "" {
		t.Errorf("same-day re-run: got warning %q", w)
	}
	got := RunIDReused([]string{"nightly", "n2"}, 2)
	want := "run id nightly, n2 replaced 2 run(s) recorded on an earlier day: a run id names one night's runs (a re-run replaces them), so one reused every night keeps a single run per config and the gate falls back to its fixed tolerance; give each night its own, e.g. --run-id nightly-$GITHUB_RUN_ID"
	if got != want {
		t.Errorf("RunIDReused:\n got %q\nwant %q", got, want)
	}
}

// TestFailOnSkipped checks the exact words of perfgate history --fail-on's refusal of a
// damaged older version, with and without batches newer than it to gate on.
func TestFailOnSkipped(t *testing.T) {
	const d = "perf/baseline.txt@0123456789ab:2: git merge-conflict marker"
	for _, tc := range []struct {
		newer int
		want  string
	}{
		{0, "perf/baseline.txt@0123456789ab:2: git merge-conflict marker.\nThat older version of the store cannot be read and may have held a night that no other version holds: only 0 batch(es) are newer than it, so that night could be one of the newest 3 that --fail-on looks at, and a change for the worse in it would pass unseen. To see the history, run without --fail-on. --fail-on gates the newest 3 again once 3 batch(es) newer than the damaged version are recorded"},
		{1, "perf/baseline.txt@0123456789ab:2: git merge-conflict marker.\nThat older version of the store cannot be read and may have held a night that no other version holds: only 1 batch(es) are newer than it, so that night could be one of the newest 3 that --fail-on looks at, and a change for the worse in it would pass unseen. To see the history, run without --fail-on. --fail-on gates the newest 3 again once 3 batch(es) newer than the damaged version are recorded"},
		{2, "perf/baseline.txt@0123456789ab:2: git merge-conflict marker.\nThat older version of the store cannot be read and may have held a night that no other version holds: only 2 batch(es) are newer than it, so that night could be one of the newest 3 that --fail-on looks at, and a change for the worse in it would pass unseen. To gate on the 2 batch(es) after it, pass --recent 2; to see the history, run without --fail-on. --fail-on gates the newest 3 again once 3 batch(es) newer than the damaged version are recorded"},
	} {
		if got := FailOnSkipped(d, tc.newer, 3, 2); got != tc.want {
			t.Errorf("FailOnSkipped(newer %d):\n got %q\nwant %q", tc.newer, got, tc.want)
		}
	}
}
