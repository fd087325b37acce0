package github

import (
	"context"
	"crypto/rand"
	"fmt"
	"strconv"
	"unicode/utf8"

	gh "github.com/google/go-github/v60/github"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/check"
	"github.com/perfgate/perfgate/report"
)

const (
	// maxAnnotationsPerRequest is GitHub's limit per check-run create or update; more are
	// sent in updates, which append.
	maxAnnotationsPerRequest = 50
	// maxCheckRunAnnotations bounds the annotations of one check run (and so its requests).
	maxCheckRunAnnotations = 500
	// maxCheckRunText is GitHub's limit on the check run summary, in characters.
	maxCheckRunText = 65535
)

// checkRunAnnotations returns an annotation per result that did not stay unchanged:
// failures for results that fail the gate, warnings for other regressions, missing and
// failing configs, notices for the rest. They are ordered by level, failures first, and
// worst first within a level (decisions) before the cap: check lists results by config, so
// hundreds of improvements can come before a failure, which the cap must not drop. Over the
// cap, the statuses of a level take turns (takeTurns), so a thousand regressions cannot
// crowd out a newly failing config, and the last annotation counts the results left out by
// status and says where they are (see).
func checkRunAnnotations(rep *check.Report, path, see string) []*gh.CheckRunAnnotation {
	var failures, warnings, notices []*check.Result
	for _, r := range decisions(rep) {
		switch {
		case r.Status == check.Unchanged:
			continue
		case report.Fails(r):
			failures = append(failures, r)
		case concerning(r):
			warnings = append(warnings, r)
		default:
			notices = append(notices, r)
		}
	}
	total := len(failures) + len(warnings) + len(notices)
	room := maxCheckRunAnnotations
	if total > room {
		room-- // for the annotation that counts the rest
	}
	var out []*gh.CheckRunAnnotation
	left := map[check.Status]int{}
	leftLevel := "" // the level of the first result left out
	for _, l := range []struct {
		level string
		rs    []*check.Result
	}{{"failure", failures}, {"warning", warnings}, {"notice", notices}} {
		kept, rest := takeTurns(l.rs, room-len(out))
		for _, r := range kept {
			out = append(out, annotation(path, l.level, cutUTF8(report.ConfigString(r)+" "+r.Metric, 255), resultSummary(r)))
		}
		if leftLevel == "" && len(rest) > 0 {
			leftLevel = l.level
		}
		for s, n := range rest {
			left[s] += n
		}
	}
	if n := total - len(out); n > 0 {
		out = append(out, annotation(path, leftLevel, "perfgate", notAnnotated(n, "results", left, see)))
	}
	return out
}

func annotation(path, level, title, msg string) *gh.CheckRunAnnotation {
	return &gh.CheckRunAnnotation{
		Path:            gh.String(path),
		StartLine:       gh.Int(1),
		EndLine:         gh.Int(1),
		AnnotationLevel: gh.String(level),
		Title:           gh.String(title),
		Message:         gh.String(cutUTF8(msg, 60000)),
	}
}

// checkRun creates a completed check run carrying the report and its annotations, 50 per
// request: the create carries the first 50 and each update appends the next.
func (p *publisher) checkRun(ctx context.Context, rep *check.Report) error {
	o := p.opts
	if !o.CheckRun || p.skipNewer(ctx, "check run") {
		return nil
	}
	name := StatusContext(o.ID)
	title := Description(rep)
	summary := report.Markdown(rep, report.MarkdownOptions{ID: o.ID, Chart: true, RunURL: o.RunURL, BaselineURL: o.BaselineURL, MaxBytes: maxCheckRunText})
	anns := checkRunAnnotations(rep, o.AnnotationPath, jobSummaryAt(o.RunURL))
	conclusion := "success"
	if rep.Verdict != check.Pass {
		conclusion = "failure"
	}
	first := anns[:min(len(anns), maxAnnotationsPerRequest)]
	run, err := p.createCheckRun(ctx, conclusion, &gh.CheckRunOutput{Title: gh.String(title), Summary: gh.String(summary), Annotations: first})
	if err != nil {
		return err
	}
	p.out.CheckRunAnnotations = len(first)
	for rest := anns[len(first):]; len(rest) > 0; {
		chunk := rest[:min(len(rest), maxAnnotationsPerRequest)]
		rest = rest[len(chunk):]
		update := gh.UpdateCheckRunOptions{
			Name:   name, // always sent: the field has no omitempty
			Output: &gh.CheckRunOutput{Title: gh.String(title), Summary: gh.String(summary), Annotations: chunk},
		}
		if err := p.appendAnnotations(ctx, run.GetID(), update, p.out.CheckRunAnnotations); err != nil {
			return err
		}
		p.out.CheckRunAnnotations += len(chunk)
	}
	fmt.Fprintf(o.Stdout, "perfgate: check run %s %s on %s with %d annotations\n", name, conclusion, bench.ShortCommit(p.sha), p.out.CheckRunAnnotations)
	return nil
}

// markCheckRun creates, for the error mark, a cancelled check run, when the gate publishes
// one (Options.CheckRun): without it, a re-run that crashed on a commit left the earlier
// attempt's green check run beside the error status (audit). A cancelled check run does not
// satisfy a required check. The pending mark creates none: an in-progress check run would
// stay in progress beside the completed one the gate creates (the commit status says
// pending).
func (p *publisher) markCheckRun(ctx context.Context, phase Phase) error {
	if phase != PhaseError {
		return nil
	}
	return p.cancelCheckRun(ctx, report.StaleDescription())
}

// cancelCheckRun creates, with Options.CheckRun, a cancelled check run titled title.
func (p *publisher) cancelCheckRun(ctx context.Context, title string) error {
	o := p.opts
	if !o.CheckRun || p.skipNewer(ctx, "check run") {
		return nil
	}
	if _, err := p.createCheckRun(ctx, "cancelled", &gh.CheckRunOutput{Title: gh.String(title), Summary: gh.String(title)}); err != nil {
		return err
	}
	fmt.Fprintf(o.Stdout, "perfgate: check run %s cancelled on %s\n", StatusContext(o.ID), bench.ShortCommit(p.sha))
	return nil
}

// createCheckRun creates the gate's completed check run on the commit, with conclusion and
// output, linked to the run (Options.RunURL), and records its id.
//
// The create is never sent again blindly: a create that answered 5xx or timed out may have
// gone through, and a second one would show two check runs for the gate on the commit. So
// the commit's check runs are looked up first (findCheckRun) and the one that landed is
// adopted; only when none did is the create sent again, at most maxCreates times in all.
// When the lookup fails, the error says the check run's state on GitHub is unknown.
func (p *publisher) createCheckRun(ctx context.Context, conclusion string, output *gh.CheckRunOutput) (*gh.CheckRun, error) {
	create := gh.CreateCheckRunOptions{Name: StatusContext(p.opts.ID), HeadSHA: p.sha, ExternalID: gh.String(p.checkRunExternalID()),
		Status: gh.String("completed"), Conclusion: gh.String(conclusion), Output: output}
	if p.opts.RunURL != "" {
		create.DetailsURL = gh.String(p.opts.RunURL)
	}
	for attempt := 1; ; attempt++ {
		var run *gh.CheckRun
		err := p.retry.call(ctx, func() (err error) {
			run, _, err = p.client.Checks.CreateCheckRun(withoutServerRetry(ctx), p.owner, p.name, create)
			return err
		})
		if err == nil {
			p.out.CheckRunID = run.GetID()
			return run, nil
		}
		createErr := p.apiError(err, "create the check run on")
		if !mayHaveLanded(err) || ctx.Err() != nil {
			return nil, createErr
		}
		wait := firstBackoff << (attempt - 1)
		again := attempt < maxCreates && p.retry.reserve(wait)
		if again {
			p.retry.logf("creating the check run failed (%v); looking for it in %v", err, wait)
			if err := p.retry.sleep(ctx, wait); err != nil {
				return nil, err
			}
		}
		landed, lerr := p.findCheckRun(ctx, &create)
		if lerr != nil {
			return nil, fmt.Errorf("%w; it may have been created all the same, and looking for it failed too (%v): the check run's state on GitHub is unknown", createErr, lerr)
		}
		if landed != nil {
			p.retry.logf("check run %d was created after all; updating it", landed.GetID())
			return p.adoptCheckRun(ctx, landed, &create)
		}
		if !again {
			return nil, fmt.Errorf("%w (looked up: it was not created)", createErr)
		}
	}
}

// appendAnnotations sends update, whose annotations GitHub appends to those of check run id,
// which has have of them. Like a create, the update is not sent again blindly: one that
// answered 5xx or timed out may have appended them, and a second would show them twice. The
// check run's count of annotations tells; when it cannot be read, or is neither have nor
// have plus the update's, the error says the annotations on GitHub are unknown.
func (p *publisher) appendAnnotations(ctx context.Context, id int64, update gh.UpdateCheckRunOptions, have int) error {
	n := len(update.Output.Annotations)
	what := fmt.Sprintf("add annotations %d–%d to the check run on", have+1, have+n)
	for attempt := 1; ; attempt++ {
		err := p.retry.call(ctx, func() error {
			_, _, err := p.client.Checks.UpdateCheckRun(withoutServerRetry(ctx), p.owner, p.name, id, update)
			return err
		})
		if err == nil {
			return nil
		}
		updateErr := p.apiError(err, what)
		if !mayHaveLanded(err) || ctx.Err() != nil {
			return updateErr
		}
		wait := firstBackoff << (attempt - 1)
		again := attempt < maxCreates && p.retry.reserve(wait)
		if again {
			p.retry.logf("adding annotations failed (%v); reading the check run in %v", err, wait)
			if err := p.retry.sleep(ctx, wait); err != nil {
				return err
			}
		}
		var run *gh.CheckRun
		lerr := p.retry.call(ctx, func() (err error) {
			run, _, err = p.client.Checks.GetCheckRun(ctx, p.owner, p.name, id)
			return err
		})
		if lerr != nil {
			return fmt.Errorf("%w; they may have been added all the same, and reading the check run failed too (%v): the check run's annotations on GitHub are unknown", updateErr, p.apiError(lerr, "read the check run on"))
		}
		switch got := run.GetOutput().GetAnnotationsCount(); {
		case got == have+n:
			p.retry.logf("annotations %d–%d were added after all", have+1, have+n)
			return nil
		case got != have:
			return fmt.Errorf("%w; the check run has %d annotations, neither the %d before nor the %d after: the check run's annotations on GitHub are unknown", updateErr, got, have, have+n)
		case !again:
			return fmt.Errorf("%w (looked up: they were not added)", updateErr)
		}
	}
}

// checkRunExternalID is the external id of the check runs this publisher creates: the gate
// id, then "@" and the workflow run and attempt that create them ($GITHUB_RUN_ID,
// $GITHUB_RUN_ATTEMPT: "perfgate@4242/2"), so that findCheckRun tells this attempt's check
// run from an earlier attempt's, which may be identical. Outside Actions a random token
// stands for the run ("perfgate@local-1a2b3c4d5e6f"): an earlier invocation's is not taken
// either. The id comes first, so a check run still shows which gate made it.
//
// The details URL, which used to tell, cannot: GitHub does not keep the details_url of a
// check run that GITHUB_TOKEN creates in a workflow, and links the job instead
// (LouisBrunner/checks-action#18), so no check run that landed was ever found again.
func (p *publisher) checkRunExternalID() string {
	if p.externalID != "" {
		return p.externalID
	}
	if run := p.runID(); run > 0 {
		attempt := int64(1)
		if n, err := strconv.ParseInt(p.opts.Getenv("GITHUB_RUN_ATTEMPT"), 10, 64); err == nil && n > 1 {
			attempt = n
		}
		p.externalID = fmt.Sprintf("%s@%d/%d", p.opts.ID, run, attempt)
	} else {
		var b [6]byte
		rand.Read(b[:])
		p.externalID = fmt.Sprintf("%s@local-%x", p.opts.ID, b)
	}
	return p.externalID
}

// findCheckRun returns the check run that create made on the commit, when its answer was
// lost, or nil if there is none. It lists the commit's check runs of the gate's name and
// keeps those with create's external id (which names this run and attempt:
// checkRunExternalID), conclusion, title and number of annotations; the newest of them, if
// several, is the one. The details URL is not compared: GitHub replaces it.
func (p *publisher) findCheckRun(ctx context.Context, create *gh.CreateCheckRunOptions) (*gh.CheckRun, error) {
	opts := &gh.ListCheckRunsOptions{CheckName: gh.String(create.Name), Filter: gh.String("all"), ListOptions: gh.ListOptions{PerPage: 100}}
	var found *gh.CheckRun
	var res *gh.ListCheckRunsResults
	_, err := p.pages(ctx, &opts.ListOptions, 0, func() (resp *gh.Response, err error) {
		res, resp, err = p.client.Checks.ListCheckRunsForRef(ctx, p.owner, p.name, p.sha, opts)
		return resp, err
	}, func() bool {
		for _, r := range res.CheckRuns {
			if r.GetName() == create.Name && r.GetHeadSHA() == create.HeadSHA && r.GetExternalID() == create.GetExternalID() &&
				r.GetStatus() == create.GetStatus() && r.GetConclusion() == create.GetConclusion() &&
				r.GetOutput().GetTitle() == create.GetOutput().GetTitle() &&
				r.GetOutput().GetAnnotationsCount() == len(create.GetOutput().Annotations) &&
				r.GetID() > found.GetID() {
				found = r
			}
		}
		return true
	})
	if err != nil {
		return nil, p.apiError(err, "list the check runs of")
	}
	return found, nil
}

// adoptCheckRun makes run, found by findCheckRun, the gate's check run: it is updated to
// what create says, less the annotations, which it already has (an update appends them).
func (p *publisher) adoptCheckRun(ctx context.Context, run *gh.CheckRun, create *gh.CreateCheckRunOptions) (*gh.CheckRun, error) {
	update := gh.UpdateCheckRunOptions{Name: create.Name, DetailsURL: create.DetailsURL, Status: create.Status, Conclusion: create.Conclusion}
	if o := create.GetOutput(); o != nil {
		update.Output = &gh.CheckRunOutput{Title: o.Title, Summary: o.Summary}
	}
	var out *gh.CheckRun
	err := p.retry.call(ctx, func() (err error) {
		out, _, err = p.client.Checks.UpdateCheckRun(ctx, p.owner, p.name, run.GetID(), update)
		return err
	})
	if err != nil {
		return nil, p.apiError(err, fmt.Sprintf("update check run %d, created although its create failed, on", run.GetID()))
	}
	p.out.CheckRunID = out.GetID()
	return out, nil
}

// cutUTF8 returns the longest prefix of s of at most n bytes that ends on a rune boundary.
func cutUTF8(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
