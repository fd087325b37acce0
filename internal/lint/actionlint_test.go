package lint

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
)

// repoRoot returns the repository's top directory: the nearest ancestor holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// workflowFiles returns the workflow files actionlint must check: this repository's own
// and the documented examples.
func workflowFiles(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	for _, pat := range []string{".github/workflows/*.yml", ".github/workflows/*.yaml", "docs/workflows/*.yml", "docs/workflows/*.yaml"} {
		m, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(pat)))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	slices.Sort(files)
	return files
}

// newLinter returns an actionlint linter configured like `go tool actionlint` run at root:
// the repository's .github/actionlint.yaml, and shellcheck on run: scripts when it is on PATH.
func newLinter(t *testing.T, root string) (*actionlint.Linter, *actionlint.Project) {
	t.Helper()
	opts := &actionlint.LinterOptions{Color: actionlint.ColorOptionKindNever, WorkingDir: root}
	if sc, err := exec.LookPath("shellcheck"); err == nil {
		opts.Shellcheck = sc
	} else {
		t.Log("shellcheck is not on PATH: run: scripts are not checked (CI's ubuntu runners have it)")
	}
	l, err := actionlint.NewLinter(io.Discard, opts)
	if err != nil {
		t.Fatal(err)
	}
	proj, err := actionlint.NewProject(root)
	if err != nil {
		t.Fatal(err)
	}
	return l, proj
}

// TestActionlint runs actionlint over every workflow. A local `uses: ./` step in ci.yml also
// makes actionlint validate action.yml's metadata and the inputs passed to it.
func TestActionlint(t *testing.T) {
	root := repoRoot(t)
	files := workflowFiles(t, root)
	var rel []string
	for _, f := range files {
		r, _ := filepath.Rel(root, f)
		rel = append(rel, filepath.ToSlash(r))
	}
	// Guard against a glob that silently matches nothing.
	for _, want := range []string{
		".github/workflows/ci.yml",
		".github/workflows/release.yml",
		"docs/workflows/nightly-baseline.yml",
		"docs/workflows/perf-gate-fork-stage1.yml",
		"docs/workflows/perf-gate-fork-stage2.yml",
		"docs/workflows/perf-gate.yml",
	} {
		if !slices.Contains(rel, want) {
			t.Errorf("workflow %s not found; found %v", want, rel)
		}
	}

	l, proj := newLinter(t, root)
	errs, err := l.LintFiles(files, proj)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		p, err := filepath.Rel(root, e.Filepath)
		if err != nil || strings.HasPrefix(p, "..") {
			p = e.Filepath
		}
		t.Errorf("%s:%d:%d: %s [%s]", filepath.ToSlash(p), e.Line, e.Column, e.Message, e.Kind)
	}
}

// TestActionlintCatches makes sure the harness above would report problems: the linter must
// flag script injection and an unknown runner label.
func TestActionlintCatches(t *testing.T) {
	root := repoRoot(t)
	l, proj := newLinter(t, root)
	const bad = `name: bad
on: pull_request
permissions:
  contents: read
jobs:
  j:
    runs-on: [self-hosted, tpu]
    steps:
      - run: echo "${{ github.event.pull_request.title }}"
`
	errs, err := l.Lint(filepath.Join(root, ".github", "workflows", "bad.yml"), []byte(bad), proj)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, e := range errs {
		kinds[e.Kind] = true
	}
	for _, want := range []string{"expression", "runner-label"} {
		if !kinds[want] {
			t.Errorf("actionlint did not report a %q problem; got %v", want, errs)
		}
	}
	// The label configured in .github/actionlint.yaml is accepted.
	good := strings.Replace(bad, "tpu", "gpu", 1)
	good = strings.Replace(good, `echo "${{ github.event.pull_request.title }}"`, "echo ok", 1)
	errs, err = l.Lint(filepath.Join(root, ".github", "workflows", "good.yml"), []byte(good), proj)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Errorf("good workflow: %v", e)
	}
}
