package bench

import "testing"

func TestCanonicalFlagsVocabulary(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"recompute, block", "recompute-block"},
		{"block+recompute", "recompute-block"},
		{"recompute-block", "recompute-block"},
		{"recompute uniform", "recompute-uniform"},
		{"recompute", "recompute-full"},
		{"recompute-selective", "recompute-selective"},
		{"selective-recompute, dist-opt", "dist-opt+recompute-selective"},
		{"distributed-optimizer, overlap-grad-reduce", "dist-opt+overlap-grad"},
		{"dist-opt, overlap-grad/param", "dist-opt+overlap-grad+overlap-param"},
		{"None", "none"},
		{"block", "block"},
		{"tp-comm-overlap", "tp-overlap"},
		// "recompute, full" is recompute_granularity full, the recompute-full of a log, not
		// the flags full+recompute-full that no log ever has.
		{"recompute, full", "recompute-full"},
		{"recompute, full, block", "recompute-block"},
		{"full", "full"},
		// Cells that say "no additional arguments" are none, as "-" and "" are: "N/A" was
		// split as the "overlap-grad/param" shorthand into the flags a+n.
		{"N/A", "none"},
		{"n/a, dist-opt", "dist-opt"},
		{"—", "none"},
		{"-", "none"},
	} {
		got := CanonicalFlags(tt.in)
		if got != tt.want {
			t.Errorf("CanonicalFlags(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if again := CanonicalFlags(got); again != got {
			t.Errorf("CanonicalFlags is not idempotent on %q: %q", got, again)
		}
	}
}
