package main

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/perfgate/perfgate/eval"
)

// speedSuite writes a suite of configs × 40 iterations with 7 baseline runs (the issue's
// speed setup at 3000 configs) and a baseline directory built from it.
func speedSuite(b *testing.B, configs int) (dir string, base []string, pr string) {
	b.Helper()
	tmp := b.TempDir()
	base, pr, err := eval.WriteSpeedSuite(filepath.Join(tmp, "data"), configs, 40, 7, 1)
	if err != nil {
		b.Fatal(err)
	}
	dir = filepath.Join(tmp, "baseline")
	if code, _, errOut := runMain(append([]string{"baseline", "update", "--baseline", dir}, base...)...); code != 0 {
		b.Fatalf("baseline update: %d %s", code, errOut)
	}
	return dir, base, pr
}

// BenchmarkCheck is "perfgate check" of a PR run (40 iterations per config) against a
// baseline of 7 runs, at 3000 configs and at 30000 (ten times the work, which should cost
// about ten times as much), in the JSON format and in the default text format (what
// eval/speed.sh times against benchstat on the same work).
//
//	go test ./cmd/perfgate -run XXX -bench 'Check|Update' -benchtime 5x
func BenchmarkCheck(b *testing.B) {
	for _, configs := range []int{3000, 30000} {
		b.Run(fmt.Sprintf("configs=%d", configs), func(b *testing.B) {
			dir, _, pr := speedSuite(b, configs)
			for _, format := range []string{"json", "text"} {
				b.Run("format="+format, func(b *testing.B) {
					for b.Loop() {
						if code, _, errOut := runMain("check", "--baseline", dir, "--format", format, pr); code > 1 {
							b.Fatalf("check: %d %s", code, errOut)
						}
					}
				})
			}
		})
	}
}

// BenchmarkUpdate is "perfgate baseline update" folding 7 raw runs into an empty store, at
// 3000 and 30000 configs.
func BenchmarkUpdate(b *testing.B) {
	for _, configs := range []int{3000, 30000} {
		b.Run(fmt.Sprintf("configs=%d", configs), func(b *testing.B) {
			_, base, _ := speedSuite(b, configs)
			b.ResetTimer()
			for b.Loop() {
				dir := filepath.Join(b.TempDir(), "bl")
				if code, _, errOut := runMain(append([]string{"baseline", "update", "--baseline", dir}, base...)...); code != 0 {
					b.Fatalf("update: %d %s", code, errOut)
				}
			}
		})
	}
}
