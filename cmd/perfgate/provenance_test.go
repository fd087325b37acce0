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

// The newest baseline run is found by the one reading of dates (bench.ParseDate): a store
// holds dates an older perfgate kept as written, a day alone or a timestamp with a space, and
// reading only RFC 3339 skipped them, so the report named an older baseline commit and date.
func TestProvenanceNewestBaselineDate(t *testing.T) {
	s := &Streams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard, Getenv: func(string) string { return "" }}
	cur := []bench.Run{{Config: map[string]string{"tp": "8"}, Commit: "0123456789abcdef0123456789abcdef01234567"}}
	for _, tc := range []struct {
		name       string
		base       []bench.Run
		commit, at string
	}{
		{"day alone", []bench.Run{{Commit: "aaa", Date: "2026-11-29T03:00:00Z"}, {Commit: "bbb", Date: "2026-11-30"}}, "bbb", "2026-11-30"},
		{"space", []bench.Run{{Commit: "ccc", Date: "2026-11-30 02:00:00"}, {Commit: "aaa", Date: "2026-11-30T01:00:00Z"}}, "ccc", "2026-11-30 02:00:00"},
		{"space and offset", []bench.Run{{Commit: "aaa", Date: "2026-11-30T01:00:00Z"}, {Commit: "ddd", Date: "2026-11-30 02:00:00+00:00"}}, "ddd", "2026-11-30 02:00:00+00:00"},
		{"RFC 3339 newest", []bench.Run{{Commit: "aaa", Date: "2026-11-30T03:00:00Z"}, {Commit: "bbb", Date: "2026-11-30"}, {Commit: "ccc", Date: "2026-11-30 02:00:00"}}, "aaa", "2026-11-30T03:00:00Z"},
	} {
		p := provenance(context.Background(), s, pflag.NewFlagSet("check", pflag.ContinueOnError), "", tc.base, cur, &check.Report{})
		if p.Baseline != tc.commit || p.BaselineDate != tc.at {
			t.Errorf("%s: newest baseline %q at %q, want %q at %q", tc.name, p.Baseline, p.BaselineDate, tc.commit, tc.at)
		}
	}
}
