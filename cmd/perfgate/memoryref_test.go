package main

import (
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
