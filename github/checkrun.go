package github

import (
	"context"
	"fmt"
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
	if !o.CheckRun {
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
		err := p.retry.call(ctx, func() error {
			_, _, err := p.client.Checks.UpdateCheckRun(ctx, p.owner, p.name, run.GetID(), update)
			return err
		})
		if err != nil {
			return p.apiError(err, fmt.Sprintf("add annotations %d–%d to the check run on", p.out.CheckRunAnnotations+1, p.out.CheckRunAnnotations+len(chunk)))
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
	o := p.opts
	if !o.CheckRun || phase != PhaseError {
		return nil
	}
	title := report.StaleDescription()
	if _, err := p.createCheckRun(ctx, "cancelled", &gh.CheckRunOutput{Title: gh.String(title), Summary: gh.String(title)}); err != nil {
		return err
	}
	fmt.Fprintf(o.Stdout, "perfgate: check run %s cancelled on %s\n", StatusContext(o.ID), bench.ShortCommit(p.sha))
	return nil
}

// createCheckRun creates the gate's completed check run on the commit, with conclusion and
// output, linked to the run (Options.RunURL), and records its id.
func (p *publisher) createCheckRun(ctx context.Context, conclusion string, output *gh.CheckRunOutput) (*gh.CheckRun, error) {
	create := gh.CreateCheckRunOptions{Name: StatusContext(p.opts.ID), HeadSHA: p.sha, ExternalID: gh.String(p.opts.ID),
		Status: gh.String("completed"), Conclusion: gh.String(conclusion), Output: output}
	if p.opts.RunURL != "" {
		create.DetailsURL = gh.String(p.opts.RunURL)
	}
	var run *gh.CheckRun
	err := p.retry.call(ctx, func() (err error) {
		run, _, err = p.client.Checks.CreateCheckRun(ctx, p.owner, p.name, create)
		return err
	})
	if err != nil {
		return nil, p.apiError(err, "create the check run on")
	}
	p.out.CheckRunID = run.GetID()
	return run, nil
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
