package github

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	gh "github.com/google/go-github/v60/github"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/check"
	"github.com/perfgate/perfgate/report"
)

const (
	defaultID       = "perfgate"
	defaultTokenEnv = "GITHUB_TOKEN"
	publicAPI       = "https://api.github.com"
	// maxStatusDescription is GitHub's limit on a commit status description, in characters.
	maxStatusDescription = 140
)

// Options configure Publish. Zero fields are filled from the GitHub Actions environment,
// read through Getenv; explicit fields always win.
type Options struct {
	// Repo is the repository, "owner/name". Default: $GITHUB_REPOSITORY.
	Repo string
	// PR is the pull request number. Default: from the event payload at
	// $GITHUB_EVENT_PATH (pull_request.number, workflow_run.pull_requests[0].number, or
	// issue.number of an issue_comment on a pull request).
	// Without a pull request, no comment is posted.
	PR int
	// SHA is the commit the status and check run are attached to: the pull request's head
	// commit. Default: pull_request.head.sha or workflow_run.head_sha from the event payload,
	// then the pull request's head as the API reports it, then, only for events that are
	// not about a pull request (push), $GITHUB_SHA. On pull_request events $GITHUB_SHA is a
	// merge commit that the pull request page does not show, and on issue_comment events
	// the default branch's head, so it is never used there.
	SHA string
	// APIURL is the REST API root. Default: $GITHUB_API_URL, else https://api.github.com.
	// Any other URL is treated as GitHub Enterprise Server (go-github's WithEnterpriseURLs,
	// which appends /api/v3/ unless present).
	APIURL string
	// Token authenticates the API calls. Default: the variable named by TokenEnv.
	Token string
	// TokenEnv names the variable holding the token. Default: GITHUB_TOKEN.
	TokenEnv string
	// ID tells several gates on one pull request apart: it names the comment's marker
	// (<!-- perfgate:ID -->) and the status context (perfgate, or perfgate/ID). Default:
	// "perfgate".
	ID string
	// Comment says when to post the sticky comment. Default: CommentAlways.
	Comment CommentMode
	// CheckRun also creates a check run with an annotation per result that did not stay
	// unchanged. It needs checks: write.
	CheckRun bool
	// AnnotationPath is the file check-run annotations point at. Default: ".github".
	AnnotationPath string
	// Strict makes a read-only token (403 "Resource not accessible by integration") an
	// error instead of a warning.
	Strict bool
	// RunURL links the comment and status to the workflow run. Default: in a
	// workflow_run workflow, the run that triggered it (workflow_run.html_url), else
	// FallbackRunURL; elsewhere $GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID.
	RunURL string
	// FallbackRunURL is linked when neither RunURL nor a workflow_run payload names the
	// run; the two-stage mode passes the first stage's run from the artifact.
	FallbackRunURL string
	// BaselineURL, if set, is linked from the report.
	BaselineURL string
	// NoAPI writes only what needs no token (inside Actions: job summary, annotations,
	// outputs) and makes no API call. The first stage of the two-stage mode sets it.
	NoAPI bool
	// VerifyHead fetches the pull request and refuses to publish (with an InputError)
	// unless its head is SHA. The two-stage mode sets it: the artifact's SHA must still be
	// the pull request's head.
	VerifyHead bool
	// Getenv reads the environment. Default: no environment.
	Getenv func(string) string
	// Stdout receives workflow commands (::error::) and a line per thing published.
	// Stderr receives warnings and hints. Default: io.Discard.
	Stdout, Stderr io.Writer
	// Verbose logs every API request and retry to Stderr (never the token).
	Verbose bool
	// HTTPClient is the client go-github uses. Default: a client with
	// http.DefaultTransport. Its Transport is wrapped with retries and authentication.
	HTTPClient *http.Client
	// Sleep waits between retries. Default: a timer bounded by the context. Tests inject a
	// recorder.
	Sleep func(ctx context.Context, d time.Duration) error
	// MaxWait bounds the total time lost to retries: the waits between them and the
	// attempts that timed out (30 seconds each). Once time-outs have used it up, GitHub is
	// taken to be unresponsive and later requests fail at once. Default: 3 minutes.
	MaxWait time.Duration
	// Now is the clock for rate-limit reset times. Default: time.Now.
	Now func() time.Time

	// commitOnly publishes to SHA alone: the event's pull request is not used, so no
	// comment is touched. MarkFromArtifact sets it when it cannot trust the artifact.
	commitOnly bool
	// subject says what SHA stands for in a refusal: "the results are" unless set.
	subject string
}

// An Outcome says what Publish did.
type Outcome struct {
	Repo string // owner/name
	PR   int    // 0 if there was no pull request
	SHA  string // the commit the status went to

	Summary     bool // the job summary was written
	Outputs     bool // $GITHUB_OUTPUT was written
	Annotations int  // workflow-command lines emitted

	Comment    string // CommentCreated, CommentEdited, CommentUnchanged, CommentSkipped or ""
	CommentID  int64
	CommentURL string
	// Superseded is the comment that showed a pass and now points at the new comment
	// posted because the gate fails; 0 if none.
	Superseded int64

	StatusState   string // success, failure or error; "" if no status was set
	StatusContext string

	CheckRunID          int64
	CheckRunAnnotations int

	// NewerRun is the newer workflow run that owns the gate on the commit, when the status
	// and check run were left to it; 0 otherwise.
	NewerRun int64

	// ReadOnly is set when GitHub refused a write with 403 "Resource not accessible by
	// ...": the token lacks permission, as on pull requests from forks.
	ReadOnly bool
}

// Publish publishes rep to GitHub as opts say and returns what it did. The job summary,
// annotations and outputs are written first (inside Actions), so they exist even when the API
// fails. The error, if any, lists everything that could not be published; it is an
// *InputError when the options or environment were unusable. A read-only token is reported
// on Stderr and is an error only with opts.Strict. The token never appears in the error or in
// anything written to Stdout or Stderr.
func Publish(ctx context.Context, rep *check.Report, opts Options) (*Outcome, error) {
	return withPublisher(opts, func(p *publisher) error { return p.run(ctx, rep) })
}

// withPublisher runs do with a publisher for opts whose token comes from the environment when
// not given and is scrubbed from everything it writes and from the error it returns.
func withPublisher(opts Options, do func(*publisher) error) (*Outcome, error) {
	o := opts
	if o.Getenv == nil {
		o.Getenv = func(string) string { return "" }
	}
	if o.TokenEnv == "" {
		o.TokenEnv = defaultTokenEnv
	}
	if o.Token == "" {
		o.Token = o.Getenv(o.TokenEnv)
	}
	// A token pasted into a secret often brings a line break along; no token contains
	// white space, and Go refuses to send a header that does.
	o.Token = strings.TrimSpace(o.Token)
	scrub := scrubber{secret: o.Token}
	o.Stdout = scrub.Writer(orDiscard(o.Stdout))
	o.Stderr = scrub.Writer(orDiscard(o.Stderr))
	p := &publisher{opts: &o, out: &Outcome{}}
	err := do(p)
	return p.out, scrub.Error(err)
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// A publisher holds the state of one Publish call.
type publisher struct {
	opts   *Options
	out    *Outcome
	event  *Event
	client *gh.Client
	retry  *retrier

	owner, name string
	pr          int
	sha         string

	viewer      string // the token's user, once asked (isViewer); "" if it cannot say
	viewerKnown bool

	// publishing says a report is being published (Publish), not a phase marked (Mark).
	publishing bool
	// measured is the head commit the report says it measured (provenance.head); "" if it
	// names none.
	measured string
	// externalID is the external id of the check runs it creates (checkRunExternalID).
	externalID string
	// newer caches newerOwner's answer for newerSHA: the run that owns the gate on that
	// commit when it is newer than this one, else 0.
	newer    runOrder
	newerSHA string
	// status0 is the newest status of the gate on statusSHA before this publisher wrote
	// one, once read (statusRead): gateStatus.
	status0    *gh.RepoStatus
	statusSHA  string
	statusRead bool
}

func (p *publisher) run(ctx context.Context, rep *check.Report) error {
	o := p.opts
	if rep == nil {
		return inputErrorf("no report to publish")
	}
	if err := p.defaults(); err != nil {
		return err
	}
	p.publishing = true
	if rep.Provenance != nil {
		p.measured = measuredHead(rep.Provenance.Head)
	}
	var errs []error
	if o.Getenv("GITHUB_ACTIONS") == "true" {
		errs = append(errs, p.actions(rep))
	}
	if o.NoAPI {
		return errors.Join(errs...)
	}
	if err := p.connect(); err != nil {
		return errors.Join(append(errs, err)...)
	}
	errs = append(errs, p.api(ctx, rep))
	return errors.Join(errs...)
}

// connect finds the repository and pull request and makes the API client.
func (p *publisher) connect() error {
	if err := p.target(); err != nil {
		return err
	}
	if p.opts.Token == "" {
		return inputErrorf("no GitHub token: set %s (or name another variable with --token-env)", p.opts.TokenEnv)
	}
	if strings.IndexFunc(p.opts.Token, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
		return inputErrorf("the token is not usable: it contains white space or control characters (check the secret behind %s)", p.opts.TokenEnv)
	}
	return p.newClient()
}

// CheckOptions reports, as an *InputError, what is wrong with the options a caller gave that
// can be told without GitHub: the gate's id, the run URL and the repository's form. A caller
// that publishes after other work (check --publish) calls it first, so that a bad flag is
// an error before the work, not a warning after it.
func CheckOptions(o Options) error {
	if o.ID != "" {
		if err := validID(o.ID); err != nil {
			return &InputError{Err: err}
		}
	}
	if o.RunURL != "" {
		if err := ValidRunURL(o.RunURL); err != nil {
			return &InputError{Err: err}
		}
	}
	if o.Repo != "" {
		if _, _, err := splitRepo(o.Repo); err != nil {
			return err
		}
	}
	return nil
}

// defaults fills the options that do not depend on the pull request.
func (p *publisher) defaults() error {
	o := p.opts
	if o.ID == "" {
		o.ID = defaultID
	}
	if err := CheckOptions(*o); err != nil {
		return err
	}
	if o.Comment == "" {
		o.Comment = CommentAlways
	}
	if _, err := ParseCommentMode(string(o.Comment)); err != nil {
		return &InputError{Err: err}
	}
	if o.AnnotationPath == "" {
		o.AnnotationPath = ".github"
	}
	if o.RunURL == "" && o.Getenv("GITHUB_EVENT_NAME") != "workflow_run" {
		// In a workflow_run workflow the run to link is the one that produced the
		// results; target takes it from the payload.
		o.RunURL = OwnRunURL(o.Getenv)
	}
	if o.Sleep == nil {
		o.Sleep = sleepContext
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxWait <= 0 {
		o.MaxWait = defaultMaxWait
	}
	logf := func(string, ...any) {}
	if o.Verbose {
		logf = func(format string, args ...any) { fmt.Fprintf(o.Stderr, "perfgate: github: "+format+"\n", args...) }
	}
	p.retry = &retrier{sleep: o.Sleep, now: o.Now, maxWait: o.MaxWait, logf: logf}
	return nil
}

// target decides the repository, pull request and commit.
func (p *publisher) target() error {
	o := p.opts
	if path := o.Getenv("GITHUB_EVENT_PATH"); path != "" && (o.PR == 0 || o.SHA == "" || o.VerifyHead) {
		ev, err := ReadEvent(path)
		if err != nil {
			return &InputError{Err: err}
		}
		p.event = ev
	}
	if p.event == nil {
		p.event = &Event{}
	}
	p.event.Name = o.Getenv("GITHUB_EVENT_NAME")
	if o.RunURL == "" {
		o.RunURL = cmp.Or(p.event.RunURL, o.FallbackRunURL, OwnRunURL(o.Getenv))
	}
	repo := o.Repo
	if repo == "" {
		repo = o.Getenv("GITHUB_REPOSITORY")
	}
	if repo == "" {
		return inputErrorf("no repository: set GITHUB_REPOSITORY or pass --repo owner/name")
	}
	owner, name, err := splitRepo(repo)
	if err != nil {
		return err
	}
	p.owner, p.name = owner, name
	p.out.Repo = repo
	// The event's pull request, head and $GITHUB_SHA belong to the event's repository: a
	// --repo naming another one must come with its own --pr or --sha, or perfgate would
	// comment on whatever pull request has the same number there.
	if eventRepo := cmp.Or(p.event.Repo, o.Getenv("GITHUB_REPOSITORY")); eventRepo != "" && !strings.EqualFold(eventRepo, repo) {
		if o.PR == 0 && o.SHA == "" {
			return inputErrorf("--repo %s is not the repository of this workflow's event (%s): pass --pr or --sha of %s as well", repo, eventRepo, repo)
		}
		p.event.PR, p.event.HeadSHA = 0, ""
	}

	p.pr = o.PR
	if p.pr == 0 && !o.VerifyHead && !o.commitOnly {
		p.pr = p.event.PR
	}
	if p.pr < 0 {
		return inputErrorf("pull request number %d is not positive", p.pr)
	}
	p.sha = o.SHA
	if p.sha == "" && !o.VerifyHead && p.pr == p.event.PR {
		// The event's head belongs to the event's pull request only; for another
		// --pr the head is fetched from the API.
		p.sha = p.event.HeadSHA
	}
	if p.sha == "" && p.pr == 0 && !isPullRequestEvent(p.event.Name) {
		p.sha = o.Getenv("GITHUB_SHA")
	}
	if p.sha != "" {
		if _, err := ParseSHA(p.sha); err != nil {
			return &InputError{Err: err}
		}
	}
	if p.pr == 0 && p.sha == "" {
		if p.event.WorkflowRun {
			return inputErrorf("the workflow_run payload names no pull request (GitHub leaves it empty for pull requests from forks): use the two-stage mode (publish --prepare DIR, then publish --from DIR) or pass --pr and --sha")
		}
		return inputErrorf("no pull request or commit to publish to: run on a pull_request event (GITHUB_EVENT_PATH) or pass --pr/--sha")
	}
	if o.VerifyHead {
		if p.pr == 0 || p.sha == "" {
			return inputErrorf("verifying the pull request head needs both a pull request number and a commit SHA")
		}
		// In a workflow_run workflow the payload names the commit the producing run
		// checked out; GitHub wrote it, so it outranks the artifact.
		if p.event.WorkflowRun && p.event.HeadSHA != "" && p.event.HeadSHA != p.sha {
			return inputErrorf("refusing to publish: %s for %s, but the workflow run that produced them ran on %s (workflow_run.head_sha)", p.subject(), bench.ShortCommit(p.sha), bench.ShortCommit(p.event.HeadSHA))
		}
	}
	p.out.PR, p.out.SHA = p.pr, p.sha
	return nil
}

// subject says what the commit being verified stands for in a refusal.
func (p *publisher) subject() string {
	return cmp.Or(p.opts.subject, "the results are")
}

// GitHubSHAIsHead reports whether $GITHUB_SHA is the commit an event named eventName (as
// $GITHUB_EVENT_NAME has it) is about, so that it may stand for the commit measured: not on
// pull request events (a merge commit), issue_comment (the default branch's head) or
// workflow_run (the workflow file's branch). See isPullRequestEvent.
func GitHubSHAIsHead(eventName string) bool {
	return !isPullRequestEvent(eventName)
}

// isPullRequestEvent reports whether $GITHUB_SHA of event name is not the commit to report
// on: a merge commit for pull request events, the default branch's head for issue_comment
// (a "/benchmark" comment on a pull request), the workflow file's branch for workflow_run.
func isPullRequestEvent(name string) bool {
	return name == "pull_request" || name == "pull_request_target" || name == "pull_request_review" ||
		name == "pull_request_review_comment" || name == "workflow_run" || name == "issue_comment"
}

// newClient builds the go-github client: retries below, authentication above, and the
// Enterprise base URL when the API is not api.github.com.
func (p *publisher) newClient() error {
	o := p.opts
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c := *hc
	c.Transport = &retryTransport{base: base, r: p.retry}
	client := gh.NewClient(&c).WithAuthToken(o.Token)
	api := o.APIURL
	if api == "" {
		api = o.Getenv("GITHUB_API_URL")
	}
	if api != "" && strings.TrimRight(api, "/") != publicAPI {
		u, err := url.Parse(api)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return inputErrorf("API URL %q is not an http(s) URL", api)
		}
		upload := u.Scheme + "://" + u.Host + "/api/uploads/"
		if client, err = client.WithEnterpriseURLs(api, upload); err != nil {
			return inputErrorf("API URL %q: %v", api, err)
		}
	}
	p.client = client
	return nil
}

// api does the API calls: verify the head, then status, check run and comment.
func (p *publisher) api(ctx context.Context, rep *check.Report) error {
	return p.writes(ctx,
		func(ctx context.Context) error { return p.status(ctx, rep) },
		func(ctx context.Context) error { return p.checkRun(ctx, rep) },
		func(ctx context.Context) error { return p.comment(ctx, rep) })
}

// writes verifies the head when it must, then does the API writes in order. A permission
// error is only an error with Strict. On a pull request from a fork it stops there, since
// the token is read-only and every other write would be refused too; elsewhere the token
// may lack just one permission (checks: write for --check-run, say), so the other writes,
// the comment among them, are still tried.
func (p *publisher) writes(ctx context.Context, steps ...func(context.Context) error) error {
	o := p.opts
	if o.VerifyHead || p.sha == "" {
		lookedUp := p.sha == ""
		if err := p.resolveHead(ctx); err != nil {
			return err
		}
		if lookedUp && p.publishing {
			if err := p.checkMeasured(ctx); err != nil {
				return err
			}
		}
	}
	var errs []error
	for _, step := range steps {
		err := step(ctx)
		if err == nil {
			continue
		}
		var pe *permissionError
		if errors.As(err, &pe) {
			if p.out.ReadOnly {
				fmt.Fprintf(o.Stderr, "perfgate: warning: %s\n", pe.Error())
			} else {
				fmt.Fprint(o.Stderr, p.permissionHint(pe))
			}
			p.out.ReadOnly = true
			if o.Strict {
				errs = append(errs, err)
			}
			if p.event.Fork() {
				break
			}
			continue
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return errors.Join(errs...)
}

// resolveHead fetches the pull request: to learn its head when no SHA was given, and to
// check that the head is still the given SHA when VerifyHead is set.
func (p *publisher) resolveHead(ctx context.Context) error {
	var pr *gh.PullRequest
	err := p.retry.call(ctx, func() (err error) {
		pr, _, err = p.client.PullRequests.Get(ctx, p.owner, p.name, p.pr)
		return err
	})
	if err != nil {
		return p.apiError(err, "read")
	}
	head := pr.GetHead().GetSHA()
	if p.opts.VerifyHead {
		if head != p.sha {
			return inputErrorf("refusing to publish: %s/%s#%d's head is now %s, but %s for %s (the pull request was updated after the benchmark ran; the newer run publishes its own results)", p.owner, p.name, p.pr, bench.ShortCommit(head), p.subject(), bench.ShortCommit(p.sha))
		}
		// The same commit can be pushed to another fork and benchmarked by that fork's own
		// pull request, whose artifact then names this one: the producing run must have
		// checked out this pull request's head repository (GitHub wrote both). A payload that
		// names none (GitHub's always do) is checked on the commit alone.
		if want := p.event.HeadRepo; p.event.WorkflowRun && want != "" {
			got := pr.GetHead().GetRepo().GetFullName()
			if got == "" {
				return inputErrorf("refusing to publish: %s/%s#%d's head repository is unknown (deleted?), so the workflow run's (%s, workflow_run.head_repository) cannot be shown to be it", p.owner, p.name, p.pr, want)
			}
			if !strings.EqualFold(got, want) {
				return inputErrorf("refusing to publish: %s/%s#%d's head is in %s, but the workflow run that produced the artifact ran on %s (workflow_run.head_repository): another pull request with the same commit", p.owner, p.name, p.pr, got, want)
			}
		}
		return nil
	}
	if _, err := ParseSHA(head); err != nil {
		return fmt.Errorf("%s/%s#%d: the API returned no usable head commit", p.owner, p.name, p.pr)
	}
	p.sha = head
	p.out.SHA = head
	return nil
}

// checkMeasured refuses to publish a report on the pull request's head when that head was
// looked up now (no --sha, and an event without one: issue_comment, a "/benchmark" comment)
// and the report does not show that it measured it. A benchmark takes hours, and a push
// meanwhile makes the head a commit nobody measured: the verdict would pass it (audit). So
// the report's provenance.head must be that commit (or a prefix of at least 7 hex digits);
// a report that names no head (or none that is a commit: measuredHead) is refused as well,
// asking for --sha.
//
// When the head is not the commit measured, or the report names none, and the pull request
// is the event's (the workflow was started for it, not given with --pr), the gate on the
// head is marked error, with a description and banner that say which commit was measured,
// or that it is unknown (markUnmeasured): under the Action a publishing failure is only a
// warning, so without the mark a required check would wait for a status forever, and the
// comment would say "running" forever. Nothing is marked pass, and nothing is written to the
// measured commit, which is no longer the pull request's.
func (p *publisher) checkMeasured(ctx context.Context) error {
	where := fmt.Sprintf("%s/%s#%d", p.owner, p.name, p.pr)
	ours := p.opts.PR == 0 && p.pr == p.event.PR // the event's pull request: its gate is marked
	if p.measured == "" {
		err := inputErrorf("refusing to publish: the report does not say which commit it measured (provenance.head), and %s's head (%s) was looked up only now, so it cannot be shown to be the commit the benchmark ran on: pass --sha with that commit", where, bench.ShortCommit(p.sha))
		if !ours {
			return err
		}
		fmt.Fprintf(p.opts.Stderr, "perfgate: the report names no commit it measured: marking the gate error on %s\n", bench.ShortCommit(p.sha))
		return errors.Join(err, p.markUnmeasured(ctx, ""))
	}
	if sameCommit(p.measured, p.sha) {
		return nil
	}
	measured := bench.ShortCommit(p.measured)
	err := inputErrorf("refusing to publish: %s's head is now %s, but the report measured %q (provenance.head): the pull request was updated since, or the benchmark ran on another commit, and its head was never measured. Run the benchmark again for %s, or pass --sha with the measured commit to publish the verdict there",
		where, bench.ShortCommit(p.sha), measured, bench.ShortCommit(p.sha))
	if !ours {
		return err
	}
	fmt.Fprintf(p.opts.Stderr, "perfgate: %s's head is %s, not %q, the commit measured: marking the gate error on %s\n", where, bench.ShortCommit(p.sha), measured, bench.ShortCommit(p.sha))
	return errors.Join(err, p.markUnmeasured(ctx, measured))
}

// measuredHead returns head, the commit a report says it measured (provenance.head, which
// the JSONL's commit field can set unchecked), lower-cased when it is 7 to 40 hex digits,
// else "": a commit it cannot name is no commit, and never reaches a banner's Markdown.
func measuredHead(head string) string {
	head = strings.ToLower(head)
	if len(head) < 7 || len(head) > 40 || strings.Trim(head, "0123456789abcdef") != "" {
		return ""
	}
	return head
}

// sameCommit reports whether named, a commit as a report names it (full, or abbreviated to
// at least 7 hex digits, any case), is sha, a full lower-case SHA.
func sameCommit(named, sha string) bool {
	named = strings.ToLower(named)
	return len(named) >= 7 && len(named) <= len(sha) && strings.HasPrefix(sha, named)
}

// StatusContext returns the commit status context (and check run name) of gate id.
func StatusContext(id string) string {
	if id == "" || id == defaultID {
		return defaultID
	}
	return defaultID + "/" + id
}

// statusState maps a verdict to a commit status state.
func statusState(verdict check.Verdict) string {
	switch verdict {
	case check.Pass:
		return "success"
	case check.Fail:
		return "failure"
	}
	return "error"
}

// Description returns the one-line verdict used as the status description and check run
// title, cut to GitHub's 140 characters. It counts configs: a config fails when one of its
// decisions does (report.Rows), and only warns when none fails but one is missing or failing.
// The failing configs are counted by what failed, e.g. "3 of 50 configs failing (1 regressed,
// 1 OOM/error, 1 missing)", and the configs whose drop awaits confirmation are suspects to
// re-run, never "within thresholds".
func Description(rep *check.Report) string {
	rows := report.Rows(rep)
	type state struct {
		level  int          // 0 fine, 1 suspect, 2 warned, 3 failing
		failed check.Status // the most severe failing status, when failing
	}
	configs := map[string]state{}
	for i := range rows {
		r := &rows[i]
		st := state{}
		switch d := r.Decider(); {
		case r.Fails:
			st = state{3, d.Status}
		case concerning(d):
			st.level = 2
		case d.Status == check.Suspect && !d.Ignored:
			st.level = 1
		}
		// Rows come worst first, so a config's first failing row is its most severe.
		if old, ok := configs[r.Key]; !ok || st.level > old.level {
			configs[r.Key] = st
		}
	}
	var failing, warn, suspect int
	byStatus := map[check.Status]int{}
	for _, st := range configs {
		switch st.level {
		case 3:
			failing++
			byStatus[st.failed]++
		case 2:
			warn++
		case 1:
			suspect++
		}
	}
	total := len(configs)
	var s string
	switch {
	case rep.Verdict != check.Pass && rep.Verdict != check.Fail:
		s = fmt.Sprintf("perfgate could not decide (verdict %q)", rep.Verdict)
	case failing > 0:
		s = fmt.Sprintf("%d of %d configs failing (%s)", failing, total, failingWords(byStatus))
	case rep.Verdict == check.Fail:
		s = fmt.Sprintf("gate failed: %d of %d configs missing or failing", warn, total)
	case warn > 0:
		s = fmt.Sprintf("%d of %d configs within thresholds; %d more only warned", total-warn-suspect, total, warn)
	case suspect > 0:
		s = fmt.Sprintf("%d of %d configs within thresholds", total-suspect, total)
	default:
		s = fmt.Sprintf("all %d configs within thresholds", total)
	}
	if suspect > 0 && (rep.Verdict == check.Pass || rep.Verdict == check.Fail) {
		s += fmt.Sprintf("; %d suspect, re-run", suspect)
	}
	if utf8.RuneCountInString(s) > maxStatusDescription {
		s = string([]rune(s)[:maxStatusDescription-1]) + "…"
	}
	return s
}

// failingWords says what the failing configs failed by: "2 regressed, 1 OOM/error, 1 missing".
func failingWords(c map[check.Status]int) string {
	var parts []string
	for _, w := range []struct {
		s    check.Status
		word string
	}{{check.Regression, "regressed"}, {check.NewlyFailing, "OOM/error"}, {check.Missing, "missing"}} {
		if c[w.s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c[w.s], w.word))
			delete(c, w.s)
		}
	}
	if other := report.CountWords(c); other != "" { // a newer perfgate's failing status
		parts = append(parts, other)
	}
	return strings.Join(parts, ", ")
}

func (p *publisher) status(ctx context.Context, rep *check.Report) error {
	return p.setStatus(ctx, statusState(rep.Verdict), Description(rep))
}

// setStatus sets the gate's commit status on the head, linked to the run when known, unless
// a newer run owns the gate on the commit (newerOwner).
func (p *publisher) setStatus(ctx context.Context, state, desc string) error {
	if p.skipNewer(ctx, "status") {
		return nil
	}
	context := StatusContext(p.opts.ID)
	st := &gh.RepoStatus{State: gh.String(state), Context: gh.String(context), Description: gh.String(desc)}
	if p.opts.RunURL != "" {
		st.TargetURL = gh.String(p.opts.RunURL)
	}
	err := p.retry.call(ctx, func() error {
		_, _, err := p.client.Repositories.CreateStatus(ctx, p.owner, p.name, p.sha, st)
		return err
	})
	if err != nil {
		return p.apiError(err, "set the commit status on")
	}
	p.out.StatusState, p.out.StatusContext = state, context
	fmt.Fprintf(p.opts.Stdout, "perfgate: status %s %s on %s\n", context, state, bench.ShortCommit(p.sha))
	return nil
}

func (p *publisher) comment(ctx context.Context, rep *check.Report) error {
	o := p.opts
	if o.Comment == CommentNever {
		p.out.Comment = CommentSkipped
		return nil
	}
	if p.pr == 0 {
		p.out.Comment = CommentSkipped
		if p.event.WorkflowRun {
			fmt.Fprintf(o.Stderr, "perfgate: warning: the workflow_run payload names no pull request (GitHub leaves it empty for pull requests from forks), so no comment was posted; use the two-stage mode (publish --prepare DIR, then publish --from DIR)\n")
		}
		return nil
	}
	if p.commentLeftToNewer(ctx) {
		return nil
	}
	body := reportBody(report.Markdown(rep, report.MarkdownOptions{
		ID: o.ID, Chart: true, RunURL: o.RunURL, BaselineURL: o.BaselineURL,
		MaxBytes: maxReportBytes(o.ID),
	}), rep, p.sha, o.ID, p.runID())
	create := o.Comment == CommentAlways || rep.Verdict != check.Pass
	action, c, err := p.upsertComment(ctx, body, create)
	if err != nil {
		return err
	}
	p.out.Comment = action
	if c != nil {
		p.out.CommentID, p.out.CommentURL = c.GetID(), c.GetHTMLURL()
	}
	if action != CommentSkipped {
		fmt.Fprintf(o.Stdout, "perfgate: comment %s on %s/%s#%d %s\n", action, p.owner, p.name, p.pr, p.out.CommentURL)
	}
	if p.out.Superseded != 0 {
		fmt.Fprintf(o.Stdout, "perfgate: the gate now fails: posted a new comment (an edit notifies nobody) and marked comment %d outdated\n", p.out.Superseded)
	}
	return nil
}

// A permissionError is GitHub refusing a write for lack of permission.
type permissionError struct {
	what string
	err  error
}

func (e *permissionError) Error() string { return e.what + ": " + e.err.Error() }
func (e *permissionError) Unwrap() error { return e.err }

// apiError explains a failed call on the pull request: what was tried, on which repository
// and number, and for the common refusals what to do.
func (p *publisher) apiError(err error, verb string) error {
	where := fmt.Sprintf("%s/%s", p.owner, p.name)
	if p.pr != 0 {
		where += fmt.Sprintf("#%d", p.pr)
	} else {
		where += "@" + bench.ShortCommit(p.sha)
	}
	what := fmt.Sprintf("could not %s %s", verb, where)
	var er *gh.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		switch code := er.Response.StatusCode; {
		case code == http.StatusForbidden && strings.Contains(er.Message, "Resource not accessible by"):
			return &permissionError{what: what, err: err}
		case code == http.StatusNotFound:
			return fmt.Errorf("%s: not found (404): check that %s is the repository and %s; a token that cannot read a private repository also gets 404: %w",
				what, p.owner+"/"+p.name, p.numberHint(), err)
		case code == http.StatusUnauthorized:
			return fmt.Errorf("%s: the token was rejected (401): %w", what, err)
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}

func (p *publisher) numberHint() string {
	if p.pr != 0 {
		return fmt.Sprintf("#%d is an open pull request in it", p.pr)
	}
	return fmt.Sprintf("commit %s exists in it", p.sha)
}

// permissionHint is printed when GitHub refuses a write: it says what to change.
func (p *publisher) permissionHint(pe *permissionError) string {
	var b strings.Builder
	fmt.Fprintf(&b, "perfgate: warning: %s\n", pe.Error())
	if p.event.Fork() {
		fmt.Fprintf(&b, "This pull request comes from the fork %s: its workflow token is read-only whatever the workflow's permissions say.\n", orUnknown(p.event.HeadRepo))
	} else {
		b.WriteString("The workflow token may not write here. Give the job these permissions:\n\n" +
			"    permissions:\n" +
			"      contents: read\n" +
			"      pull-requests: write\n" +
			"      statuses: write\n")
		if p.opts.CheckRun {
			b.WriteString("      checks: write\n")
		}
		b.WriteString("\nOn pull requests from forks (and Dependabot) the token is read-only whatever the permissions say.\n")
	}
	b.WriteString("For those, use the two-stage mode: run 'perfgate publish --prepare DIR REPORT.json' in the pull_request\n" +
		"workflow and upload DIR as an artifact, then run 'perfgate publish --from DIR' in a workflow_run workflow\n" +
		"(see the README section on pull requests from forks). Do not use pull_request_target with a checkout of the pull request's code.\n")
	if p.out.Summary || p.out.Annotations > 0 {
		b.WriteString("The job summary and annotations were still written.\n")
	}
	return b.String()
}

func orUnknown(s string) string {
	if s == "" {
		return "(deleted)"
	}
	return s
}

// mayHaveLanded reports whether a failed write may still have been carried out: the server
// failed or the answer was lost.
func mayHaveLanded(err error) bool {
	var er *gh.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode >= 500
	}
	return isTimeout(err)
}
