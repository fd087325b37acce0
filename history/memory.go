package history

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/check"
)

// MemoryCommits is how many of the store's latest commits Older reads: a month of nightly
// refreshes, about 23 runs per config beyond a 7-run window. On the evaluation's suites more
// history keeps helping (7, 14 and 28 older runs: 93.8%, 96.6% and 97.5% of 5% drops caught
// on 7-run windows, seed 1), but it costs reading: 3000 configs and 30 nightly commits make
// a check about 0.5 s slower (README, Speed), and a longer history is likelier to remember a
// class a config has left.
const MemoryCommits = 30

// Older returns the runs that the store in dir held in its last MemoryCommits commits (of
// the history of git ref, or of HEAD and the work tree when ref is empty) and current (the
// runs a check gates against) does not: what check.NoisyMemory learns from beyond the
// current window. A memory learned from current alone would count the window's evidence
// twice, so it needs these. With them comes a remark for the report:
//   - check.MemoryUsed when there are older runs;
//   - check.MemoryUnavailable when the history could not be read, a shallow clone cut
//     it off before any older run, or the older versions were damaged: the check goes on
//     with the current window, and says so;
//   - none when there is nothing older to learn from: a store outside git, or a new one.
//
// A damaged older version of the store (a commit with merge-conflict markers, say) is left
// out and named in the remark; the memory is learned from the others. The current store's
// damage is not left out: it is the caller's error already, from reading the store.
//
// ref is best a commit hash that the caller resolved once, as it read the store (see
// baseline.Materialize): a branch may move between two resolutions.
//
// The older runs have room for current after them, since the memory is learned from both:
// check.NoisyMemory(append(older, current...), opts) adds no copy of the history's runs.
//
// Under a context from ReadOnce, the versions are read once for each dir and ref, and later
// calls learn from what the first one read.
func Older(ctx context.Context, dir, ref string, current []bench.Run) ([]bench.Run, check.Remark) {
	revs, skipped, err := recentRevisions(ctx, dir, ref)
	if errors.Is(err, baseline.ErrNotInGit) {
		return nil, nil
	}
	if err != nil {
		return nil, check.MemoryUnavailable{Err: err.Error()}
	}
	names := make([]string, len(skipped.Versions))
	for i, d := range skipped.Versions {
		names[i] = d.String()
	}
	damaged, named := len(names), strings.Join(names, "; ")
	// A run is older when the current store does not hold its batch for its config. Most
	// batches are wholly in the current window or wholly out of it, so a config's key is
	// only computed for a batch the current store holds.
	held := map[string]map[string]bool{} // batch → config keys
	for _, r := range current {
		if held[r.Batch] == nil {
			held[r.Batch] = map[string]bool{}
		}
		held[r.Batch][r.ConfigKey()] = true
	}
	isOlder := func(r *bench.Run) bool {
		keys := held[r.Batch]
		return keys == nil || !keys[r.ConfigKey()]
	}
	n := 0
	for _, rev := range revs {
		for i := range rev.Runs {
			if isOlder(&rev.Runs[i]) {
				n++
			}
		}
	}
	older := make([]bench.Run, 0, n+len(current))
	commits := 0
	for _, rev := range revs {
		if rev.Commit != "" {
			commits++
		}
		for i := range rev.Runs {
			if isOlder(&rev.Runs[i]) {
				older = append(older, rev.Runs[i])
			}
		}
	}
	switch {
	case len(older) > 0:
		return older, check.MemoryUsed{Runs: len(older), Commits: commits, Damaged: damaged, Skipped: named}
	case damaged > 0:
		return nil, check.MemoryUnavailable{Damaged: damaged, Skipped: named, AllSkipped: skipped.All(), Shallow: baseline.Shallow(ctx, dir)}
	case baseline.Shallow(ctx, dir):
		return nil, check.MemoryUnavailable{Shallow: true}
	}
	return nil, nil
}

// readOnceKey is the context key of ReadOnce's versions.
type readOnceKey struct{}

// versionsRead are the versions of the stores that Older read under a context from ReadOnce.
type versionsRead struct {
	mu   sync.Mutex
	read map[[2]string]*recent // by dir and ref
}

// recent is what baseline.RecentRevisions returned for one store.
type recent struct {
	revs    []baseline.Revision
	skipped baseline.Skipped
	err     error
}

// ReadOnce returns a context under which Older reads the history of each store (its dir and
// ref) once: a later call for the same store learns from the versions the first one read.
// It is for a command that learns twice from a history that cannot change in between, as the
// nightly update does under the store's lock (the memory it compares the incoming runs with,
// then the memory it records for the merged store): the store file is written only after
// both. The versions are held until Done, or as long as the context is.
func ReadOnce(ctx context.Context) context.Context {
	return context.WithValue(ctx, readOnceKey{}, &versionsRead{read: map[[2]string]*recent{}})
}

// Done lets the versions read under ctx, a context from ReadOnce, go: a later Older reads
// them again. The last learning calls it, so that the versions are not held while the memory is
// learned from their older runs.
func Done(ctx context.Context) {
	if vr, _ := ctx.Value(readOnceKey{}).(*versionsRead); vr != nil {
		vr.mu.Lock()
		clear(vr.read)
		vr.mu.Unlock()
	}
}

// recentRevisions is baseline.RecentRevisions of the last MemoryCommits commits, read once
// under a context from ReadOnce. A read that the context's end cut short is not kept.
func recentRevisions(ctx context.Context, dir, ref string) ([]baseline.Revision, baseline.Skipped, error) {
	vr, _ := ctx.Value(readOnceKey{}).(*versionsRead)
	if vr == nil {
		return baseline.RecentRevisions(ctx, dir, ref, MemoryCommits)
	}
	vr.mu.Lock()
	defer vr.mu.Unlock()
	k := [2]string{dir, ref}
	if r := vr.read[k]; r != nil {
		return r.revs, r.skipped, r.err
	}
	revs, skipped, err := baseline.RecentRevisions(ctx, dir, ref, MemoryCommits)
	if ctx.Err() == nil {
		vr.read[k] = &recent{revs, skipped, err}
	}
	return revs, skipped, err
}
