package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/perfgate/perfgate/check"
)

// MarkdownOptions tune the Markdown rendering.
type MarkdownOptions struct {
	// ID names the gate in the heading when several gates share a repository.
	ID string
	// Chart adds a Mermaid xychart-beta bar chart of baseline against new for the configs
	// that moved (GitHub renders Mermaid in comments).
	Chart bool
	// RunURL and BaselineURL, when set, are linked at the end.
	RunURL, BaselineURL string
	// MaxBytes, when positive, caps the output: passing rows are dropped first, then failing
	// rows, with a line saying how many were left out and pointing at RunURL.
	MaxBytes int
}

// Markdown renders the report for a pull-request comment or a job summary: the verdict line
// first, then a table of what failed, then everything else folded in <details>.
func Markdown(rep *check.Report, opts MarkdownOptions) string {
	var failing, rest []check.Result
	for _, r := range Ordered(rep) {
		if r.Fails {
			failing = append(failing, r)
		} else {
			rest = append(rest, r)
		}
	}
	head := markdownHead(rep, opts)
	chart := ""
	if opts.Chart {
		chart = mermaid(rep)
	}
	tail := markdownTail(rep, opts)

	// Fit the tables into MaxBytes, dropping passing rows first, then failing rows.
	nFail, nRest := len(failing), len(rest)
	render := func() string {
		var b strings.Builder
		b.WriteString(head)
		if nFail > 0 || len(failing) > 0 {
			b.WriteString("\n**What failed**\n\n")
			writeTable(&b, failing[:nFail])
			if nFail < len(failing) {
				fmt.Fprintf(&b, "\n_… and %d more failing results, left out to fit the comment size limit%s._\n", len(failing)-nFail, seeRun(opts))
			}
		}
		b.WriteString(chart)
		if len(rest) > 0 {
			fmt.Fprintf(&b, "\n<details><summary>%d other results</summary>\n\n", len(rest))
			writeTable(&b, rest[:nRest])
			if nRest < len(rest) {
				fmt.Fprintf(&b, "\n_… and %d more passing results, left out to fit the comment size limit%s._\n", len(rest)-nRest, seeRun(opts))
			}
			b.WriteString("\n</details>\n")
		}
		b.WriteString(tail)
		return b.String()
	}
	out := render()
	for opts.MaxBytes > 0 && len(out) > opts.MaxBytes && (nRest > 0 || nFail > 0) {
		// Drop rows in proportion to the overshoot, at least one, passing rows first.
		over := len(out) - opts.MaxBytes
		step := 1 + over/200
		if nRest > 0 {
			nRest = max(0, nRest-step)
		} else {
			nFail = max(0, nFail-step)
		}
		out = render()
	}
	if opts.MaxBytes > 0 && len(out) > opts.MaxBytes {
		out = truncateUTF8(out, opts.MaxBytes)
	}
	return out
}

func seeRun(opts MarkdownOptions) string {
	if opts.RunURL == "" {
		return ""
	}
	return "; see the [job summary](" + opts.RunURL + ")"
}

func truncateUTF8(s string, n int) string {
	for n > 0 && n < len(s) && (s[n]&0xC0) == 0x80 {
		n--
	}
	return s[:n]
}

func markdownHead(rep *check.Report, opts MarkdownOptions) string {
	icon := "✅"
	if rep.Verdict == check.Fail {
		icon = "❌"
	}
	name := "perfgate"
	if opts.ID != "" && opts.ID != "perfgate" {
		name += " (" + Escape(opts.ID) + ")"
	}
	return fmt.Sprintf("### %s %s: %s\n", icon, name, Escape(Headline(rep)))
}

func markdownTail(rep *check.Report, opts MarkdownOptions) string {
	var b strings.Builder
	if len(rep.Sweep) > 0 {
		b.WriteString("\n**Fastest config per scale**\n\n")
		for _, s := range rep.Sweep {
			mark := ""
			if s.Changed {
				mark = " ⚠️ winner changed"
			}
			fmt.Fprintf(&b, "- %s%s\n", Escape(SweepLine(s)), mark)
		}
	}
	for _, n := range Notes(rep) {
		fmt.Fprintf(&b, "\n> %s\n", Escape(n))
	}
	fmt.Fprintf(&b, "\n<sub>%s</sub>\n", Escape(MethodSummary(rep.Method)))
	var links []string
	if opts.RunURL != "" {
		links = append(links, "[workflow run]("+opts.RunURL+")")
	}
	if opts.BaselineURL != "" {
		links = append(links, "[baseline]("+opts.BaselineURL+")")
	}
	if len(links) > 0 {
		fmt.Fprintf(&b, "\n%s\n", strings.Join(links, " · "))
	}
	return b.String()
}

func writeTable(b *strings.Builder, rs []check.Result) {
	b.WriteString("| config | metric | baseline | new | delta | status | p-value / reason |\n")
	b.WriteString("|---|---|---:|---:|---:|---|---|\n")
	for _, r := range rs {
		c := RowCells(&r)
		test := c.Test
		for _, n := range r.Notes {
			test += " — note: " + n
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s |\n",
			Escape(c.Config), Escape(c.Metric), Escape(c.Baseline), Escape(c.New), Escape(c.Delta), statusCell(r.Status, c.Status), Escape(test))
	}
}

func statusCell(s check.Status, text string) string {
	icon := map[check.Status]string{
		check.Regression: "🔴 ", check.NewlyFailing: "🔴 ", check.Improvement: "🟢 ", check.Fixed: "🟢 ",
		check.Missing: "⚪ ", check.StillFailing: "⚪ ", check.New: "🆕 ",
	}[s]
	return icon + Escape(text)
}

// Escape makes text taken from the data safe to place in Markdown, including inside a table
// cell: HTML is neutralised, Markdown punctuation is backslash-escaped, pipes cannot split
// cells, line breaks are flattened and @-mentions and #-references are broken with a
// zero-width space so they notify no one.
func Escape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '@', '#':
			b.WriteRune(r)
			b.WriteString("\u200b")
		case '\\', '`', '*', '_', '[', ']', '(', ')', '|', '!', '~', '{', '}':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n', '\r', '\t':
			b.WriteByte(' ')
		default:
			if r < 0x20 || r == 0x7f {
				continue
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mermaidLabel keeps only characters that cannot break out of a quoted Mermaid string.
func mermaidLabel(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		case strings.ContainsRune("=+-._/ ", r):
			return r
		}
		return -1
	}, s)
	if len(s) > 60 {
		s = s[:60]
	}
	return s
}

// maxChartBars caps the chart so it stays readable.
const maxChartBars = 20

// mermaid returns a bar chart of baseline against new centres for the configs that moved
// (regressions and improvements), in the metric most of them share, or "" if none moved.
func mermaid(rep *check.Report) string {
	var moved []check.Result
	count := map[string]int{}
	for _, r := range Ordered(rep) {
		if (r.Status == check.Regression || r.Status == check.Improvement) && r.Baseline != nil && r.New != nil {
			moved = append(moved, r)
			count[r.Metric]++
		}
	}
	if len(moved) == 0 {
		return ""
	}
	metric := ""
	for m, c := range count {
		if c > count[metric] || (c == count[metric] && m < metric) {
			metric = m
		}
	}
	var labels, base, cur []string
	hi := 0.0
	for _, r := range moved {
		if r.Metric != metric || len(labels) == maxChartBars {
			continue
		}
		labels = append(labels, strconv.Quote(mermaidLabel(ConfigString(&r))))
		base = append(base, strconv.FormatFloat(r.Baseline.Center, 'g', 5, 64))
		cur = append(cur, strconv.FormatFloat(r.New.Center, 'g', 5, 64))
		hi = math.Max(hi, math.Max(r.Baseline.Center, r.New.Center))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n**Configs that moved** (%s; first bar baseline, second bar this run)\n\n", Escape(metric))
	b.WriteString("```mermaid\nxychart-beta\n")
	fmt.Fprintf(&b, "    title %s\n", strconv.Quote(mermaidLabel(metric)+" baseline vs this run"))
	fmt.Fprintf(&b, "    x-axis [%s]\n", strings.Join(labels, ", "))
	fmt.Fprintf(&b, "    y-axis %s 0 --> %s\n", strconv.Quote(mermaidLabel(metric)), strconv.FormatFloat(hi*1.1, 'g', 4, 64))
	fmt.Fprintf(&b, "    bar [%s]\n", strings.Join(base, ", "))
	fmt.Fprintf(&b, "    bar [%s]\n", strings.Join(cur, ", "))
	b.WriteString("```\n")
	return b.String()
}
