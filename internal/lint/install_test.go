package lint

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// installEnv runs action/install.sh as the action does, against fake go binaries, a fake
// tool cache and a fake curl that serves a local "release" directory, so nothing leaves the
// machine.
type installEnv struct {
	t       *testing.T
	dir     string
	temp    string // $RUNNER_TEMP
	cache   string // $RUNNER_TOOL_CACHE
	pathBin string // a directory on PATH for fakes (go, curl)
	release string // what the fake curl serves: release/<tag>/<asset>
	goLog   string // each fake go appends "version GOTOOLCHAIN=..." here
	posix   bool   // run bash --posix
}

func newInstallEnv(t *testing.T) *installEnv {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not on PATH")
	}
	dir := t.TempDir()
	e := &installEnv{t: t, dir: dir, temp: filepath.Join(dir, "temp"), cache: filepath.Join(dir, "toolcache"),
		pathBin: filepath.Join(dir, "fakebin"), release: filepath.Join(dir, "release"), goLog: filepath.Join(dir, "go.log")}
	for _, d := range []string{e.temp, e.cache, e.pathBin, e.release} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// fakeGo writes a go that reports version v and logs its GOTOOLCHAIN.
func (e *installEnv) fakeGo(path, v string) {
	e.t.Helper()
	script := fmt.Sprintf(`#!/usr/bin/env bash
echo "%s GOTOOLCHAIN=${GOTOOLCHAIN:-} $*" >>%q
case "$1 ${2:-}" in
  "env GOVERSION") echo %s ;;
  "version "*) echo "go version %s linux/amd64" ;;
  build*) echo "fake go cannot build" >&2; exit 1 ;;
esac
`, v, e.goLog, v, v)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		e.t.Fatal(err)
	}
}

// cacheGo puts a fake go of version v (go1.x.y) into the tool cache for arch.
func (e *installEnv) cacheGo(v, arch string) string {
	p := filepath.Join(e.cache, "go", strings.TrimPrefix(v, "go"), arch, "bin", "go")
	e.fakeGo(p, v)
	return p
}

// fakeCurl installs a curl that copies release/<tag>/<asset> for any URL ending in
// /releases/download/<tag>/<asset>, and fails (like curl -f on a 404) otherwise.
func (e *installEnv) fakeCurl() {
	script := fmt.Sprintf(`#!/usr/bin/env bash
out='' url=''
while [ $# -gt 0 ]; do
  case "$1" in
    -o) out=$2; shift ;;
    --retry|--connect-timeout) shift ;;
    -*) ;;
    *) url=$1 ;;
  esac
  shift
done
echo "$url" >>%q
rel=${url#*/releases/download/}
[ -f %q/"$rel" ] || exit 22
cp %q/"$rel" "$out"
`, filepath.Join(e.dir, "curl.log"), e.release, e.release)
	if err := os.WriteFile(filepath.Join(e.pathBin, "curl"), []byte(script), 0o755); err != nil {
		e.t.Fatal(err)
	}
}

// publishRelease writes tag's asset for linux/amd64 and the checksums file; corrupt makes
// the checksum wrong.
func (e *installEnv) publishRelease(tag string, corrupt bool) []byte {
	dir := filepath.Join(e.release, tag)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		e.t.Fatal(err)
	}
	bin := []byte("#!/bin/sh\necho perfgate " + tag + "\n")
	asset := "perfgate_" + tag + "_linux_amd64"
	if err := os.WriteFile(filepath.Join(dir, asset), bin, 0o755); err != nil {
		e.t.Fatal(err)
	}
	sum := sha256.Sum256(bin)
	if corrupt {
		sum[0] ^= 1
	}
	sums := fmt.Sprintf("%s  perfgate_%s_darwin_arm64\n%s  %s\n", strings.Repeat("0", 64), tag, hex.EncodeToString(sum[:]), asset)
	if err := os.WriteFile(filepath.Join(dir, "perfgate_"+tag+"_checksums.txt"), []byte(sums), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return bin
}

type installRun struct {
	exit     int
	stdout   string
	outputs  map[string]string
	ghPath   string
	curlURLs []string
}

// run runs install.sh CMD. PATH is the fakes directory, then a directory of the basic tools
// the script needs (and, with realGo, the directory of the host's go).
func (e *installEnv) run(cmd string, realGo bool, env map[string]string) installRun {
	t := e.t
	t.Helper()
	tools := filepath.Join(e.dir, "tools")
	if _, err := os.Stat(tools); err != nil {
		if err := os.MkdirAll(tools, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, tool := range []string{"bash", "awk", "cat", "chmod", "cp", "grep", "head", "mkdir", "mv", "rm", "sha256sum", "shasum", "env"} {
			if p, err := exec.LookPath(tool); err == nil {
				if err := os.Symlink(p, filepath.Join(tools, tool)); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	path := e.pathBin + string(os.PathListSeparator) + tools
	if realGo {
		goBin, err := exec.LookPath("go")
		if err != nil {
			t.Skip("go not on PATH")
		}
		path = filepath.Dir(goBin) + string(os.PathListSeparator) + path
	}
	out := filepath.Join(e.dir, "github_output")
	ghPath := filepath.Join(e.dir, "github_path")
	os.Remove(out)
	os.Remove(ghPath)
	os.Remove(filepath.Join(e.dir, "curl.log"))
	args := []string{"--noprofile", "--norc"}
	if e.posix {
		args = append(args, "--posix")
	}
	c := exec.Command(filepath.Join(tools, "bash"), append(args, filepath.Join(repoRoot(t), "action", "install.sh"), cmd)...)
	c.Dir = e.dir
	c.Env = []string{
		"PATH=" + path,
		"HOME=" + e.temp,
		"LC_ALL=C",
		"GITHUB_ACTION_PATH=" + repoRoot(t),
		"GITHUB_OUTPUT=" + out,
		"GITHUB_PATH=" + ghPath,
		"RUNNER_TEMP=" + e.temp,
		"RUNNER_TOOL_CACHE=" + e.cache,
		"RUNNER_OS=Linux",
		"RUNNER_ARCH=X64",
		"PG_SERVER_URL=https://github.example",
		"PG_ACTION_REPO=perfgate/perfgate",
		"GOCACHE=" + goEnv(t, "GOCACHE"),
		"GOMODCACHE=" + goEnv(t, "GOMODCACHE"),
		"GOPROXY=off",
	}
	for k, v := range env {
		c.Env = append(c.Env, k+"="+v)
	}
	stdout, exit := runCombined(t, c)
	r := installRun{stdout: stdout, exit: exit, outputs: readOutputs(out)}
	if b, err := os.ReadFile(ghPath); err == nil {
		r.ghPath = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile(filepath.Join(e.dir, "curl.log")); err == nil {
		r.curlURLs = strings.Fields(string(b))
	}
	return r
}

func goEnv(t *testing.T, name string) string {
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Skipf("go env %s: %v", name, err)
	}
	return strings.TrimSpace(string(out))
}

// goModVersion is go.mod's go line.
func goModVersion(t *testing.T) string {
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go ([0-9.a-z]+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("no go line in go.mod")
	}
	return string(m[1])
}

func TestInstallPlanGo(t *testing.T) {
	need := goModVersion(t)
	for _, posix := range []bool{false, true} {
		t.Run(fmt.Sprintf("posix=%v", posix), func(t *testing.T) { testInstallPlanGo(t, posix, need) })
	}
}

func testInstallPlanGo(t *testing.T, posix bool, need string) {
	// The versions around go.mod's: same minor, older minor, a release candidate.
	var major, minor int
	if _, err := fmt.Sscanf(need, "%d.%d", &major, &minor); err != nil {
		t.Fatalf("go.mod go %s: %v", need, err)
	}
	old := fmt.Sprintf("go%d.%d.5", major, minor-2)
	rc := fmt.Sprintf("go%d.%drc1", major, minor)
	good := fmt.Sprintf("go%d.%d.3", major, minor)
	better := fmt.Sprintf("go%d.%d.1", major, minor+1)

	for _, tc := range []struct {
		name      string
		pathGo    string   // version of the go on PATH; "" for none
		cache     []string // versions in the tool cache (x64); "arm64:" prefix for arm64
		env       map[string]string
		want      map[string]string // outputs, with GO standing for the chosen go's path
		wantGo    string            // version of the chosen go
		wantInLog string
	}{
		{name: "go on PATH is new enough", pathGo: good, cache: []string{better},
			want: map[string]string{"method": "source", "go": "GO"}, wantGo: good},
		{name: "old go on PATH: newest suitable from the tool cache", pathGo: old, cache: []string{old, good, better, "arm64:" + fmt.Sprintf("go%d.%d.0", major, minor+5)},
			want: map[string]string{"method": "source", "go": "GO"}, wantGo: better, wantInLog: "is " + old + ", older than go.mod's go " + need},
		{name: "release candidate is older than the release", pathGo: rc, cache: []string{},
			want: map[string]string{"method": "source", "setup-go": "true"}},
		{name: "old go, nothing in the cache: setup-go", pathGo: old, cache: []string{old},
			want: map[string]string{"method": "source", "setup-go": "true"}},
		{name: "no go at all: setup-go", cache: nil,
			want: map[string]string{"method": "source", "setup-go": "true"}},
		{name: "GOTOOLCHAIN=local in the job", pathGo: old, cache: []string{good}, env: map[string]string{"GOTOOLCHAIN": "local"},
			want: map[string]string{"method": "source", "go": "GO"}, wantGo: good},
		{name: "a release tag without a release falls back", pathGo: good, env: map[string]string{"PG_ACTION_REF": "v9.9.9"},
			want: map[string]string{"method": "source", "go": "GO"}, wantGo: good, wantInLog: "no release binary for v9.9.9 (linux/amd64)"},
		{name: "install source ignores a release", pathGo: good, env: map[string]string{"PG_ACTION_REF": "v1.0.0", "PG_INSTALL": "source"},
			want: map[string]string{"method": "source", "go": "GO"}, wantGo: good},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newInstallEnv(t)
			e.posix = posix
			e.fakeCurl()
			chosen := map[string]string{}
			if tc.pathGo != "" {
				e.fakeGo(filepath.Join(e.pathBin, "go"), tc.pathGo)
				chosen[tc.pathGo] = filepath.Join(e.pathBin, "go")
			}
			for _, v := range tc.cache {
				arch := "x64"
				if a, rest, ok := strings.Cut(v, ":"); ok {
					arch, v = a, rest
				}
				p := e.cacheGo(v, arch)
				if arch == "x64" {
					if _, ok := chosen[v]; !ok {
						chosen[v] = p
					}
				}
			}
			r := e.run("plan", false, tc.env)
			if r.exit != 0 {
				t.Fatalf("exit %d\n%s", r.exit, r.stdout)
			}
			want := map[string]string{"go-mod": filepath.Join(repoRoot(t), "go.mod")}
			for k, v := range tc.want {
				if v == "GO" {
					v = chosen[tc.wantGo]
				}
				want[k] = v
			}
			if diff := cmp.Diff(want, r.outputs); diff != "" {
				t.Errorf("outputs (-want +got):\n%s\n%s", diff, r.stdout)
			}
			if !strings.Contains(r.stdout, tc.wantInLog) {
				t.Errorf("output does not contain %q:\n%s", tc.wantInLog, r.stdout)
			}
			// Every version probe ran with GOTOOLCHAIN=local: none may download a toolchain.
			if b, err := os.ReadFile(e.goLog); err == nil {
				for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
					if !strings.Contains(line, "GOTOOLCHAIN=local ") {
						t.Errorf("go ran without GOTOOLCHAIN=local: %s", line)
					}
				}
			}
		})
	}
}

func TestInstallRelease(t *testing.T) {
	e := newInstallEnv(t)
	e.fakeCurl()
	e.fakeGo(filepath.Join(e.pathBin, "go"), "go1.0.0") // never used: the release wins
	bin := e.publishRelease("v1.2.3", false)
	e.publishRelease("v6.6.6", true)
	binDir := filepath.Join(e.temp, "perfgate", "bin")

	r := e.run("plan", false, map[string]string{"PG_ACTION_REF": "v1.2.3"})
	if r.exit != 0 {
		t.Fatalf("exit %d\n%s", r.exit, r.stdout)
	}
	want := map[string]string{"go-mod": filepath.Join(repoRoot(t), "go.mod"), "path": filepath.Join(binDir, "perfgate"), "method": "release"}
	if diff := cmp.Diff(want, r.outputs); diff != "" {
		t.Errorf("outputs (-want +got):\n%s\n%s", diff, r.stdout)
	}
	if got, err := os.ReadFile(filepath.Join(binDir, "perfgate")); err != nil || !bytes.Equal(got, bin) {
		t.Errorf("installed binary = %q, %v; want the release asset", got, err)
	}
	if r.ghPath != binDir {
		t.Errorf("GITHUB_PATH = %q, want %q", r.ghPath, binDir)
	}
	wantURLs := []string{
		"https://github.example/perfgate/perfgate/releases/download/v1.2.3/perfgate_v1.2.3_checksums.txt",
		"https://github.example/perfgate/perfgate/releases/download/v1.2.3/perfgate_v1.2.3_linux_amd64",
	}
	if diff := cmp.Diff(wantURLs, r.curlURLs); diff != "" {
		t.Errorf("downloads (-want +got):\n%s", diff)
	}

	// A second use in the same job (pending, then gate) reuses it without a download.
	r = e.run("plan", false, map[string]string{"PG_ACTION_REF": "v1.2.3"})
	if r.exit != 0 || r.outputs["method"] != "reused" || len(r.curlURLs) != 0 {
		t.Errorf("second plan: exit %d, outputs %v, downloads %v\n%s", r.exit, r.outputs, r.curlURLs, r.stdout)
	}

	// A checksum mismatch is an error, never a fallback to building.
	r = e.run("plan", false, map[string]string{"PG_ACTION_REF": "v6.6.6"})
	if r.exit != 3 || !strings.Contains(r.stdout, "::error title=perfgate::checksum mismatch for perfgate_v6.6.6_linux_amd64") {
		t.Errorf("corrupt release: exit %d, want 3 and a checksum error\n%s", r.exit, r.stdout)
	}
	if r.outputs["path"] != "" || r.outputs["method"] != "" {
		t.Errorf("corrupt release: outputs %v, want no path", r.outputs)
	}

	// install: release without a release is an error.
	r = e.run("plan", false, map[string]string{"PG_ACTION_REF": "v7.0.0", "PG_INSTALL": "release"})
	if r.exit != 3 || !strings.Contains(r.stdout, "install: release was asked for") {
		t.Errorf("missing release with install release: exit %d\n%s", r.exit, r.stdout)
	}
	// Refs that are not release tags never reach curl.
	for _, ref := range []string{"", "v1", "main", "0123456789abcdef0123456789abcdef01234567", "v1.2.3/../../x"} {
		r = e.run("plan", false, map[string]string{"PG_ACTION_REF": ref})
		if len(r.curlURLs) != 0 || r.outputs["method"] != "source" {
			t.Errorf("ref %q: downloads %v, method %q\n%s", ref, r.curlURLs, r.outputs["method"], r.stdout)
		}
	}
	r = e.run("plan", false, map[string]string{"PG_INSTALL": "binary"})
	if r.exit != 2 || !strings.Contains(r.stdout, "input install must be auto, release or source") {
		t.Errorf("bad install input: exit %d\n%s", r.exit, r.stdout)
	}
}

func TestInstallBuild(t *testing.T) {
	e := newInstallEnv(t)
	// An old go is refused before it can try (and, without GOTOOLCHAIN=local, download).
	e.fakeGo(filepath.Join(e.pathBin, "go"), "go1.20.0")
	r := e.run("build", false, nil)
	if r.exit != 3 || !strings.Contains(r.stdout, "is go1.20.0; building perfgate needs go "+goModVersion(t)) {
		t.Errorf("old go: exit %d\n%s", r.exit, r.stdout)
	}
	if testing.Short() {
		t.Skip("building perfgate: skipped in -short mode")
	}
	// The host's go builds the real thing, offline (GOPROXY=off, the module cache is warm).
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH")
	}
	r = e.run("build", true, map[string]string{"PG_GO": goBin})
	if r.exit != 0 {
		t.Fatalf("build: exit %d\n%s", r.exit, r.stdout)
	}
	exe := filepath.Join(e.temp, "perfgate", "bin", "perfgate")
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	if r.outputs["path"] != exe {
		t.Errorf("path output %q, want %q", r.outputs["path"], exe)
	}
	if out, err := exec.Command(exe, "--help").CombinedOutput(); err != nil || !strings.Contains(string(out), "perfgate") {
		t.Errorf("built perfgate --help: %v\n%s", err, out)
	}
}
