package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/github"
	"github.com/perfgate/perfgate/report"
)

// TestCommentGolden renders the pull-request comment, as publish renders it from the JSON
// report of check, for the seed example (a failing PR), a clean PR and a 500-config suite
// with 5 regressions, and compares it with testdata/golden/comment_*.golden. Run with -update
// to rewrite them after a deliberate change of the comment.
func TestCommentGolden(t *testing.T) {
	dir := t.TempDir()
	suiteBase, suitePR := filepath.Join(dir, "base.jsonl"), filepath.Join(dir, "pr.jsonl")
	if _, err := writeSuite(suiteBase, suitePR, 500, 5); err != nil {
		t.Fatal(err)
	}
	suiteStore := filepath.Join(dir, "suite")
	if code, _, errOut := runMain("baseline", "update", "--baseline", suiteStore, suiteBase); code != ExitPass {
		t.Fatalf("baseline update: exit %d: %s", code, errOut)
	}
	example := filepath.Join("..", "..", "testdata", "example")
	tests := []struct {
		name, baseline, results string
		exit                    int
	}{
		{"comment_seed", filepath.Join(example, "baseline"), filepath.Join(example, "pr-sweep.txt"), ExitFail},
		{"comment_clean", filepath.Join(example, "baseline"), filepath.Join(example, "pr-clean.txt"), ExitPass},
		{"comment_500", suiteStore, suitePR, ExitFail},
	}
	env := map[string]string{"SOURCE_DATE_EPOCH": "1795600000", "GITHUB_SHA": "abcdef0123456789abcdef0123456789abcdef01"}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := Main([]string{"check", "--baseline", tc.baseline, "--format", "json", tc.results},
				&Streams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, Getenv: func(k string) string { return env[k] }})
			if code != tc.exit {
				t.Fatalf("check: exit %d, want %d: %s", code, tc.exit, errOut.String())
			}
			rep, err := github.DecodeReport("report.json", out.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			md := report.Markdown(rep, report.MarkdownOptions{Chart: true, RunURL: "https://github.com/o/r/actions/runs/42", MaxBytes: github.MaxCommentBytes - 100})
			md = strings.ReplaceAll(strings.ReplaceAll(md, dir, "$TMP"), example, "testdata/example")
			file := filepath.Join("testdata", "golden", tc.name+".golden")
			if *update {
				if err := os.WriteFile(file, []byte(md), 0o666); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if md != string(want) {
				t.Errorf("the comment differs from %s (run with -update to accept)\ngot:\n%s", file, md)
			}
		})
	}
}

// TestREADMEComment checks that the comment shown in the README is the seed example's golden
// comment, quoted, so the README cannot drift from what perfgate posts.
func TestREADMEComment(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok1 := strings.Cut(string(readme), "<!-- comment example: begin -->\n")
	shown, _, ok2 := strings.Cut(rest, "<!-- comment example: end -->")
	if !ok1 || !ok2 {
		t.Fatal("README.md has no comment example between its markers")
	}
	golden, err := os.ReadFile(filepath.Join("testdata", "golden", "comment_seed.golden"))
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for _, line := range strings.Split(strings.TrimRight(string(golden), "\n"), "\n") {
		if line == "" {
			want.WriteString(">\n")
		} else {
			want.WriteString("> " + line + "\n")
		}
	}
	if shown != want.String() {
		t.Errorf("the README's comment example is not testdata/golden/comment_seed.golden quoted; paste it again:\n%s", want.String())
	}
}
