package github

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	gh "github.com/google/go-github/v60/github"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/check"
	"github.com/perfgate/perfgate/report"
)

// A Phase is a point in a gate's life that Mark publishes: the run has started, or it
// ended without a verdict.
type Phase string

// The phases Mark publishes. The verdict itself is published by Publish.
const (
	// PhasePending sets the commit status to pending and puts a "running" banner above the
	// sticky comment's previous report, which stays readable. It creates no comment.
	PhasePending Phase = "pending"
	// PhaseError sets the commit status to error and marks the sticky comment stale: the
	// job failed or was cancelled before perfgate published a verdict.
	PhaseError Phase = "error"
)

// Lines that delimit the banner at the top of a sticky comment and record its state at the
// bottom. They are HTML comments, invisible when rendered.
const (
	bannerOpen  = "<!-- perfgate-banner -->"
	bannerClose = "<!-- /perfgate-banner -->"
	statePrefix = "<!-- perfgate-state "
)

// bannerReserve is the room kept free in a report comment for a banner and the state line,
// so that marking it pending or stale never takes it over the size limit.
const bannerReserve = 1024

// A commentState is what a sticky comment records about itself in its state line.
type commentState struct {
	Phase   string // "final", "pending" or "stale"; "" if the comment has no state line
	Verdict string // verdict of the report it shows: pass, fail or ""
	SHA     string // commit that report is for
	Run     int64  // the GITHUB_RUN_ID that set the banner or posted the report (0: unknown)
}

var stateRE = regexp.MustCompile(`^<!-- perfgate-state phase=(final|pending|stale) verdict=(pass|fail|) sha=([0-9a-f]*) run=([0-9]*) -->$`)

func (s commentState) line() string {
	run := ""
	if s.Run > 0 {
		run = strconv.FormatInt(s.Run, 10)
	}
	return fmt.Sprintf("%sphase=%s verdict=%s sha=%s run=%s -->", statePrefix, s.Phase, s.Verdict, s.SHA, run)
}

// A stickyComment is a sticky comment taken apart.
type stickyComment struct {
	banner string // without the delimiters; "" if none
	report string // the report Markdown
	state  commentState
}

// parseSticky takes apart a sticky comment body of gate id. Comments written before state
// lines existed parse with an empty state and everything above the marker as the report.
func parseSticky(body, id string) stickyComment {
	var c stickyComment
	body = strings.ReplaceAll(body, "\r\n", "\n")
	if rest, ok := strings.CutPrefix(body, bannerOpen+"\n"); ok {
		if banner, after, ok := strings.Cut(rest, "\n"+bannerClose+"\n"); ok {
			c.banner, body = banner, after
		}
	}
	body = strings.TrimRight(body, "\n")
	body = strings.TrimSuffix(body, Marker(id))
	body = strings.TrimRight(body, "\n")
	if i := strings.LastIndex(body, "\n"+statePrefix); i >= 0 || strings.HasPrefix(body, statePrefix) {
		line := body[i+1:]
		if m := stateRE.FindStringSubmatch(line); m != nil {
			c.state = commentState{Phase: m[1], Verdict: m[2], SHA: m[3]}
			c.state.Run, _ = strconv.ParseInt(m[4], 10, 64)
			body = body[:max(i, 0)]
		}
	}
	c.report = strings.TrimSpace(body)
	return c
}

// render puts a sticky comment back together: banner, report, state line, marker.
func (c stickyComment) render(id string) string {
	var b strings.Builder
	if c.banner != "" {
		b.WriteString(bannerOpen + "\n" + strings.TrimRight(c.banner, "\n") + "\n" + bannerClose + "\n\n")
	}
	b.WriteString(strings.TrimRight(c.report, "\n"))
	b.WriteString("\n\n" + c.state.line() + "\n" + Marker(id) + "\n")
	return b.String()
}

// reportBody returns the sticky comment for a finished report rendered as markdown.
func reportBody(markdown string, rep *check.Report, sha, id string, run int64) string {
	return stickyComment{report: markdown, state: commentState{Phase: "final", Verdict: string(rep.Verdict), SHA: sha, Run: run}}.render(id)
}

// newerRun returns the run that owns a sticky comment of gate id with body when it is newer
// than this one (run): a re-run of an older workflow run (a re-run keeps its run id), or an
// older run finishing after a newer one marked the comment pending, must not put its report
// over the newer run's. 0 when the comment is this run's to write (or its runs are unknown).
func newerRun(body, id string, run int64) int64 {
	if st := parseSticky(body, id).state; run > 0 && st.Run > run {
		return st.Run
	}
	return 0
}

// maxReportBytes is the size a report may take in a sticky comment of gate id.
func maxReportBytes(id string) int {
	return MaxCommentBytes - len(Marker(id)) - bannerReserve
}

// flipsToFail reports whether a comment whose body is old must be replaced by a new comment
// rather than edited into body: the gate failed where the old comment showed a pass. An edit
// notifies nobody, so a pass turning into a fail would go unseen.
func flipsToFail(old, body, id string) bool {
	o, n := parseSticky(old, id), parseSticky(body, id)
	return o.state.Verdict == string(check.Pass) && n.state.Phase == "final" && n.state.Verdict == string(check.Fail)
}

// supersede edits the comment that showed a pass into a pointer at the new one, without
// the marker, so that it is never matched again. A failure here is only logged: the new
// comment, which matters, exists.
func (p *publisher) supersede(ctx context.Context, old, created *gh.IssueComment) {
	c := parseSticky(old.GetBody(), p.opts.ID)
	body := report.Superseded(created.GetHTMLURL(), c.report)
	if len(body) > MaxCommentBytes {
		body = report.Superseded(created.GetHTMLURL(), "")
	}
	if _, err := p.editComment(ctx, old.GetID(), body); err != nil {
		fmt.Fprintf(p.opts.Stderr, "perfgate: warning: could not mark the earlier comment %d outdated: %v\n", old.GetID(), err)
		return
	}
	p.out.Superseded = old.GetID()
}

// Mark publishes a phase of the gate's life (see PhasePending and PhaseError) for the pull
// request and commit that Publish would use: the commit status and a banner on the sticky
// comment. It never creates a comment. Like Publish, a read-only token is a warning unless
// opts.Strict, and the token never appears in what it returns or writes.
func Mark(ctx context.Context, phase Phase, opts Options) (*Outcome, error) {
	return withPublisher(opts, func(p *publisher) error { return p.mark(ctx, phase) })
}

func (p *publisher) mark(ctx context.Context, phase Phase) error {
	o := p.opts
	if phase != PhasePending && phase != PhaseError {
		return inputErrorf("phase %q: want %q or %q", phase, PhasePending, PhaseError)
	}
	if err := p.defaults(); err != nil {
		return err
	}
	if o.NoAPI {
		return nil
	}
	if err := p.connect(); err != nil {
		return err
	}
	// The error mark runs in an "if: failure() || cancelled()" step, and a gate that failed
	// fails its job: the mark then ran after this run's own verdict, and replaced it with
	// "did not finish" (audit). A verdict this run published stands, as does an error this
	// run set saying why there is none (resolvedByThisRun).
	resolved := false
	return p.writes(ctx,
		func(ctx context.Context) error {
			if phase != PhaseError {
				return nil
			}
			st := p.resolvedByThisRun(ctx)
			if st == nil {
				return nil
			}
			resolved = true
			p.out.Comment = CommentSkipped
			if state := st.GetState(); state == "success" || state == "failure" {
				fmt.Fprintf(o.Stdout, "perfgate: this run already published its verdict (%s) for %s; nothing to mark\n", state, bench.ShortCommit(p.sha))
			} else {
				fmt.Fprintf(o.Stdout, "perfgate: this run already marked the gate %s on %s (%q); nothing to mark\n", state, bench.ShortCommit(p.sha), st.GetDescription())
			}
			return nil
		},
		unless(&resolved, func(ctx context.Context) error { return p.markStatus(ctx, phase) }),
		unless(&resolved, func(ctx context.Context) error { return p.markCheckRun(ctx, phase) }),
		unless(&resolved, func(ctx context.Context) error { return p.markComment(ctx, phase) }))
}

// unless returns step, made to do nothing once *skip is set (by an earlier step of writes).
func unless(skip *bool, step func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		if *skip {
			return nil
		}
		return step(ctx)
	}
}

// resolvedByThisRun returns the gate's newest status on its commit when this run resolved the
// gate there: the status is anything but pending (its verdict, success or failure, or an
// error that says why there is none, such as markUnmeasured's "perfgate measured X"), and it links
// this run (its target URL, the run URL every write of this run sets). Else nil: also without
// a run URL, or when the statuses cannot be read, and the mark goes on. Only a verdict counted
// once, and the error mark that follows a refusal in the same run (the Action fails the job)
// replaced markUnmeasured's description with "did not finish", and created a second cancelled
// check run (review).
func (p *publisher) resolvedByThisRun(ctx context.Context) *gh.RepoStatus {
	if p.opts.RunURL == "" || p.sha == "" {
		return nil
	}
	st, err := p.gateStatus(ctx)
	if err != nil || st == nil || st.GetState() == "pending" || st.GetTargetURL() != p.opts.RunURL {
		return nil
	}
	return st
}

func (p *publisher) markStatus(ctx context.Context, phase Phase) error {
	state, desc := "pending", report.PendingDescription()
	if phase == PhaseError {
		state, desc = "error", report.StaleDescription()
	}
	return p.setStatus(ctx, state, desc)
}

// markComment puts the phase's banner on the sticky comment, keeping the report below it.
// A mark leaves alone a comment that a newer run owns: a stale mark one it has marked
// pending (a push cancels the run for the previous head, whose cancel path runs after the
// new run started), and any mark one whose report or banner it wrote.
func (p *publisher) markComment(ctx context.Context, phase Phase) error {
	if phase == PhasePending {
		return p.bannerComment(ctx, "pending", func(prevSHA string) string { return report.PendingBanner(p.sha, prevSHA, p.opts.RunURL) })
	}
	return p.bannerComment(ctx, "stale", func(prevSHA string) string { return report.StaleBanner(p.sha, prevSHA, p.opts.RunURL) })
}

// bannerComment puts the banner that banner returns (given the commit of the report kept
// below it) on the sticky comment and records phase ("pending" or "stale"), as markComment
// says.
func (p *publisher) bannerComment(ctx context.Context, phase string, banner func(prevSHA string) string) error {
	o := p.opts
	if o.Comment == CommentNever || p.pr == 0 {
		p.out.Comment = CommentSkipped
		return nil
	}
	if p.commentLeftToNewer(ctx) {
		return nil
	}
	found, err := p.findComment(ctx, Marker(o.ID))
	if err != nil {
		return err
	}
	if found == nil {
		p.out.Comment = CommentSkipped
		return nil
	}
	c := parseSticky(found.GetBody(), o.ID)
	run := p.runID()
	if phase == "stale" && c.state.Phase == "pending" && c.state.Run > run {
		p.out.Comment = CommentSkipped
		fmt.Fprintf(o.Stdout, "perfgate: comment left alone: run %d, newer than this one, is in progress\n", c.state.Run)
		return nil
	}
	// Nor does any mark take over a comment a newer run owns (a re-run of an older run keeps
	// its run id): written over with this run's id, it would let this run's report replace
	// the newer one's (newerRun).
	if newer := newerRun(found.GetBody(), o.ID, run); newer != 0 {
		p.out.Comment = CommentSkipped
		fmt.Fprintf(o.Stdout, "perfgate: comment left alone: run %d, newer than this one, owns it\n", newer)
		return nil
	}
	prevSHA := c.state.SHA
	if c.report == "" || len(c.report) > maxReportBytes(o.ID) {
		c.report = report.NoPreviousReport(o.RunURL)
		prevSHA = ""
	}
	c.banner = banner(prevSHA)
	c.state.Phase = phase
	c.state.Run = run
	body := c.render(o.ID)
	if body == found.GetBody() {
		p.out.Comment = CommentUnchanged
		return nil
	}
	out, err := p.editComment(ctx, found.GetID(), body)
	if isNotFound(err) {
		// Deleted since it was listed: there is no report left to mark.
		p.out.Comment = CommentSkipped
		fmt.Fprintf(o.Stdout, "perfgate: comment %d was deleted meanwhile; nothing to mark\n", found.GetID())
		return nil
	}
	if err != nil {
		return p.apiError(err, "edit the perfgate comment on")
	}
	p.out.Comment, p.out.CommentID, p.out.CommentURL = CommentEdited, out.GetID(), out.GetHTMLURL()
	fmt.Fprintf(o.Stdout, "perfgate: comment marked %s on %s/%s#%d %s\n", c.state.Phase, p.owner, p.name, p.pr, p.out.CommentURL)
	return nil
}

// markUnmeasured marks the gate error on the pull request's head, p.sha, when the report
// cannot be shown to be for it (checkMeasured): it is for measured, another commit (7 to 40
// hex digits: measuredHead), or, when measured is "", it names none. It sets the status (with
// a description saying which commit was measured, or that none is known), a cancelled check
// run with --check-run, and a stale banner on the sticky comment, whose report below stays
// readable. A newer run's status, check run or comment is left alone, as every mark leaves it.
//
// It does not say that the head was pushed while the benchmark ran: a benchmark that checked
// out another commit looks the same from here.
func (p *publisher) markUnmeasured(ctx context.Context, measured string) error {
	o := p.opts
	head := bench.ShortCommit(p.sha)
	desc := fmt.Sprintf("perfgate measured %s, not this commit, the pull request's head: run it again", measured)
	lead := fmt.Sprintf("> ⚠️ **Stale: the pull request's head is `%s`; perfgate measured `%s`**%s. Nothing was published for either commit: run the benchmark again.",
		head, measured, runLinkMarkdown(o.RunURL))
	if measured == "" {
		desc = "perfgate could not tell which commit it measured: pass --sha"
		lead = fmt.Sprintf("> ⚠️ **Stale: perfgate could not tell which commit it measured** (the report names no `provenance.head`)%s, so nothing was published for the pull request's head `%s`: publish with `--sha` and the measured commit, or run the benchmark again.",
			runLinkMarkdown(o.RunURL), head)
	}
	desc = cutRunes(desc, maxStatusDescription)
	banner := func(prevSHA string) string {
		b := lead
		if prevSHA != "" && prevSHA != p.sha {
			b += fmt.Sprintf(" The report below is for the earlier commit `%s`.", bench.ShortCommit(prevSHA))
		} else {
			b += " The report below is from an earlier run."
		}
		return b + "\n"
	}
	var errs []error
	for _, step := range []func() error{
		func() error { return p.setStatus(ctx, "error", desc) },
		func() error { return p.cancelCheckRun(ctx, desc) },
		func() error { return p.bannerComment(ctx, "stale", banner) },
	} {
		errs = append(errs, step())
	}
	return errors.Join(errs...)
}

// runLinkMarkdown is " ([workflow run](URL))", or "" without a run URL (which is checked:
// ValidRunURL).
func runLinkMarkdown(runURL string) string {
	if runURL == "" {
		return ""
	}
	return " ([workflow run](" + runURL + "))"
}

// cutRunes cuts s to n characters, ending it with … when cut.
func cutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// runID is this workflow run's id ($GITHUB_RUN_ID), or 0 outside Actions.
func (p *publisher) runID() int64 {
	n, err := strconv.ParseInt(p.opts.Getenv("GITHUB_RUN_ID"), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// OwnRunURL is the current workflow run's page, from the Actions environment; "" outside
// Actions or when it would not be a valid run URL.
func OwnRunURL(getenv func(string) string) string {
	server, repo, run := getenv("GITHUB_SERVER_URL"), getenv("GITHUB_REPOSITORY"), getenv("GITHUB_RUN_ID")
	if server == "" || repo == "" || run == "" {
		return ""
	}
	u := withAttempt(strings.TrimRight(server, "/")+"/"+repo+"/actions/runs/"+run, getenv("GITHUB_RUN_ATTEMPT"))
	if ValidRunURL(u) != nil {
		return ""
	}
	return u
}

// withAttempt adds a re-run's attempt to its run URL: a re-run keeps the run id, so without
// it a crashed attempt's error mark took the verdict an earlier attempt published for its own
// (review). The first attempt's URL is the run's own.
func withAttempt(u, attempt string) string {
	n, err := strconv.Atoi(attempt)
	if err != nil || n <= 1 || strings.Contains(u, "/attempts/") {
		return u
	}
	return u + "/attempts/" + strconv.Itoa(n)
}

// MarkFromArtifact is the second stage's error path: the first stage ended without a
// report that could be published (it failed, was cancelled or timed out, or its artifact is
// missing or damaged), and the gate must say so rather than leave a required status waiting.
// It sets the status to error and marks the sticky comment stale, like Mark(PhaseError), but
// takes the pull request and commit from the artifact in dir as --from does, never from
// opts.PR or opts.SHA (an *InputError if set):
//
//   - When the artifact's pr and sha are valid (LoadArtifactMeta; the report is not read,
//     it may be what is damaged) and sha is the commit the workflow run built
//     (workflow_run.head_sha in the payload at $GITHUB_EVENT_PATH, when there is one), the
//     pull request is fetched and must still have sha as its head, as with Publish's
//     VerifyHead. A pull request whose head has moved on gets nothing: the error is an
//     *InputError saying so, and the newer run reports for the new head.
//   - Otherwise nothing in the artifact is trusted, the pull request number least of all:
//     the status goes to workflow_run.head_sha alone, the commit the failed run was for, and
//     no comment is touched (not even one of workflow_run.pull_requests). Without a
//     workflow_run payload there is nothing trustworthy to mark: an *InputError.
//
// opts.ID "" takes the artifact's id when it is usable, else the default.
func MarkFromArtifact(ctx context.Context, dir string, opts Options) (*Outcome, error) {
	return withPublisher(opts, func(p *publisher) error { return p.markFromArtifact(ctx, dir) })
}

func (p *publisher) markFromArtifact(ctx context.Context, dir string) error {
	o := p.opts
	if o.PR != 0 || o.SHA != "" {
		return inputErrorf("the error path takes the pull request and commit from the artifact (or the workflow_run payload); do not pass a pull request or commit")
	}
	trusted := ""
	if path := o.Getenv("GITHUB_EVENT_PATH"); path != "" {
		ev, err := ReadEvent(path)
		if err != nil {
			return &InputError{Err: err}
		}
		if ev.WorkflowRun {
			if _, err := ParseSHA(ev.HeadSHA); err != nil {
				return inputErrorf("workflow_run.head_sha: %v", err)
			}
			trusted = ev.HeadSHA
		}
	}
	var a *Artifact
	var err error
	switch st, serr := os.Lstat(dir); {
	case errors.Is(serr, os.ErrNotExist):
		err = fmt.Errorf("there is no artifact (%s does not exist): the first stage uploaded none", dir)
	case serr == nil && !st.IsDir():
		err = fmt.Errorf("artifact: %s is not a directory", dir)
	default:
		a, err = LoadArtifactMeta(dir)
	}
	if err == nil && trusted != "" && a.SHA != trusted {
		err = fmt.Errorf("artifact: %s names commit %s, but the workflow run ran on %s (workflow_run.head_sha)",
			filepath.Join(dir, ArtifactSHA), bench.ShortCommit(a.SHA), bench.ShortCommit(trusted))
	}
	if err == nil {
		o.PR, o.SHA, o.VerifyHead = a.PR, a.SHA, true
		o.FallbackRunURL = a.RunURL
		if o.ID == "" {
			o.ID = a.ID
		}
		o.subject = "the failed run was"
		fmt.Fprintf(o.Stdout, "perfgate: the artifact names pull request #%d at %s; marking the gate error there if that is still its head\n", a.PR, bench.ShortCommit(a.SHA))
		return p.mark(ctx, PhaseError)
	}
	if trusted == "" {
		return inputErrorf("%v; and no workflow_run payload (GITHUB_EVENT_PATH) names the commit the first stage ran on, so there is nothing trustworthy to mark", err)
	}
	fmt.Fprintf(o.Stderr, "perfgate: warning: %v\n", err)
	fmt.Fprintf(o.Stderr, "perfgate: marking the gate error on %s, the commit the workflow run was for (workflow_run.head_sha), and no pull request comment: nothing in the artifact is trusted\n", bench.ShortCommit(trusted))
	o.SHA, o.commitOnly = trusted, true
	return p.mark(ctx, PhaseError)
}
