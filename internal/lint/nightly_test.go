package lint

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

type nightlyWorkflow struct {
	Env  map[string]string `yaml:"env"`
	Jobs map[string]struct {
		Steps []struct {
			Name string            `yaml:"name"`
			ID   string            `yaml:"id"`
			Run  string            `yaml:"run"`
			Env  map[string]string `yaml:"env"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// TestNightlyKeepsUnmergedNights runs the scripts of nightly-baseline.yml with the real
// perfgate against a local origin: two nights whose refresh PR nobody merged, and a push to
// the refresh branch by hand while the second night runs. The branch must end up holding
// all three batches: a refresh must never replace runs proposed earlier and not merged yet.
func TestNightlyKeepsUnmergedNights(t *testing.T) {
	if testing.Short() {
		t.Skip("builds perfgate: skipped in -short mode")
	}
	for _, tool := range []string{"go", "git", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not on PATH", tool)
		}
	}
	root := repoRoot(t)
	var w nightlyWorkflow
	readYAML(t, "docs/workflows/nightly-baseline.yml", &w)
	steps := w.Jobs["refresh"].Steps

	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "perfgate"), "./cmd/perfgate")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// gh: no open PR is ever listed; every call is logged.
	ghLog := filepath.Join(tmp, "gh.log")
	if err := os.WriteFile(filepath.Join(bin, "gh"), []byte("#!/bin/sh\nprintf '%s\\n' \"$*\" >>\""+ghLog+"\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	gitEnv := []string{
		"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + tmp, "LC_ALL=C",
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=" + os.DevNull, "GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.invalid",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.invalid",
	}
	run := func(dir string, name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		cmd.Env = gitEnv
		out, code := runCombined(t, cmd)
		if code != 0 {
			t.Fatalf("%s %v: exit %d\n%s", name, args, code, out)
		}
		return strings.TrimSpace(out)
	}
	baselineDir := w.Env["BASELINE_DIR"]
	branch := w.Env["BRANCH"]
	results := filepath.Join(root, "testdata", "example", "pr-clean.txt")

	// origin: main holds the example baseline.
	origin := filepath.Join(tmp, "origin.git")
	run(tmp, "git", "init", "-q", "--bare", "-b", "main", origin)
	seed := filepath.Join(tmp, "seed")
	run(tmp, "git", "clone", "-q", origin, seed)
	copyTree(t, filepath.Join(root, "testdata", "example", "baseline"), filepath.Join(seed, filepath.FromSlash(baselineDir)))
	run(seed, "git", "add", "-A")
	run(seed, "git", "commit", "-q", "-m", "baseline")
	run(seed, "git", "push", "-q", "origin", "HEAD:refs/heads/main")

	stepExpr := regexp.MustCompile(`^\$\{\{ steps\.([a-z-]+)\.outputs\.([a-z-]+)( == '([^']*)')? \}\}$`)
	night := func(runID string, nth int, beforePush func()) {
		t.Helper()
		ws := filepath.Join(tmp, "night-"+runID)
		run(tmp, "git", "clone", "-q", origin, ws)
		if err := os.MkdirAll(filepath.Join(ws, "results"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(ws, "results", "sweep.txt"), resultsOfNight(t, results, nth), 0o644); err != nil {
			t.Fatal(err)
		}
		outputs := map[string]map[string]string{}
		for _, name := range []string{"Carry over the unmerged nights", "Update the baseline", "Open or update the baseline PR"} {
			idx := -1
			for i, s := range steps {
				if s.Name == name {
					idx = i
				}
			}
			if idx < 0 {
				t.Fatalf("nightly-baseline.yml has no step %q", name)
			}
			s := steps[idx]
			if name == "Open or update the baseline PR" && beforePush != nil {
				beforePush()
			}
			script := filepath.Join(tmp, "step.sh")
			if err := os.WriteFile(script, []byte(s.Run), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(tmp, "output-"+runID+"-"+s.ID)
			cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", script)
			cmd.Dir = ws
			cmd.Env = append(append([]string{}, gitEnv...),
				"GITHUB_OUTPUT="+out, "GITHUB_STEP_SUMMARY="+filepath.Join(tmp, "summary.md"),
				"GITHUB_RUN_ID="+runID, "GITHUB_SHA=0000000000000000000000000000000000000000",
				"GITHUB_SERVER_URL=https://github.example", "GITHUB_REPOSITORY=o/r",
				"BASELINE_DIR="+baselineDir, "BRANCH="+branch)
			for k, v := range s.Env {
				switch m := stepExpr.FindStringSubmatch(v); {
				case v == "${{ github.token }}":
					v = "fake-token"
				case m != nil && m[3] == "":
					v = outputs[m[1]][m[2]]
				case m != nil:
					v = "false"
					if outputs[m[1]][m[2]] == m[4] {
						v = "true"
					}
				default:
					t.Fatalf("step %q: cannot evaluate env %s=%q", name, k, v)
				}
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			stdout, code := runCombined(t, cmd)
			if code != 0 {
				t.Fatalf("night %s, step %q: exit %d\n%s", runID, name, code, stdout)
			}
			if s.ID != "" {
				outputs[s.ID] = readOutputs(out)
			}
		}
	}

	night("1", 1, nil)
	night("2", 2, func() {
		// Someone adds a batch to the refresh branch while night 2 runs.
		hand := filepath.Join(tmp, "hand")
		run(tmp, "git", "clone", "-q", "-b", branch, origin, hand)
		manual := filepath.Join(tmp, "manual-1.txt")
		if err := os.WriteFile(manual, resultsOfNight(t, results, 3), 0o644); err != nil {
			t.Fatal(err)
		}
		run(hand, filepath.Join(bin, "perfgate"), "baseline", "update", "--baseline", baselineDir, "--run-id", "manual-1", manual)
		run(hand, "git", "commit", "-q", "-am", "by hand")
		run(hand, "git", "push", "-q", "origin", "HEAD:refs/heads/"+branch)
	})

	store := run(tmp, "git", "--git-dir", origin, "show", "refs/heads/"+branch+":"+baselineDir+"/baseline.txt")
	for _, batch := range []string{"nightly-1", "nightly-2", "manual-1"} {
		if !strings.Contains(store, "batch="+batch+" ") {
			t.Errorf("the refresh branch lost batch %s:\n%s", batch, store)
		}
	}
	mainSHA := run(tmp, "git", "--git-dir", origin, "rev-parse", "refs/heads/main")
	if !strings.Contains(store, "commit="+mainSHA[:7]) {
		t.Errorf("the nightly runs do not record main's commit %s:\n%s", mainSHA, store)
	}
}

// resultsOfNight returns the results file at path as the nth sweep measured it: one TFLOPS/GPU
// value differs from every other sweep's, as a real night's would. The same values under two
// run ids would be one night folded twice, which baseline update refuses as a copy.
func resultsOfNight(t *testing.T, path string, nth int) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const value = "| 75.32\n" // tp=8 pp=8 mbs=1 gbs=64 of testdata/example/pr-clean.txt
	if bytes.Count(b, []byte(value)) != 1 {
		t.Fatalf("%s: want one %q to vary per night", path, value)
	}
	return bytes.Replace(b, []byte(value), fmt.Appendf(nil, "| %.2f\n", 75.32+float64(nth)/100), 1)
}

// copyTree copies the regular files under src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
