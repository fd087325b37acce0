package github

import (
	"context"
	"fmt"
	"regexp"
	"strconv"

	gh "github.com/google/go-github/v60/github"

	"github.com/perfgate/perfgate/bench"
)

// A runOrder places a workflow run among others: runs by id (GitHub numbers them in the order
// they are created), then a re-run's attempts, which keep the run id, by attempt.
type runOrder struct{ run, attempt int64 }

func (a runOrder) after(b runOrder) bool {
	return a.run > b.run || a.run == b.run && a.attempt > b.attempt
}

var runIDRE = regexp.MustCompile(`/actions/runs/([0-9]+)(?:/attempts/([0-9]+))?$`)

// parseRunURL returns the run and attempt of a run URL (OwnRunURL: an attempt past the first
// is in the path), or false.
func parseRunURL(u string) (runOrder, bool) {
	m := runIDRE.FindStringSubmatch(u)
	if m == nil {
		return runOrder{}, false
	}
	r := runOrder{attempt: 1}
	var err error
	if r.run, err = strconv.ParseInt(m[1], 10, 64); err != nil || r.run <= 0 {
		return runOrder{}, false
	}
	if m[2] != "" {
		if r.attempt, err = strconv.ParseInt(m[2], 10, 64); err != nil {
			return runOrder{}, false
		}
	}
	return r, true
}

// thisRun is the run whose writes this publisher makes, as its statuses and check runs link
// it: the run URL's (in the two-stage mode the first stage's), else $GITHUB_RUN_ID and
// $GITHUB_RUN_ATTEMPT. False outside Actions.
func (p *publisher) thisRun() (runOrder, bool) {
	if r, ok := parseRunURL(p.opts.RunURL); ok {
		return r, true
	}
	if id := p.runID(); id > 0 {
		r := runOrder{run: id, attempt: 1}
		if n, err := strconv.ParseInt(p.opts.Getenv("GITHUB_RUN_ATTEMPT"), 10, 64); err == nil && n > 1 {
			r.attempt = n
		}
		return r, true
	}
	return runOrder{}, false
}

// newerOwner returns the run that owns the gate on the commit, p.sha, when it is newer than
// this one, else 0; the status and check run are then left alone (skipNewer), as the comment
// is (newerRun). An older run finishing after a newer one published, or marked pending, on
// the same commit (a re-run of an older run keeps its id) overwrote the newer run's status
// and check run: a required check was satisfied by the older pass beside the newer
// failing comment (audit D2).
//
// The owner is the run linked by the newest status of the gate's context on the commit
// (every status perfgate sets links its run: the run URL, with the attempt past the first).
// When that status links no run perfgate can read (no run URL outside Actions), the sticky
// comment's state tells, if it is for this commit: its run, compared as newerRun compares it.
// A commit with no status of the gate, or whose statuses cannot be read, has no newer owner:
// the writes go on, as before, and a comment owned by a newer run is still left alone.
func (p *publisher) newerOwner(ctx context.Context) runOrder {
	if p.newerSHA == p.sha && p.sha != "" {
		return p.newer
	}
	p.newer, p.newerSHA = p.findNewerOwner(ctx), p.sha
	return p.newer
}

func (p *publisher) findNewerOwner(ctx context.Context) runOrder {
	this, ok := p.thisRun()
	if !ok || p.sha == "" {
		return runOrder{}
	}
	st, err := p.gateStatus(ctx)
	if err != nil {
		p.retry.logf("could not read the statuses of %s to see whether a newer run owns the gate (%v); setting the status", bench.ShortCommit(p.sha), err)
		return runOrder{}
	}
	if st == nil {
		return runOrder{}
	}
	if owner, ok := parseRunURL(st.GetTargetURL()); ok {
		if owner.after(this) {
			return owner
		}
		return runOrder{}
	}
	return runOrder{run: p.commentOwner(ctx)}
}

// maxStatusPages bounds the pages of the commit's combined status gateStatus reads: 100
// contexts a page, more than any commit has.
const maxStatusPages = 10

// gateStatus returns the newest status of the gate's context on the commit, p.sha, or nil if
// it has none. The answer is kept for the commit: this publisher's own writes come after.
//
// It reads the combined status, which has the newest status of each context, page by page
// until the gate's appears: the list of all statuses, newest first, hid the gate's behind 100
// that other CI contexts set since, and an older run's pass then overwrote a newer run's
// failure (review).
func (p *publisher) gateStatus(ctx context.Context) (*gh.RepoStatus, error) {
	if p.statusRead && p.statusSHA == p.sha {
		return p.status0, nil
	}
	context := StatusContext(p.opts.ID)
	opts := &gh.ListOptions{PerPage: 100}
	var found *gh.RepoStatus
	var combined *gh.CombinedStatus
	truncated, err := p.pages(ctx, opts, maxStatusPages, func() (resp *gh.Response, err error) {
		combined, resp, err = p.client.Repositories.GetCombinedStatus(ctx, p.owner, p.name, p.sha, opts)
		return resp, err
	}, func() bool {
		for _, st := range combined.Statuses {
			if st.GetContext() == context && (found == nil || st.GetID() > found.GetID()) {
				found = st
			}
		}
		return found == nil
	})
	if err != nil {
		return nil, err
	}
	if truncated {
		p.retry.logf("the gate's status is not among the first %d contexts of %s; taking it as unset", maxStatusPages*opts.PerPage, bench.ShortCommit(p.sha))
	}
	p.status0, p.statusSHA, p.statusRead = found, p.sha, true
	return p.status0, nil
}

// commentOwner returns the run that owns the sticky comment when it is for this commit and
// newer than this run (newerRun), else 0.
func (p *publisher) commentOwner(ctx context.Context) int64 {
	if p.pr == 0 {
		return 0
	}
	found, err := p.findComment(ctx, Marker(p.opts.ID))
	if err != nil || found == nil {
		return 0
	}
	if c := parseSticky(found.GetBody(), p.opts.ID); c.state.SHA != p.sha {
		return 0
	}
	return newerRun(found.GetBody(), p.opts.ID, p.runID())
}

// skipNewer reports whether a newer run owns the gate on the commit, saying on Stderr that
// what (the status, the check run) is left alone.
func (p *publisher) skipNewer(ctx context.Context, what string) bool {
	newer := p.newerOwner(ctx)
	if newer.run == 0 {
		return false
	}
	p.out.NewerRun = newer.run
	run := fmt.Sprintf("run %d", newer.run)
	if newer.attempt > 1 {
		run += fmt.Sprintf(" (attempt %d)", newer.attempt)
	}
	fmt.Fprintf(p.opts.Stderr, "perfgate: %s left alone on %s: %s, newer than this one, owns the gate there\n", what, bench.ShortCommit(p.sha), run)
	return true
}

// commentLeftToNewer reports whether a newer run (or a later attempt of this one, which the
// comment's own state cannot tell apart: newerRun) owns the gate on the commit, so that the
// comment, like the status, is left to it. It asks only when the status step has (the answer
// is kept per commit): it never costs a request of its own.
func (p *publisher) commentLeftToNewer(ctx context.Context) bool {
	if p.newerSHA != p.sha || p.newer.run == 0 {
		return false
	}
	p.out.Comment = CommentSkipped
	fmt.Fprintf(p.opts.Stdout, "perfgate: comment left alone: run %d, newer than this one, owns the gate on %s\n", p.newer.run, bench.ShortCommit(p.sha))
	return true
}
