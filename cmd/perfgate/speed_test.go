package main

import (
	"path/filepath"
	"testing"

	"github.com/perfgate/perfgate/eval"
)

// speedSuite writes the 3000-config × 40-iteration suite with 7 baseline runs (the issue's
// speed setup) and a baseline directory built from it.
func speedSuite(b *testing.B) (dir string, base []string, pr string) {
	b.Helper()
	tmp := b.TempDir()
	base, pr, err := eval.WriteSpeedSuite(filepath.Join(tmp, "data"), 3000, 40, 7, 1)
	if err != nil {
		b.Fatal(err)
	}
	dir = filepath.Join(tmp, "baseline")
	if code, _, errOut := runMain(append([]string{"baseline", "update", "--baseline", dir}, base...)...); code != 0 {
		b.Fatalf("baseline update: %d %s", code, errOut)
	}
	return dir, base, pr
}

// BenchmarkCheck3000 is "perfgate check" of a 3000-config PR run (40 iterations each) against
// a baseline of 7 runs. eval/speed.sh compares the same work with benchstat.
func BenchmarkCheck3000(b *testing.B) {
	dir, _, pr := speedSuite(b)
	b.ResetTimer()
	for b.Loop() {
		if code, _, errOut := runMain("check", "--baseline", dir, "--format", "json", pr); code > 1 {
			b.Fatalf("check: %d %s", code, errOut)
		}
	}
}

// BenchmarkUpdate3000 is "perfgate baseline update" folding 7 raw runs of 3000 configs into
// an empty store.
func BenchmarkUpdate3000(b *testing.B) {
	_, base, _ := speedSuite(b)
	b.ResetTimer()
	for b.Loop() {
		dir := filepath.Join(b.TempDir(), "bl")
		if code, _, errOut := runMain(append([]string{"baseline", "update", "--baseline", dir}, base...)...); code != 0 {
			b.Fatalf("update: %d %s", code, errOut)
		}
	}
}
