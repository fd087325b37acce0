package github

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// An InputError reports a problem with what Publish or LoadArtifact was given (options,
// environment, event payload, artifact) rather than a failure to reach GitHub. Nothing was
// published. The CLI exits 2 for it.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

func inputErrorf(format string, args ...any) error {
	return &InputError{Err: fmt.Errorf(format, args...)}
}

// IsInputError reports whether err is, or wraps, an *InputError.
func IsInputError(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}

// maxEventBytes caps the event payload read from GITHUB_EVENT_PATH; real payloads are far
// smaller (webhook payloads are capped at 25 MB).
const maxEventBytes = 32 << 20

// An Event is the part of a GitHub Actions event payload that publishing needs.
type Event struct {
	Name        string // GITHUB_EVENT_NAME, if known
	PR          int    // pull request number, or 0
	HeadSHA     string // the pull request's head commit (not the merge commit), or ""
	HeadRepo    string // pull_request.head.repo.full_name ("" if the fork was deleted), or workflow_run.head_repository.full_name
	BaseRepo    string // pull_request.base.repo.full_name
	Repo        string // repository.full_name: the repository the event is about; "" if absent
	WorkflowRun bool   // the payload is a workflow_run event
	RunURL      string // workflow_run.html_url when it is a valid run URL, else ""
}

// Fork reports whether the event is a pull request from another repository, whose token is
// read-only in pull_request workflows.
func (e *Event) Fork() bool {
	return e.PR != 0 && !e.WorkflowRun && e.BaseRepo != "" && !strings.EqualFold(e.HeadRepo, e.BaseRepo)
}

type pullPayload struct {
	Number int `json:"number"`
	Head   struct {
		SHA  string `json:"sha"`
		Repo *struct {
			FullName string `json:"full_name"`
		} `json:"repo"`
	} `json:"head"`
	Base struct {
		Repo *struct {
			FullName string `json:"full_name"`
		} `json:"repo"`
	} `json:"base"`
}

// ReadEvent reads the event payload at path. It understands pull_request and
// pull_request_target payloads (pull_request.number, pull_request.head.sha), workflow_run
// payloads (workflow_run.pull_requests[0].number, workflow_run.head_sha) and issue_comment
// payloads on a pull request (issue.number; they name no head commit). A payload of another
// kind yields an Event with no pull request.
func ReadEvent(path string) (*Event, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxEventBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxEventBytes {
		return nil, fmt.Errorf("%s: event payload is larger than %d bytes", path, maxEventBytes)
	}
	ev, err := parseEvent(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return ev, nil
}

func parseEvent(data []byte) (*Event, error) {
	var p struct {
		Repository *struct {
			FullName string `json:"full_name"`
		} `json:"repository"`
		Number      int          `json:"number"`
		PullRequest *pullPayload `json:"pull_request"`
		WorkflowRun *struct {
			HeadSHA      string        `json:"head_sha"`
			HTMLURL      string        `json:"html_url"`
			RunAttempt   int           `json:"run_attempt"`
			PullRequests []pullPayload `json:"pull_requests"`
			// head_repository: the repository the producing run checked out (a fork's)
			HeadRepository *struct {
				FullName string `json:"full_name"`
			} `json:"head_repository"`
		} `json:"workflow_run"`
		// issue_comment: issue.pull_request is present when the issue is a pull request.
		Issue *struct {
			Number      int             `json:"number"`
			PullRequest json.RawMessage `json:"pull_request"`
		} `json:"issue"`
	}
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("invalid event payload: %v", err)
	}
	ev := &Event{}
	if p.Repository != nil {
		ev.Repo = p.Repository.FullName
	}
	switch {
	case p.PullRequest != nil:
		ev.PR = p.PullRequest.Number
		if ev.PR == 0 {
			ev.PR = p.Number
		}
		ev.HeadSHA = p.PullRequest.Head.SHA
		if r := p.PullRequest.Head.Repo; r != nil {
			ev.HeadRepo = r.FullName
		}
		if r := p.PullRequest.Base.Repo; r != nil {
			ev.BaseRepo = r.FullName
			if ev.Repo == "" {
				ev.Repo = r.FullName
			}
		}
	case p.WorkflowRun != nil:
		ev.WorkflowRun = true
		ev.HeadSHA = p.WorkflowRun.HeadSHA
		if r := p.WorkflowRun.HeadRepository; r != nil {
			ev.HeadRepo = r.FullName
		}
		if u := withAttempt(p.WorkflowRun.HTMLURL, strconv.Itoa(p.WorkflowRun.RunAttempt)); ValidRunURL(u) == nil {
			ev.RunURL = u
		}
		if len(p.WorkflowRun.PullRequests) > 0 {
			ev.PR = p.WorkflowRun.PullRequests[0].Number
		}
	case p.Issue != nil && len(p.Issue.PullRequest) > 0 && string(p.Issue.PullRequest) != "null":
		ev.PR = p.Issue.Number
	}
	return ev, nil
}

var (
	repoRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
	shaRE  = regexp.MustCompile(`^(?:[0-9a-f]{40}|[0-9a-f]{64})$`)
	prRE   = regexp.MustCompile(`^[1-9][0-9]{0,9}$`)
)

// splitRepo splits "owner/name".
func splitRepo(repo string) (owner, name string, err error) {
	if !repoRE.MatchString(repo) {
		return "", "", inputErrorf("repository %q is not of the form owner/name", repo)
	}
	owner, name, _ = strings.Cut(repo, "/")
	return owner, name, nil
}

// ParsePR parses a pull request number strictly: decimal digits, no sign, no leading zero.
func ParsePR(s string) (int, error) {
	if !prRE.MatchString(s) {
		return 0, fmt.Errorf("pull request number %q is not a positive decimal number", truncateForError(s))
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > 1<<31-1 {
		return 0, fmt.Errorf("pull request number %q is out of range", s)
	}
	return n, nil
}

// ParseSHA checks that s is a full commit SHA in lower-case hex (SHA-1 or SHA-256).
func ParseSHA(s string) (string, error) {
	if !shaRE.MatchString(s) {
		return "", fmt.Errorf("commit %q is not a full lower-case hex SHA", truncateForError(s))
	}
	return s, nil
}

func truncateForError(s string) string {
	const n = 60
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
