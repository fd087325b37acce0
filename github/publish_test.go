package github

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	gh "github.com/google/go-github/v60/github"

	"github.com/perfgate/perfgate/check"
	"github.com/perfgate/perfgate/github/githubtest"
)

const (
	testRepo  = "o/r"
	testToken = "ghs_SECRETtoken0123456789abcdefABCDEF"
	headSHA   = "a1b2c3d4e5f60718293a4b5c6d7e8f90123456ab"
	mergeSHA  = "ffeeddccbbaa99887766554433221100deadbeef"
	// listStatuses is the read of the head's combined status before a status is set (newerOwner).
	listStatuses = "GET /api/v3/repos/o/r/commits/" + headSHA + "/status?per_page=100"
)

func f64(v float64) *float64 { return &v }

// testReport returns a failing report: one regression, one newly failing config and
// unchanged rows.
func testReport(unchanged int) *check.Report {
	rep := &check.Report{Schema: check.Schema, Verdict: check.Fail, Method: check.Method{Summary: "Holm-corrected Mann-Whitney U at alpha 0.05."}}
	rep.Results = append(rep.Results,
		check.Result{Config: map[string]string{"tp": "8", "pp": "4"}, Key: "tp=8/pp=4", Metric: "TFLOPS/GPU", Better: "higher", Status: check.Regression, Outcome: "ok",
			Baseline: &check.Baseline{Center: 155.7, Runs: 5}, New: &check.NewRuns{Center: 148, Runs: 3}, DeltaPct: f64(-4.9), ThresholdPct: 3},
		check.Result{Config: map[string]string{"tp": "8", "pp": "8", "mbs": "4"}, Key: "tp=8/pp=8/mbs=4", Metric: "TFLOPS/GPU", Better: "higher", Status: check.NewlyFailing, Outcome: "oom", Reason: "CUDA out of memory"},
	)
	for i := 0; i < unchanged; i++ {
		key := fmt.Sprintf("tp=8/pp=2/gbs=%d", 1000+i)
		rep.Results = append(rep.Results, check.Result{Config: map[string]string{"tp": "8", "pp": "2", "gbs": fmt.Sprint(1000 + i)}, Key: key,
			Metric: "TFLOPS/GPU", Better: "higher", Status: check.Unchanged, Outcome: "ok",
			Baseline: &check.Baseline{Center: 150, Runs: 5}, New: &check.NewRuns{Center: 150.2, Runs: 3}, DeltaPct: f64(0.1), ThresholdPct: 3})
	}
	return rep
}

// measuring returns rep with its provenance naming head as the commit it measured.
func measuring(rep *check.Report, head string) *check.Report {
	rep.Provenance = &check.Provenance{Head: head}
	return rep
}

func passReport() *check.Report {
	rep := testReport(3)
	rep.Verdict = check.Pass
	rep.Results = rep.Results[2:]
	return rep
}

// A harness is a fake GitHub, an Actions-like environment and recorded side effects.
type harness struct {
	t      *testing.T
	srv    *githubtest.Server
	env    map[string]string
	stdout bytes.Buffer
	stderr bytes.Buffer
	sleeps []time.Duration
	dir    string
	// newRequests are the requests of the last markFromArtifact.
	newRequests []string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, dir: t.TempDir()}
	h.srv = githubtest.New(testRepo, func(msg string) { t.Error(msg) })
	t.Cleanup(h.srv.Close)
	h.srv.Token = testToken
	h.srv.AddPR(7, headSHA)
	h.env = map[string]string{
		"GITHUB_REPOSITORY": testRepo,
		"GITHUB_TOKEN":      testToken,
		"GITHUB_API_URL":    h.srv.APIURL(),
		"GITHUB_SERVER_URL": "https://github.example",
		"GITHUB_RUN_ID":     "42",
		"GITHUB_SHA":        mergeSHA,
		"GITHUB_EVENT_NAME": "pull_request",
	}
	h.writeEvent(fmt.Sprintf(`{"number":7,"pull_request":{"number":7,"head":{"sha":%q,"repo":{"full_name":"o/r"}},"base":{"repo":{"full_name":"o/r"}}}}`, headSHA))
	return h
}

func (h *harness) writeEvent(payload string) {
	path := filepath.Join(h.dir, "event.json")
	if err := os.WriteFile(path, []byte(payload), 0o644); err != nil {
		h.t.Fatal(err)
	}
	h.env["GITHUB_EVENT_PATH"] = path
}

// inActions turns on GITHUB_ACTIONS with summary and output files.
func (h *harness) inActions() {
	h.env["GITHUB_ACTIONS"] = "true"
	h.env["GITHUB_STEP_SUMMARY"] = filepath.Join(h.dir, "summary.md")
	h.env["GITHUB_OUTPUT"] = filepath.Join(h.dir, "output")
}

func (h *harness) options() Options {
	return Options{
		Getenv:     func(k string) string { return h.env[k] },
		Stdout:     &h.stdout,
		Stderr:     &h.stderr,
		HTTPClient: h.srv.Client(),
		Verbose:    true,
		Sleep: func(ctx context.Context, d time.Duration) error {
			h.sleeps = append(h.sleeps, d)
			return ctx.Err()
		},
		Now: func() time.Time { return time.Unix(1_700_000_000, 0) },
	}
}

func (h *harness) publish(rep *check.Report, opts Options) (*Outcome, error) {
	h.t.Helper()
	out, err := Publish(context.Background(), rep, opts)
	h.checkNoToken(err)
	return out, err
}

// checkNoToken fails if the token leaked into anything perfgate printed or returned.
func (h *harness) checkNoToken(err error) {
	h.t.Helper()
	for name, s := range map[string]string{"stdout": h.stdout.String(), "stderr": h.stderr.String()} {
		if strings.Contains(s, testToken) {
			h.t.Errorf("%s contains the token:\n%s", name, s)
		}
	}
	if err != nil && strings.Contains(err.Error(), testToken) {
		h.t.Errorf("error contains the token: %v", err)
	}
	for _, name := range []string{"summary.md", "output"} {
		if data, _ := os.ReadFile(filepath.Join(h.dir, name)); bytes.Contains(data, []byte(testToken)) {
			h.t.Errorf("%s contains the token", name)
		}
	}
}

func (h *harness) requests() []string {
	var out []string
	for _, r := range h.srv.Requests() {
		out = append(out, r.String())
	}
	return out
}

func TestPublishCreatesThenEdits(t *testing.T) {
	h := newHarness(t)
	h.srv.AddComment(7, "someone", "LGTM")
	out, err := h.publish(testReport(2), h.options())
	if err != nil {
		t.Fatal(err)
	}
	if out.Comment != CommentCreated || out.StatusState != "failure" {
		t.Errorf("first run: comment %q, status %q; want created, failure", out.Comment, out.StatusState)
	}
	// Rerun after a fix: the same comment turns green.
	out, err = h.publish(passReport(), h.options())
	if err != nil {
		t.Fatal(err)
	}
	if out.Comment != CommentEdited || out.StatusState != "success" {
		t.Errorf("second run: comment %q, status %q; want edited, success", out.Comment, out.StatusState)
	}
	// An identical rerun does not write.
	out, err = h.publish(passReport(), h.options())
	if err != nil {
		t.Fatal(err)
	}
	if out.Comment != CommentUnchanged {
		t.Errorf("third run: comment %q, want unchanged", out.Comment)
	}
	cs := h.srv.Comments()
	if len(cs) != 2 {
		t.Fatalf("%d comments, want the human's and one sticky comment", len(cs))
	}
	if !strings.Contains(cs[1].Body, "<!-- perfgate:perfgate -->") || !strings.Contains(cs[1].Body, "✅") {
		t.Errorf("sticky comment lacks the marker or the green verdict:\n%s", cs[1].Body)
	}
	// Before each status, the newest one: is the gate a newer run's on this commit?
	want := []string{
		listStatuses,
		"POST /api/v3/repos/o/r/statuses/" + headSHA,
		"GET /api/v3/repos/o/r/issues/7/comments?per_page=100",
		"POST /api/v3/repos/o/r/issues/7/comments",
		listStatuses,
		"POST /api/v3/repos/o/r/statuses/" + headSHA,
		"GET /api/v3/repos/o/r/issues/7/comments?per_page=100",
		fmt.Sprintf("PATCH /api/v3/repos/o/r/issues/comments/%d", cs[1].ID),
		listStatuses,
		"POST /api/v3/repos/o/r/statuses/" + headSHA,
		"GET /api/v3/repos/o/r/issues/7/comments?per_page=100",
	}
	if diff := cmp.Diff(want, h.requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	for _, r := range h.srv.Requests() {
		if r.Auth != "Bearer "+testToken {
			t.Errorf("%s: Authorization %q", r, r.Auth)
		}
	}
}

func TestPublishFindsMarkerOnSecondPage(t *testing.T) {
	h := newHarness(t)
	var stickyID int64
	for i := 0; i < 150; i++ {
		body := fmt.Sprintf("comment %d", i)
		if i == 120 {
			body = "old report\n" + Marker("perfgate")
			stickyID = h.srv.AddComment(7, "github-actions[bot]", body)
			continue
		}
		h.srv.AddComment(7, "someone", body)
	}
	out, err := h.publish(testReport(1), h.options())
	if err != nil {
		t.Fatal(err)
	}
	if out.Comment != CommentEdited || out.CommentID != stickyID {
		t.Errorf("comment %q id %d; want edited id %d", out.Comment, out.CommentID, stickyID)
	}
	reqs := strings.Join(h.requests(), "\n")
	if !strings.Contains(reqs, "GET /api/v3/repos/o/r/issues/7/comments?page=2&per_page=100") {
		t.Errorf("second page not requested:\n%s", reqs)
	}
	if strings.Contains(reqs, "POST /api/v3/repos/o/r/issues/7/comments") {
		t.Errorf("a second sticky comment was posted:\n%s", reqs)
	}
	if n := len(h.srv.Comments()); n != 150 {
		t.Errorf("%d comments, want 150", n)
	}
}

// A comment that carries the marker but was written by someone without write access (the
// marker is a hidden line anyone can paste) is not the sticky comment: perfgate edits its own
// comment, never the outsider's, whose author could edit it back to any verdict.
func TestPublishIgnoresMarkerPastedByOutsider(t *testing.T) {
	h := newHarness(t)
	h.srv.Members = map[string]bool{"alice": true}
	own := h.srv.AddComment(7, "github-actions[bot]", "old report\n\n"+Marker("perfgate"))
	forged := "### ✅ perfgate: PASS\n\n<!-- perfgate-state phase=final verdict=fail sha= run= -->\n" + Marker("perfgate")
	evil := h.srv.AddComment(7, "mallory", forged)
	out, err := h.publish(testReport(1), h.options())
	if err != nil {
		t.Fatal(err)
	}
	if out.Comment != CommentEdited || out.CommentID != own {
		t.Errorf("comment %q id %d; want perfgate's own comment %d edited, not %d", out.Comment, out.CommentID, own, evil)
	}
	for _, c := range h.srv.Comments() {
		if c.ID == evil && c.Body != forged {
			t.Errorf("mallory's comment was edited:\n%s", c.Body)
		}
	}
	if !strings.Contains(h.stderr.String(), fmt.Sprintf("ignoring comment %d by mallory", evil)) {
		t.Errorf("no warning about the ignored comment:\n%s", h.stderr.String())
	}

	// The token's own comment counts even when GitHub shows its author as an outsider (a
	// personal token of a private organization member).
	h.srv.Viewer = "bob"
	bobs := h.srv.AddComment(7, "bob", "bob's report\n\n"+Marker("perfgate"))
	out, err = h.publish(testReport(1), h.options())
	if err != nil {
		t.Fatal(err)
	}
	if out.Comment != CommentEdited || out.CommentID != bobs {
		t.Errorf("comment %q id %d; want the token owner's comment %d edited", out.Comment, out.CommentID, bobs)
	}

	// A member's comment (a personal token's owner) is the sticky comment.
	mine := h.srv.AddComment(7, "alice", "alice's report\n\n"+Marker("perfgate"))
	out, err = h.publish(testReport(1), h.options())
	if err != nil {
		t.Fatal(err)
	}
	if out.Comment != CommentEdited || out.CommentID != mine {
		t.Errorf("comment %q id %d; want the member's comment %d edited", out.Comment, out.CommentID, mine)
	}
}

// A sticky comment deleted between listing and editing (a person cleaning up the thread)
// is not an error: the comments are listed again and the report posted. Marking it is
// skipped.
func TestPublishStickyDeletedMeanwhile(t *testing.T) {
	h := newHarness(t)
	h.srv.AddComment(7, "github-actions[bot]", "old report\n\n"+Marker("perfgate"))
	h.srv.AddFault(githubtest.Fault{Method: "PATCH", Path: "/repos/o/r/issues/comments/*", Times: 1, Status: 404, Body: `{"message":"Not Found"}`})
	out, err := h.publish(testReport(1), h.options())
	if err != nil {
		t.Fatal(err)
	}
	if out.Comment != CommentEdited {
		t.Errorf("comment %q, want edited after listing again", out.Comment)
	}
	h.srv.AddFault(githubtest.Fault{Method: "PATCH", Path: "/repos/o/r/issues/comments/*", Times: 1, Status: 404, Body: `{"message":"Not Found"}`})
	out, err = Mark(context.Background(), PhasePending, h.options())
	if err != nil || out.Comment != CommentSkipped || out.StatusState != "pending" {
		t.Errorf("mark: comment %q, status %q, err %v; want skipped, pending, nil", out.Comment, out.StatusState, err)
	}
}

func TestPublishIDsAreSeparate(t *testing.T) {
	h := newHarness(t)
	for _, id := range []string{"llama-70b", "perfgate", "llama-70b"} {
		opts := h.options()
		opts.ID = id
		if _, err := h.publish(testReport(1), opts); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(h.srv.Comments()); n != 2 {
		t.Errorf("%d comments, want one per gate id", n)
	}
	var contexts []string
	for _, s := range h.srv.Statuses() {
		contexts = append(contexts, s.Context)
	}
	if diff := cmp.Diff([]string{"perfgate/llama-70b", "perfgate", "perfgate/llama-70b"}, contexts); diff != "" {
		t.Errorf("status contexts (-want +got):\n%s", diff)
	}
}

func TestPublishCommentModes(t *testing.T) {
	tests := []struct {
		name     string
		mode     CommentMode
		existing bool
		rep      *check.Report
		want     string
	}{
		{"on-failure, pass, none yet", CommentOnFailure, false, passReport(), CommentSkipped},
		{"on-failure, fail", CommentOnFailure, false, testReport(1), CommentCreated},
		{"on-failure, pass edits back to green", CommentOnFailure, true, passReport(), CommentEdited},
		{"always, pass", CommentAlways, false, passReport(), CommentCreated},
		{"never", CommentNever, true, testReport(1), CommentSkipped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			if tt.existing {
				h.srv.AddComment(7, "github-actions[bot]", "red\n"+Marker("perfgate"))
			}
			opts := h.options()
			opts.Comment = tt.mode
			out, err := h.publish(tt.rep, opts)
			if err != nil {
				t.Fatal(err)
			}
			if out.Comment != tt.want {
				t.Errorf("comment %q, want %q", out.Comment, tt.want)
			}
			if tt.mode == CommentNever && strings.Contains(strings.Join(h.requests(), "\n"), "comments") {
				t.Errorf("mode never touched comments: %v", h.requests())
			}
		})
	}
}

func TestPublishStatusOnHeadSHA(t *testing.T) {
	h := newHarness(t)
	if _, err := h.publish(testReport(1), h.options()); err != nil {
		t.Fatal(err)
	}
	want := []githubtest.Status{{
		SHA: headSHA, State: "failure", Context: "perfgate",
		Description: "2 of 3 configs failing (1 regressed, 1 OOM/error)",
		TargetURL:   "https://github.example/o/r/actions/runs/42",
	}}
	if diff := cmp.Diff(want, h.srv.Statuses()); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}

func TestPublishWorkflowRunEvent(t *testing.T) {
	h := newHarness(t)
	h.env["GITHUB_EVENT_NAME"] = "workflow_run"
	h.writeEvent(fmt.Sprintf(`{"workflow_run":{"head_sha":%q,"pull_requests":[{"number":7,"head":{"sha":%q}}]}}`, headSHA, headSHA))
	out, err := h.publish(testReport(1), h.options())
	if err != nil {
		t.Fatal(err)
	}
	if out.PR != 7 || out.SHA != headSHA || out.Comment != CommentCreated {
		t.Errorf("outcome %+v", out)
	}

	// A fork's workflow_run names no pull request.
	h.writeEvent(fmt.Sprintf(`{"workflow_run":{"head_sha":%q,"pull_requests":[]}}`, headSHA))
	h.stderr.Reset()
	out, err = h.publish(testReport(1), h.options())
	if err != nil {
		t.Fatal(err)
	}
	if out.PR != 0 || out.Comment != CommentSkipped || out.StatusState != "failure" {
		t.Errorf("fork workflow_run: outcome %+v; want a status and no comment", out)
	}
	if !strings.Contains(h.stderr.String(), "--from") {
		t.Errorf("no hint at the two-stage mode:\n%s", h.stderr.String())
	}
	// Without a head SHA either, there is nothing to publish to.
	h.writeEvent(`{"workflow_run":{"pull_requests":[]}}`)
	if _, err := h.publish(testReport(1), h.options()); !IsInputError(err) || !strings.Contains(err.Error(), "--from") {
		t.Errorf("empty workflow_run: got %v, want an input error pointing at the two-stage mode", err)
	}
}

// A gate started by a comment on a pull request ("/benchmark": an issue_comment event)
// reports on that pull request and its head. $GITHUB_SHA is the default branch's head
// there: a status on it would mark main failing for the pull request's regression.
func TestPublishIssueCommentEvent(t *testing.T) {
	h := newHarness(t)
	h.env["GITHUB_EVENT_NAME"] = "issue_comment"
	h.writeEvent(`{"action":"created","issue":{"number":7,"pull_request":{"url":"https://api.github.com/repos/o/r/pulls/7"}},"comment":{"body":"/benchmark"}}`)
	out, err := h.publish(measuring(testReport(1), headSHA), h.options())
	if err != nil {
		t.Fatal(err)
	}
	if out.PR != 7 || out.SHA != headSHA || out.Comment != CommentCreated {
		t.Errorf("pr %d sha %s comment %q; want #7 at its head %s, comment created", out.PR, out.SHA, out.Comment, headSHA)
	}
	for _, st := range h.srv.Statuses() {
		if st.SHA != headSHA {
			t.Errorf("status on %s, want the pull request's head %s", st.SHA, headSHA)
		}
	}

	// A comment on a plain issue names no pull request: nothing to publish to, and
	// certainly not the default branch's head.
	h.writeEvent(`{"action":"created","issue":{"number":9},"comment":{"body":"/benchmark"}}`)
	if _, err := h.publish(testReport(1), h.options()); !IsInputError(err) {
		t.Errorf("issue_comment on an issue: err = %v, want an input error", err)
	}
	if n := len(h.srv.Statuses()); n != 1 {
		t.Errorf("%d statuses, want 1", n)
	}
}

// The event's pull request and head belong to the event's repository. A --repo naming
// another one without --pr or --sha is an input error, not a comment on whatever pull
// request has the same number there; with --pr, that pull request's head is fetched.
func TestPublishOtherRepoDoesNotUseEvent(t *testing.T) {
	h := newHarness(t)
	h.writeEvent(fmt.Sprintf(`{"number":7,"pull_request":{"number":7,"head":{"sha":%q}},"repository":{"full_name":"o/infra"}}`, headSHA))
	opts := h.options()
	opts.Repo = testRepo
	h.env["GITHUB_REPOSITORY"] = "o/infra"
	_, err := h.publish(testReport(1), opts)
	if !IsInputError(err) || !strings.Contains(err.Error(), "pass --pr or --sha of o/r") {
		t.Errorf("err = %v, want an input error asking for --pr or --sha", err)
	}
	if reqs := h.requests(); len(reqs) != 0 {
		t.Errorf("requests sent: %v", reqs)
	}

	h.srv.AddPR(8, mergeSHA)
	opts.PR = 8
	out, err := h.publish(measuring(testReport(1), mergeSHA), opts)
	if err != nil {
		t.Fatal(err)
	}
	if out.PR != 8 || out.SHA != mergeSHA {
		t.Errorf("published to #%d at %s, want #8 at its head %s", out.PR, out.SHA, mergeSHA)
	}
}

func TestPublishOtherPRDoesNotUseEventHead(t *testing.T) {
	h := newHarness(t)
	h.srv.AddPR(8, mergeSHA)
	opts := h.options()
	opts.PR = 8
	out, err := h.publish(measuring(testReport(1), mergeSHA[:7]), opts)
	if err != nil {
		t.Fatal(err)
	}
	if out.SHA != mergeSHA {
		t.Errorf("status on %s, want PR 8's head %s, not the event's", out.SHA, mergeSHA)
	}
}

func TestPublishPRWithoutSHAFetchesHead(t *testing.T) {
	h := newHarness(t)
	delete(h.env, "GITHUB_EVENT_PATH")
	opts := h.options()
	opts.PR = 7
	out, err := h.publish(measuring(testReport(1), strings.ToUpper(headSHA)), opts)
	if err != nil {
		t.Fatal(err)
	}
	if out.SHA != headSHA || h.srv.Statuses()[0].SHA != headSHA {
		t.Errorf("status went to %s, want the PR head %s (not GITHUB_SHA)", out.SHA, headSHA)
	}
}

func TestPublishForkReadOnlyToken(t *testing.T) {
	for _, strict := range []bool{false, true} {
		t.Run(fmt.Sprint("strict=", strict), func(t *testing.T) {
			h := newHarness(t)
			h.inActions()
			h.writeEvent(fmt.Sprintf(`{"number":7,"pull_request":{"number":7,"head":{"sha":%q,"repo":{"full_name":"mallory/r"}},"base":{"repo":{"full_name":"o/r"}}}}`, headSHA))
			for _, m := range []string{"POST", "PATCH"} {
				h.srv.AddFault(githubtest.Fault{Method: m, Path: "/repos/o/r/*/*", Status: 403, Body: githubtest.BodyNotAccessible})
				h.srv.AddFault(githubtest.Fault{Method: m, Path: "/repos/o/r/*/*/*", Status: 403, Body: githubtest.BodyNotAccessible})
			}
			opts := h.options()
			opts.Strict = strict
			out, err := h.publish(testReport(1), opts)
			if strict != (err != nil) {
				t.Fatalf("strict=%v: err = %v", strict, err)
			}
			if !out.ReadOnly {
				t.Error("ReadOnly not set")
			}
			stderr := h.stderr.String()
			for _, want := range []string{"Resource not accessible by integration", "mallory/r", "--prepare", "--from", "workflow_run", "The job summary and annotations were still written"} {
				if !strings.Contains(stderr, want) {
					t.Errorf("hint lacks %q:\n%s", want, stderr)
				}
			}
			if !out.Summary || out.Annotations == 0 || !out.Outputs {
				t.Errorf("summary %v, annotations %d, outputs %v: all should still be written", out.Summary, out.Annotations, out.Outputs)
			}
			if summary, _ := os.ReadFile(h.env["GITHUB_STEP_SUMMARY"]); !bytes.Contains(summary, []byte("regression")) {
				t.Errorf("job summary:\n%s", summary)
			}
			// One refused write is enough: no further writes were attempted (the read
			// before it is of the commit's statuses, newerOwner).
			if got, want := h.requests(), []string{listStatuses, "POST /api/v3/repos/o/r/statuses/" + headSHA}; !slices.Equal(got, want) {
				t.Errorf("requests %v, want %v: no write after a permission error", got, want)
			}
		})
	}
}

func TestPublishPermissionHintSameRepo(t *testing.T) {
	h := newHarness(t)
	h.srv.AddFault(githubtest.Fault{Method: "POST", Path: "/repos/o/r/statuses/*", Status: 403, Body: githubtest.BodyNotAccessible})
	opts := h.options()
	opts.CheckRun = true
	if _, err := h.publish(testReport(1), opts); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"permissions:\n", "      pull-requests: write\n", "      statuses: write\n", "      checks: write\n"} {
		if !strings.Contains(h.stderr.String(), want) {
			t.Errorf("hint lacks %q:\n%s", want, h.stderr.String())
		}
	}
}

// A token that lacks one permission (checks: write for --check-run) loses only that write:
// on a pull request from the same repository the comment is still posted, and the refusal
// stays a warning.
func TestPublishPermissionRefusedForOneWrite(t *testing.T) {
	h := newHarness(t)
	h.srv.AddFault(githubtest.Fault{Method: "POST", Path: "/repos/o/r/check-runs", Status: 403, Body: githubtest.BodyNotAccessible})
	opts := h.options()
	opts.CheckRun = true
	out, err := h.publish(testReport(1), opts)
	if err != nil {
		t.Fatal(err)
	}
	if out.StatusState != "failure" || out.Comment != CommentCreated || !out.ReadOnly || out.CheckRunID != 0 {
		t.Errorf("status %q, comment %q, read-only %v, check run %d; want failure, created, true, 0", out.StatusState, out.Comment, out.ReadOnly, out.CheckRunID)
	}
	if !strings.Contains(h.stderr.String(), "could not create the check run on o/r#7") || !strings.Contains(h.stderr.String(), "      checks: write\n") {
		t.Errorf("no hint about the check run:\n%s", h.stderr.String())
	}
}

// timeoutError is what a request that got no answer in time fails with.
type timeoutError struct{}

func (timeoutError) Error() string   { return "context deadline exceeded (Client.Timeout exceeded)" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// A GitHub that does not answer costs at most about MaxWait: each timed-out attempt counts
// against the budget with the sleeps, and once they have used it up the later calls fail at
// once instead of waiting out five more 30-second attempts each.
func TestPublishUnresponsiveGitHubBounded(t *testing.T) {
	h := newHarness(t)
	var attempts []string
	opts := h.options()
	opts.CheckRun = true
	opts.HTTPClient = &http.Client{Transport: roundTripFunc(func(req *http.Request) (*http.Response, error) {
		attempts = append(attempts, req.Method+" "+req.URL.Path)
		return nil, timeoutError{}
	})}
	_, err := h.publish(testReport(1), opts)
	if err == nil || !strings.Contains(err.Error(), "GitHub did not answer") {
		t.Errorf("err = %v; want it to say GitHub did not answer", err)
	}
	// The status: five attempts (5 × 30s + 15s of sleeps = 165s); the check run: one more
	// attempt takes the budget past 3 minutes; the comment: none.
	if len(attempts) != 6 {
		t.Errorf("%d attempts, want 6:\n%s", len(attempts), strings.Join(attempts, "\n"))
	}
	if diff := cmp.Diff([]time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}, h.sleeps); diff != "" {
		t.Errorf("sleeps (-want +got):\n%s", diff)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

func TestPublishRetriesServerErrors(t *testing.T) {
	h := newHarness(t)
	h.srv.AddFault(githubtest.Fault{Method: "GET", Path: "/repos/o/r/issues/7/comments", Times: 1, Status: 502, Body: `{"message":"Bad Gateway"}`})
	h.srv.AddFault(githubtest.Fault{Method: "POST", Path: "/repos/o/r/statuses/*", Times: 2, Status: 503})
	out, err := h.publish(testReport(1), h.options())
	if err != nil {
		t.Fatal(err)
	}
	if out.Comment != CommentCreated || out.StatusState != "failure" {
		t.Errorf("outcome %+v", out)
	}
	if diff := cmp.Diff([]time.Duration{time.Second, 2 * time.Second, time.Second}, h.sleeps); diff != "" {
		t.Errorf("sleeps (-want +got):\n%s", diff)
	}
}

func TestPublishGivesUpOnPersistentServerError(t *testing.T) {
	h := newHarness(t)
	h.srv.AddFault(githubtest.Fault{Method: "POST", Path: "/repos/o/r/statuses/*", Status: 500})
	out, err := h.publish(testReport(1), h.options())
	if err == nil || !strings.Contains(err.Error(), "could not set the commit status on o/r#7") {
		t.Fatalf("err = %v", err)
	}
	if len(h.sleeps) != maxAttempts-1 {
		t.Errorf("%d sleeps, want %d", len(h.sleeps), maxAttempts-1)
	}
	// The comment is still published.
	if out.Comment != CommentCreated {
		t.Errorf("comment %q after a status failure, want created", out.Comment)
	}
}

func TestPublishCreateCommentNotPostedTwice(t *testing.T) {
	h := newHarness(t)
	// The server creates the comment, then answers 502: a blind retry would post it twice.
	h.srv.AddFault(githubtest.Fault{Method: "POST", Path: "/repos/o/r/issues/7/comments", Times: 1, Status: 502, Apply: true})
	out, err := h.publish(testReport(1), h.options())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(h.srv.Comments()); n != 1 {
		t.Errorf("%d comments, want 1", n)
	}
	if out.Comment != CommentUnchanged {
		t.Errorf("comment %q, want unchanged (found on the second look)", out.Comment)
	}
}

// When the gate turns from pass to fail and the new comment's creation answers 502 after
// going through, the new comment is found on the second look, and the old pass comment is
// still marked outdated: it must not keep showing a pass above the failure.
func TestPublishFlipCreateLandedSupersedes(t *testing.T) {
	h := newHarness(t)
	if _, err := h.publish(passReport(), h.options()); err != nil {
		t.Fatal(err)
	}
	old := h.srv.Comments()[0].ID
	h.srv.AddFault(githubtest.Fault{Method: "POST", Path: "/repos/o/r/issues/7/comments", Times: 1, Status: 502, Apply: true})
	out, err := h.publish(testReport(1), h.options())
	if err != nil {
		t.Fatal(err)
	}
	if out.Superseded != old {
		t.Errorf("superseded %d, want the pass comment %d", out.Superseded, old)
	}
	cs := h.srv.Comments()
	if len(cs) != 2 {
		t.Fatalf("%d comments, want 2", len(cs))
	}
	if strings.Contains(cs[0].Body, Marker("perfgate")) {
		t.Errorf("the pass comment still carries the marker:\n%s", cs[0].Body)
	}
}

// When the gate turns from pass to fail and the new comment cannot be created (a 500 that
// did not go through), the pass comment is edited to show the failure: left alone, it showed
// a current-looking pass beside the failing status (audit).
func TestPublishFlipCreateFailsEditsPassComment(t *testing.T) {
	h := newHarness(t)
	if _, err := h.publish(passReport(), h.options()); err != nil {
		t.Fatal(err)
	}
	h.srv.AddFault(githubtest.Fault{Method: "POST", Path: "/repos/o/r/issues/7/comments", Status: 500})
	out, err := h.publish(testReport(1), h.options())
	if err != nil {
		t.Fatal(err)
	}
	cs := h.srv.Comments()
	if len(cs) != 1 || out.Comment != CommentEdited {
		t.Fatalf("%d comments, outcome %q; want the one comment, edited", len(cs), out.Comment)
	}
	if !strings.Contains(cs[0].Body, "verdict=fail") || strings.Contains(cs[0].Body, "verdict=pass") {
		t.Errorf("the comment does not show the failing report:\n%s", cs[0].Body)
	}
	if !strings.Contains(h.stderr.String(), "now shows the failing report instead (edited, so nobody was notified)") {
		t.Errorf("stderr does not warn:\n%s", h.stderr.String())
	}
}

func TestPublishRateLimits(t *testing.T) {
	tests := []struct {
		name  string
		fault githubtest.Fault
		want  time.Duration
	}{
		{"429 Retry-After", githubtest.Fault{Status: 429, Header: map[string]string{"Retry-After": "7"}, Body: `{"message":"Too Many Requests"}`}, 7 * time.Second},
		{"429 bare", githubtest.Fault{Status: 429}, time.Minute},
		{"secondary 403", githubtest.Fault{Status: 403, Header: map[string]string{"Retry-After": "30"}, Body: githubtest.BodySecondaryLimit}, 30 * time.Second},
		{"primary 403", githubtest.Fault{Status: 403, Header: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1700000100"}, Body: `{"message":"API rate limit exceeded"}`}, 101 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			f := tt.fault
			f.Method, f.Path, f.Times = "POST", "/repos/o/r/statuses/*", 1
			h.srv.AddFault(f)
			out, err := h.publish(testReport(1), h.options())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]time.Duration{tt.want}, h.sleeps); diff != "" {
				t.Errorf("sleeps (-want +got):\n%s", diff)
			}
			// go-github never saw the limit, so later calls went out.
			if out.StatusState != "failure" || out.Comment != CommentCreated {
				t.Errorf("outcome %+v", out)
			}
		})
	}
}

func TestPublishRateLimitBeyondBudget(t *testing.T) {
	h := newHarness(t)
	h.srv.AddFault(githubtest.Fault{Method: "POST", Path: "/repos/o/r/statuses/*", Status: 403, Header: map[string]string{"Retry-After": "3600"}, Body: githubtest.BodySecondaryLimit})
	opts := h.options()
	opts.MaxWait = time.Minute
	out, err := h.publish(testReport(1), opts)
	if err == nil {
		t.Fatal("no error")
	}
	if len(h.sleeps) != 0 {
		t.Errorf("slept %v beyond the budget", h.sleeps)
	}
	// go-github remembered the limit after the first refusal; the next calls fail locally
	// without spinning or sleeping.
	if n := len(h.srv.Requests()); n != 2 {
		t.Errorf("%d requests, want 2, the statuses and the refused one (the rest refused client-side): %v", n, h.requests())
	}
	if out.StatusState != "" || !strings.Contains(err.Error(), "secondary rate limit") {
		t.Errorf("outcome %+v, err %v", out, err)
	}
}

func TestPublishPRNotFound(t *testing.T) {
	h := newHarness(t)
	opts := h.options()
	opts.PR = 99
	opts.SHA = headSHA
	opts.Comment = CommentAlways
	_, err := h.publish(testReport(1), opts)
	if err == nil || !strings.Contains(err.Error(), "o/r#99") || !strings.Contains(err.Error(), "404") {
		t.Fatalf("err = %v; want one naming o/r#99 and 404", err)
	}
	if IsInputError(err) {
		t.Error("a 404 from the API is not an input error")
	}
}

func TestPublishVerifyHead(t *testing.T) {
	h := newHarness(t)
	delete(h.env, "GITHUB_EVENT_PATH")
	opts := h.options()
	opts.PR, opts.SHA, opts.VerifyHead = 7, mergeSHA, true
	_, err := h.publish(testReport(1), opts)
	if !IsInputError(err) || !strings.Contains(err.Error(), "refusing to publish") {
		t.Fatalf("stale head: err = %v", err)
	}
	if diff := cmp.Diff([]string{"GET /api/v3/repos/o/r/pulls/7"}, h.requests()); diff != "" {
		t.Errorf("a stale artifact caused writes (-want +got):\n%s", diff)
	}

	opts.SHA = headSHA
	out, err := h.publish(testReport(1), opts)
	if err != nil || out.Comment != CommentCreated {
		t.Fatalf("current head: %+v, %v", out, err)
	}

	// The workflow_run payload outranks the artifact.
	h.writeEvent(fmt.Sprintf(`{"workflow_run":{"head_sha":%q,"pull_requests":[]}}`, mergeSHA))
	_, err = h.publish(testReport(1), opts)
	if !IsInputError(err) || !strings.Contains(err.Error(), "workflow_run.head_sha") {
		t.Fatalf("artifact sha differs from workflow_run.head_sha: err = %v", err)
	}
}

func TestPublishEnterpriseBaseURL(t *testing.T) {
	h := newHarness(t)
	// The server URL without /api/v3: WithEnterpriseURLs appends it.
	h.env["GITHUB_API_URL"] = h.srv.URL
	if _, err := h.publish(testReport(1), h.options()); err != nil {
		t.Fatal(err)
	}
	for _, r := range h.srv.Requests() {
		if !strings.HasPrefix(r.Path, "/api/v3/repos/o/r/") {
			t.Errorf("request outside the Enterprise base path: %s", r)
		}
	}
}

func TestNewClientPublicAPI(t *testing.T) {
	for _, api := range []string{"", "https://api.github.com", "https://api.github.com/"} {
		p := &publisher{opts: &Options{Token: testToken, APIURL: api, Getenv: func(string) string { return "" }}}
		if err := p.defaults(); err != nil {
			t.Fatal(err)
		}
		if err := p.newClient(); err != nil {
			t.Fatal(err)
		}
		if got := p.client.BaseURL.String(); got != "https://api.github.com/" {
			t.Errorf("APIURL %q: base %s", api, got)
		}
	}
	p := &publisher{opts: &Options{APIURL: "https://ghes.example/api/v3", Getenv: func(string) string { return "" }}}
	p.defaults()
	if err := p.newClient(); err != nil {
		t.Fatal(err)
	}
	if got := p.client.BaseURL.String(); got != "https://ghes.example/api/v3/" {
		t.Errorf("GHES base %s", got)
	}
}

func TestPublishTruncatesLongBody(t *testing.T) {
	h := newHarness(t)
	h.inActions()
	rep := testReport(3000)
	out, err := h.publish(rep, h.options())
	if err != nil {
		t.Fatal(err)
	}
	body := h.srv.Comments()[0].Body
	if len(body) >= 65536 || len(body) > MaxCommentBytes {
		t.Errorf("comment is %d bytes", len(body))
	}
	// The comment lists what failed and counts the unchanged configs.
	for _, want := range []string{"3000 configs unchanged, not listed.", "https://github.example/o/r/actions/runs/42", "| pp=4 |", "| pp=8 mbs=4 |", Marker("perfgate")} {
		if !strings.Contains(body, want) {
			t.Errorf("comment lacks %q", want)
		}
	}
	if strings.Contains(body, "| pp=2 gbs=") {
		t.Errorf("the comment lists unchanged configs")
	}
	// The job summary has room for everything, unchanged configs too.
	summary, _ := os.ReadFile(h.env["GITHUB_STEP_SUMMARY"])
	if n := bytes.Count(summary, []byte("| pp=2 gbs=")); n != 3000 {
		t.Errorf("job summary has %d unchanged rows, want 3000", n)
	}
	if out.Comment != CommentCreated {
		t.Errorf("comment %q", out.Comment)
	}
}

func TestPublishEscapesConfigNames(t *testing.T) {
	h := newHarness(t)
	rep := testReport(0)
	rep.Results[0].Config = map[string]string{"flags": "<script>alert(1)</script> @org/team a|b"}
	rep.Results[0].Key = "flags=<script>alert(1)</script> @org/team a|b"
	opts := h.options()
	opts.CheckRun = true
	if _, err := h.publish(rep, opts); err != nil {
		t.Fatal(err)
	}
	bodies := []string{h.srv.Comments()[0].Body, h.srv.CheckRuns()[0].Summary}
	for _, body := range bodies {
		for _, bad := range []string{"<script>", "@org/team", "a|b", "</script>"} {
			if strings.Contains(body, bad) {
				t.Errorf("body contains %q unescaped:\n%s", bad, body)
			}
		}
		for _, want := range []string{"&lt;script&gt;", "@\u200borg/team", `a\|b`} {
			if !strings.Contains(body, want) {
				t.Errorf("body lacks %q:\n%s", want, body)
			}
		}
	}
}

func TestPublishCheckRunChunksAnnotations(t *testing.T) {
	h := newHarness(t)
	rep := testReport(0)
	rep.Results = nil
	for i := 0; i < 120; i++ {
		rep.Results = append(rep.Results, check.Result{Key: fmt.Sprintf("tp=%d", i), Metric: "s/iter", Status: check.Regression, DeltaPct: f64(5), ThresholdPct: 3})
	}
	opts := h.options()
	opts.CheckRun = true
	opts.Comment = CommentNever
	out, err := h.publish(rep, opts)
	if err != nil {
		t.Fatal(err)
	}
	runs := h.srv.CheckRuns()
	if len(runs) != 1 {
		t.Fatalf("%d check runs", len(runs))
	}
	run := runs[0]
	if run.Requests != 3 || len(run.Annotations) != 120 || out.CheckRunAnnotations != 120 {
		t.Errorf("check run: %d requests, %d annotations (outcome %d); want 3 and 120", run.Requests, len(run.Annotations), out.CheckRunAnnotations)
	}
	if run.HeadSHA != headSHA || run.Name != "perfgate" || run.Conclusion != "failure" || run.Status != "completed" {
		t.Errorf("check run %+v", run)
	}
	want := []string{
		listStatuses,
		"POST /api/v3/repos/o/r/statuses/" + headSHA,
		"POST /api/v3/repos/o/r/check-runs",
		fmt.Sprintf("PATCH /api/v3/repos/o/r/check-runs/%d", run.ID),
		fmt.Sprintf("PATCH /api/v3/repos/o/r/check-runs/%d", run.ID),
	}
	if diff := cmp.Diff(want, h.requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestPublishActionsFiles(t *testing.T) {
	h := newHarness(t)
	h.inActions()
	rep := testReport(1)
	for i := 0; i < 14; i++ {
		rep.Results = append(rep.Results, check.Result{Key: fmt.Sprintf("tp=%d", i), Metric: "s/iter", Status: check.Regression, Reason: "slower\r\n100% sure"})
	}
	out, err := h.publish(rep, h.options())
	if err != nil {
		t.Fatal(err)
	}
	var errs, warns []string
	for _, line := range strings.Split(h.stdout.String(), "\n") {
		switch {
		case strings.HasPrefix(line, "::error "):
			errs = append(errs, line)
		case strings.HasPrefix(line, "::warning "):
			warns = append(warns, line)
		}
	}
	if len(errs) != 10 || len(warns) != 0 || out.Annotations != 10 {
		t.Fatalf("%d errors, %d warnings (outcome %d); want 10 and 0:\n%s", len(errs), len(warns), out.Annotations, h.stdout.String())
	}
	if want := "::error title=perfgate::7 more failing results not annotated (7 regression); see the job summary: https://github.example/o/r/actions/runs/42"; errs[9] != want {
		t.Errorf("last line %q, want %q", errs[9], want)
	}
	if !strings.Contains(h.stdout.String(), "slower%0D%0A100%25 sure") {
		t.Errorf("message not escaped:\n%s", h.stdout.String())
	}
	output, _ := os.ReadFile(h.env["GITHUB_OUTPUT"])
	for _, want := range []string{"verdict=fail\n", "regressions=16\n", "description=16 of 17 configs failing (15 regressed, 1 OOM/error)\n", "report<<perfgate_"} {
		if !bytes.Contains(output, []byte(want)) {
			t.Errorf("GITHUB_OUTPUT lacks %q:\n%s", want, output)
		}
	}
}

func TestNoToken(t *testing.T) {
	h := newHarness(t)
	h.inActions()
	delete(h.env, "GITHUB_TOKEN")
	h.env["PERF_TOKEN"] = testToken
	out, err := h.publish(testReport(1), h.options())
	if !IsInputError(err) || !strings.Contains(err.Error(), "GITHUB_TOKEN") {
		t.Fatalf("err = %v", err)
	}
	if !out.Summary {
		t.Error("no job summary without a token")
	}
	opts := h.options()
	opts.TokenEnv = "PERF_TOKEN"
	if _, err := h.publish(testReport(1), opts); err != nil {
		t.Fatal(err)
	}
}

// A token with a line break around it (pasted into a secret) works; one with white space
// inside is an input error that names the variable, not a failed request.
func TestTokenWhiteSpace(t *testing.T) {
	h := newHarness(t)
	h.env["GITHUB_TOKEN"] = testToken + "\n"
	if out, err := h.publish(testReport(1), h.options()); err != nil || out.Comment != CommentCreated {
		t.Fatalf("token with a trailing newline: comment %q, err %v", out.Comment, err)
	}
	h.env["GITHUB_TOKEN"] = "ghs_abc def"
	if _, err := h.publish(testReport(1), h.options()); !IsInputError(err) || !strings.Contains(err.Error(), "GITHUB_TOKEN") {
		t.Errorf("token with a space: err = %v, want an input error naming GITHUB_TOKEN", err)
	}
}

func TestTokenNeverPrinted(t *testing.T) {
	h := newHarness(t)
	// A server that echoes the token in its error message, and a 401.
	h.srv.AddFault(githubtest.Fault{Method: "POST", Path: "/repos/o/r/statuses/*", Status: 422, Body: `{"message":"token ` + testToken + ` is odd"}`})
	h.srv.AddFault(githubtest.Fault{Method: "GET", Path: "/repos/o/r/issues/7/comments", Status: 401, Body: `{"message":"Bad credentials"}`})
	_, err := h.publish(testReport(1), h.options())
	if err == nil {
		t.Fatal("no error")
	}
	if !strings.Contains(err.Error(), redacted) {
		t.Errorf("token not replaced in %v", err)
	}
	if !strings.Contains(h.stderr.String(), "POST /api/v3/repos/o/r/statuses/") {
		t.Errorf("verbose log missing:\n%s", h.stderr.String())
	}
}

func TestRetrierRememberedLimit(t *testing.T) {
	var sleeps []time.Duration
	r := &retrier{
		sleep:   func(_ context.Context, d time.Duration) error { sleeps = append(sleeps, d); return nil },
		now:     func() time.Time { return time.Unix(1000, 0) },
		maxWait: 5 * time.Minute,
		logf:    func(string, ...any) {},
	}
	d := 20 * time.Second
	calls := 0
	limited := func() error {
		calls++
		return &gogithubAbuse{RetryAfter: &d}
	}
	err := r.call(context.Background(), limited)
	if err == nil || calls != 2 {
		t.Errorf("calls %d, err %v: want one retry then the error", calls, err)
	}
	if diff := cmp.Diff([]time.Duration{20 * time.Second}, sleeps); diff != "" {
		t.Errorf("sleeps (-want +got):\n%s", diff)
	}
	// A primary limit whose reset is beyond the budget is not waited for.
	sleeps, calls = nil, 0
	err = r.call(context.Background(), func() error { calls++; return primaryLimit(time.Unix(1000+3600, 0)) })
	var gu *rateLimitGiveUp
	if !errors.As(err, &gu) || calls != 1 || len(sleeps) != 0 {
		t.Errorf("calls %d, sleeps %v, err %v", calls, sleeps, err)
	}
}

func TestOutputLine(t *testing.T) {
	if got := outputLine("verdict", "pass"); got != "verdict=pass\n" {
		t.Errorf("single line: %q", got)
	}
	got := outputLine("report", "a\nb")
	name, rest, _ := strings.Cut(got, "<<")
	delim, rest, _ := strings.Cut(rest, "\n")
	if name != "report" || rest != "a\nb\n"+delim+"\n" || !strings.HasPrefix(delim, "perfgate_") {
		t.Errorf("multiline: %q", got)
	}
	if outputLine("report", "a\nb") != got {
		t.Error("delimiter is not deterministic")
	}
}

func TestDescriptionLimit(t *testing.T) {
	rep := &check.Report{Verdict: check.Verdict(strings.Repeat("x", 300))}
	if n := len([]rune(Description(rep))); n > maxStatusDescription {
		t.Errorf("description has %d characters", n)
	}
}

func TestReadEvent(t *testing.T) {
	tests := []struct {
		name, payload string
		want          Event
	}{
		{"pull_request", `{"number":3,"pull_request":{"number":3,"head":{"sha":"abc","repo":{"full_name":"f/r"}},"base":{"repo":{"full_name":"o/r"}}}}`,
			Event{PR: 3, HeadSHA: "abc", HeadRepo: "f/r", BaseRepo: "o/r", Repo: "o/r"}},
		{"deleted fork", `{"pull_request":{"number":4,"head":{"sha":"abc","repo":null},"base":{"repo":{"full_name":"o/r"}}}}`,
			Event{PR: 4, HeadSHA: "abc", BaseRepo: "o/r", Repo: "o/r"}},
		{"workflow_run", `{"workflow_run":{"head_sha":"def","pull_requests":[{"number":5}]},"repository":{"full_name":"o/r"}}`, Event{PR: 5, HeadSHA: "def", WorkflowRun: true, Repo: "o/r"}},
		{"push", `{"ref":"refs/heads/main","head_commit":{"id":"x"}}`, Event{}},
		{"issue_comment on a pull request", `{"action":"created","issue":{"number":6,"pull_request":{"url":"https://api.github.com/repos/o/r/pulls/6"}},"comment":{"body":"/benchmark"}}`, Event{PR: 6}},
		{"issue_comment on an issue", `{"action":"created","issue":{"number":9},"comment":{"body":"/benchmark"}}`, Event{}},
	}
	for _, tt := range tests {
		path := filepath.Join(t.TempDir(), "event.json")
		os.WriteFile(path, []byte(tt.payload), 0o644)
		ev, err := ReadEvent(path)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if diff := cmp.Diff(tt.want, *ev); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
	if ev := (Event{PR: 4, BaseRepo: "o/r"}); !ev.Fork() {
		t.Error("a deleted fork is a fork")
	}
}

type gogithubAbuse = gh.AbuseRateLimitError

func primaryLimit(reset time.Time) error {
	return &gh.RateLimitError{Rate: gh.Rate{Reset: gh.Timestamp{Time: reset}}, Message: "API rate limit exceeded"}
}

// TestAnnotationsPerDecision checks that a config whose TFLOPS/GPU decided and whose s/iter is
// shown with it gets one annotation, not two.
func TestAnnotationsPerDecision(t *testing.T) {
	rep := testReport(0)
	shown := rep.Results[0]
	shown.Metric, shown.Better, shown.DecidedBy = "s/iter", "lower", "TFLOPS/GPU"
	rep.Results = append(rep.Results, shown)
	lines := workflowCommands(rep, "")
	if len(lines) != 2 {
		t.Errorf("%d annotations for 2 failing decisions:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	for _, l := range lines {
		if strings.Contains(l, "s/iter") {
			t.Errorf("the shown metric is annotated: %s", l)
		}
	}
	if n := len(checkRunAnnotations(rep, ".github", "")); n != 2 {
		t.Errorf("%d check-run annotations, want 2", n)
	}
}

// A re-run of an older workflow run (it keeps its run id) marks pending at job start, then
// publishes. The pending mark must leave the newer run's final report alone: had it taken
// the comment over (writing its own run id), the re-run's report, for the older commit,
// would then replace the newer run's.
func TestMarkLeavesNewerRunsReport(t *testing.T) {
	h := newHarness(t)
	h.env["GITHUB_RUN_ID"] = "103"
	if _, err := h.publish(testReport(1), h.options()); err != nil {
		t.Fatal(err)
	}
	before := h.srv.Comments()[0].Body
	h.env["GITHUB_RUN_ID"] = "100"
	for _, phase := range []Phase{PhasePending, PhaseError} {
		out, err := Mark(context.Background(), phase, h.options())
		if err != nil || out.Comment != CommentSkipped {
			t.Errorf("%s by an older run: comment %q, err %v; want skipped", phase, out.Comment, err)
		}
	}
	out, err := h.publish(testReport(2), h.options())
	if err != nil || out.Comment != CommentSkipped {
		t.Errorf("report of the older run: comment %q, err %v; want skipped", out.Comment, err)
	}
	if after := h.srv.Comments()[0].Body; after != before {
		t.Errorf("run 103's comment was changed by run 100:\n%s", after)
	}
}

// A suite with more changed results than a check run takes annotations must not lose its
// failures to the cap: check lists results by config, not by status, so the failures can
// come after hundreds of improvements.
func TestCheckRunAnnotationsFailuresFirst(t *testing.T) {
	rep := &check.Report{Schema: check.Schema, Verdict: check.Fail}
	for i := 0; i < maxCheckRunAnnotations+100; i++ {
		rep.Results = append(rep.Results, check.Result{Config: map[string]string{"tp": fmt.Sprintf("%04d", i)}, Key: fmt.Sprintf("tp=%04d", i), Metric: "s/iter", Better: "lower", Status: check.Improvement, DeltaPct: f64(-5), ThresholdPct: 3})
	}
	rep.Results = append(rep.Results,
		check.Result{Config: map[string]string{"tp": "9999"}, Key: "tp=9999", Metric: "s/iter", Better: "lower", Status: check.Regression, Fails: true, DeltaPct: f64(5), ThresholdPct: 3},
		check.Result{Config: map[string]string{"tp": "9998"}, Key: "tp=9998", Metric: "s/iter", Better: "lower", Status: check.Missing})
	anns := checkRunAnnotations(rep, ".github", "")
	if len(anns) != maxCheckRunAnnotations {
		t.Fatalf("%d annotations, want %d", len(anns), maxCheckRunAnnotations)
	}
	if got := anns[0].GetAnnotationLevel() + " " + anns[0].GetTitle(); got != "failure tp=9999 s/iter" {
		t.Errorf("first annotation %q, want the failure", got)
	}
	if got := anns[1].GetAnnotationLevel() + " " + anns[1].GetTitle(); got != "warning tp=9998 s/iter" {
		t.Errorf("second annotation %q, want the warning", got)
	}
}

// GitHub shows 10 ::error:: lines per step, so perfgate keeps 9 and counts the rest: they
// must be the worst 9, as the comment lists them, not the first 9 in the report's order (by
// config). The check run's annotations are in the same order.
func TestAnnotationsWorstFirst(t *testing.T) {
	rep := &check.Report{Schema: check.Schema, Verdict: check.Fail}
	add := func(i int, s check.Status, fails, ignored bool, delta float64) {
		rep.Results = append(rep.Results, check.Result{Config: map[string]string{"tp": fmt.Sprintf("%04d", i)}, Key: fmt.Sprintf("tp=%04d", i), Metric: "s/iter", Better: "lower",
			Status: s, Fails: fails, Ignored: ignored, DeltaPct: f64(delta), ThresholdPct: 3})
	}
	// Report order is by config: the mildest first, then warnings among the failures.
	for i := 0; i < 20; i++ {
		add(i, check.Regression, true, false, float64(4+i))
		add(100+i, check.Regression, false, true, float64(4+i)) // ignored: a warning
	}
	lines := workflowCommands(rep, "")
	var errs, warns []string
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "::error "):
			errs = append(errs, l)
		case strings.HasPrefix(l, "::warning "):
			warns = append(warns, l)
		}
	}
	if len(errs) != maxAnnotationsPerKind || len(warns) != maxAnnotationsPerKind || !strings.HasPrefix(lines[0], "::error ") {
		t.Fatalf("%d errors and %d warnings, errors first; want %d of each:\n%s", len(errs), len(warns), maxAnnotationsPerKind, strings.Join(lines, "\n"))
	}
	for k := 0; k < maxAnnotationsPerKind-1; k++ {
		if want := fmt.Sprintf("tp=%04d s/iter: regression %+.1f%%", 19-k, float64(23-k)); !strings.Contains(errs[k], want) {
			t.Errorf("error %d is %q, want the %d-th worst (%s)", k, errs[k], k+1, want)
		}
		if want := fmt.Sprintf("tp=%04d s/iter", 119-k); !strings.Contains(warns[k], want) {
			t.Errorf("warning %d is %q, want the %d-th worst (%s)", k, warns[k], k+1, want)
		}
	}
	if !strings.Contains(errs[9], "11 more failing results not annotated") {
		t.Errorf("the last error line does not count the rest: %s", errs[9])
	}
	anns := checkRunAnnotations(rep, ".github", "")
	for k, want := range []string{"failure tp=0019 s/iter", "failure tp=0018 s/iter"} {
		if got := anns[k].GetAnnotationLevel() + " " + anns[k].GetTitle(); got != want {
			t.Errorf("check-run annotation %d is %q, want %q", k, got, want)
		}
	}
	if got := anns[20].GetAnnotationLevel() + " " + anns[20].GetTitle(); got != "warning tp=0119 s/iter" {
		t.Errorf("first warning %q, want the worst", got)
	}
}

// The error mark runs in an "if: failure() || cancelled()" step, and a failing gate fails
// its job: the mark then ran after the run's own verdict, and turned the status to "did not
// finish" and the fresh report into a stale one (audit). A verdict this run published stands;
// another run's, or a pending one, is still marked.
func TestErrorMarkKeepsThisRunsVerdict(t *testing.T) {
	h := newHarness(t)
	if _, err := h.publish(testReport(1), h.options()); err != nil {
		t.Fatal(err)
	}
	comment := h.srv.Comments()[0].Body
	statuses := len(h.srv.Statuses())
	out, err := Mark(context.Background(), PhaseError, h.options())
	if err != nil || out.Comment != CommentSkipped {
		t.Fatalf("error mark after this run's verdict: comment %q, err %v; want skipped", out.Comment, err)
	}
	if got := h.srv.Statuses(); len(got) != statuses {
		t.Errorf("the error mark set a status over this run's verdict: %+v", got[len(got)-1])
	}
	if h.srv.Comments()[0].Body != comment {
		t.Error("the error mark changed this run's report")
	}
	if !strings.Contains(h.stdout.String(), "this run already published its verdict (failure)") {
		t.Errorf("stdout does not say why:\n%s", h.stdout.String())
	}
	// A later run that dies before its verdict marks it: the verdict on the commit is not
	// its own.
	h.env["GITHUB_RUN_ID"] = "43"
	if _, err := Mark(context.Background(), PhasePending, h.options()); err != nil {
		t.Fatal(err)
	}
	if _, err := Mark(context.Background(), PhaseError, h.options()); err != nil {
		t.Fatal(err)
	}
	if got := h.srv.Statuses(); got[len(got)-1].State != "error" {
		t.Errorf("a run that did not finish: last status %q, want error", got[len(got)-1].State)
	}
}

// Another step's job summary may end without a line break: the report's heading then went on
// its last line and did not render (audit). A blank line separates them.
func TestSummaryAfterAnotherStepsText(t *testing.T) {
	h := newHarness(t)
	h.inActions()
	if err := os.WriteFile(h.env["GITHUB_STEP_SUMMARY"], []byte("benchmark took 41 min"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := h.publish(testReport(1), h.options()); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(h.env["GITHUB_STEP_SUMMARY"])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "benchmark took 41 min\n\n### ") {
		t.Errorf("summary starts %q; want the other step's text, a blank line, then the report's heading", string(data[:min(len(data), 60)]))
	}
}

// With check runs on, the error mark creates a cancelled one: a re-run that crashed on a
// commit left the earlier attempt's green check run beside the error status (audit). The
// pending mark creates none (an in-progress one would stay beside the gate's).
func TestMarksCreateCheckRuns(t *testing.T) {
	h := newHarness(t)
	opts := h.options()
	opts.CheckRun = true
	if _, err := h.publish(passReport(), opts); err != nil {
		t.Fatal(err)
	}
	// The re-run keeps the run id: attempt 2, which crashed before its verdict, marks error
	// without a pending mark first (review: the error mark took attempt 1's verdict for its
	// own and marked nothing).
	h.env["GITHUB_RUN_ATTEMPT"] = "2"
	for _, phase := range []Phase{PhasePending, PhaseError} {
		if _, err := Mark(context.Background(), phase, opts); err != nil {
			t.Fatal(err)
		}
	}
	if st := h.srv.Statuses(); st[len(st)-1].State != "error" || !strings.HasSuffix(st[len(st)-1].TargetURL, "/actions/runs/42/attempts/2") {
		t.Errorf("last status %+v; want error, linked to attempt 2", st[len(st)-1])
	}
	runs := h.srv.CheckRuns()
	var got []string
	for _, r := range runs {
		got = append(got, r.Status+"/"+r.Conclusion)
	}
	if want := []string{"completed/success", "completed/cancelled"}; !slices.Equal(got, want) {
		t.Errorf("check runs %q, want %q", got, want)
	}
	if last := runs[len(runs)-1]; last.HeadSHA != headSHA || last.Name != "perfgate" {
		t.Errorf("the cancelled check run is %s on %s, want perfgate on the head", last.Name, last.HeadSHA)
	}
	// Without a pending mark first, too.
	h.env["GITHUB_RUN_ATTEMPT"] = "3"
	if _, err := Mark(context.Background(), PhaseError, opts); err != nil {
		t.Fatal(err)
	}
	if n := len(h.srv.CheckRuns()); n != 3 {
		t.Errorf("%d check runs after attempt 3's error mark, want 3", n)
	}
	// Without check runs, the marks create none.
	h2 := newHarness(t)
	if _, err := Mark(context.Background(), PhasePending, h2.options()); err != nil {
		t.Fatal(err)
	}
	if n := len(h2.srv.CheckRuns()); n != 0 {
		t.Errorf("%d check runs without --check-run", n)
	}
}
