package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/perfgate/perfgate/check"
	"github.com/perfgate/perfgate/github"
)

// publishFlags are the flags that say where and how to publish. check --publish can
// register the same set.
type publishFlags struct {
	repo     string
	pr       int
	sha      string
	apiURL   string
	tokenEnv string
	id       string
	comment  string
	checkRun bool
	strict   bool
	verbose  bool
	runURL   string
}

func (f *publishFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.repo, "repo", "", "repository as owner/name (default: $GITHUB_REPOSITORY)")
	fs.IntVar(&f.pr, "pr", 0, "pull request number (default: from the event at $GITHUB_EVENT_PATH)")
	fs.StringVar(&f.sha, "sha", "", "commit for the status: the pull request's head (default: pull_request.head.sha from the event, never the merge commit $GITHUB_SHA)")
	fs.StringVar(&f.apiURL, "api-url", "", "REST API root (default: $GITHUB_API_URL, else https://api.github.com; others are GitHub Enterprise Server)")
	fs.StringVar(&f.tokenEnv, "token-env", "GITHUB_TOKEN", "name of the environment variable that holds the token")
	fs.StringVar(&f.id, "id", "perfgate", "gate id: names the sticky comment (<!-- perfgate:ID -->) and the status context (perfgate/ID)")
	fs.StringVar(&f.comment, "comment", "always", "when to post the sticky comment: always, on-failure (still edits an existing one back to green) or never")
	fs.BoolVar(&f.checkRun, "check-run", false, "also create a check run with annotations (needs checks: write)")
	fs.BoolVar(&f.strict, "strict", false, "a token that may not write (pull requests from forks) is a publishing failure, not a warning: publish exits 3 (check --publish only warns, whatever failed)")
	fs.BoolVar(&f.verbose, "verbose", false, "log every API request and retry to stderr")
	fs.StringVar(&f.runURL, "run-url", "", "workflow run to link (default: the run that produced the results: workflow_run.html_url, the artifact's run-url, else this run)")
	setGroup(fs, groupPublishing, "repo", "pr", "sha", "api-url", "token-env", "id", "comment", "check-run", "strict", "verbose", "run-url")
}

// options turns the flags into github.Options wired to s.
func (f *publishFlags) options(s *Streams) (github.Options, error) {
	mode, err := github.ParseCommentMode(f.comment)
	if err != nil {
		return github.Options{}, fmt.Errorf("--comment: %w", err)
	}
	if f.pr < 0 {
		return github.Options{}, fmt.Errorf("--pr %d: want a positive number", f.pr)
	}
	if f.sha != "" {
		if _, err := github.ParseSHA(f.sha); err != nil {
			return github.Options{}, fmt.Errorf("--sha: %w", err)
		}
	}
	if f.tokenEnv == "" {
		return github.Options{}, errors.New("--token-env: want a variable name")
	}
	// The rest of what can be told without GitHub (--id, --run-url, --repo), so that check
	// --publish refuses a bad flag before it checks, as publish does, rather than warn after.
	if err := github.CheckOptions(github.Options{ID: f.id, RunURL: f.runURL, Repo: f.repo}); err != nil {
		return github.Options{}, err
	}
	return github.Options{
		Repo:     f.repo,
		PR:       f.pr,
		SHA:      f.sha,
		APIURL:   f.apiURL,
		TokenEnv: f.tokenEnv,
		ID:       f.id,
		Comment:  mode,
		CheckRun: f.checkRun,
		Strict:   f.strict,
		Verbose:  f.verbose,
		RunURL:   f.runURL,
		Getenv:   s.Getenv,
		Stdout:   s.Out,
		Stderr:   s.ErrOut,
	}, nil
}

// publishError maps an error from github.Publish to perfgate's exit codes: 2 for bad input
// (nothing was published), 3 for anything that could not be published.
func publishError(err error) error {
	if err == nil {
		return nil
	}
	if github.IsInputError(err) {
		return inputError(err)
	}
	if errors.Is(err, context.Canceled) {
		return internalError(err)
	}
	return internalError(fmt.Errorf("publishing to GitHub: %w", err))
}

// publishOptions are the inputs of "perfgate publish".
type publishOptions struct {
	flags   publishFlags
	prepare string // first stage: write the artifact to this directory
	from    string // second stage: publish the artifact in this directory
	report  string // REPORT.json, or "-" for standard input
	idSet   bool   // --id was given
	pending bool   // lifecycle: the gate started
	failed  bool   // lifecycle: the job ended without a verdict (--error)
}

func newPublishCmd(s *Streams) *cobra.Command {
	o := &publishOptions{}
	cmd := &cobra.Command{
		Use:   "publish [flags] REPORT.json | --prepare DIR REPORT.json | [--error] --from DIR",
		Short: "Publish a check report to GitHub: sticky PR comment, commit status, job summary",
		Long: `publish reads the JSON report of 'perfgate check --format json' and publishes it to the
pull request: one sticky comment per gate id (edited in place on every rerun), a commit status
on the pull request's head commit, and with --check-run a check run with annotations. Inside
GitHub Actions it also writes the job summary, ::error:: annotations for failing results and
the step outputs verdict, regressions and report.

Everything is read from the Actions environment (GITHUB_REPOSITORY, GITHUB_EVENT_PATH,
GITHUB_API_URL, GITHUB_TOKEN); flags override it.

Publishing never changes the gate's verdict: publish exits 0 once it has published and 3 if
it could not. A token that may not write (403 "Resource not accessible by integration", as on
pull requests from forks) is a warning with the fix, and exit 0, unless --strict.

Pull requests from forks get a read-only token, so publish in two stages:

  # in the pull_request workflow (read-only token); upload DIR as an artifact
  perfgate publish --prepare DIR REPORT.json
  # in a workflow_run workflow (write token), after downloading the artifact to DIR
  perfgate publish --from DIR
  # in the same workflow_run workflow, when stage 1 left no artifact or --from failed
  perfgate publish --error --from DIR

--from treats the artifact as untrusted: it checks sizes, the report and the pull request
number and SHA, and refuses (exit 2) unless the pull request's head is still the artifact's
commit. --error --from marks the gate error on that pull request and commit under the same
checks (a head that moved on: exit 2, nothing posted); with no usable artifact it marks only
the commit the workflow run was for (workflow_run.head_sha) and touches no comment. Never
use pull_request_target with a checkout of the pull request's code.

The lifecycle around the verdict, for a job that runs the benchmark itself:

  perfgate publish --pending   # at job start: status pending, "running" note on the comment
  perfgate publish --error     # if the job failed or was cancelled: status error, comment stale

Neither creates a comment; the previous report stays readable below the note. When the gate
turns from pass to fail, publish posts a new comment (an edit notifies nobody) and marks the
old one outdated.

Exit codes: 0 published (or only warned), 2 usage or input error, 3 could not publish.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case o.pending && o.failed:
				return inputError(errors.New("--pending and --error mark different phases; use one"))
			case o.failed && o.from != "" && len(args) == 0 && o.prepare == "":
				o.idSet = cmd.Flags().Changed("id")
				return runMark(cmd.Context(), s, o)
			case (o.pending || o.failed) && (len(args) != 0 || o.from != "" || o.prepare != ""):
				return inputError(errors.New("--pending and --error publish no report; give no REPORT.json or --prepare (--error takes --from DIR: the artifact names the pull request)"))
			case o.pending || o.failed:
				return runMark(cmd.Context(), s, o)
			case o.from != "" && o.prepare != "":
				return inputError(errors.New("--prepare and --from are the two stages; use one"))
			case o.from != "" && len(args) != 0:
				return inputError(errors.New("--from DIR reads the report from DIR; give no REPORT.json"))
			case o.from == "" && len(args) != 1:
				return inputError(fmt.Errorf("want one REPORT.json (the output of 'perfgate check --format json'), got %d arguments", len(args)))
			}
			if len(args) == 1 {
				o.report = args[0]
			}
			o.idSet = cmd.Flags().Changed("id")
			return runPublish(cmd.Context(), s, o)
		},
	}
	fs := cmd.Flags()
	o.flags.register(fs)
	fs.StringVar(&o.prepare, "prepare", "", "first stage of the fork-safe mode: write report.json, pr and sha to `DIR` for upload as an artifact")
	fs.StringVar(&o.from, "from", "", "second stage: publish the artifact downloaded to `DIR`, after checking it (with --error: mark the gate error on the pull request and commit it names, if still the head)")
	fs.BoolVar(&o.pending, "pending", false, "at job start: set the status to pending and put a \"running\" note above the sticky comment's previous report")
	fs.BoolVar(&o.failed, "error", false, "when the job failed or was cancelled before a verdict: set the status to error and mark the sticky comment stale")
	return cmd
}

func runPublish(ctx context.Context, s *Streams, o *publishOptions) error {
	opts, err := o.flags.options(s)
	if err != nil {
		return inputError(err)
	}
	var rep *check.Report
	switch {
	case o.from != "":
		if o.flags.pr != 0 || o.flags.sha != "" {
			return inputError(errors.New("--from takes the pull request and commit from the artifact; do not pass --pr or --sha"))
		}
		a, err := github.LoadArtifact(o.from)
		if err != nil {
			return inputError(err)
		}
		rep = a.Report
		opts.PR, opts.SHA, opts.VerifyHead = a.PR, a.SHA, true
		opts.FallbackRunURL = a.RunURL
		if a.ID != "" && !o.idSet {
			opts.ID = a.ID
		}
	default:
		if rep, err = readReport(s, o.report); err != nil {
			return inputError(err)
		}
	}
	if o.prepare != "" {
		return prepare(ctx, s, o, rep, opts)
	}
	_, err = github.Publish(ctx, rep, opts)
	return publishError(err)
}

// prepare writes the first-stage artifact, then what needs no token (job summary,
// annotations and outputs inside Actions).
func prepare(ctx context.Context, s *Streams, o *publishOptions, rep *check.Report, opts github.Options) error {
	pr, sha := opts.PR, opts.SHA
	if path := s.Getenv("GITHUB_EVENT_PATH"); path != "" && (pr == 0 || sha == "") {
		ev, err := github.ReadEvent(path)
		if err != nil {
			return inputError(err)
		}
		if pr == 0 {
			pr = ev.PR
		}
		if sha == "" {
			sha = ev.HeadSHA
		}
	}
	if pr == 0 || sha == "" {
		return inputError(errors.New("--prepare: no pull request in the event payload (GITHUB_EVENT_PATH); run it in a pull_request workflow or pass --pr and --sha"))
	}
	runURL := opts.RunURL
	if runURL == "" {
		runURL = github.OwnRunURL(s.Getenv)
	}
	// The job summary and annotations first: they show the verdict in this run even when
	// the artifact cannot be written.
	opts.NoAPI = true
	_, perr := github.Publish(ctx, rep, opts)
	if err := github.PrepareArtifact(o.prepare, &github.Artifact{Report: rep, PR: pr, SHA: sha, ID: opts.ID, RunURL: runURL}); err != nil {
		return inputError(fmt.Errorf("--prepare: %w", err))
	}
	fmt.Fprintf(s.Out, "perfgate: wrote %s for pull request #%d at %s; upload it as an artifact and run 'perfgate publish --from DIR' in a workflow_run workflow\n",
		filepath.Join(o.prepare, github.ArtifactReport), pr, sha)
	return publishError(perr)
}

// readReport reads and validates a JSON report from path, or from standard input for "-".
func readReport(s *Streams, path string) (*check.Report, error) {
	var data []byte
	var err error
	name := path
	if path == "-" {
		name = "<stdin>"
		const limit = 40 << 20 // as before github.MaxReportBytes rose from 5 to 32 MiB
		data, err = io.ReadAll(io.LimitReader(s.In, limit+1))
		if err == nil && len(data) > limit {
			return nil, fmt.Errorf("%s: the report is larger than %d MiB; write it to a file and pass its name", name, limit>>20)
		}
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, err
	}
	return github.DecodeReport(name, data)
}

// runMark publishes a lifecycle phase: --pending at job start, --error when the job ended
// without a verdict; --error --from DIR in the fork pair's second stage, when the first
// stage left no report to publish.
func runMark(ctx context.Context, s *Streams, o *publishOptions) error {
	opts, err := o.flags.options(s)
	if err != nil {
		return inputError(err)
	}
	if o.from != "" {
		if o.flags.pr != 0 || o.flags.sha != "" {
			return inputError(errors.New("--error --from takes the pull request and commit from the artifact, else from the workflow_run payload; do not pass --pr or --sha"))
		}
		if !o.idSet {
			opts.ID = "" // the artifact's id, else the default
		}
		_, err = github.MarkFromArtifact(ctx, o.from, opts)
		return publishError(err)
	}
	phase := github.PhasePending
	if o.failed {
		phase = github.PhaseError
	}
	_, err = github.Mark(ctx, phase, opts)
	return publishError(err)
}
