// Package github publishes a perfgate report to GitHub: a sticky pull request comment, a
// commit status on the pull request's head commit, an optional check run with annotations,
// and, inside GitHub Actions, the job summary, workflow-command annotations and step outputs.
//
// Publish is the single entry point; both "perfgate publish" and "perfgate check --publish"
// call it. It never changes the gate's verdict: it reports what it could not publish as an
// error (the CLI exits 3 for it, 2 for an [InputError]), except that a read-only token
// (pull requests from forks) is only a warning unless [Options].Strict is set.
//
// Pull requests from forks get a read-only token in the pull_request workflow. The
// two-stage mode handles them: [PrepareArtifact] writes the report, the pull request number and its
// head SHA to a directory that the pull_request workflow uploads as an artifact, and
// [LoadArtifact] reads that directory back, as untrusted input, in a workflow_run workflow
// that has a write token. Publish with [Options].VerifyHead then refuses to publish unless the
// pull request's current head is still the artifact's commit.
//
// [Mark] publishes the gate's lifecycle around the verdict: [PhasePending] at job start
// (status pending, a "running" banner above the sticky comment's previous report) and
// [PhaseError] when the job failed or was cancelled before a verdict (status error, the
// comment marked stale). The sticky comment records its state in a hidden line, so Publish
// removes the banner again and, when the gate turns from pass to fail, posts a new comment
// (an edit notifies nobody) and marks the old one outdated. Artifacts of the two-stage mode
// also carry the gate id and the first stage's run URL, which the second stage links to.
//
// The package talks to the REST API through go-github v60 and retries server errors, time-outs
// and rate limits itself (v60 reports a 429 as a plain error and remembers secondary rate
// limits client-side). The token never appears in anything it writes or returns.
package github
