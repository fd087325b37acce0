package history

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/perfgate/perfgate/check"
)

// TestRefsRemarks: what the --memory-ref refs gave the memory joins the history's remark,
// and a ref that gave nothing is named whatever the history gave, so that a memory asked for
// and not given is never passed over in silence.
func TestRefsRemarks(t *testing.T) {
	used := check.MemoryUsed{Runs: 24, Commits: 6}
	shallow := check.MemoryUnavailable{Shallow: true}
	for _, tc := range []struct {
		name        string
		hist        check.Remark
		used, empty []string
		refRuns     int
		want        []check.Remark
	}{
		{"no refs", used, nil, nil, 0, []check.Remark{used}},
		{"no refs, no history", nil, nil, nil, 0, nil},
		{"history and a ref", used, []string{"a"}, []string{"b"}, 8,
			[]check.Remark{check.MemoryUsed{Runs: 24, Commits: 6, RefRuns: 8, Refs: "a", EmptyRefs: "b"}}},
		{"history and an empty ref", used, nil, []string{"b"}, 0,
			[]check.Remark{check.MemoryUsed{Runs: 24, Commits: 6, EmptyRefs: "b"}}},
		{"refs alone", nil, []string{"a", "c"}, nil, 8,
			[]check.Remark{check.MemoryUsed{RefRuns: 8, Refs: "a, c"}}},
		{"an empty ref alone", nil, nil, []string{"b"}, 0,
			[]check.Remark{check.MemoryUnavailable{EmptyRefs: "b"}}},
		{"shallow, refs gave", shallow, []string{"a"}, []string{"b"}, 8,
			[]check.Remark{check.MemoryUnavailable{Shallow: true, FromRefs: true, EmptyRefs: "b"}, check.MemoryUsed{RefRuns: 8, Refs: "a"}}},
		{"shallow, refs gave nothing", shallow, nil, []string{"b"}, 0,
			[]check.Remark{check.MemoryUnavailable{Shallow: true, EmptyRefs: "b"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, refsRemarks(tc.hist, tc.used, tc.empty, tc.refRuns)); diff != "" {
				t.Errorf("refsRemarks (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLearnMemoryCancelled: a learning cancelled while it reads the store's history returns
// the context's error, as it is, and no memory; it does not go on as if the history could not
// be read.
func TestLearnMemoryCancelled(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	mem, remarks, err := LearnMemory(ctx, LearnFrom{Dir: dir, Git: true}, nil, check.DefaultOptions)
	if mem != nil || remarks != nil || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: memory %v, remarks %v, error %v; want none, none, %v", mem, remarks, err, context.Canceled)
	}
}

// TestLearnMemoryBadRef: a ref whose store cannot be read is a *RefError naming it, for the
// caller to report as its input's fault.
func TestLearnMemoryBadRef(t *testing.T) {
	dir := t.TempDir()
	_, _, err := LearnMemory(context.Background(), LearnFrom{Dir: dir, Refs: []string{"no-such-ref"}}, nil, check.DefaultOptions)
	var re *RefError
	if !errors.As(err, &re) || re.Ref != "no-such-ref" || err.Error() != re.Err.Error() {
		t.Errorf("error %#v (%v); want a *RefError of no-such-ref", err, err)
	}
}
