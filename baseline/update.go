package baseline

import (
	"errors"
	"os"
	"time"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/internal/atomicfile"
)

// MergeStats says what a merge did.
type MergeStats struct {
	Added    int      // runs added
	Replaced []string // batches that were already stored and were replaced in place
	Pruned   int      // old runs dropped by the window
}

// Merge folds incoming runs into the store. Runs of a batch already stored replace that batch
// where it stands, so ingesting the same results twice changes nothing. Then only the newest
// window runs of each config are kept (window <= 0 keeps everything).
func (s *Store) Merge(incoming []bench.Run, window int) MergeStats {
	var st MergeStats
	// Incoming runs by batch, as indices, in order of first appearance.
	byBatch := map[string][]int{}
	var order []string
	for i := range incoming {
		b := incoming[i].Batch
		if _, ok := byBatch[b]; !ok {
			order = append(order, b)
		}
		byBatch[b] = append(byBatch[b], i)
	}
	merged := make([]bench.Run, 0, len(s.Runs)+len(incoming))
	done := map[string]bool{} // incoming batches already stored, now replaced
	for i := range s.Runs {
		r := &s.Runs[i]
		if in, ok := byBatch[r.Batch]; ok {
			if !done[r.Batch] {
				done[r.Batch] = true
				for _, j := range in {
					merged = append(merged, incoming[j])
				}
				st.Replaced = append(st.Replaced, r.Batch)
			}
			continue
		}
		merged = append(merged, *r)
	}
	for _, b := range order {
		if !done[b] {
			for _, j := range byBatch[b] {
				merged = append(merged, incoming[j])
			}
			st.Added += len(byBatch[b])
		}
	}
	if window > 0 {
		// Count runs per config from the newest; keep a run while its config has at most
		// window newer-or-equal runs. Runs are compacted in place.
		count := map[string]int{}
		keep := make([]bool, len(merged))
		for i := len(merged) - 1; i >= 0; i-- {
			k := merged[i].ConfigKey()
			count[k]++
			keep[i] = count[k] <= window
		}
		out := merged[:0]
		for i := range merged {
			if keep[i] {
				out = append(out, merged[i])
			} else {
				st.Pruned++
			}
		}
		clear(merged[len(out):])
		merged = out
	}
	s.Runs = merged
	if window > 0 {
		s.Window = window
	}
	return st
}

// Save writes the store atomically: to a temporary file in the same directory, synced, then
// renamed over the old file, so a crash or a full disk never leaves a half-written baseline.
// The content is parsed back before the rename, so a store that could not be read is never
// written.
func (s *Store) Save() error {
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return err
	}
	return WriteFile(s.Path(), s.Runs, s.Window)
}

// An UpdateResult says what Update did besides calling its function.
type UpdateResult struct {
	// TempsRemoved counts temporary files of an interrupted earlier update that were removed.
	TempsRemoved int
	// Saved reports that the store was written.
	Saved bool
}

// Update is the one read-modify-write of a store: it takes the directory's lock (waiting at
// most timeout), opens the store (an empty one when dir has none yet), calls change, and saves
// the store unless change returns an error. Everything happens under the lock, so concurrent
// updates serialise and each sees the runs of the one before. Temporary files that an
// interrupted update left behind are removed.
func Update(dir string, timeout time.Duration, change func(*Store) error) (UpdateResult, error) {
	var res UpdateResult
	lock, err := LockDir(dir, timeout)
	if err != nil {
		return res, err
	}
	defer lock.Unlock()
	s, err := Open(dir)
	if err != nil && !errors.Is(err, ErrNoBaseline) {
		return res, err
	}
	if err := change(s); err != nil {
		return res, err
	}
	if res.TempsRemoved, err = atomicfile.CleanTemps(s.Path()); err != nil {
		return res, err
	}
	if err := s.Save(); err != nil {
		return res, err
	}
	res.Saved = true
	return res, lock.Unlock()
}
