package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/check"
)

// gitRepoAt makes a git repository with one commit in a new directory, makes it the working
// directory for the test, and returns the commit.
func gitRepoAt(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	dir := t.TempDir()
	t.Chdir(dir)
	for _, args := range [][]string{
		{"init", "-q"},
		{"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "pr head"},
	} {
		cmd := exec.Command("git", args...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+filepath.Join(dir, "nogitconfig"))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	out, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// provenanceHead returns the head commit provenance records for runs that name none, in the
// environment env.
func provenanceHead(t *testing.T, env map[string]string) string {
	t.Helper()
	s := &Streams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard, Getenv: func(k string) string { return env[k] }}
	cur := []bench.Run{{Config: map[string]string{"tp": "8"}}}
	return provenance(context.Background(), s, pflag.NewFlagSet("check", pflag.ContinueOnError), "", nil, cur, &check.Report{}).Head
}

// On issue_comment (a "/benchmark" comment on a pull request) $GITHUB_SHA is the default
// branch's head, and the payload names no head: the commit measured is the one the workflow
// checked out, the working directory's HEAD. Recording $GITHUB_SHA made the report claim
// main's head was measured (audit D1), and publish compares it with the pull request's head.
func TestProvenanceHeadOnIssueComment(t *testing.T) {
	checkedOut := gitRepoAt(t)
	defaultBranch := "ffeeddccbbaa99887766554433221100deadbeef"
	event := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(event, []byte(`{"action":"created","issue":{"number":7,"pull_request":{"url":"https://api.github.com/repos/o/r/pulls/7"}},"comment":{"body":"/benchmark"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"issue_comment", map[string]string{"GITHUB_EVENT_NAME": "issue_comment", "GITHUB_EVENT_PATH": event, "GITHUB_SHA": defaultBranch}, checkedOut},
		{"issue_comment without a payload", map[string]string{"GITHUB_EVENT_NAME": "issue_comment", "GITHUB_SHA": defaultBranch}, checkedOut},
		{"pull_request without a readable payload", map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_SHA": defaultBranch}, checkedOut},
		// On push, $GITHUB_SHA is the pushed commit, measured.
		{"push", map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_SHA": defaultBranch}, defaultBranch},
		{"outside Actions", map[string]string{}, checkedOut},
	} {
		if got := provenanceHead(t, tc.env); got != tc.want {
			t.Errorf("%s: head %q, want %q", tc.name, got, tc.want)
		}
	}
}
