package bench

import (
	"slices"
	"testing"
)

func TestCompareKeys(t *testing.T) {
	keys := []string{"tp=16/pp=2", "tp=128/pp=1", "tp=2/pp=16", "tp=2/pp=4", "tp=1/pp=1", "tp=08/pp=1", "tp=8/pp=1", "tp=2/pp=4/flags=a", "mbs=1"}
	slices.SortFunc(keys, CompareKeys)
	want := []string{"mbs=1", "tp=1/pp=1", "tp=2/pp=4", "tp=2/pp=4/flags=a", "tp=2/pp=16", "tp=08/pp=1", "tp=8/pp=1", "tp=16/pp=2", "tp=128/pp=1"}
	if !slices.Equal(keys, want) {
		t.Errorf("sorted %q\nwant   %q", keys, want)
	}
	for _, k := range keys {
		if CompareKeys(k, k) != 0 {
			t.Errorf("CompareKeys(%q, itself) != 0", k)
		}
	}
	for _, p := range [][2]string{{"tp=08", "tp=8"}, {"a1", "a01"}, {"x", "x1"}} {
		if CompareKeys(p[0], p[1]) != -CompareKeys(p[1], p[0]) || CompareKeys(p[0], p[1]) == 0 {
			t.Errorf("CompareKeys(%q, %q) is not antisymmetric and total", p[0], p[1])
		}
	}
}
