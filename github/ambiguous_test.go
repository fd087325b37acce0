package github

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/check"
	"github.com/perfgate/perfgate/github/githubtest"
)

// Creates that may have landed although they failed (a 5xx or a time-out): perfgate must
// look the object up and adopt it, never create a second one, and fail with an error saying
// the state is unknown when it cannot look.

// wrap returns options whose requests go through f, which may pass them on to the fake
// (next) and then answer something else.
func (h *harness) wrap(opts Options, f func(req *http.Request, next http.RoundTripper) (*http.Response, error)) Options {
	next := h.srv.Client().Transport
	opts.HTTPClient = &http.Client{Transport: roundTripFunc(func(req *http.Request) (*http.Response, error) { return f(req, next) })}
	return opts
}

// landThenTimeOut passes the first request matching method and path on to the fake, which
// carries it out, and then answers with a time-out, as if the answer had been lost.
func (h *harness) landThenTimeOut(opts Options, method, path string) Options {
	done := false
	return h.wrap(opts, func(req *http.Request, next http.RoundTripper) (*http.Response, error) {
		if done || req.Method != method || req.URL.Path != githubtest.BasePath+path {
			return next.RoundTrip(req)
		}
		done = true
		resp, err := next.RoundTrip(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return nil, timeoutError{}
	})
}

// manyRegressions is a failing report with n regressions, so n annotations.
func manyRegressions(n int) *check.Report {
	rep := testReport(0)
	rep.Results = nil
	for i := range n {
		rep.Results = append(rep.Results, check.Result{Key: fmt.Sprintf("tp=%d", i), Metric: "s/iter", Status: check.Regression, DeltaPct: f64(5), ThresholdPct: 3})
	}
	return rep
}

// checkOneRun checks that the commit has exactly one check run, complete with its 120
// annotations, and that the outcome names it.
func checkOneRun(t *testing.T, h *harness, out *Outcome) {
	t.Helper()
	runs := h.srv.CheckRuns()
	if len(runs) != 1 {
		t.Fatalf("%d check runs, want 1:\n%s", len(runs), h.srv.Log())
	}
	run := runs[0]
	if len(run.Annotations) != 120 || run.Conclusion != "failure" || run.Status != "completed" || run.ExternalID != "perfgate@42/1" {
		t.Errorf("check run: %d annotations, %s/%s, external id %q; want 120, completed/failure, perfgate@42/1", len(run.Annotations), run.Status, run.Conclusion, run.ExternalID)
	}
	if out.CheckRunID != run.ID || out.CheckRunAnnotations != 120 {
		t.Errorf("outcome: check run %d with %d annotations; want %d with 120", out.CheckRunID, out.CheckRunAnnotations, run.ID)
	}
}

// A check run whose create went through but answered 502 is adopted, not created again:
// the commit shows one check run for the gate, with all its annotations.
func TestPublishCheckRunCreateLanded502(t *testing.T) {
	h := newHarness(t)
	h.srv.AddFault(githubtest.Fault{Method: "POST", Path: "/repos/o/r/check-runs", Times: 1, Status: 502, Body: `{"message":"Bad Gateway"}`, Apply: true})
	opts := h.options()
	opts.CheckRun, opts.Comment = true, CommentNever
	out, err := h.publish(manyRegressions(120), opts)
	if err != nil {
		t.Fatal(err)
	}
	checkOneRun(t, h, out)
}

// The same when the create's answer was lost (a time-out).
func TestPublishCheckRunCreateLandedTimeout(t *testing.T) {
	h := newHarness(t)
	opts := h.options()
	opts.CheckRun, opts.Comment = true, CommentNever
	opts = h.landThenTimeOut(opts, "POST", "/repos/o/r/check-runs")
	out, err := h.publish(manyRegressions(120), opts)
	if err != nil {
		t.Fatal(err)
	}
	checkOneRun(t, h, out)
}

// A create that answered 502 without going through is sent again once the lookup shows
// that nothing landed.
func TestPublishCheckRunCreateNotLanded(t *testing.T) {
	h := newHarness(t)
	h.srv.AddFault(githubtest.Fault{Method: "POST", Path: "/repos/o/r/check-runs", Times: 1, Status: 502, Body: `{"message":"Bad Gateway"}`})
	opts := h.options()
	opts.CheckRun, opts.Comment = true, CommentNever
	out, err := h.publish(manyRegressions(120), opts)
	if err != nil {
		t.Fatal(err)
	}
	checkOneRun(t, h, out)
}

// An earlier attempt's check run on the same commit, same gate, is not this run's: it is
// neither adopted nor changed when this run's create failed without landing.
func TestPublishCheckRunAdoptsOnlyItsOwn(t *testing.T) {
	h := newHarness(t)
	opts := h.options()
	opts.CheckRun, opts.Comment = true, CommentNever
	if _, err := h.publish(manyRegressions(120), opts); err != nil {
		t.Fatal(err)
	}
	h.env["GITHUB_RUN_ATTEMPT"] = "2"
	h.srv.AddFault(githubtest.Fault{Method: "POST", Path: "/repos/o/r/check-runs", Times: 1, Status: 502, Body: `{"message":"Bad Gateway"}`})
	out, err := h.publish(manyRegressions(120), opts)
	if err != nil {
		t.Fatal(err)
	}
	runs := h.srv.CheckRuns()
	if len(runs) != 2 {
		t.Fatalf("%d check runs, want attempt 1's and attempt 2's:\n%s", len(runs), h.srv.Log())
	}
	if runs[0].Requests != 3 || len(runs[0].Annotations) != 120 {
		t.Errorf("attempt 1's check run was changed: %d requests, %d annotations", runs[0].Requests, len(runs[0].Annotations))
	}
	if len(runs[1].Annotations) != 120 || !strings.HasSuffix(runs[1].Details, "/attempts/2") || out.CheckRunID != runs[1].ID {
		t.Errorf("attempt 2's check run %d: %d annotations, details %s; outcome names %d", runs[1].ID, len(runs[1].Annotations), runs[1].Details, out.CheckRunID)
	}
}

// jobURL is what GitHub links a check run that GITHUB_TOKEN creates in a workflow to,
// whatever details_url the create sent.
const jobURL = "https://github.example/o/r/actions/runs/42/job/777"

// GitHub does not keep the details_url of a check run created with GITHUB_TOKEN in a
// workflow (LouisBrunner/checks-action#18): the lookup after a create whose answer was lost
// matched on it, never found the check run that landed, and created a second one (review).
// The external id names the run and attempt instead, and GitHub keeps it.
func TestPublishCheckRunLandedDetailsURLRewritten(t *testing.T) {
	h := newHarness(t)
	h.srv.ActionsDetailsURL = jobURL
	opts := h.options()
	opts.CheckRun, opts.Comment = true, CommentNever
	opts = h.landThenTimeOut(opts, "POST", "/repos/o/r/check-runs")
	out, err := h.publish(manyRegressions(120), opts)
	if err != nil {
		t.Fatal(err)
	}
	checkOneRun(t, h, out)
	if d := h.srv.CheckRuns()[0].Details; d != jobURL {
		t.Errorf("details URL %s; the fake should have linked the job, %s", d, jobURL)
	}
}

// Nor, with details URLs GitHub rewrote (the same for both attempts here), is an earlier
// attempt's identical check run taken for this attempt's when this attempt's create failed
// without landing: the external ids differ by attempt.
func TestPublishCheckRunEarlierAttemptNotAdoptedDetailsURLRewritten(t *testing.T) {
	h := newHarness(t)
	h.srv.ActionsDetailsURL = jobURL
	opts := h.options()
	opts.CheckRun, opts.Comment = true, CommentNever
	if _, err := h.publish(manyRegressions(120), opts); err != nil {
		t.Fatal(err)
	}
	h.env["GITHUB_RUN_ATTEMPT"] = "2"
	h.srv.AddFault(githubtest.Fault{Method: "POST", Path: "/repos/o/r/check-runs", Times: 1, Status: 502, Body: `{"message":"Bad Gateway"}`})
	out, err := h.publish(manyRegressions(120), opts)
	if err != nil {
		t.Fatal(err)
	}
	runs := h.srv.CheckRuns()
	if len(runs) != 2 {
		t.Fatalf("%d check runs, want attempt 1's and attempt 2's:\n%s", len(runs), h.srv.Log())
	}
	if runs[0].Requests != 3 || runs[0].ExternalID != "perfgate@42/1" {
		t.Errorf("attempt 1's check run was changed: %d requests, external id %q", runs[0].Requests, runs[0].ExternalID)
	}
	if runs[1].ExternalID != "perfgate@42/2" || len(runs[1].Annotations) != 120 || out.CheckRunID != runs[1].ID {
		t.Errorf("attempt 2's check run %d: external id %q, %d annotations; outcome names %d", runs[1].ID, runs[1].ExternalID, len(runs[1].Annotations), out.CheckRunID)
	}
}

// Outside Actions, with no run to name, each invocation's check runs carry a token of
// their own, so that one invocation never takes another's for its own either.
func TestCheckRunExternalIDOutsideActions(t *testing.T) {
	h := newHarness(t)
	delete(h.env, "GITHUB_RUN_ID")
	opts := h.options()
	opts.CheckRun, opts.Comment = true, CommentNever
	for range 2 {
		if _, err := h.publish(manyRegressions(3), opts); err != nil {
			t.Fatal(err)
		}
	}
	runs := h.srv.CheckRuns()
	re := regexp.MustCompile(`^perfgate@local-[0-9a-f]{12}$`)
	if len(runs) != 2 || !re.MatchString(runs[0].ExternalID) || !re.MatchString(runs[1].ExternalID) || runs[0].ExternalID == runs[1].ExternalID {
		t.Errorf("check runs %+v; want two, with distinct perfgate@local-… external ids", runs)
	}
}

// When the create may have landed and the lookup fails too, perfgate creates nothing more
// and says that the state on GitHub is unknown; the other writes still happen.
func TestPublishCheckRunLookupFailsClosed(t *testing.T) {
	h := newHarness(t)
	h.srv.AddFault(githubtest.Fault{Method: "POST", Path: "/repos/o/r/check-runs", Times: 1, Status: 502, Body: `{"message":"Bad Gateway"}`, Apply: true})
	h.srv.AddFault(githubtest.Fault{Method: "GET", Path: "/repos/o/r/commits/*/check-runs", Status: 500, Body: `{"message":"Server Error"}`})
	opts := h.options()
	opts.CheckRun = true
	out, err := h.publish(manyRegressions(120), opts)
	if err == nil || !strings.Contains(err.Error(), "the check run's state on GitHub is unknown") {
		t.Fatalf("err = %v; want it to say the check run's state is unknown", err)
	}
	if n := len(h.srv.CheckRuns()); n != 1 {
		t.Errorf("%d check runs, want the one that landed", n)
	}
	if out.Comment != CommentCreated || out.StatusState != "failure" {
		t.Errorf("outcome %+v; the status and comment are still published", out)
	}
}

// The error mark's cancelled check run is adopted the same way.
func TestMarkCheckRunCreateLanded(t *testing.T) {
	h := newHarness(t)
	h.srv.AddFault(githubtest.Fault{Method: "POST", Path: "/repos/o/r/check-runs", Times: 1, Status: 504, Apply: true})
	opts := h.options()
	opts.CheckRun = true
	out, err := Mark(context.Background(), PhaseError, opts)
	if err != nil {
		t.Fatal(err)
	}
	runs := h.srv.CheckRuns()
	if len(runs) != 1 || runs[0].Conclusion != "cancelled" || out.CheckRunID != runs[0].ID {
		t.Fatalf("check runs %+v, outcome %d; want one, cancelled", runs, out.CheckRunID)
	}
}

// passThenFlip publishes a pass, then returns the pass comment's id: the next failing
// publish must post a new comment.
func passThenFlip(t *testing.T, h *harness) int64 {
	t.Helper()
	if _, err := h.publish(passReport(), h.options()); err != nil {
		t.Fatal(err)
	}
	return h.srv.Comments()[0].ID
}

// checkFlipped checks that the pass comment old was marked outdated and that the one new
// comment carries the marker and the failing report.
func checkFlipped(t *testing.T, h *harness, out *Outcome, old int64) {
	t.Helper()
	cs := h.srv.Comments()
	if len(cs) != 2 {
		t.Fatalf("%d comments, want the pass comment and the new one:\n%s", len(cs), h.srv.Log())
	}
	if cs[0].ID != old || strings.Contains(cs[0].Body, Marker("perfgate")) || strings.Contains(cs[0].Body, "verdict=fail") {
		t.Errorf("the pass comment was not marked outdated, or shows the failure too (two failing comments):\n%s", cs[0].Body)
	}
	if !strings.Contains(cs[1].Body, "verdict=fail") || !strings.Contains(cs[1].Body, Marker("perfgate")) {
		t.Errorf("the new comment does not show the failure:\n%s", cs[1].Body)
	}
	if out.Superseded != old || out.CommentID != cs[1].ID {
		t.Errorf("outcome: superseded %d, comment %d; want %d and %d", out.Superseded, out.CommentID, old, cs[1].ID)
	}
}

// The gate turns from pass to fail; the first two creates fail without landing, the third
// lands but answers 502. createFailed edited the pass comment into a second failing
// comment beside the one that landed, left unmarked; the one that landed is adopted instead.
func TestPublishFlipLastCreateLanded(t *testing.T) {
	h := newHarness(t)
	old := passThenFlip(t, h)
	h.srv.AddFault(githubtest.Fault{Method: "POST", Path: "/repos/o/r/issues/7/comments", Times: 2, Status: 500})
	h.srv.AddFault(githubtest.Fault{Method: "POST", Path: "/repos/o/r/issues/7/comments", Times: 1, Status: 502, Apply: true})
	out, err := h.publish(testReport(1), h.options())
	if err != nil {
		t.Fatal(err)
	}
	checkFlipped(t, h, out, old)
	if strings.Contains(h.stderr.String(), "now shows the failing report instead") {
		t.Errorf("stderr says the pass comment was edited:\n%s", h.stderr.String())
	}
}

// The same when the retry budget cannot cover the wait before a second look: the first
// create landed, and is looked up at once instead of the pass comment being edited.
func TestPublishFlipCreateLandedNoBudget(t *testing.T) {
	h := newHarness(t)
	old := passThenFlip(t, h)
	opts := h.options()
	opts = h.landThenTimeOut(opts, "POST", "/repos/o/r/issues/7/comments")
	opts.MaxWait = attemptTimeout // the time-out uses it up, and there is no room for a wait
	out, err := h.publish(testReport(1), opts)
	if err != nil {
		t.Fatal(err)
	}
	checkFlipped(t, h, out, old)
}

// When the create may have landed and the comments cannot be listed again, the pass comment
// is left alone, nothing more is posted, and the error says the state is unknown.
func TestPublishFlipLookupFailsClosed(t *testing.T) {
	h := newHarness(t)
	passThenFlip(t, h)
	posted := false
	opts := h.wrap(h.options(), func(req *http.Request, next http.RoundTripper) (*http.Response, error) {
		if req.URL.Path != githubtest.BasePath+"/repos/o/r/issues/7/comments" {
			return next.RoundTrip(req)
		}
		if req.Method == "POST" {
			posted = true
			if _, err := next.RoundTrip(req); err != nil {
				return nil, err
			}
			return nil, timeoutError{}
		}
		if posted {
			return &http.Response{StatusCode: 503, Status: "503 Service Unavailable", Header: http.Header{}, Body: io.NopCloser(strings.NewReader("{}")), Request: req}, nil
		}
		return next.RoundTrip(req)
	})
	_, err := h.publish(testReport(1), opts)
	if err == nil || !strings.Contains(err.Error(), "the comment's state on GitHub is unknown") {
		t.Fatalf("err = %v; want it to say the comment's state is unknown", err)
	}
	cs := h.srv.Comments()
	if len(cs) != 2 || !strings.Contains(cs[0].Body, "verdict=pass") {
		t.Errorf("%d comments; want the pass comment untouched and the one that landed:\n%s", len(cs), h.srv.Log())
	}
}

// An update that appends annotations and answered 502 after going through is not sent
// again: the check run would carry those annotations twice.
func TestPublishCheckRunAnnotationsLanded502(t *testing.T) {
	h := newHarness(t)
	h.srv.AddFault(githubtest.Fault{Method: "PATCH", Path: "/repos/o/r/check-runs/*", Times: 1, Status: 502, Body: `{"message":"Bad Gateway"}`, Apply: true})
	opts := h.options()
	opts.CheckRun, opts.Comment = true, CommentNever
	out, err := h.publish(manyRegressions(120), opts)
	if err != nil {
		t.Fatal(err)
	}
	checkOneRun(t, h, out)
}

// The same when the update's answer was lost.
func TestPublishCheckRunAnnotationsLandedTimeout(t *testing.T) {
	h := newHarness(t)
	opts := h.options()
	opts.CheckRun, opts.Comment = true, CommentNever
	opts = h.landThenTimeOut(opts, "PATCH", "/repos/o/r/check-runs/1001")
	out, err := h.publish(manyRegressions(120), opts)
	if err != nil {
		t.Fatal(err)
	}
	checkOneRun(t, h, out)
}

// An update that answered 500 without going through is sent again.
func TestPublishCheckRunAnnotationsNotLanded(t *testing.T) {
	h := newHarness(t)
	h.srv.AddFault(githubtest.Fault{Method: "PATCH", Path: "/repos/o/r/check-runs/*", Times: 1, Status: 500, Body: `{"message":"Server Error"}`})
	opts := h.options()
	opts.CheckRun, opts.Comment = true, CommentNever
	out, err := h.publish(manyRegressions(120), opts)
	if err != nil {
		t.Fatal(err)
	}
	checkOneRun(t, h, out)
}

// When the update may have landed and the check run cannot be read, no more annotations are
// sent and the error says the state is unknown.
func TestPublishCheckRunAnnotationsLookupFailsClosed(t *testing.T) {
	h := newHarness(t)
	h.srv.AddFault(githubtest.Fault{Method: "PATCH", Path: "/repos/o/r/check-runs/*", Times: 1, Status: 502, Body: `{"message":"Bad Gateway"}`, Apply: true})
	h.srv.AddFault(githubtest.Fault{Method: "GET", Path: "/repos/o/r/check-runs/*", Status: 500, Body: `{"message":"Server Error"}`})
	opts := h.options()
	opts.CheckRun, opts.Comment = true, CommentNever
	_, err := h.publish(manyRegressions(120), opts)
	if err == nil || !strings.Contains(err.Error(), "the check run's annotations on GitHub are unknown") {
		t.Fatalf("err = %v; want it to say the annotations are unknown", err)
	}
	if runs := h.srv.CheckRuns(); len(runs) != 1 || len(runs[0].Annotations) != 100 {
		t.Errorf("check runs %d; want one with the 100 annotations sent before the lookup failed:\n%s", len(runs), h.srv.Log())
	}
}
