package history

import (
	"context"
	"errors"
	"strings"

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
func Older(ctx context.Context, dir, ref string, current []bench.Run) ([]bench.Run, check.Remark) {
	revs, skipped, err := baseline.RecentRevisions(ctx, dir, ref, MemoryCommits)
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
	total := 0
	for _, rev := range revs {
		total += len(rev.Runs)
	}
	older := make([]bench.Run, 0, total)
	commits := 0
	for _, rev := range revs {
		if rev.Commit != "" {
			commits++
		}
		for _, r := range rev.Runs {
			if keys := held[r.Batch]; keys == nil || !keys[r.ConfigKey()] {
				older = append(older, r)
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
