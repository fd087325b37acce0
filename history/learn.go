package history

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/check"
)

// LearnFrom says where LearnMemory learns the memory from.
type LearnFrom struct {
	// Dir is the store's directory, as the user named it: its git history is read there,
	// and Refs are read at Dir.
	Dir string
	// Read is the directory the store was read from, where its recorded memory
	// (RecordedMemory) is looked for: a temporary copy of the store at a ref
	// (baseline.Materialize), or Dir itself when empty.
	Read string
	// Commit is the commit whose history is read (the one a --baseline-ref resolved to),
	// or HEAD and the work tree when empty.
	Commit string
	// Git is whether the store's git history (or its record) is read at all.
	Git bool
	// Refs are git refs whose versions of the store the memory learns from too.
	Refs []string
}

// A RefError is LearnMemory's error for a ref of LearnFrom.Refs whose store could not be
// read: the caller's input.
type RefError struct {
	Ref string
	Err error
}

func (e *RefError) Error() string { return e.Err.Error() }

func (e *RefError) Unwrap() error { return e.Err }

// LearnMemory returns what the store's history shows of the configs' noise classes
// (check.NoisyMemory) for the store of runs current: as the baseline update recorded it in
// from.Read (RecordedMemory), else learned from the runs of the store in from.Dir that
// current does not hold (so that the check counts current's once): those of its recent
// commits (Older), when from.Git, and those of its versions at from.Refs. The remarks say
// what the memory learned from, or why the git history could not give it one, and name a
// ref that gave it nothing.
//
// Its errors are a *RefError for a ref that could not be read, and ctx's error, as it is,
// when ctx ended while the history was read: the history is then not taken for unreadable.
func LearnMemory(ctx context.Context, from LearnFrom, current []bench.Run, opts check.Options) (*check.Memory, []check.Remark, error) {
	read := cmp.Or(from.Read, from.Dir)
	var remarks []check.Remark
	if from.Git && len(from.Refs) == 0 {
		mem, remark, ok := RecordedMemory(read, current, opts)
		if ok {
			return mem, []check.Remark{remark}, nil
		}
		if remark != nil { // a record this check cannot use: say so, and learn
			remarks = append(remarks, remark)
		}
	}
	var older []bench.Run
	var histRemark check.Remark
	if from.Git {
		older, histRemark = Older(ctx, from.Dir, from.Commit, current)
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err // not "the history could not be read"
	}
	// What each ref adds: its runs that neither the window nor the versions read before it
	// hold (check.NoisyMemory learns from those alone, by the same rule). A ref that adds
	// none is named: the user asked for a memory from it, and it gave none.
	adds := check.BeyondWindow(current)
	for i := range older {
		adds(&older[i])
	}
	var used, empty []string
	refRuns := 0
	for _, ref := range from.Refs {
		old, err := baseline.RunsAt(ctx, from.Dir, ref)
		if err != nil {
			return nil, nil, &RefError{Ref: ref, Err: err}
		}
		n := 0
		for i := range old {
			if adds(&old[i]) {
				n++
			}
		}
		if n == 0 {
			empty = append(empty, ref)
		} else {
			used = append(used, ref)
		}
		refRuns += n
		older = append(older, old...)
	}
	remarks = append(remarks, refsRemarks(histRemark, used, empty, refRuns)...)
	if len(older) == 0 {
		return nil, remarks, nil
	}
	if len(from.Refs) > 0 {
		// The memory weighs consecutive runs together: put a ref's versions, which may be
		// older than the commits read, in the order of their dates.
		slices.SortStableFunc(older, func(a, b bench.Run) int { return cmp.Compare(a.Date, b.Date) })
	}
	mem := check.NoisyMemory(older, current, opts)
	if mem == nil {
		remarks = learnedNothing(remarks, check.MemoryRuns(opts))
	}
	return mem, remarks, nil
}

// learnedNothing turns the remarks that say what the memory learned from into one that says
// it learned nothing: the older runs were too few for any config (check.NoisyMemory gave no
// memory), and a note that classes were learned from them would claim a memory the check did
// not have.
func learnedNothing(remarks []check.Remark, need int) []check.Remark {
	out := remarks[:0:0]
	for _, r := range remarks {
		switch m := r.(type) {
		case check.MemoryUsed:
			out = append(out, check.MemoryUnavailable{TooFew: true, OlderRuns: m.Runs + m.RefRuns, NeedRuns: need,
				Damaged: m.Damaged, Skipped: m.Skipped, EmptyRefs: m.EmptyRefs})
		case check.MemoryUnavailable:
			m.FromRefs = false // the refs' runs, which it speaks of, gave nothing either
			out = append(out, m)
		default:
			out = append(out, r)
		}
	}
	return out
}

// refsRemarks returns the remark of the memory's history (Older's, which may be nil) with
// what the refs gave: refRuns older runs from those used, none from those empty. With no
// refs it is the history's remark alone. When the history could not give the memory and the
// refs did, a MemoryUsed of the refs' own follows its remark.
func refsRemarks(hist check.Remark, used, empty []string, refRuns int) []check.Remark {
	if len(used) == 0 && len(empty) == 0 {
		if hist == nil {
			return nil
		}
		return []check.Remark{hist}
	}
	refs, emptyRefs := strings.Join(used, ", "), strings.Join(empty, ", ")
	switch h := hist.(type) {
	case check.MemoryUsed:
		h.RefRuns, h.Refs, h.EmptyRefs = refRuns, refs, emptyRefs
		return []check.Remark{h}
	case check.MemoryUnavailable:
		h.FromRefs, h.EmptyRefs = refRuns > 0, emptyRefs
		if refRuns > 0 {
			return []check.Remark{h, check.MemoryUsed{RefRuns: refRuns, Refs: refs}}
		}
		return []check.Remark{h}
	}
	if refRuns > 0 {
		return []check.Remark{check.MemoryUsed{RefRuns: refRuns, Refs: refs, EmptyRefs: emptyRefs}}
	}
	return []check.Remark{check.MemoryUnavailable{EmptyRefs: emptyRefs}}
}

// UpdateMemory learns the memory of the store of runs, in dir, from its git history (when
// learn) and records it beside the store (RecordMemory), for the checks of this store to
// read instead of the history; the caller has just saved the store, under its lock. When it
// records none (learn false, no older runs: a new store, a shallow clone, a store outside
// git; a failure) it removes the record there was: the store changed, and a re-run that
// replaced a batch (same run id) leaves the configs and batches the record is keyed by as
// they were, so the record would pass for this store's. Under a context from ReadOnce it is
// the last learning, and lets the versions go (Done).
//
// The memory only saves the checks work: an error says it was not recorded, and the caller
// goes on (a warning).
func UpdateMemory(ctx context.Context, dir string, runs []bench.Run, opts check.Options, learn bool) error {
	err := ForgetMemory(dir)
	if err != nil || !learn {
		return err
	}
	older, remark := Older(ctx, dir, "", runs)
	Done(ctx) // the last learning: the versions need not be held while it runs
	used, ok := remark.(check.MemoryUsed)
	if !ok || len(older) == 0 {
		return nil
	}
	mem := check.NoisyMemory(older, runs, opts)
	if mem == nil {
		return nil
	}
	// The record is for the store as checks read it back from the file.
	stored, err := baseline.AsStored(runs)
	if err != nil {
		return err
	}
	return RecordMemory(dir, stored, mem, used.Runs, used.Commits, opts)
}
