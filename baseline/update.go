package baseline

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
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
	// KeptRuns counts the stored runs of a batch and config the incoming runs hold that were
	// kept, read from other files (KeptFiles) than the incoming ones (Replaced): a re-run of
	// one of the files replaces its own runs only.
	KeptRuns  int
	KeptFiles []string
	// ReplacedOther counts the replaced runs of the same night (less than retryWindow before
	// the incoming ones) read from other files (ReplacedOtherFiles) than the incoming runs of
	// their batch and config, which shared no file with them: a retry under a new file name,
	// or another part of the night's results that was not given again, which the update warns
	// of. (An earlier night's are a run id reused night after night: ReplacedEarlier.)
	ReplacedOther      int
	ReplacedOtherFiles []string
	Pruned             int // old runs dropped by the window
	// Unordered lists the batches whose date cannot be read as a time (bench.ParseDate; from
	// a hand edit), and Unpruned the runs beyond the window kept because their config
	// holds runs of one: which are the oldest is not known, and nothing is pruned on a guess.
	Unordered []string
	Unpruned  int
	// PrunedIncoming counts the incoming runs the window dropped at once: runs older, by date,
	// than the window's runs of their config (a backfill).
	PrunedIncoming int
}

// Merge folds incoming runs into the store. Runs of a batch already stored replace that
// batch's runs of the same configs read from the same files (Replaced: a re-run of one of two
// files holding the same configs keeps the other's runs), and join the batch at the end of its
// kept runs, so
// ingesting the same results twice changes nothing, and the batch's runs of other configs
// stay: matrix shards that share one --run-id each add their configs to the night's batch,
// and a re-run of one failed shard replaces just its configs (replacing the whole batch lost
// the other shards' runs); each keeps its own date and commit (Save). The batches are kept
// in date order when every batch has an RFC 3339 date (a new batch goes after the stored ones
// unless it is older: a backfill with --date), as the merge driver orders them, so that the
// window counts the newest runs by date. Then only the newest window runs of each config are
// kept (window <= 0 keeps everything).
func (s *Store) Merge(incoming []bench.Run, window int) MergeStats {
	return s.MergeReplacing(incoming, window, false)
}

// MergeReplacing is Merge; with whole (--replace-batch), the incoming runs of a stored batch
// replace all its runs of their configs, whatever file they were read from (ReplacedBy).
func (s *Store) MergeReplacing(incoming []bench.Run, window int, whole bool) MergeStats {
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
	var fromIn []bool           // aligned with merged: an incoming run
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
				fromIn = append(fromIn, true)
			}
			st.Replaced = append(st.Replaced, b)
		}
	}
	rep, other := replaced(s.Runs, incoming, whole)
	for i := range s.Runs {
		r := &s.Runs[i]
		if i > 0 && s.Runs[i-1].Batch != r.Batch {
			flush(s.Runs[i-1].Batch)
		}
		if _, ok := byBatch[r.Batch]; ok {
			k := r.Batch + "\x00" + r.ConfigKey()
			if date, ok := dates[k]; ok {
				if rep[i] {
					if other[i] && !earlierNight(r.Date, date) {
						st.ReplacedOther++
						if !slices.Contains(st.ReplacedOtherFiles, r.File) {
							st.ReplacedOtherFiles = append(st.ReplacedOtherFiles, r.File)
						}
					}
					st.ReplacedRuns++
					if earlierDay(r.Date, date) {
						st.ReplacedEarlier++
					}
					stored[k] = true
					continue
				}
				// A run of another file of the batch and config: kept.
				st.KeptRuns++
				if !slices.Contains(st.KeptFiles, r.File) {
					st.KeptFiles = append(st.KeptFiles, r.File)
				}
			}
		}
		merged = append(merged, *r)
		fromIn = append(fromIn, false)
	}
	if n := len(s.Runs); n > 0 {
		flush(s.Runs[n-1].Batch)
	}
	for _, b := range order {
		if !done[b] {
			for _, j := range byBatch[b] {
				merged = append(merged, incoming[j])
				fromIn = append(fromIn, true)
			}
		}
		for _, j := range byBatch[b] {
			if !stored[b+"\x00"+incoming[j].ConfigKey()] {
				st.Added++
			}
		}
	}
	perm, bad := inDateOrder(merged)
	if perm != nil {
		m, f := make([]bench.Run, len(merged)), make([]bool, len(merged))
		for j, i := range perm {
			m[j], f[j] = merged[i], fromIn[i]
		}
		merged, fromIn = m, f
	}
	if window > 0 {
		// Count runs per config from the newest; keep a run while its config has at most
		// window newer-or-equal runs. Runs are compacted in place. A config with runs of a
		// batch whose date does not parse is not pruned: which of its runs are the oldest is
		// not known (Unordered says so).
		count := map[string]int{}
		unordered := map[string]bool{}
		for i := range merged {
			if bad[merged[i].Batch] {
				unordered[merged[i].ConfigKey()] = true
			}
		}
		keep := make([]bool, len(merged))
		for i := len(merged) - 1; i >= 0; i-- {
			k := merged[i].ConfigKey()
			count[k]++
			keep[i] = count[k] <= window
			if !keep[i] && unordered[k] {
				keep[i] = true
				st.Unpruned++
			}
		}
		for b := range bad {
			st.Unordered = append(st.Unordered, b)
		}
		slices.Sort(st.Unordered)
		out := merged[:0]
		for i := range merged {
			if keep[i] {
				out = append(out, merged[i])
			} else {
				st.Pruned++
				if fromIn[i] {
					st.PrunedIncoming++
				}
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

// inDateOrder returns the order of runs (indices) with their batches in date order, each
// batch's runs together and in their order, batches of one date in their order; nil when they
// are in order already. A batch whose date does not parse as RFC 3339, or that has none (a store written
// from inputs without one, a hand edit, an older perfgate), stays right after the dated batch
// it follows, and those are ordered by their dates: one such batch no longer leaves the whole
// store unordered (review: a backfill went after every night, and the window pruned a
// newer night for it). It also returns the batches whose date is given but does not parse:
// where they belong is not known, and Merge does not prune by date across them.
func inDateOrder(runs []bench.Run) ([]int, map[string]bool) {
	type blk struct {
		batch string
		date  time.Time
		dated bool
	}
	var blocks []blk
	seen := map[string]bool{}
	var bad map[string]bool
	sorted := true
	var last time.Time
	for i := range runs {
		r := &runs[i]
		if n := len(blocks); n > 0 && blocks[n-1].batch == r.Batch {
			continue
		}
		if seen[r.Batch] {
			sorted = false // a batch in two places
			continue
		}
		seen[r.Batch] = true
		d, err := bench.ParseDate(r.Date)
		if err != nil {
			if r.Date != "" {
				if bad == nil {
					bad = map[string]bool{}
				}
				bad[r.Batch] = true
			}
			blocks = append(blocks, blk{batch: r.Batch})
			continue
		}
		if d.Before(last) {
			sorted = false
		}
		last = d
		blocks = append(blocks, blk{r.Batch, d, true})
	}
	if sorted {
		return nil, bad
	}
	// Each batch without an orderable date stays right after the dated batch it follows (first
	// when none does), and the dated batches, each with those, go in date order.
	type grp struct {
		head   blk
		blocks []blk
	}
	var groups []grp
	for _, b := range blocks {
		if b.dated || len(groups) == 0 {
			groups = append(groups, grp{head: b})
		}
		groups[len(groups)-1].blocks = append(groups[len(groups)-1].blocks, b)
	}
	slices.SortStableFunc(groups, func(a, b grp) int {
		switch {
		case !a.head.dated && !b.head.dated:
			return 0
		case !a.head.dated:
			return -1
		case !b.head.dated:
			return 1
		}
		return a.head.date.Compare(b.head.date)
	})
	blocks = blocks[:0]
	for _, g := range groups {
		blocks = append(blocks, g.blocks...)
	}
	byBatch := make(map[string][]int, len(blocks))
	for i := range runs {
		byBatch[runs[i].Batch] = append(byBatch[runs[i].Batch], i)
	}
	out := make([]int, 0, len(runs))
	for _, b := range blocks {
		out = append(out, byBatch[b.batch]...)
	}
	return out, bad
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
	return UpdateThen(dir, timeout, change, nil)
}

// UpdateThen is Update, and once the store is saved, still under the lock, calls saved (when
// not nil) with it: for what is derived from the store and written beside it (memory.json),
// which must describe the store as written. Written before the save, a save that failed, or
// a kill in between, left a record of a store that never was (review).
func UpdateThen(dir string, timeout time.Duration, change func(*Store) error, saved func(*Store)) (UpdateResult, error) {
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
	if saved != nil {
		saved(s)
	}
	return res, lock.Unlock()
}

// earlierDay reports whether date a (read by bench.ParseDate) falls on an earlier day (UTC)
// than date b.
func earlierDay(a, b string) bool {
	ta, errA := bench.ParseDate(a)
	tb, errB := bench.ParseDate(b)
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

// earlierNight reports whether date a (read by bench.ParseDate) is at least retryWindow
// before date b: another night's. Dates that are no time are the same night's.
func earlierNight(a, b string) bool {
	ta, errA := bench.ParseDate(a)
	tb, errB := bench.ParseDate(b)
	return errA == nil && errB == nil && !ta.Add(retryWindow).After(tb)
}

// Unreplaced returns the stored runs that the incoming runs are compared with: all but the
// runs of an incoming batch and config that were stored less than retryWindow before the
// incoming runs (or later), whatever file they were read from. A retry of an update (the same
// --run-id, the same night) must not be compared with the runs its first attempt stored,
// which would pass a regression on the retry; nor with the night's other files of those
// configs (another repetition, another shard), which hold the same night's runs and, with a
// regression, the same regressed runs (review: a retry of one of two repetition files passed
// a 10% regression). Merge still keeps those other files' runs (Replaced); only the comparison
// leaves them out. A run id reused night after night (--run-id nightly) replaces the previous
// night's runs, which are what tonight is compared with (left out, a store of one such batch
// compared with nothing and passed). stored itself is returned when none of it is left out.
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

// Replaced returns which of the stored runs the incoming runs replace: the runs of a batch
// and config the incoming runs hold, read from the same file (Run.File) as incoming runs of
// that batch and config. A re-run of one file (one shard, one of two files repeating the same
// configs) replaces that file's runs and keeps the others': replacing the batch's runs of the
// config whole silently deleted the other files' (review). When none of the stored runs of the
// batch and config was read from a file the incoming ones were (a run id reused night after
// night, a retry whose results were renamed), they are one earlier ingest of the config, and
// are replaced whole, as are stored runs that record no file (a store from an older
// perfgate); Merge counts them (MergeStats.ReplacedOther), for the update to say so.
func Replaced(stored, incoming []bench.Run) []bool {
	return ReplacedBy(stored, incoming, false)
}

// ReplacedBy is Replaced; with whole (--replace-batch), all the stored runs of a batch and
// config the incoming runs hold are replaced, whatever their file.
func ReplacedBy(stored, incoming []bench.Run, whole bool) []bool {
	rep, _ := replaced(stored, incoming, whole)
	return rep
}

// replaced is ReplacedBy, and also says which stored runs were replaced although read from
// another file than the incoming runs of their batch and config.
func replaced(stored, incoming []bench.Run, whole bool) (rep, other []bool) {
	inFiles := map[string]map[string]bool{} // batch and config → the incoming files
	for i := range incoming {
		k := incoming[i].Batch + "\x00" + incoming[i].ConfigKey()
		if inFiles[k] == nil {
			inFiles[k] = map[string]bool{}
		}
		inFiles[k][incoming[i].File] = true
	}
	shared := map[string]bool{} // batch and config whose stored runs share a file with the incoming
	for i := range stored {
		k := stored[i].Batch + "\x00" + stored[i].ConfigKey()
		if f := inFiles[k]; f != nil && stored[i].File != "" && f[stored[i].File] {
			shared[k] = true
		}
	}
	rep, other = make([]bool, len(stored)), make([]bool, len(stored))
	for i := range stored {
		r := &stored[i]
		k := r.Batch + "\x00" + r.ConfigKey()
		f := inFiles[k]
		switch {
		case f == nil:
		case whole || r.File == "" || f[""] || f[r.File]:
			rep[i] = true
		case !shared[k]:
			rep[i], other[i] = true, true
		}
	}
	return rep, other
}

// A ReplaceError says that incoming runs of a stored batch share no file name with its runs
// of their configs, stored the same night from several files: which of those the incoming
// files stand for is not known (a retry of one shard under another layout, results/shard1/
// out.bench given as retry/shard1/out.bench, whose name is then out.bench), and replacing them
// all would delete the other files' runs (review: both shards' runs went, with a warning).
type ReplaceError struct {
	Batch       string
	Configs     int      // the configs of the batch concerned
	StoredFiles []string // the files the batch's runs of those configs were read from
	Incoming    []string // the incoming files of those configs
}

func (e *ReplaceError) Error() string {
	return fmt.Sprintf("the incoming runs of batch %s (%d config(s), from %s) share no file name with the batch's stored runs of the same configs, which were read this night from %d files (%s): which of them the incoming files re-run is not known, and replacing them all would delete the others' runs. Nothing was stored. A file is named by its path below the directory given (or its base name, for a file given itself): re-run the update with the whole night's results under the same layout, so the names match, or pass --replace-batch to replace all the batch's stored runs of those configs with the incoming ones",
		e.Batch, e.Configs, strings.Join(e.Incoming, ", "), len(e.StoredFiles), strings.Join(e.StoredFiles, ", "))
}

// CheckReplace returns a *ReplaceError when incoming runs of a stored batch and config share no
// file name with the batch's runs of that config stored the same night (not at least
// retryWindow earlier: a run id reused night after night replaces the last night's whole) and
// those come from more than one file. With one stored file, a retry whose results were
// renamed replaces it, with a warning (MergeStats.ReplacedOther).
func CheckReplace(stored, incoming []bench.Run) error {
	type in struct {
		date  string
		files map[string]bool
	}
	ins := map[string]*in{}
	for i := range incoming {
		k := incoming[i].Batch + "\x00" + incoming[i].ConfigKey()
		if ins[k] == nil {
			ins[k] = &in{date: incoming[i].Date, files: map[string]bool{}}
		}
		ins[k].files[incoming[i].File] = true
	}
	storedFiles := map[string][]string{}
	shared := map[string]bool{}
	for i := range stored {
		r := &stored[i]
		k := r.Batch + "\x00" + r.ConfigKey()
		x := ins[k]
		if x == nil || r.File == "" || x.files[""] || earlierNight(r.Date, x.date) {
			continue
		}
		if x.files[r.File] {
			shared[k] = true
		}
		if !slices.Contains(storedFiles[k], r.File) {
			storedFiles[k] = append(storedFiles[k], r.File)
		}
	}
	var e *ReplaceError
	for i := range incoming {
		k := incoming[i].Batch + "\x00" + incoming[i].ConfigKey()
		if shared[k] || len(storedFiles[k]) < 2 {
			continue
		}
		if e == nil {
			e = &ReplaceError{Batch: incoming[i].Batch}
		} else if e.Batch != incoming[i].Batch {
			continue
		}
		if storedFiles[k] != nil {
			e.Configs++
			for _, f := range storedFiles[k] {
				if !slices.Contains(e.StoredFiles, f) {
					e.StoredFiles = append(e.StoredFiles, f)
				}
			}
			storedFiles[k] = nil // once per config
		}
		if f := incoming[i].File; !slices.Contains(e.Incoming, f) {
			e.Incoming = append(e.Incoming, f)
		}
	}
	if e == nil {
		return nil
	}
	return e
}
