package github

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/github/githubtest"
)

// lastStatus returns the newest status of the gate (the default id) set on sha, or a zero one.
func (h *harness) lastStatus(sha string) (state, target string) {
	for _, st := range h.srv.Statuses() {
		if st.SHA == sha && st.Context == "perfgate" {
			state, target = st.State, st.TargetURL
		}
	}
	return state, target
}

// An older workflow run publishing after a newer one on the same commit overwrote the newer
// run's status and check run, while the comment stayed the newer run's: a required check was
// satisfied by the older pass beside a failing comment (audit D2). The auditor's repro: no
// run URL (outside a full Actions environment), so the comment's state tells.
func TestPublishOlderRunLeavesStatusAndCheckRun(t *testing.T) {
	h := newHarness(t)
	delete(h.env, "GITHUB_SERVER_URL") // no run URL: statuses link no run
	delete(h.env, "GITHUB_EVENT_PATH")
	h.srv.AddPR(8, mergeSHA)
	opts := h.options()
	opts.PR, opts.SHA, opts.CheckRun = 8, mergeSHA, true
	h.env["GITHUB_RUN_ID"] = "200"
	if _, err := h.publish(testReport(1), opts); err != nil {
		t.Fatal(err)
	}
	h.env["GITHUB_RUN_ID"] = "100"
	out, err := h.publish(passReport(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if state, _ := h.lastStatus(mergeSHA); state != "failure" {
		t.Errorf("latest status %q, want run 200's failure", state)
	}
	if runs := h.srv.CheckRuns(); len(runs) != 1 || runs[0].Conclusion != "failure" {
		t.Errorf("check runs %+v; want only run 200's failing one", runs)
	}
	if out.StatusState != "" || out.CheckRunID != 0 || out.NewerRun != 200 || out.Comment != CommentSkipped {
		t.Errorf("outcome %+v; want no status, no check run, newer run 200, comment skipped", out)
	}
	for _, want := range []string{"status left alone on ffeeddccbbaa: run 200, newer than this one, owns the gate there", "check run left alone"} {
		if !strings.Contains(h.stderr.String(), want) {
			t.Errorf("stderr does not say %q:\n%s", want, h.stderr.String())
		}
	}
}

// With run URLs, the newest status's link tells which run owns the gate on the commit: by run
// id, then, for a re-run (which keeps the id), by attempt. An older run still sets the
// status of its own commit, and a newer run, or a later attempt, takes the gate over.
func TestPublishRunOrderFromStatusLinks(t *testing.T) {
	h := newHarness(t)
	opts := h.options()
	opts.CheckRun = true
	h.env["GITHUB_RUN_ID"], h.env["GITHUB_RUN_ATTEMPT"] = "200", "2"
	if _, err := h.publish(testReport(1), opts); err != nil {
		t.Fatal(err)
	}
	for _, older := range []struct{ run, attempt string }{{"100", "5"}, {"200", "1"}} {
		h.env["GITHUB_RUN_ID"], h.env["GITHUB_RUN_ATTEMPT"] = older.run, older.attempt
		// A pending mark too: it would say "running" over the newer verdict.
		if _, err := Mark(context.Background(), PhasePending, opts); err != nil {
			t.Fatal(err)
		}
		out, err := h.publish(passReport(), opts)
		if err != nil {
			t.Fatal(err)
		}
		if out.NewerRun != 200 || out.StatusState != "" {
			t.Errorf("run %s attempt %s: outcome %+v; want the status left to run 200", older.run, older.attempt, out)
		}
		if state, target := h.lastStatus(headSHA); state != "failure" || !strings.HasSuffix(target, "/runs/200/attempts/2") {
			t.Errorf("run %s attempt %s: latest status %q linking %s; want run 200 attempt 2's failure", older.run, older.attempt, state, target)
		}
	}
	if n := len(h.srv.CheckRuns()); n != 1 {
		t.Errorf("%d check runs; want run 200's alone", n)
	}
	if st := parseSticky(h.srv.Comments()[0].Body, "perfgate").state; st.Verdict != "fail" || st.Phase != "final" || st.Run != 200 {
		t.Errorf("comment state %+v; want run 200's final fail", st)
	}

	// The older run on its own commit (the pull request moved on) still sets that status.
	opts.SHA = mergeSHA
	h.env["GITHUB_RUN_ID"], h.env["GITHUB_RUN_ATTEMPT"] = "100", "1"
	if out, err := h.publish(passReport(), opts); err != nil || out.StatusState != "success" {
		t.Errorf("older run on its own commit: status %q, err %v; want success", out.StatusState, err)
	}

	// A later attempt of run 200, and a newer run, publish.
	opts.SHA = ""
	for _, newer := range []struct{ run, attempt, want string }{{"200", "3", "success"}, {"201", "1", "failure"}} {
		h.env["GITHUB_RUN_ID"], h.env["GITHUB_RUN_ATTEMPT"] = newer.run, newer.attempt
		rep := passReport()
		if newer.want == "failure" {
			rep = testReport(1)
		}
		out, err := h.publish(rep, opts)
		if err != nil || out.StatusState != newer.want || out.NewerRun != 0 {
			t.Errorf("run %s attempt %s: outcome %+v, err %v; want status %s", newer.run, newer.attempt, out, err, newer.want)
		}
	}
}

// otherContexts sets n statuses of other CI contexts on sha, as other CI systems would.
func (h *harness) otherContexts(sha string, n int) {
	for i := range n {
		h.srv.AddStatus(githubtest.Status{SHA: sha, State: "success", Context: fmt.Sprintf("ci/job-%d", i)})
	}
}

// The gate's newest status was looked for among the commit's first 100 statuses, newest
// first: past 100 that other CI contexts set since the newer run published, it was not
// seen, and an older run's pass overwrote the newer run's failure (review). The combined
// status (the newest of each context) is read, page by page, until the gate's is found.
func TestPublishNewerOwnerPastFirstPageOfStatuses(t *testing.T) {
	h := newHarness(t)
	opts := h.options()
	h.env["GITHUB_RUN_ID"] = "200"
	if _, err := h.publish(testReport(1), opts); err != nil {
		t.Fatal(err)
	}
	h.otherContexts(headSHA, 150)
	h.env["GITHUB_RUN_ID"] = "100" // the older run finishes late, with a pass
	out, err := h.publish(passReport(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if state, target := h.lastStatus(headSHA); state != "failure" || !strings.HasSuffix(target, "/runs/200") {
		t.Errorf("gate status %s (%s), outcome %+v: the older run's pass overwrote run 200's failure", state, target, out)
	}
	if out.NewerRun != 200 {
		t.Errorf("outcome %+v; want newer run 200", out)
	}
}

// The same read tells the error mark (if: failure()) that this run already published its
// verdict, past other contexts' statuses: the failure stands.
func TestMarkErrorAfterVerdictPastFirstPageOfStatuses(t *testing.T) {
	h := newHarness(t)
	opts := h.options()
	if _, err := h.publish(testReport(1), opts); err != nil {
		t.Fatal(err)
	}
	h.otherContexts(headSHA, 250)
	statuses := len(h.srv.Statuses())
	if _, err := Mark(context.Background(), PhaseError, opts); err != nil {
		t.Fatal(err)
	}
	if n := len(h.srv.Statuses()) - statuses; n != 0 {
		t.Errorf("the error mark set %d statuses over this run's verdict; want none", n)
	}
	if !strings.Contains(h.stdout.String(), "this run already") {
		t.Errorf("stdout does not say the verdict stands:\n%s", h.stdout.String())
	}
}
