package baseline

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// gitRepo is a throwaway repository for Materialize tests.
type gitRepo struct {
	t    *testing.T
	root string
}

// newGitRepo creates an empty repository in a temporary directory, isolated from the user's
// and the system's git configuration. It skips the test when git is not installed.
func newGitRepo(t *testing.T) *gitRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not on PATH")
	}
	// Isolate from ~/.gitconfig (signing, hooks, default branch) and keep git from finding
	// a repository above the temporary directory.
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("GIT_CONFIG_GLOBAL", os.DevNull)
	t.Setenv("HOME", t.TempDir())
	tmp := t.TempDir()
	t.Setenv("GIT_CEILING_DIRECTORIES", tmp)
	for _, k := range []string{"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	r := &gitRepo{t: t, root: filepath.Join(tmp, "repo")}
	if err := os.Mkdir(r.root, 0o755); err != nil {
		t.Fatal(err)
	}
	r.git("init", "-q")
	return r
}

func (r *gitRepo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", append([]string{
		"-c", "user.name=perfgate test", "-c", "user.email=test@example.invalid",
		"-c", "commit.gpgsign=false", "-c", "core.autocrlf=false",
	}, args...)...)
	cmd.Dir = r.root
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// write replaces the work tree's directory dir with files (slash-separated name → content).
// For dir "" it adds files to the top level and removes nothing.
func (r *gitRepo) write(dir string, files map[string]string) {
	r.t.Helper()
	d := filepath.Join(r.root, filepath.FromSlash(dir))
	if dir != "" {
		if err := os.RemoveAll(d); err != nil {
			r.t.Fatal(err)
		}
	}
	for name, content := range files {
		p := filepath.Join(d, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
}

// commit stages everything and commits it, returning the commit's hash.
func (r *gitRepo) commit(msg string) string {
	r.t.Helper()
	r.git("add", "-A")
	r.git("commit", "-q", "--allow-empty", "-m", msg)
	return r.git("rev-parse", "HEAD")
}

// readTree returns the regular files below dir as name → content.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		got[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

var (
	baselineV1 = map[string]string{
		"runs.jsonl":             "{\"run\":\"nightly-1\",\"s/iter\":12.5}\n",
		"configs/tp=8 pp=4.json": "{\"tp\":8,\"pp\":4}\n",
		"configs/ünïcode-名前.txt": "v1\n",
	}
	baselineV2 = map[string]string{
		"runs.jsonl":             "{\"run\":\"nightly-1\",\"s/iter\":12.5}\n{\"run\":\"nightly-2\",\"s/iter\":12.1}\n",
		"configs/tp=8 pp=4.json": "{\"tp\":8,\"pp\":4,\"mbs\":1}\n",
		"meta/window":            "20\n",
	}
)

// history builds a repository whose perf/baseline went through v1 (tagged v1) and v2 (HEAD),
// plus a README outside the baseline directory.
func history(t *testing.T) (r *gitRepo, v1, v2 string) {
	r = newGitRepo(t)
	r.write("", map[string]string{"README": "hello\n"})
	r.write("perf/baseline", baselineV1)
	v1 = r.commit("baseline v1")
	r.git("tag", "v1")
	r.write("perf/baseline", baselineV2)
	v2 = r.commit("baseline v2")
	return r, v1, v2
}

func TestMaterializeRefs(t *testing.T) {
	r, v1, v2 := history(t)
	// Leave the work tree dirty: Materialize must read the commit, not the files on disk.
	r.write("perf/baseline", map[string]string{"runs.jsonl": "uncommitted\n"})

	dir := filepath.Join(r.root, "perf", "baseline")
	for _, tc := range []struct {
		name, ref string
		want      map[string]string
		commit    string
	}{
		{"tag", "v1", baselineV1, v1},
		{"v1 hash", v1, baselineV1, v1},
		{"v1 short hash", v1[:10], baselineV1, v1},
		{"relative", "HEAD~1", baselineV1, v1},
		{"HEAD", "HEAD", baselineV2, v2},
		{"v2 hash", v2, baselineV2, v2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, commit, cleanup, err := Materialize(context.Background(), dir, tc.ref)
			if err != nil {
				t.Fatal(err)
			}
			defer cleanup()
			// The commit it read, in full, for the caller to read the rest of the store at.
			if commit != tc.commit {
				t.Errorf("Materialize(%s) commit %q, want %s", tc.ref, commit, tc.commit)
			}
			if diff := cmp.Diff(tc.want, readTree(t, got)); diff != "" {
				t.Errorf("Materialize(%s) files (-want +got):\n%s", tc.ref, diff)
			}
		})
	}
}

func TestMaterializeCleanup(t *testing.T) {
	r, _, _ := history(t)
	got, _, cleanup, err := Materialize(context.Background(), filepath.Join(r.root, "perf/baseline"), "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(got, "runs.jsonl")); err != nil {
		t.Fatalf("before cleanup: %v", err)
	}
	cleanup()
	if _, err := os.Stat(got); !os.IsNotExist(err) {
		t.Errorf("after cleanup, Stat(%s) = %v, want not exist", got, err)
	}
}

// TestMaterializeMissingWorkTreeDir covers a pull request that deletes or has not yet created
// the baseline directory: the baseline at the base ref must still be readable.
func TestMaterializeMissingWorkTreeDir(t *testing.T) {
	r, _, _ := history(t)
	r.git("rm", "-q", "-r", "perf")
	r.commit("drop perf/")
	got, _, cleanup, err := Materialize(context.Background(), filepath.Join(r.root, "perf", "baseline"), "v1")
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if diff := cmp.Diff(baselineV1, readTree(t, got)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

func TestMaterializeRelativeDir(t *testing.T) {
	r, _, _ := history(t)
	t.Chdir(filepath.Join(r.root, "perf"))
	got, _, cleanup, err := Materialize(context.Background(), "baseline", "v1")
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if diff := cmp.Diff(baselineV1, readTree(t, got)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

func TestMaterializeRepoRoot(t *testing.T) {
	r, _, _ := history(t)
	got, _, cleanup, err := Materialize(context.Background(), r.root, "v1")
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	want := map[string]string{"README": "hello\n"}
	for k, v := range baselineV1 {
		want["perf/baseline/"+k] = v
	}
	if diff := cmp.Diff(want, readTree(t, got)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

// TestMaterializeIgnoresExportAttributes guards the choice of ls-tree + cat-file over git
// archive: export-ignore and export-subst must not drop or rewrite baseline files.
func TestMaterializeIgnoresExportAttributes(t *testing.T) {
	r := newGitRepo(t)
	r.write("", map[string]string{".gitattributes": "perf/** export-ignore\n*.txt export-subst\n"})
	r.write("perf/baseline", map[string]string{"a.txt": "$Format:%H$\n"})
	r.commit("attributes")
	got, _, cleanup, err := Materialize(context.Background(), filepath.Join(r.root, "perf/baseline"), "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if diff := cmp.Diff(map[string]string{"a.txt": "$Format:%H$\n"}, readTree(t, got)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

func TestMaterializeModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no executable bits or symlinks")
	}
	r := newGitRepo(t)
	r.write("perf/baseline", map[string]string{"data": "x\n", "tool.sh": "#!/bin/sh\n"})
	if err := os.Chmod(filepath.Join(r.root, "perf/baseline/tool.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("data", filepath.Join(r.root, "perf/baseline/link")); err != nil {
		t.Fatal(err)
	}
	r.commit("modes")
	got, _, cleanup, err := Materialize(context.Background(), filepath.Join(r.root, "perf/baseline"), "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	ents, err := os.ReadDir(got)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	if diff := cmp.Diff([]string{"data", "tool.sh"}, names); diff != "" {
		t.Errorf("entries (-want +got), the symlink must be skipped:\n%s", diff)
	}
	st, err := os.Stat(filepath.Join(got, "tool.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm()&0o100 == 0 {
		t.Errorf("tool.sh mode %v, want executable", st.Mode())
	}
	st, err = os.Stat(filepath.Join(got, "data"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm()&0o111 != 0 {
		t.Errorf("data mode %v, want not executable", st.Mode())
	}
}

func TestMaterializeErrors(t *testing.T) {
	r, _, _ := history(t)
	r.write("perf/newdir", map[string]string{"x": "1\n"})
	r.commit("add perf/newdir")
	notRepo := t.TempDir()
	// GIT_CEILING_DIRECTORIES set by newGitRepo stops at the repository's parent, which is
	// not notRepo's; make sure no repository is found above notRepo either.
	t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(notRepo))

	for _, tc := range []struct {
		name, dir, ref string
		want           []string // substrings of the error
	}{
		{"unknown ref", "perf/baseline", "origin/main", []string{`unknown git ref "origin/main"`, "git fetch origin main:refs/remotes/origin/main"}},
		{"unknown tag", "perf/baseline", "v9", []string{`unknown git ref "v9"`, "git fetch origin main"}},
		{"empty ref", "perf/baseline", "", []string{"empty git ref"}},
		{"option ref", "perf/baseline", "--output=/tmp/x", []string{"invalid git ref", "cannot start with '-'"}},
		{"absent at ref", "perf/newdir", "v1", []string{"perf/newdir", "not present at v1"}},
		{"absent everywhere", "perf/nope", "HEAD", []string{"not present at HEAD"}},
		{"file not dir", "README", "HEAD", []string{"is a file", "not a directory"}},
		{"not a repo", notRepo, "HEAD", []string{"not in a git repository"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.dir
			if !filepath.IsAbs(dir) {
				dir = filepath.Join(r.root, filepath.FromSlash(dir))
			}
			got, _, cleanup, err := Materialize(context.Background(), dir, tc.ref)
			if cleanup == nil {
				t.Fatal("cleanup is nil")
			}
			cleanup()
			if err == nil {
				t.Fatalf("Materialize(%s, %q) = %s, want error", tc.dir, tc.ref, got)
			}
			t.Logf("error: %v", err)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestMaterializeCanceled(t *testing.T) {
	r, _, _ := history(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, cleanup, err := Materialize(ctx, filepath.Join(r.root, "perf/baseline"), "HEAD")
	cleanup()
	if err == nil {
		t.Fatal("Materialize with a canceled context succeeded")
	}
}

func TestParseLsTree(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    []treeEntry
		wantErr bool
	}{
		{in: "", want: nil},
		{
			in: "100644 blob aaaa\ta b\x00100755 blob bbbb\tdir/x\x00120000 blob cccc\tl\x00",
			want: []treeEntry{
				{"100644", "blob", "aaaa", "a b"},
				{"100755", "blob", "bbbb", "dir/x"},
				{"120000", "blob", "cccc", "l"},
			},
		},
		{in: "100644 blob aaaa a\x00", wantErr: true}, // no tab
		{in: "100644 blob\tname\x00", wantErr: true},  // two fields
		{in: "100644 blob aaaa\t\x00", wantErr: true}, // empty name
	} {
		got, err := parseLsTree(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("parseLsTree(%q) error = %v, want error %v", tc.in, err, tc.wantErr)
			continue
		}
		if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(treeEntry{})); diff != "" {
			t.Errorf("parseLsTree(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}
