package baseline

import (
	"bytes"
	"fmt"
	"os"

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
	byBatch := map[string][]bench.Run{}
	var order []string
	for _, r := range incoming {
		if _, ok := byBatch[r.Batch]; !ok {
			order = append(order, r.Batch)
		}
		byBatch[r.Batch] = append(byBatch[r.Batch], r)
	}
	stored := map[string]bool{}
	for _, r := range s.Runs {
		stored[r.Batch] = true
	}
	var merged []bench.Run
	done := map[string]bool{}
	for _, r := range s.Runs {
		if in, ok := byBatch[r.Batch]; ok {
			if !done[r.Batch] {
				done[r.Batch] = true
				merged = append(merged, in...)
				st.Replaced = append(st.Replaced, r.Batch)
			}
			continue
		}
		merged = append(merged, r)
	}
	for _, b := range order {
		if !stored[b] {
			merged = append(merged, byBatch[b]...)
			st.Added += len(byBatch[b])
		}
	}
	if window > 0 {
		count := map[string]int{}
		keep := make([]bool, len(merged))
		for i := len(merged) - 1; i >= 0; i-- {
			k := merged[i].Config.Key()
			count[k]++
			keep[i] = count[k] <= window
		}
		out := merged[:0:0]
		for i, r := range merged {
			if keep[i] {
				out = append(out, r)
			} else {
				st.Pruned++
			}
		}
		merged = out
	}
	s.Runs = merged
	return st
}

// Save writes the store atomically: to a temporary file in the same directory, synced, then
// renamed over the old file, so a crash or a full disk never leaves a half-written baseline.
// The content is parsed back before the rename, so a store that could not be read is never
// written.
func (s *Store) Save() error {
	var buf bytes.Buffer
	if err := Write(&buf, s.Runs); err != nil {
		return err
	}
	if _, err := Parse(s.Path(), buf.Bytes()); err != nil {
		return fmt.Errorf("refusing to write a baseline that does not read back: %w", err)
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return err
	}
	return atomicfile.Write(s.Path(), buf.Bytes(), 0o644)
}
