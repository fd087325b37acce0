package report

import (
	"testing"

	"github.com/perfgate/perfgate/check"
)

// TestMemoryRefWords checks the exact words of the memory's notes when --memory-ref gave the
// memory runs, gave it none, or the history could not give it any; the notes without a ref
// keep their words.
func TestMemoryRefWords(t *testing.T) {
	const empty = "the baseline as committed at HEAD (--memory-ref) holds no run that this window or the other versions read do not hold, so the memory learned nothing from it"
	const shallow = ": the clone is shallow, holds no older version of the baseline, and the baseline has no memory.json recorded for these runs. Commit the memory.json that perfgate baseline update records with the store (the nightly job's git add of the baseline directory does), or check out with fetch-depth: 0, so that the gate remembers which configs are noisy."
	for _, tc := range []struct {
		remark check.Remark
		want   string
	}{
		{check.MemoryUsed{Runs: 24, Commits: 6},
			"Noise classes were also learned from 24 older run(s) in the last 6 commit(s) of the baseline's git history: a config its longer history showed noisy stays noisy (--memory=false: this window only)."},
		{check.MemoryUsed{Runs: 24, Commits: 6, RefRuns: 8, Refs: "HEAD~40"},
			"Noise classes were also learned from 24 older run(s) in the last 6 commit(s) of the baseline's git history and 8 at HEAD~40 (--memory-ref): a config its longer history showed noisy stays noisy (--memory=false without --memory-ref: this window only)."},
		{check.MemoryUsed{Runs: 24, Commits: 6, EmptyRefs: "HEAD"},
			"Noise classes were also learned from 24 older run(s) in the last 6 commit(s) of the baseline's git history: a config its longer history showed noisy stays noisy (--memory=false: this window only). T" + empty[1:] + "."},
		{check.MemoryUsed{RefRuns: 8, Refs: "HEAD~3, HEAD~9", EmptyRefs: "HEAD"},
			"Noise classes were also learned from 8 older run(s) of the baseline as committed at HEAD~3, HEAD~9 (--memory-ref): a config its longer history showed noisy stays noisy (without --memory-ref: this window only). T" + empty[1:] + "."},
		{check.MemoryUnavailable{EmptyRefs: "HEAD"},
			"Noise classes were learned from this window only: " + empty + "."},
		{check.MemoryUnavailable{Shallow: true},
			"Noise classes were learned from this window only" + shallow},
		{check.MemoryUnavailable{Shallow: true, FromRefs: true, EmptyRefs: "HEAD"},
			"Noise classes were learned from this window and --memory-ref only" + shallow + " T" + empty[1:] + "."},
		{check.MemoryUnavailable{Err: "git: boom"},
			"Noise classes were learned from this window only: the baseline's git history could not be read (git: boom)."},
		{check.MemoryRecordIgnored{OlderSchema: true},
			"The baseline's memory.json was recorded by an older perfgate, so it was not used; the next nightly update (perfgate baseline update) records it anew."},
		{check.MemoryRecordIgnored{},
			"The baseline's memory.json cannot be read (a merge conflict in it, or a newer perfgate wrote it), so it was not used."},
	} {
		if got := RemarkText(tc.remark); got != tc.want {
			t.Errorf("RemarkText(%+v):\n got %q\nwant %q", tc.remark, got, tc.want)
		}
	}
}
