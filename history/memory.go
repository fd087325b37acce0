package history

import (
	"context"
	"errors"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/check"
)

// MemoryCommits is how many of the store's latest commits Older reads: three months of
// nightly refreshes, a dozen 7-run windows per config, so that reading the history stays a
// small part of a check however old the repository is.
const MemoryCommits = 90

// Older returns the runs that the store in dir held in its last MemoryCommits commits (of
// the history of git ref, or of HEAD and the work tree when ref is empty) and current (the
// runs a check gates against) does not: what check.NoisyMemory learns from
// beyond the current window. A memory learned from current alone would count the window's
// evidence twice, so it needs these. With them comes a remark for the report:
//   - check.MemoryUsed when there are older runs;
//   - check.MemoryUnavailable when the history could not be read, or a shallow clone cut
//     it off before any older run: the check goes on with the current window, and says so;
//   - none when there is nothing older to learn from: a store outside git, or a new one.
func Older(ctx context.Context, dir, ref string, current []bench.Run) ([]bench.Run, check.Remark) {
	revs, err := baseline.RecentRevisions(ctx, dir, ref, MemoryCommits)
	if errors.Is(err, baseline.ErrNotInGit) {
		return nil, nil
	}
	if err != nil {
		return nil, check.MemoryUnavailable{Err: err.Error()}
	}
	have := map[string]bool{}
	for _, r := range current {
		have[runID(r)] = true
	}
	var older []bench.Run
	commits := 0
	for _, rev := range revs {
		if rev.Commit != "" {
			commits++
		}
		for _, r := range rev.Runs {
			if !have[runID(r)] {
				have[runID(r)] = true
				older = append(older, r)
			}
		}
	}
	switch {
	case len(older) > 0:
		return older, check.MemoryUsed{Runs: len(older), Commits: commits}
	case baseline.Shallow(ctx, dir):
		return nil, check.MemoryUnavailable{Shallow: true}
	}
	return nil, nil
}

// runID identifies a run across versions of the store: its config in its batch.
func runID(r bench.Run) string { return r.ConfigKey() + "\x00" + r.Batch }
