package report

import (
	"fmt"
	"strings"

	"github.com/perfgate/perfgate/bench"
)

// The words of the publishing lifecycle (perfgate publish --pending and --error). The
// github package places them around the report it already posted; these functions only say
// what they mean. sha and runURL are trusted values (a validated commit SHA and a URL
// without spaces or parentheses); prevSHA may be empty when the earlier report did not
// record its commit.

// PendingBanner is put above the previous report while a new run is in progress, so the
// reviewer sees that the verdict below is not yet for the new head.
func PendingBanner(sha, prevSHA, runURL string) string {
	return banner(fmt.Sprintf("> ⏳ **perfgate is running** for %s%s.", shortSHA(sha), runLink(runURL)), sha, prevSHA,
		" The report below is for the earlier commit %s.",
		" The report below is from the previous run.")
}

// StaleBanner is put above the previous report when the run for sha failed or was
// cancelled before perfgate reported: the report below is no verdict on sha.
func StaleBanner(sha, prevSHA, runURL string) string {
	return banner(fmt.Sprintf("> ⚠️ **Stale: the perfgate run for %s did not finish** (the job failed or was cancelled)%s.", shortSHA(sha), runLink(runURL)), sha, prevSHA,
		" The report below is for the earlier commit %s, not for the head of this pull request.",
		" The report below is from an earlier run and may not match the current head.")
}

// banner ends head with what the report below is for: the earlier commit prevSHA (put in
// earlier's %s) when it is known and not sha, else the words same.
func banner(head, sha, prevSHA, earlier, same string) string {
	if prevSHA != "" && prevSHA != sha {
		return head + fmt.Sprintf(earlier, shortSHA(prevSHA)) + "\n"
	}
	return head + same + "\n"
}

// NoPreviousReport stands in for the earlier report when there is none to keep, or it was
// too long to keep next to a banner.
func NoPreviousReport(runURL string) string {
	if runURL == "" {
		return "_The earlier report is not shown here._\n"
	}
	return "_The earlier report is not shown here; see the [workflow run](" + runURL + ")._\n"
}

// Superseded replaces a comment whose report passed once the gate fails: the failure is
// posted as a new comment (editing notifies nobody), and the old one points at it, with its
// report folded away.
func Superseded(newURL, oldReport string) string {
	var b strings.Builder
	b.WriteString("> perfgate: **outdated**. The gate now fails")
	if newURL != "" {
		fmt.Fprintf(&b, "; see the [new report](%s)", newURL)
	}
	b.WriteString(".\n")
	if oldReport = strings.TrimSpace(oldReport); oldReport != "" {
		fmt.Fprintf(&b, "\n<details><summary>Earlier report</summary>\n\n%s\n\n</details>\n", oldReport)
	}
	return b.String()
}

// PendingDescription is the commit status description while perfgate runs.
func PendingDescription() string { return "perfgate is running" }

// StaleDescription is the commit status description when the run did not finish.
func StaleDescription() string {
	return "perfgate did not finish: the job failed or was cancelled before a verdict"
}

func runLink(runURL string) string {
	if runURL == "" {
		return ""
	}
	return " ([workflow run](" + runURL + "))"
}

func shortSHA(sha string) string { return "`" + bench.ShortCommit(sha) + "`" }
