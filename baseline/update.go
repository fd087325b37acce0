package baseline

import (
	"errors"
	"os"
	"slices"
	"time"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/internal/atomicfile"
)

// MergeStats says what a merge did.
type MergeStats struct {
	Added    int      // runs of configs their batch did not hold yet
	Replaced []string // batches already stored that incoming runs went into
	// ReplacedRuns counts the stored runs that incoming runs of the same batch and config
	// replaced; ReplacedEarlier those of them recorded on an earlier day than the run that
	// replaced them (a run id reused night after night keeps one run per config).
	ReplacedRuns, ReplacedEarlier int
	Pruned                        int // old runs dropped by the window
}

// Merge folds incoming runs into the store. Runs of a batch already stored replace that
// batch's runs of the same configs, and join the batch at the end of its kept runs, so
// ingesting the same results twice changes nothing, and the batch's runs of other configs
// stay: matrix shards that share one --run-id each add their configs to the night's batch,
// and a re-run of one failed shard replaces just its configs (replacing the whole batch lost
// the other shards' runs); each keeps its own date and commit (Save). The batches are kept
// in date order when every batch has an RFC 3339 date (a new batch goes after the stored ones
// unless it is older: a backfill with --date), as the merge driver orders them, so that the
// window counts the newest runs by date. Then only the newest window runs of each config are
// kept (window <= 0 keeps everything).
func (s *Store) Merge(incoming []bench.Run, window int) MergeStats {
	var st MergeStats
	// Incoming runs by batch, as indices, in order of first appearance, and the incoming
	// date of each batch and config the incoming runs hold.
	byBatch := map[string][]int{}
	var order []string
	dates := map[string]string{}
	for i := range incoming {
		b := incoming[i].Batch
		if _, ok := byBatch[b]; !ok {
			order = append(order, b)
		}
		byBatch[b] = append(byBatch[b], i)
		dates[b+"\x00"+incoming[i].ConfigKey()] = incoming[i].Date
	}
	merged := make([]bench.Run, 0, len(s.Runs)+len(incoming))
	done := map[string]bool{}   // incoming batches already stored
	stored := map[string]bool{} // batch and config of the stored runs replaced
	// The incoming runs of a stored batch go at the end of its kept runs, so that the batch
	// keeps its place (and, in date order, the date of its first run) unless all of it was
	// replaced: a shard re-run days later is still that night's run.
	flush := func(b string) {
		if in, ok := byBatch[b]; ok && !done[b] {
			done[b] = true
			for _, j := range in {
				merged = append(merged, incoming[j])
			}
			st.Replaced = append(st.Replaced, b)
		}
	}
	for i := range s.Runs {
		r := &s.Runs[i]
		if i > 0 && s.Runs[i-1].Batch != r.Batch {
			flush(s.Runs[i-1].Batch)
		}
		if _, ok := byBatch[r.Batch]; ok {
			k := r.Batch + "\x00" + r.ConfigKey()
			if date, ok := dates[k]; ok {
				st.ReplacedRuns++
				if earlierDay(r.Date, date) {
					st.ReplacedEarlier++
				}
				stored[k] = true
				continue
			}
		}
		merged = append(merged, *r)
	}
	if n := len(s.Runs); n > 0 {
		flush(s.Runs[n-1].Batch)
	}
	for _, b := range order {
		if !done[b] {
			for _, j := range byBatch[b] {
				merged = append(merged, incoming[j])
			}
		}
		for _, j := range byBatch[b] {
			if !stored[b+"\x00"+incoming[j].ConfigKey()] {
				st.Added++
			}
		}
	}
	merged = inDateOrder(merged)
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

// inDateOrder returns runs with their batches in date order, each batch's runs together and
// in their order, batches of one date in their order; runs as they are when a batch has no
// RFC 3339 date (a store written from inputs without one), or when they are in order already.
func inDateOrder(runs []bench.Run) []bench.Run {
	type blk struct {
		batch string
		date  time.Time
	}
	var blocks []blk
	seen := map[string]bool{}
	sorted := true
	for i := range runs {
		r := &runs[i]
		if n := len(blocks); n > 0 && blocks[n-1].batch == r.Batch {
			continue
		}
		d, err := time.Parse(time.RFC3339, r.Date)
		if err != nil {
			return runs
		}
		if seen[r.Batch] {
			sorted = false // a batch in two places
			continue
		}
		seen[r.Batch] = true
		if n := len(blocks); n > 0 && d.Before(blocks[n-1].date) {
			sorted = false
		}
		blocks = append(blocks, blk{r.Batch, d})
	}
	if sorted {
		return runs
	}
	slices.SortStableFunc(blocks, func(a, b blk) int { return a.date.Compare(b.date) })
	byBatch := make(map[string][]int, len(blocks))
	for i := range runs {
		byBatch[runs[i].Batch] = append(byBatch[runs[i].Batch], i)
	}
	out := make([]bench.Run, 0, len(runs))
	for _, b := range blocks {
		for _, i := range byBatch[b.batch] {
			out = append(out, runs[i])
		}
	}
	return out
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

// earlierDay reports whether RFC 3339 date a falls on an earlier day (UTC) than date b.
func earlierDay(a, b string) bool {
	ta, errA := time.Parse(time.RFC3339, a)
	tb, errB := time.Parse(time.RFC3339, b)
	if errA != nil || errB != nil {
		return false
	}
	ya, ma, da := ta.UTC().Date()
	yb, mb, db := tb.UTC().Date()
	return time.Date(ya, ma, da, 0, 0, 0, 0, time.UTC).Before(time.Date(yb, mb, db, 0, 0, 0, 0, time.UTC))
}

// retryWindow is how long after a night's runs a run of the same batch and config is a retry
// of that night rather than the next night: a retry of a failed nightly may cross midnight
// (review), the next night comes a day later.
const retryWindow = 12 * time.Hour

// earlierNight reports whether RFC 3339 date a is at least retryWindow before date b: another
// night's. Dates that do not parse are the same night's.
func earlierNight(a, b string) bool {
	ta, errA := time.Parse(time.RFC3339, a)
	tb, errB := time.Parse(time.RFC3339, b)
	return errA == nil && errB == nil && !ta.Add(retryWindow).After(tb)
}

// Unreplaced returns the stored runs that the incoming runs are compared with: all but those
// of a batch and config the incoming runs hold that were stored less than retryWindow before
// the incoming runs (or later). A retry of an update (the same --run-id, the same night) must not be compared with
// the runs its first attempt stored, which would pass a regression on the retry; but a run id
// reused night after night (--run-id nightly) replaces the previous night's runs, which are
// what tonight is compared with (left out, a store of one such batch compared with nothing
// and passed). stored itself is returned when none of it is left out.
func Unreplaced(stored, incoming []bench.Run) []bench.Run {
	in := make(map[string]string, len(incoming)) // batch and config → the incoming date
	for i := range incoming {
		in[incoming[i].Batch+"\x00"+incoming[i].ConfigKey()] = incoming[i].Date
	}
	var out []bench.Run
	for i := range stored {
		if date, ok := in[stored[i].Batch+"\x00"+stored[i].ConfigKey()]; ok && !earlierNight(stored[i].Date, date) {
			if out == nil {
				out = append(make([]bench.Run, 0, len(stored)), stored[:i]...)
			}
			continue
		}
		if out != nil {
			out = append(out, stored[i])
		}
	}
	if out == nil {
		return stored
	}
	return out
}
