package github

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/perfgate/perfgate/check"
	"github.com/perfgate/perfgate/ingest"
)

// bodyOptions mirror report.MarkdownOptions.
type bodyOptions struct {
	ID          string
	Chart       bool
	RunURL      string
	BaselineURL string
	MaxBytes    int // 0: no limit
}

// renderBody renders rep as GitHub-flavoured Markdown.
//
// It is a small stand-in for report.Markdown until that package lands: a verdict line,
// per-status counts and one table row per result, failing rows first, passing rows dropped
// first when the body must fit in MaxBytes. Every string from the report is escaped, so a
// config value cannot inject HTML, mention a user or team, or break the table.
func renderBody(rep *check.Report, o bodyOptions) string {
	var head strings.Builder
	icon, verdict := "✅", "pass"
	if rep.Verdict != check.Pass {
		icon, verdict = "❌", escapeMarkdown(rep.Verdict)
	}
	title := "perfgate"
	if o.ID != "" && o.ID != defaultID {
		title += " (" + escapeMarkdown(o.ID) + ")"
	}
	fmt.Fprintf(&head, "### %s %s: %s\n\n%s\n\n", icon, title, verdict, countLine(rep))

	rows := make([]*check.Result, len(rep.Results))
	for i := range rep.Results {
		rows[i] = &rep.Results[i]
	}
	slices.SortStableFunc(rows, func(a, b *check.Result) int {
		return statusRank(a.Status) - statusRank(b.Status)
	})

	var foot strings.Builder
	if s := rep.Method.Summary; s != "" {
		fmt.Fprintf(&foot, "\n<details><summary>Method</summary>\n\n%s\n\n</details>\n", escapeMarkdown(s))
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(&foot, "\n> [!WARNING]\n> %s\n", escapeMarkdown(n))
	}
	if o.BaselineURL != "" {
		fmt.Fprintf(&foot, "\nBaseline: %s\n", o.BaselineURL)
	}

	const tableHead = "| Status | Config | Metric | Baseline | New | Δ | Threshold |\n|---|---|---|---|---|---|---|\n"
	var table strings.Builder
	if len(rows) > 0 {
		table.WriteString(tableHead)
	}
	limit := o.MaxBytes
	// Room for the omission note, which names the run URL.
	reserve := 200 + len(o.RunURL)
	omitted := 0
	for i, r := range rows {
		row := tableRow(r)
		if limit > 0 && head.Len()+table.Len()+len(row)+foot.Len()+reserve > limit {
			omitted = len(rows) - i
			break
		}
		table.WriteString(row)
	}
	body := head.String() + table.String()
	if omitted > 0 {
		body += fmt.Sprintf("\n_%d of %d rows omitted to fit GitHub's size limit (passing rows first).", omitted, len(rows))
		if o.RunURL != "" {
			body += " The full report is in the [job summary](" + o.RunURL + ")."
		}
		body += "_\n"
	}
	body += foot.String()
	if limit > 0 && len(body) > limit {
		// Only a header or footer longer than the limit gets here.
		body = cutUTF8(body, limit-len(truncatedNote)) + truncatedNote
	}
	return body
}

const truncatedNote = "\n\n_(truncated)_\n"

func statusRank(s check.Status) int {
	if i := slices.Index(check.Statuses, s); i >= 0 {
		return i
	}
	return len(check.Statuses)
}

func countLine(rep *check.Report) string {
	counts := map[check.Status]int{}
	for _, r := range rep.Results {
		counts[r.Status]++
	}
	var parts []string
	for _, s := range check.Statuses {
		if n := counts[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	if len(parts) == 0 {
		return "No results."
	}
	return strings.Join(parts, ", ") + fmt.Sprintf(" (%d results).", len(rep.Results))
}

func tableRow(r *check.Result) string {
	base, nw, delta, thr := "–", "–", "–", "–"
	if r.Baseline != nil {
		base = fmt.Sprintf("%.4g", r.Baseline.Center)
	}
	if r.New != nil {
		nw = fmt.Sprintf("%.4g", r.New.Center)
	} else if r.Outcome != "" && r.Outcome != "ok" {
		nw = escapeMarkdown(strings.ToUpper(r.Outcome))
	}
	if r.DeltaPct != nil {
		delta = fmt.Sprintf("%+.1f%%", *r.DeltaPct)
	}
	if r.ThresholdPct != 0 {
		thr = fmt.Sprintf("%.1f%%", r.ThresholdPct)
	}
	return fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %s |\n",
		escapeMarkdown(string(r.Status)), escapeMarkdown(configKey(r)), escapeMarkdown(r.Metric), base, nw, delta, thr)
}

func configKey(r *check.Result) string {
	if r.Key != "" {
		return r.Key
	}
	return ingest.Config(r.Config).Key()
}

// escapeMarkdown makes s literal text in a GitHub Markdown table cell: no HTML, no
// mentions, no links or emphasis, no line breaks, no cell breaks.
var escapeMarkdown = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;",
	"@", "@&#8203;", // a zero-width space after @ stops @user and @org/team mentions
	`\`, `\\`, "|", `\|`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"~", `\~`, "#", `\#`, "!", `\!`,
	"\r\n", " ", "\n", " ", "\r", " ",
).Replace

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
