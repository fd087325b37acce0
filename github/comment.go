package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	gh "github.com/google/go-github/v60/github"
)

// MaxCommentBytes is the size perfgate keeps a comment body under. GitHub refuses bodies of
// 65,536 characters or more; counting bytes is safe whatever unit GitHub counts in.
const MaxCommentBytes = 65000

// Marker returns the hidden HTML comment that identifies the sticky comment of gate id.
func Marker(id string) string {
	return "<!-- perfgate:" + id + " -->"
}

// A CommentMode says when Publish posts the sticky comment.
type CommentMode string

// The comment modes.
const (
	// CommentAlways creates or edits the comment on every run.
	CommentAlways CommentMode = "always"
	// CommentOnFailure creates the comment only when the gate fails, but still edits an
	// existing comment, so that a comment that reported a failure turns green once fixed.
	CommentOnFailure CommentMode = "on-failure"
	// CommentNever leaves comments alone.
	CommentNever CommentMode = "never"
)

// ParseCommentMode parses "always", "on-failure" or "never".
func ParseCommentMode(s string) (CommentMode, error) {
	switch m := CommentMode(s); m {
	case CommentAlways, CommentOnFailure, CommentNever:
		return m, nil
	}
	return "", fmt.Errorf("comment mode %q: want always, on-failure or never", s)
}

// What Publish did with the comment.
const (
	CommentCreated   = "created"
	CommentEdited    = "edited"
	CommentUnchanged = "unchanged" // the comment already had this body
	CommentSkipped   = "skipped"   // the mode asked for no comment
)

// findComment returns the last comment on the pull request that carries marker, looking
// through every page. A comment that GitHub says an outsider wrote is passed over with a
// warning (see mayBeSticky).
func (p *publisher) findComment(ctx context.Context, marker string) (*gh.IssueComment, error) {
	opts := &gh.IssueListCommentsOptions{ListOptions: gh.ListOptions{PerPage: 100}}
	var found *gh.IssueComment
	var cs []*gh.IssueComment
	_, err := p.pages(ctx, &opts.ListOptions, 0, func() (resp *gh.Response, err error) {
		cs, resp, err = p.client.Issues.ListComments(ctx, p.owner, p.name, p.pr, opts)
		return resp, err
	}, func() bool {
		for _, c := range cs {
			if !strings.Contains(c.GetBody(), marker) {
				continue
			}
			if !mayBeSticky(c) && !p.isViewer(ctx, c.GetUser().GetLogin()) {
				fmt.Fprintf(p.opts.Stderr, "perfgate: warning: ignoring comment %d by %s: it carries the %s marker, but its author is not a bot and has no write access (author_association %s), so it is not perfgate's comment\n",
					c.GetID(), orUnknown(c.GetUser().GetLogin()), marker, c.GetAuthorAssociation())
				continue
			}
			found = c
		}
		return true
	})
	if err != nil {
		return nil, p.apiError(err, "list comments of")
	}
	return found, nil
}

// editComment replaces the body of comment id, retrying as every call does.
func (p *publisher) editComment(ctx context.Context, id int64, body string) (*gh.IssueComment, error) {
	var out *gh.IssueComment
	err := p.retry.call(ctx, func() (err error) {
		out, _, err = p.client.Issues.EditComment(ctx, p.owner, p.name, id, &gh.IssueComment{Body: gh.String(body)})
		return err
	})
	return out, err
}

// upsertComment creates or edits the sticky comment. create says whether a missing comment
// may be created. A create whose answer was lost (a server error or time-out) is not sent
// again blindly: the comments are listed again, so the comment is never posted twice. That
// listing also follows the last create (maxCreates, or no budget left for a wait), so that a
// create that landed is adopted rather than handed to createFailed; when the listing fails,
// the error says the comment's state on GitHub is unknown.
func (p *publisher) upsertComment(ctx context.Context, body string, create bool) (action string, c *gh.IssueComment, err error) {
	marker := Marker(p.opts.ID)
	// replaced is the comment that showed a pass, when the gate now fails and a new comment
	// replaces it. If creating the new one failed but went through after all, the comment
	// found on the next look is the new one, and replaced is marked outdated then.
	var replaced *gh.IssueComment
	supersede := func(current *gh.IssueComment) {
		if replaced != nil && current != nil && current.GetID() != replaced.GetID() {
			p.supersede(ctx, replaced, current)
		}
	}
	// createErr is the error of the last create when it may have gone through all the same:
	// the next listing tells. last says that no create follows that listing.
	var createErr error
	last := false
	for attempt := 1; ; attempt++ {
		found, err := p.findComment(ctx, marker)
		if err != nil {
			if createErr != nil {
				return "", nil, fmt.Errorf("%w; it may have been created all the same, and listing the comments again failed too (%v): the comment's state on GitHub is unknown",
					p.apiError(createErr, "create the perfgate comment on"), err)
			}
			return "", nil, err
		}
		if found != nil {
			if newer := newerRun(found.GetBody(), p.opts.ID, p.runID()); newer != 0 {
				fmt.Fprintf(p.opts.Stdout, "perfgate: comment left alone: run %d, newer than this one, owns it\n", newer)
				return CommentSkipped, nil, nil
			}
		}
		flip := found != nil && flipsToFail(found.GetBody(), body, p.opts.ID)
		if found != nil && !flip {
			if found.GetBody() == body {
				supersede(found)
				return CommentUnchanged, found, nil
			}
			out, err := p.editComment(ctx, found.GetID(), body)
			if isNotFound(err) && attempt < 3 {
				// Deleted since it was listed: look again, and create it if it is gone.
				p.retry.logf("comment %d is gone (404); listing comments again", found.GetID())
				continue
			}
			if err != nil {
				return "", nil, p.apiError(err, "edit the perfgate comment on")
			}
			supersede(out)
			return CommentEdited, out, nil
		}
		if !create {
			return CommentSkipped, nil, nil
		}
		if last {
			// The comments listed after the last create do not show it: it did not land.
			return p.createFailed(ctx, found, flip, body, fmt.Errorf("%w (listed again: it was not created)", createErr))
		}
		var out *gh.IssueComment
		err = p.retry.call(ctx, func() (err error) {
			out, _, err = p.client.Issues.CreateComment(withoutServerRetry(ctx), p.owner, p.name, p.pr, &gh.IssueComment{Body: gh.String(body)})
			return err
		})
		if flip {
			replaced = found
		}
		if err == nil {
			supersede(out)
			return CommentCreated, out, nil
		}
		if !mayHaveLanded(err) || ctx.Err() != nil {
			return p.createFailed(ctx, found, flip, body, err)
		}
		createErr = err
		wait := firstBackoff << (attempt - 1)
		if attempt >= maxCreates || !p.retry.reserve(wait) {
			// No create follows, but the comment may have been created: without this last
			// look, createFailed would edit the pass comment into a second failing comment.
			last = true
			p.retry.logf("creating the comment failed (%v); listing comments again", err)
			continue
		}
		p.retry.logf("creating the comment failed (%v); listing comments again in %v", err, wait)
		if err := p.retry.sleep(ctx, wait); err != nil {
			return "", nil, err
		}
	}
}

// createFailed handles a comment that could not be created (err): refused, or known from a
// listing after it not to have landed (upsertComment). When it was to replace a
// comment showing a pass (flip, found), that comment is edited to show the failing report
// instead: left as it was, the pull request showed a current-looking pass beside a failing
// status (audit). The edit notifies nobody, which a warning says; the error is returned when
// the edit fails too.
func (p *publisher) createFailed(ctx context.Context, found *gh.IssueComment, flip bool, body string, err error) (string, *gh.IssueComment, error) {
	createErr := p.apiError(err, "create the perfgate comment on")
	if !flip || found == nil {
		return "", nil, createErr
	}
	out, eerr := p.editComment(ctx, found.GetID(), body)
	if eerr != nil {
		return "", nil, createErr
	}
	fmt.Fprintf(p.opts.Stderr, "perfgate: warning: %v; the comment that showed a pass now shows the failing report instead (edited, so nobody was notified)\n", createErr)
	return CommentEdited, out, nil
}

// mayBeSticky reports whether c may be the sticky comment perfgate posted earlier. The
// marker is a hidden line that anyone can paste into a comment of their own; perfgate would
// then edit that comment, whose author can edit it back to any verdict, and leave its own
// comment stale. So a comment GitHub says was written by someone without write access to
// the repository (author_association NONE, CONTRIBUTOR, FIRST_TIMER,
// FIRST_TIME_CONTRIBUTOR or MANNEQUIN) counts only when its author is a bot (type Bot):
// github-actions[bot] for GITHUB_TOKEN, or a GitHub App's bot. Owners, members and
// collaborators (a personal token's owner) count, and so does a comment whose author the
// API does not describe.
//
// The token's own comments always count (see isViewer): a personal token's owner whose
// organization membership is private can show as CONTRIBUTOR.
func mayBeSticky(c *gh.IssueComment) bool {
	switch c.GetAuthorAssociation() {
	case "NONE", "CONTRIBUTOR", "FIRST_TIMER", "FIRST_TIME_CONTRIBUTOR", "MANNEQUIN":
		return c.GetUser().GetType() == "Bot"
	}
	return true
}

// isNotFound reports whether err is GitHub answering 404.
func isNotFound(err error) bool {
	var er *gh.ErrorResponse
	return errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound
}

// isViewer reports whether login is the user the token acts as. It asks GitHub once (GET
// /user), and only when a marked comment by an apparent outsider turns up; an installation
// token such as GITHUB_TOKEN cannot ask and is a bot anyway, so a failure means no.
func (p *publisher) isViewer(ctx context.Context, login string) bool {
	if login == "" {
		return false
	}
	if !p.viewerKnown {
		p.viewerKnown = true
		var u *gh.User
		err := p.retry.call(ctx, func() (err error) {
			u, _, err = p.client.Users.Get(ctx, "")
			return err
		})
		if err == nil {
			p.viewer = u.GetLogin()
		}
	}
	return p.viewer != "" && strings.EqualFold(p.viewer, login)
}
