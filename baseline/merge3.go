package baseline

import (
	"bytes"
	"fmt"
	"reflect"
	"strconv"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/internal/atomicfile"
)

// Merge3Stats says what MergeFiles did.
type Merge3Stats struct {
	Ours, Theirs, Base int // runs in each version
	Merged             int // runs in the result
	Removed            int // runs of the base that one side had removed and that stay removed
	Pruned             int // runs dropped by the window re-applied to the union
	Window             int // the window re-applied
}

// MergeFiles merges two versions of a store file that share the ancestor base, as git's
// merge driver does: the result holds every run of ours and of theirs, runs that one side
// removed since base stay removed, the batches are in date order, and the rolling window is
// re-applied (window, or else the larger window the two versions record, or DefaultWindow).
// base may be empty (a store added on both branches). Each version must be a sound store.
func MergeFiles(baseFile, oursFile, theirsFile string, base, ours, theirs []byte, window int) ([]bench.Run, Merge3Stats, error) {
	var st Merge3Stats
	var b parsed // an empty base: a store added on both branches
	if len(bytes.TrimSpace(base)) > 0 {
		var err error
		if b, err = parse(baseFile, base, parseKeep|parseVerify); err != nil {
			return nil, st, err
		}
	}
	o, err := parse(oursFile, ours, parseKeep|parseVerify)
	if err != nil {
		return nil, st, err
	}
	t, err := parse(theirsFile, theirs, parseKeep|parseVerify)
	if err != nil {
		return nil, st, err
	}
	st.Base, st.Ours, st.Theirs = len(b.runs), len(o.runs), len(t.runs)
	bIDs, oIDs, tIDs := runIDs(b.runs), runIDs(o.runs), runIDs(t.runs)
	inBase := set(bIDs)
	inOurs, inTheirs := set(oIDs), set(tIDs)

	// Blocks of the result, by batch, in order of first appearance in ours, then theirs.
	// Merge puts them in date order (inDateOrder) when it re-applies the window.
	var batches []string
	byBatch := map[string][]bench.Run{}
	add := func(r bench.Run) {
		if _, ok := byBatch[r.Batch]; !ok {
			batches = append(batches, r.Batch)
		}
		byBatch[r.Batch] = append(byBatch[r.Batch], r)
	}
	removed := map[runID]bool{}
	// A run both sides hold is ours, unless only theirs changed it since base (a batch
	// re-ingested under the same --run-id on their branch): then it is theirs.
	baseRun := map[runID]*bench.Run{}
	for i, id := range bIDs {
		baseRun[id] = &b.runs[i]
	}
	theirRun := map[runID]*bench.Run{}
	for i, id := range tIDs {
		theirRun[id] = &t.runs[i]
	}
	for i, id := range oIDs {
		if inBase[id] && !inTheirs[id] {
			removed[id] = true // theirs removed it
			continue
		}
		r := o.runs[i]
		if br, tr := baseRun[id], theirRun[id]; br != nil && tr != nil && sameRun(r, *br) && !sameRun(*tr, *br) {
			r = *tr
		}
		add(r)
	}
	for i, id := range tIDs {
		if inOurs[id] {
			continue
		}
		if inBase[id] {
			removed[id] = true // ours removed it
			continue
		}
		add(t.runs[i])
	}
	st.Removed = len(removed)
	s := &Store{}
	for _, b := range batches {
		s.Runs = append(s.Runs, byBatch[b]...)
	}
	st.Window = window
	if st.Window <= 0 {
		st.Window = max(o.window, t.window)
	}
	if st.Window <= 0 {
		st.Window = DefaultWindow
	}
	st.Pruned = s.Merge(nil, st.Window).Pruned
	st.Merged = len(s.Runs)
	// Two sound versions can still disagree on a metric's unit (one written before units
	// were kept): that is the input's problem, found before anything is written.
	if _, err := unitLines(s.Runs); err != nil {
		return nil, st, err
	}
	return s.Runs, st, nil
}

// sameRun reports whether two versions of one run (one runID) record the same measurement.
func sameRun(a, b bench.Run) bool {
	return a.Outcome == b.Outcome && a.Reason == b.Reason && a.Date == b.Date && a.Commit == b.Commit &&
		reflect.DeepEqual(a.Metrics, b.Metrics)
}

// A runID identifies a run across versions of a store: its batch, its config, and which
// run of that config in the batch it is (a sweep may list a config twice).
type runID struct {
	batch, key string
	n          int
}

func runIDs(runs []bench.Run) []runID {
	ids := make([]runID, len(runs))
	seen := map[[2]string]int{}
	for i := range runs {
		k := [2]string{runs[i].Batch, runs[i].ConfigKey()}
		ids[i] = runID{k[0], k[1], seen[k]}
		seen[k]++
	}
	return ids
}

func set(ids []runID) map[runID]bool {
	m := make(map[runID]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// WriteFile writes runs as a store file at path, atomically, with window on its closing
// line. The content is parsed back first, so a store that could not be read is never
// written. A symbolic link at path is written through.
func WriteFile(path string, runs []bench.Run, window int) error {
	var buf bytes.Buffer
	if err := write(&buf, runs, false, window); err != nil {
		return err
	}
	if _, err := parse(path, buf.Bytes(), parseVerify); err != nil {
		return fmt.Errorf("refusing to write a baseline that does not read back: %w", err)
	}
	return atomicfile.Write(path, buf.Bytes(), 0o644)
}

func (st Merge3Stats) String() string {
	s := "merged " + strconv.Itoa(st.Ours) + " run(s) of ours and " + strconv.Itoa(st.Theirs) + " of theirs (" + strconv.Itoa(st.Base) + " in the base): " + strconv.Itoa(st.Merged) + " run(s)"
	if st.Removed > 0 {
		s += fmt.Sprintf(", %d removed on one side stay removed", st.Removed)
	}
	if st.Pruned > 0 {
		s += fmt.Sprintf(", %d dropped beyond the window of %d", st.Pruned, st.Window)
	}
	return s
}
