package github

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const otherSHA = "0123456789abcdef0123456789abcdef01234567"

// stage2 turns the harness into the second stage of the fork pair: a workflow_run event for
// a stage-1 run on runSHA whose pull_requests names prs (GitHub leaves it empty for forks,
// but has been seen to name an unrelated pull request whose head branch has the same
// name), and a sticky comment on #7 showing a pass for headSHA.
func stage2(t *testing.T, runSHA string, prs string) *harness {
	t.Helper()
	h := newHarness(t)
	h.env["GITHUB_RUN_ID"] = "50"
	if _, err := h.publish(passReport(), h.options()); err != nil {
		t.Fatal(err)
	}
	h.srv.AddPR(8, otherSHA)
	h.env["GITHUB_EVENT_NAME"] = "workflow_run"
	h.env["GITHUB_RUN_ID"] = "60"
	h.writeEvent(fmt.Sprintf(`{"workflow_run":{"id":99,"event":"pull_request","head_sha":%q,"html_url":"https://github.example/o/r/actions/runs/99","pull_requests":[%s]}}`, runSHA, prs))
	h.stdout.Reset()
	h.stderr.Reset()
	return h
}

// artifact writes a stage-1 artifact with pr and sha (and a report that need not be valid)
// and returns its directory.
func (h *harness) artifact(pr, sha, report string) string {
	h.t.Helper()
	dir := filepath.Join(h.t.TempDir(), "perfgate-artifact")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		h.t.Fatal(err)
	}
	for name, text := range map[string]string{ArtifactPR: pr, ArtifactSHA: sha, ArtifactReport: report} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			h.t.Fatal(err)
		}
	}
	return dir
}

func (h *harness) markFromArtifact(dir string) (*Outcome, error) {
	h.t.Helper()
	before := len(h.srv.Requests())
	out, err := MarkFromArtifact(context.Background(), dir, h.options())
	h.checkNoToken(err)
	h.newRequests = h.requests()[before:]
	return out, err
}

// The artifact names the pull request and the commit the run was for, and that commit is
// still the head: status error there, the comment marked stale, both linked to stage 1.
func TestMarkFromArtifactCurrentHead(t *testing.T) {
	h := stage2(t, headSHA, "")
	dir := h.artifact("7\n", headSHA+"\n", `{"schema": 1, "verdict": "pa`)
	out, err := h.markFromArtifact(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"GET /api/v3/repos/o/r/pulls/7",
		// Whether this run already published its verdict there (resolvedByThisRun).
		"GET /api/v3/repos/o/r/commits/" + headSHA + "/status?per_page=100",
		"POST /api/v3/repos/o/r/statuses/" + headSHA,
		"GET /api/v3/repos/o/r/issues/7/comments?per_page=100",
		fmt.Sprintf("PATCH /api/v3/repos/o/r/issues/comments/%d", h.srv.Comments()[0].ID),
	}
	if diff := cmp.Diff(want, h.newRequests); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if out.StatusState != "error" || out.SHA != headSHA || out.PR != 7 || out.Comment != CommentEdited {
		t.Errorf("outcome %+v; want status error on #7 at the head, comment edited", out)
	}
	sts := h.srv.Statuses()
	if st := sts[len(sts)-1]; st.State != "error" || st.TargetURL != "https://github.example/o/r/actions/runs/99" {
		t.Errorf("status %+v; want error, linked to the stage-1 run", st)
	}
	if body := h.srv.Comments()[0].Body; !strings.Contains(body, "phase=stale") {
		t.Errorf("comment not marked stale:\n%s", body)
	}
}

// The pull request was pushed again after stage 1 ran: nothing is posted, and the refusal
// says why (an *InputError: exit 2).
func TestMarkFromArtifactStaleHead(t *testing.T) {
	h := stage2(t, otherSHA, "")
	dir := h.artifact("7\n", otherSHA+"\n", "")
	statuses, comment := len(h.srv.Statuses()), h.srv.Comments()[0].Body
	_, err := h.markFromArtifact(dir)
	if !IsInputError(err) || !strings.Contains(err.Error(), "o/r#7's head is now a1b2c3d4e5f6, but the failed run was for 0123456789ab") {
		t.Fatalf("err = %v; want a refusal naming the new head", err)
	}
	if diff := cmp.Diff([]string{"GET /api/v3/repos/o/r/pulls/7"}, h.newRequests); diff != "" {
		t.Errorf("a stale head caused writes (-want +got):\n%s", diff)
	}
	if len(h.srv.Statuses()) != statuses || h.srv.Comments()[0].Body != comment {
		t.Error("a stale head changed a status or the comment")
	}
}

// When the artifact cannot be trusted (absent, damaged, or naming a commit other than the
// one the run was for), only workflow_run.head_sha gets the error status: no pull request
// is read or commented on, neither the artifact's nor the one workflow_run.pull_requests
// names.
func TestMarkFromArtifactUntrusted(t *testing.T) {
	tests := []struct {
		name     string
		dir      func(h *harness) string
		runSHA   string
		wantWarn string
	}{
		{"no artifact", func(h *harness) string { return filepath.Join(h.dir, "missing") }, otherSHA, "there is no artifact"},
		{"pr tampered", func(h *harness) string { return h.artifact("7; rm -rf /\n", otherSHA+"\n", "") }, otherSHA, "not a positive decimal number"},
		{"sha missing", func(h *harness) string {
			dir := h.artifact("7\n", otherSHA+"\n", "")
			os.Remove(filepath.Join(dir, ArtifactSHA))
			return dir
		}, otherSHA, "artifact: "},
		{"sha not the run's", func(h *harness) string { return h.artifact("7\n", headSHA+"\n", "") }, otherSHA, "names commit a1b2c3d4e5f6, but the workflow run ran on 0123456789ab"},
		{"artifact a file", func(h *harness) string {
			path := filepath.Join(h.dir, "file")
			os.WriteFile(path, []byte("7\n"), 0o644)
			return path
		}, otherSHA, "is not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// workflow_run.pull_requests names #7, whose head is not the run's commit.
			h := stage2(t, tt.runSHA, `{"number":7,"head":{"sha":"`+headSHA+`"}}`)
			comment := h.srv.Comments()[0].Body
			out, err := h.markFromArtifact(tt.dir(h))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"GET /api/v3/repos/o/r/commits/" + tt.runSHA + "/status?per_page=100", "POST /api/v3/repos/o/r/statuses/" + tt.runSHA}, h.newRequests); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			if out.StatusState != "error" || out.PR != 0 || out.Comment != CommentSkipped {
				t.Errorf("outcome %+v; want status error, no pull request, comment skipped", out)
			}
			if h.srv.Comments()[0].Body != comment {
				t.Error("the comment on #7 was changed")
			}
			if !strings.Contains(h.stderr.String(), tt.wantWarn) || !strings.Contains(h.stderr.String(), "nothing in the artifact is trusted") {
				t.Errorf("stderr lacks %q:\n%s", tt.wantWarn, h.stderr.String())
			}
		})
	}
}

// Without a workflow_run payload an untrusted artifact leaves nothing to mark; explicit
// --pr or --sha are refused before anything is read.
func TestMarkFromArtifactRefuses(t *testing.T) {
	h := newHarness(t)
	_, err := h.markFromArtifact(filepath.Join(h.dir, "missing"))
	if !IsInputError(err) || !strings.Contains(err.Error(), "nothing trustworthy to mark") {
		t.Errorf("pull_request event, no artifact: err = %v", err)
	}
	opts := h.options()
	opts.PR = 7
	if _, err := MarkFromArtifact(context.Background(), h.dir, opts); !IsInputError(err) {
		t.Errorf("with a pull request number: err = %v, want an input error", err)
	}
	if len(h.srv.Requests()) != 0 {
		t.Errorf("requests: %v", h.requests())
	}
}
