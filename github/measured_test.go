package github

import (
	"context"
	"strings"
	"testing"
)

// measuredSHA is a commit a benchmark measured before the pull request was pushed again.
const measuredSHA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

// issueCommentHarness is a "/benchmark" comment on pull request 7 (an issue_comment event,
// whose payload names no head commit) in run 300.
func issueCommentHarness(t *testing.T) *harness {
	h := newHarness(t)
	h.env["GITHUB_EVENT_NAME"] = "issue_comment"
	h.env["GITHUB_RUN_ID"] = "300"
	h.writeEvent(`{"action":"created","issue":{"number":7,"pull_request":{"url":"https://api.github.com/repos/o/r/pulls/7"}},"comment":{"body":"/benchmark"}}`)
	return h
}

// A push while a "/benchmark" run measured the pull request's head: the head looked up at
// publish time is a commit nobody measured, and it got the measured commit's success
// (audit D1). The publish is refused, naming both commits; the new head's gate is marked
// error, never pass, and the comment's "running" banner says what happened.
func TestPublishIssueCommentHeadMovedIsRefused(t *testing.T) {
	h := issueCommentHarness(t)
	opts := h.options()
	opts.CheckRun = true
	// The run's pending mark, when the head was still the measured commit.
	h.srv.AddPR(7, measuredSHA)
	if _, err := h.publish(measuring(passReport(), measuredSHA), opts); err != nil {
		t.Fatal(err)
	}
	if _, err := Mark(context.Background(), PhasePending, opts); err != nil {
		t.Fatal(err)
	}
	statuses, checkRuns := len(h.srv.Statuses()), len(h.srv.CheckRuns())
	// Someone pushes while it runs.
	h.srv.AddPR(7, headSHA)
	h.env["GITHUB_RUN_ID"] = "301"
	_, err := h.publish(measuring(passReport(), measuredSHA), opts)
	if !IsInputError(err) {
		t.Fatalf("err = %v, want an input error", err)
	}
	for _, want := range []string{"o/r#7's head is now a1b2c3d4e5f6", `measured "aaaaaaaaaaaa"`, "--sha"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
	for _, st := range h.srv.Statuses()[statuses:] {
		if st.SHA != headSHA || st.State != "error" || !strings.Contains(st.Description, "measured aaaaaaaaaaaa, not this commit") {
			t.Errorf("status %+v; want only error on the new head, naming the measured commit", st)
		}
	}
	if n := len(h.srv.Statuses()) - statuses; n != 1 {
		t.Errorf("%d statuses set, want 1 (error on the new head)", n)
	}
	runs := h.srv.CheckRuns()[checkRuns:]
	if len(runs) != 1 || runs[0].HeadSHA != headSHA || runs[0].Conclusion != "cancelled" {
		t.Errorf("check runs %+v; want one cancelled on the new head", runs)
	}
	body := h.srv.Comments()[0].Body
	if !strings.Contains(body, "the pull request's head is `a1b2c3d4e5f6`; perfgate measured `aaaaaaaaaaaa`") || strings.Contains(body, "is running") || strings.Contains(body, "pushed") {
		t.Errorf("comment not marked stale with both commits:\n%s", body)
	}
	if st := parseSticky(body, "perfgate").state; st.Phase != "stale" || st.Run != 301 {
		t.Errorf("comment state %+v; want stale, run 301", st)
	}
	if !strings.Contains(h.stderr.String(), "marking the gate error on a1b2c3d4e5f6") {
		t.Errorf("stderr does not say what was marked:\n%s", h.stderr.String())
	}
}

// The same report passes when the head is still the commit it measured, named in full or in
// short, and with --sha the verdict goes to the commit given, with no look-up.
func TestPublishIssueCommentMeasuredHead(t *testing.T) {
	for _, named := range []string{headSHA, headSHA[:7], strings.ToUpper(headSHA[:12])} {
		h := issueCommentHarness(t)
		out, err := h.publish(measuring(passReport(), named), h.options())
		if err != nil || out.StatusState != "success" || out.SHA != headSHA {
			t.Errorf("head named %q: status %q on %s, err %v; want success on the head", named, out.StatusState, out.SHA, err)
		}
	}
	h := issueCommentHarness(t)
	opts := h.options()
	opts.SHA = measuredSHA
	out, err := h.publish(measuring(passReport(), measuredSHA), opts)
	if err != nil || out.SHA != measuredSHA {
		t.Errorf("--sha: published on %s, err %v; want the commit given", out.SHA, err)
	}
	for _, r := range h.requests() {
		if strings.Contains(r, "/pulls/7") {
			t.Errorf("--sha: the head was looked up: %s", r)
		}
	}
}

// An explicit --pr whose head is not the commit measured, or with a report that names no
// commit, is not published to, and its head is not marked: the workflow was not started for
// that pull request.
func TestPublishLookedUpHeadNeedsMeasuredCommit(t *testing.T) {
	for _, head := range []string{measuredSHA, ""} {
		h := newHarness(t)
		opts := h.options()
		opts.PR = 7
		delete(h.env, "GITHUB_EVENT_PATH")
		rep := passReport()
		if head != "" {
			rep = measuring(rep, head)
		}
		_, err := h.publish(rep, opts)
		if want := map[string]string{measuredSHA: "head is now a1b2c3d4e5f6", "": "pass --sha"}[head]; !IsInputError(err) || !strings.Contains(err.Error(), want) {
			t.Errorf("--pr, report measuring %q: err = %v, want an input error saying %q", head, err, want)
		}
		for _, r := range h.requests() {
			if !strings.HasPrefix(r, "GET ") {
				t.Errorf("--pr, report measuring %q: written although refused: %s", head, r)
			}
		}
	}
}

// A report that does not say which commit it measured cannot be shown to be for a head
// looked up only now: refused, asking for --sha. For the event's pull request, nothing marked
// the gate: the run's pending status and "running" banner stayed for ever, the Action only
// warning (review). Its head is now marked error, saying that the commit measured is unknown.
// A provenance.head that is not a commit (7 to 40 hex digits: it can come from a JSONL's
// commit field unchecked) is no commit either, and never reaches the banner's Markdown.
func TestPublishNoMeasuredHeadMarksEventPR(t *testing.T) {
	for _, head := range []string{"", "`](https://evil.example) **x", "HEAD"} {
		h := issueCommentHarness(t)
		opts := h.options()
		opts.CheckRun = true
		if _, err := h.publish(measuring(passReport(), headSHA), opts); err != nil { // an earlier report
			t.Fatal(err)
		}
		h.env["GITHUB_RUN_ID"] = "301"
		if _, err := Mark(context.Background(), PhasePending, opts); err != nil {
			t.Fatal(err)
		}
		checkRuns := len(h.srv.CheckRuns())
		rep := passReport()
		if head != "" {
			rep = measuring(rep, head)
		}
		_, err := h.publish(rep, opts)
		if !IsInputError(err) || !strings.Contains(err.Error(), "pass --sha") {
			t.Errorf("head %q: err = %v, want an input error asking for --sha", head, err)
		}
		sts := h.srv.Statuses()
		if st := sts[len(sts)-1]; st.SHA != headSHA || st.State != "error" || st.Description != "perfgate could not tell which commit it measured: pass --sha" {
			t.Errorf("head %q: status %+v; want error on the head saying the measured commit is unknown", head, st)
		}
		runs := h.srv.CheckRuns()[checkRuns:]
		if len(runs) != 1 || runs[0].HeadSHA != headSHA || runs[0].Conclusion != "cancelled" {
			t.Errorf("head %q: check runs %+v; want one cancelled on the head", head, runs)
		}
		body := h.srv.Comments()[0].Body
		if !strings.Contains(body, "perfgate could not tell which commit it measured") || strings.Contains(body, "is running") || strings.Contains(body, "evil") {
			t.Errorf("head %q: comment not marked stale as unmeasured:\n%s", head, body)
		}
		if st := parseSticky(body, "perfgate").state; st.Phase != "stale" || st.Run != 301 {
			t.Errorf("head %q: comment state %+v; want stale, run 301", head, st)
		}
	}
}

// After a refusal on a moved head, the Action fails the job (a failing gate does too), and
// the workflow's error mark runs in the same run. It did not count markUnmeasured's error as this
// run's: it replaced the description naming the measured commit with "did not finish",
// created a second cancelled check run, and replaced the banner (review). Any status but
// pending that links this run resolves the gate for the mark.
func TestMarkErrorAfterMovedHeadLeavesIt(t *testing.T) {
	h := issueCommentHarness(t)
	opts := h.options()
	opts.CheckRun = true
	h.srv.AddPR(7, measuredSHA)
	if _, err := h.publish(measuring(passReport(), measuredSHA), opts); err != nil { // the comment to mark
		t.Fatal(err)
	}
	h.srv.AddPR(7, headSHA)
	h.env["GITHUB_RUN_ID"] = "301"
	if _, err := h.publish(measuring(testReport(0), measuredSHA), opts); !IsInputError(err) {
		t.Fatalf("err = %v, want an input error", err)
	}
	statuses, checkRuns, body := len(h.srv.Statuses()), len(h.srv.CheckRuns()), h.srv.Comments()[0].Body
	out, err := Mark(context.Background(), PhaseError, opts)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(h.srv.Statuses()) - statuses; n != 0 {
		t.Errorf("the error mark set %d statuses; want none: %+v", n, h.srv.Statuses()[statuses:])
	}
	if n := len(h.srv.CheckRuns()) - checkRuns; n != 0 {
		t.Errorf("the error mark created %d more check runs; want none", n)
	}
	if got := h.srv.Comments()[0].Body; got != body {
		t.Errorf("the error mark changed the banner:\n%s", got)
	}
	if out.Comment != CommentSkipped || !strings.Contains(h.stdout.String(), "this run already marked the gate error on a1b2c3d4e5f6") {
		t.Errorf("outcome %+v; stdout does not say the error stands:\n%s", out, h.stdout.String())
	}
}
