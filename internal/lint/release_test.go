package lint

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// releaseWorkflow is the part of release.yml the tests read.
type releaseWorkflow struct {
	Jobs map[string]struct {
		If    string `yaml:"if"`
		Needs any    `yaml:"needs"`
		Steps []struct {
			Name string            `yaml:"name"`
			Run  string            `yaml:"run"`
			Env  map[string]string `yaml:"env"`
		} `yaml:"steps"`
		Strategy struct {
			Matrix struct {
				Include []map[string]string `yaml:"include"`
			} `yaml:"matrix"`
		} `yaml:"strategy"`
	} `yaml:"jobs"`
}

func readRelease(t *testing.T) *releaseWorkflow {
	t.Helper()
	w := new(releaseWorkflow)
	readYAML(t, ".github/workflows/release.yml", w)
	return w
}

func (w *releaseWorkflow) script(t *testing.T, job, step string) string {
	t.Helper()
	for _, s := range w.Jobs[job].Steps {
		if s.Name == step {
			return s.Run
		}
	}
	t.Fatalf("release.yml: job %s has no step %q", job, step)
	return ""
}

// TestReleaseWorkflowShape pins what the action relies on: the platforms it downloads for,
// and that only the tag-only publish job can write.
func TestReleaseWorkflowShape(t *testing.T) {
	w := readRelease(t)
	var got []string
	for _, m := range w.Jobs["build"].Strategy.Matrix.Include {
		got = append(got, m["goos"]+"/"+m["goarch"])
	}
	want := "linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64"
	if strings.Join(got, " ") != want {
		t.Errorf("build matrix %v, want %s (action/install.sh maps RUNNER_OS/RUNNER_ARCH to these)", got, want)
	}
	if w.Jobs["publish"].If != "startsWith(github.ref, 'refs/tags/v')" {
		t.Errorf("publish job if = %q: it must run for version tags only", w.Jobs["publish"].If)
	}
	for name, j := range w.Jobs {
		if name != "publish" && j.If != "" {
			t.Errorf("job %s has if %q: the dry run on pull requests must run it", name, j.If)
		}
	}
}

// TestReleaseBuild runs release.yml's Build script, for the host's platform, in a clone of
// this repository's HEAD: tagged, it must stamp the tag into the build info (what perfgate
// --version reads) from a -trimpath -ldflags="-s -w" build; untagged it is the "dev" dry run;
// a tag that is not the build info's version fails the step. Then the Checksums script must
// accept what it built.
func TestReleaseBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds perfgate: skipped in -short mode")
	}
	for _, tool := range []string{"bash", "git", "go", "sha256sum", "awk"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not on PATH", tool)
		}
	}
	w := readRelease(t)
	build := w.script(t, "build", "Build")
	root := repoRoot(t)
	dir := t.TempDir()
	clone := filepath.Join(dir, "clone")
	git := func(d string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"}, args...)...)
		cmd.Dir = d
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git(dir, "clone", "-q", "--no-local", "--depth=1", "file://"+root, clone)
	git(clone, "tag", "v1.8.7")

	// Not GOPROXY=off: with it, go build stamps a pseudo-version instead of the tag. The
	// module cache is warm, so nothing is downloaded.
	run := func(script, ref string) (string, error) {
		cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
		cmd.Dir = clone
		cmd.Env = append(os.Environ(), "RUNNER_TEMP="+dir, "GITHUB_REF="+ref, "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH, "GOFLAGS=", "GOWORK=off")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	ext := ""
	if runtime.GOOS == "windows" {
		ext = ".exe"
	}

	out, err := run(build, "refs/tags/v1.8.7")
	if err != nil {
		t.Fatalf("tagged build: %v\n%s", err, out)
	}
	bin := filepath.Join(dir, "dist", "perfgate_v1.8.7_"+runtime.GOOS+"_"+runtime.GOARCH+ext)
	info, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(info), "\tmod\tgithub.com/perfgate/perfgate\tv1.8.7\t") {
		t.Errorf("build info of %s lacks the tag:\n%s", bin, info)
	}
	if !strings.Contains(string(info), "-trimpath=true") || !strings.Contains(string(info), "CGO_ENABLED=0") {
		t.Errorf("build info of %s: want -trimpath and CGO_ENABLED=0:\n%s", bin, info)
	}

	// The dry run of a pull request.
	if out, err := run(build, "refs/pull/1/merge"); err != nil {
		t.Fatalf("dry-run build: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "dist", "perfgate_dev_"+runtime.GOOS+"_"+runtime.GOARCH+ext)); err != nil {
		t.Errorf("dry run wrote no dev binary: %v", err)
	}

	// A tag that is not on HEAD: the build info says otherwise, and the step fails.
	if out, err := run(build, "refs/tags/v1.9.9"); err == nil || !strings.Contains(out, "has version 'v1.8.7' in its build info, want v1.9.9") {
		t.Errorf("mismatched tag: err %v\n%s", err, out)
	}

	// Checksums over a full set (the other four platforms faked), as action/install.sh reads them.
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		return
	}
	dist := filepath.Join(dir, "dist")
	os.Remove(filepath.Join(dist, "perfgate_dev_linux_amd64"))
	for _, p := range []string{"linux_arm64", "darwin_amd64", "darwin_arm64", "windows_amd64.exe"} {
		if err := os.WriteFile(filepath.Join(dist, "perfgate_v1.8.7_"+p), []byte(p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err = run(strings.Replace(w.script(t, "checksums", "Checksums"), "cd dist", "cd "+dist, 1), "refs/tags/v1.8.7")
	if err != nil {
		t.Fatalf("checksums: %v\n%s", err, out)
	}
	sums, err := os.ReadFile(filepath.Join(dist, "perfgate_v1.8.7_checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(bin)
	sum := sha256.Sum256(data)
	if !strings.Contains(string(sums), hex.EncodeToString(sum[:])+"  perfgate_v1.8.7_linux_amd64\n") || strings.Count(string(sums), "\n") != 5 {
		t.Errorf("checksums file:\n%s", sums)
	}
}
