package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/perfgate/perfgate/check"
	"github.com/perfgate/perfgate/history"
)

// oneRunStore writes a one-line seed sweep to a temporary directory and stores it as a
// baseline there; it returns the directory, the seed's path and the baseline's.
func oneRunStore(t *testing.T) (dir, seed, base string) {
	t.Helper()
	dir = t.TempDir()
	seed = filepath.Join(dir, "seed.txt")
	os.WriteFile(seed, []byte("tp | pp | mbs | gbs | addtl args | sl | nodes | time | TFLOPS\n8 | 4 | 1 | 1024 | None | 4096 | 32 | 46.33 | 148.54\n"), 0o644)
	base = filepath.Join(dir, "base")
	if code, _, stderr := runMain("baseline", "update", "--baseline", base, seed); code != ExitPass {
		t.Fatalf("baseline update: exit %d: %s", code, stderr)
	}
	return dir, seed, base
}

// TestStatFlagRanges checks that the statistics flags and the config file refuse the same
// values (check's Check* ranges), with exit 2, and that a NaN is never taken.
func TestStatFlagRanges(t *testing.T) {
	_, seed, base := oneRunStore(t)
	run := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := Main(append([]string{"check", "--baseline", base}, append(args, seed)...), &Streams{Out: &out, ErrOut: &errOut})
		return code, errOut.String()
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--alpha", "NaN"}, "--alpha must be in (0, 1)"},
		{[]string{"--alpha", "1"}, "--alpha must be in (0, 1)"},
		{[]string{"--correction", "holmm"}, `correction "holmm": want holm, bh or none`},
		{[]string{"--min-effect", "NaN"}, "--min-effect must be a finite percentage"},
		{[]string{"--tolerance", "-1"}, "--tolerance must be a finite percentage"},
		{[]string{"--tolerance", "+Inf"}, "--tolerance must be a finite percentage"},
		{[]string{"--min-history", "1"}, "--min-history must be at least 2"},
		{[]string{"--format", "html"}, "--format must be text, markdown or json"},
	} {
		code, stderr := run(tt.args...)
		if code != ExitInput || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
	// The config file takes the same ranges: 99% is a valid tolerance in both, and 150% in
	// neither: TFLOPS/GPU, which decides, cannot drop by 100%, so no slowdown could fail.
	if code, stderr := run("--tolerance", "99"); code != ExitPass {
		t.Errorf("--tolerance 99: exit %d: %s", code, stderr)
	}
	for _, flag := range []string{"--tolerance", "--min-effect"} {
		if code, stderr := run(flag, "150"); code != ExitInput || !strings.Contains(stderr, flag+" must be below 100") {
			t.Errorf("%s 150: exit %d, stderr %q; want 2", flag, code, stderr)
		}
	}
	os.WriteFile(filepath.Join(base, "perfgate.json"), []byte(`{"tolerance_pct": 99, "correction": "bh"}`), 0o644)
	if code, stderr := run(); code != ExitPass {
		t.Errorf("config tolerance_pct 99: exit %d: %s", code, stderr)
	}
	os.WriteFile(filepath.Join(base, "perfgate.json"), []byte(`{"rules": [{"match": "*", "tolerance_pct": 150}]}`), 0o644)
	if code, stderr := run(); code != ExitInput || !strings.Contains(stderr, "must be below 100") {
		t.Errorf("config rule tolerance_pct 150: exit %d, stderr %q; want 2", code, stderr)
	}
	os.WriteFile(filepath.Join(base, "perfgate.json"), []byte(`{"correction": "holmm"}`), 0o644)
	if code, stderr := run(); code != ExitInput || !strings.Contains(stderr, `correction "holmm": want holm, bh or none`) {
		t.Errorf("config correction holmm: exit %d: %s", code, stderr)
	}
}

// TestFlagGroups checks that every flag of the commands that gate is in a help group, so
// none falls into "Other flags" by being forgotten.
func TestFlagGroups(t *testing.T) {
	root := newRootCmd(&Streams{Out: io.Discard, ErrOut: io.Discard, Getenv: func(string) string { return "" }})
	for _, path := range [][]string{{"check"}, {"baseline", "update"}} {
		cmd, _, err := root.Find(path)
		if err != nil {
			t.Fatal(err)
		}
		cmd.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if groupOf(f) == "" && f.Name != "help" {
				t.Errorf("%s --%s has no help group", cmd.CommandPath(), f.Name)
			}
		})
	}
}

// TestLearnMemoryCancelled: a check cancelled while it reads the store's history stops with
// exit 3; it does not go on as if the history could not be read. history.LearnMemory returns
// the context's error (history's TestLearnMemoryCancelled), which check makes exit 3.
func TestLearnMemoryCancelled(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := history.LearnMemory(ctx, history.LearnFrom{Dir: dir, Git: true}, nil, check.DefaultOptions)
	if err = memoryError(err); exitCode(err) != ExitInternal {
		t.Errorf("cancelled: exit %d (%v); want %d", exitCode(err), err, ExitInternal)
	}
	_, seed, base := oneRunStore(t)
	var stderr bytes.Buffer
	if code := MainContext(ctx, []string{"check", "--baseline", base, seed}, &Streams{In: strings.NewReader(""), Out: io.Discard, ErrOut: &stderr}); code != ExitInternal {
		t.Errorf("cancelled check: exit %d, want %d\n%s", code, ExitInternal, &stderr)
	}
}

// TestConfigFileNotAFile: a perfgate.json in the baseline directory that is a link to nothing
// or a directory is an input error; it used to be skipped, and the check ran on the defaults.
func TestConfigFileNotAFile(t *testing.T) {
	for _, name := range []string{"dangling link", "directory"} {
		t.Run(name, func(t *testing.T) {
			dir, seed, base := oneRunStore(t)
			cfg := filepath.Join(base, check.ConfigFileName)
			if name == "directory" {
				os.Mkdir(cfg, 0o755)
			} else if err := os.Symlink(filepath.Join(dir, "moved.json"), cfg); err != nil {
				t.Skip(err)
			}
			code, _, stderr := runMain("check", "--baseline", base, seed)
			if code != ExitInput || !strings.Contains(stderr, cfg+" is not a readable file") {
				t.Errorf("exit %d, stderr %q; want 2 naming %s", code, stderr, cfg)
			}
		})
	}
}
