package report

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/check"
)

// MarkdownOptions tune the Markdown rendering.
type MarkdownOptions struct {
	// ID names the gate in the heading when several gates share a repository.
	ID string
	// Chart adds a chart of the change of every config that moved, in the better
	// direction, drawn in text so that it reads the same everywhere.
	Chart bool
	// RunURL and BaselineURL, when set, are linked at the end; RunURL is also where the
	// rows left out to fit MaxBytes can be read (its job summary), unless FullReport says.
	RunURL, BaselineURL string
	// FittedTo names what MaxBytes fits the output to, in the lines that count what was left
	// out: "the comment" unless set.
	FittedTo string
	// FullReport, when set, is Markdown naming where every row can be read, which the lines
	// that count what was left out point at instead of RunURL's job summary: the job summary
	// itself, fitted, must not point at itself.
	FullReport string
	// Unchanged also lists the unchanged configs, folded (the job summary does; a comment
	// only counts them).
	Unchanged bool
	// MaxBytes, when positive, caps the output. What failed is kept first, worst first, and
	// every failing status keeps rows (newly failing, missing and regressed rows take turns,
	// so a thousand regressions cannot hide an OOM); then the chart, the other changes and
	// the sweep, each cut with a line saying how many rows of each status were left out. The heading and the method are always kept, so their parts taken
	// from the data (provenance, shared keys, method) are cut at a fixed size, marked " …",
	// whatever MaxBytes is: they can never crowd out what failed.
	MaxBytes int
}

// maxChartBars caps the chart so it stays readable.
const maxChartBars = 20

// foldRows is the number of other changes above which they are folded in <details>.
const foldRows = 10

// Markdown renders the report for a pull-request comment or a job summary: the verdict and
// the configs counted by status on the first line, where the numbers come from, then what
// failed (worst first), a chart of what moved, the other changes and the count of unchanged
// configs, the fastest config per model and scale, the notes and the method. Rows are rendered once
// and the output is fitted to MaxBytes by summing their sizes.
func Markdown(rep *check.Report, opts MarkdownOptions) string {
	rows := Rows(rep)
	common := CommonKeys(rows)
	var failing, other, same []Row
	// Configs, as the first line counts them: a config's rows of other measurements (memory)
	// are not more configs, and one an ignore rule covers that stayed unchanged is unchanged.
	counts, _ := ConfigCounts(rows)
	unchanged := counts[check.Unchanged]
	for _, row := range rows {
		switch {
		case row.Fails:
			failing = append(failing, row)
		case row.Status == check.Unchanged:
			if opts.Unchanged {
				same = append(same, row)
			}
		default:
			other = append(other, row)
		}
	}
	head := markdownHead(rep, rows, common, opts)
	tail := markdownTail(rep, opts)
	more := ""
	switch {
	case opts.FullReport != "":
		more = "; see " + opts.FullReport
	case opts.RunURL != "":
		more = "; see the [job summary](" + opts.RunURL + ")"
	}
	fitTo := opts.FittedTo
	if fitTo == "" {
		fitTo = "the comment"
	}
	// leftOut is the text of each section's cut line: n more of what were left out to fit
	// (by status: by, from the section), and where to read them.
	leftOut := func(n int, what, by string) string {
		return fmt.Sprintf("_… and %s%s, left out to fit %s%s._\n", plural(n, what), by, fitTo, more)
	}
	// The notes are fitted right after what failed: a long one (thousands of skipped files,
	// a garbled reason) must not crowd the failing rows out.
	notesSec := &section{cut: func(n int, by string) string {
		return "\n" + leftOut(n, "more note", by)
	}}
	for _, n := range Notes(rep) {
		notesSec.rows = append(notesSec.rows, fmt.Sprintf("\n> %s\n", capBytes(Escape(n), maxNoteBytes)))
	}

	// A comment that fails must list what failed: the failing section keeps a row even when
	// it fits nothing else, its reason cut to fit.
	failSec := &section{table: mdRows(failing, common), keepOne: true, groups: rowGroups(failing), cut: func(n int, by string) string {
		return "\n" + leftOut(n, "more failing row", by)
	}}
	if len(failing) > 0 {
		failSec.open = fmt.Sprintf("\n**What failed**: %s, worst first (▲ better, ▼ worse)\n\n", plural(distinctConfigs(failing), "config")) + mdHeader(failing)
	}
	var chartSec *section
	if opts.Chart {
		if c := deltaChart(rows, common); c != "" {
			chartSec = &section{rows: []string{c}, cut: func(int, string) string { return "" }}
		}
	}
	otherSec := &section{table: mdRows(other, common), groups: rowGroups(other), cut: func(n int, by string) string {
		return "\n" + leftOut(n, "more changed row", by)
	}}
	if len(other) > 0 {
		title := fmt.Sprintf("Other changes: %s", otherSummary(other))
		if len(other) > foldRows {
			otherSec.open = "\n<details><summary>" + Escape(title) + "</summary>\n\n" + mdHeader(other)
			otherSec.close = "\n</details>\n"
		} else {
			otherSec.open = "\n**" + Escape(title) + "**\n\n" + mdHeader(other)
		}
	}
	unchangedLine := ""
	sameSec := &section{table: mdRows(same, common), cut: func(n int, by string) string {
		return "\n" + leftOut(n, "more unchanged row", by)
	}}
	if len(same) > 0 {
		sameSec.open = fmt.Sprintf("\n<details><summary>%s unchanged</summary>\n\n", plural(unchanged, "config")) + mdHeader(same)
		sameSec.close = "\n</details>\n"
	} else if unchanged > 0 {
		unchangedLine = fmt.Sprintf("\n%s unchanged, not listed.\n", plural(unchanged, "config"))
	}
	sweepSec := &section{cut: func(n int, by string) string {
		return "- " + leftOut(n, "more scale", by)
	}}
	if len(rep.Sweep) > 0 {
		sweepSec.open = "\n**Fastest config per model and scale**\n\n"
		for _, s := range rep.Sweep {
			mark := ""
			if s.Changed {
				mark = " ⚠️ winner changed"
			}
			sweepSec.rows = append(sweepSec.rows, "- "+Escape(SweepLine(s))+mark+"\n")
		}
	}

	// Fit: the fixed parts always; then each section in order of importance takes what
	// still fits.
	if opts.MaxBytes > 0 {
		// Each section's line counting what it left out is reserved up front (at its longest,
		// all rows left out), so a section that fits nothing can still say so.
		sections := []*section{failSec, notesSec, chartSec, otherSec, sweepSec, sameSec}
		budget := opts.MaxBytes - len(head) - len(tail) - len(unchangedLine)
		for _, sec := range sections {
			if sec != nil && sec.len() > 0 {
				budget -= len(sec.cutAll())
			}
		}
		for _, sec := range sections {
			if sec != nil && sec.len() > 0 {
				budget += len(sec.cutAll())
				budget -= sec.fit(budget)
			}
		}
		if budget < 0 {
			// Not even the heading and the method fit (a job summary other steps nearly
			// filled): the verdict line, then the count of failing rows and where to read
			// them, before the rest of the heading; cut the text itself.
			verdict, rest, _ := strings.Cut(head, "\n")
			return truncateUTF8(verdict+"\n"+failSec.render()+notesSec.render()+rest+tail, opts.MaxBytes)
		}
	}
	var b strings.Builder
	b.WriteString(head)
	b.WriteString(failSec.render())
	if chartSec != nil {
		b.WriteString(chartSec.render())
	}
	b.WriteString(otherSec.render())
	b.WriteString(unchangedLine)
	b.WriteString(sameSec.render())
	b.WriteString(sweepSec.render())
	b.WriteString(notesSec.render())
	b.WriteString(tail)
	return b.String()
}

// maxNoteBytes caps one note in the Markdown; the JSON report holds it whole.
const maxNoteBytes = 4096

// A section is a list of rendered rows between an opening and a closing part; fit keeps the
// rows that fit a budget, and a cut line counts the rest.
type section struct {
	open, close string
	// rows are the rendered rows, or, when table is set, the table renders them for the rows
	// kept: its legend, under the kept rows and before close, explains only their marks.
	rows  []string
	table *mdTable
	// keepOne makes fit keep a row even when none fits, its reason cut to fit (the failing
	// section: a comment that fails must list what failed).
	keepOne bool
	// groups, when set, is the status of each row: fit then keeps rows of every status,
	// taking the first row of each status in turn, and the cut line counts the rows left out
	// by status. Without groups fit keeps the first rows.
	groups []check.Status
	// cut is the line that counts the left rows left out; by is their count by status, as
	// " (2 regression, 1 missing)", or "" without groups.
	cut func(left int, by string) string
	// kept marks the rows fit kept (nil, before fit: all of them), cutLine is the cut line
	// fit chose for the others ("" when it kept all), and whyCap caps a table's reasons (0,
	// before fit: maxCellBytes).
	kept    []bool
	cutLine string
	whyCap  int
}

// len is the number of rows of the section.
func (s *section) len() int {
	if s.table != nil {
		return len(s.table.lines)
	}
	return len(s.rows)
}

// layout returns the kept rows (all of them when kept is nil), in their order, and the
// legend of a table's marks among them, each reason cut at whyCap bytes; with measure it
// only counts their bytes, and returns no text.
func (s *section) layout(kept []bool, whyCap int, measure bool) (rows []string, legend string, size int) {
	if s.table != nil {
		return s.table.layout(kept, whyCap, measure)
	}
	for i, r := range s.rows {
		if kept == nil || kept[i] {
			size += len(r)
			if !measure {
				rows = append(rows, r)
			}
		}
	}
	return rows, "", size
}

// rowGroups returns the status of each row, as a section's groups: "ignored" for a row an
// ignore rule covers, as the counts say it.
func rowGroups(rows []Row) []check.Status {
	out := make([]check.Status, len(rows))
	for i := range rows {
		out[i] = rows[i].Status
		if rows[i].Ignored && !rows[i].Fails {
			out[i] = Ignored
		}
	}
	return out
}

// priority returns the order in which fit keeps the rows: in order without groups, else
// TurnOrder's.
func (s *section) priority() []int {
	if s.groups == nil {
		out := make([]int, s.len())
		for i := range out {
			out[i] = i
		}
		return out
	}
	return TurnOrder(s.groups)
}

// TurnOrder returns the indexes of groups in the order in which statuses take turns: the
// first index of each status (in the order the statuses first appear), then the second of
// each, and so on. Whatever keeps a prefix of it (a fitted Markdown section, GitHub's capped
// annotations) keeps rows of every status, so a thousand regressions cannot hide an OOM.
func TurnOrder(groups []check.Status) []int {
	var order []check.Status
	queue := map[check.Status][]int{}
	for i, g := range groups {
		if _, ok := queue[g]; !ok {
			order = append(order, g)
		}
		queue[g] = append(queue[g], i)
	}
	out := make([]int, 0, len(groups))
	for len(out) < len(groups) {
		for _, g := range order {
			if q := queue[g]; len(q) > 0 {
				out = append(out, q[0])
				queue[g] = q[1:]
			}
		}
	}
	return out
}

// by says the counts of left rows by status for the cut line: " (2 regression, 1 missing)",
// or "" when the section has no groups.
func (s *section) by(left map[check.Status]int) string {
	if s.groups == nil {
		return ""
	}
	return " (" + CountWords(left) + ")"
}

// cutAll is the cut line with every row left out, the longest it can be.
func (s *section) cutAll() string {
	left := map[check.Status]int{}
	for _, g := range s.groups {
		left[g]++
	}
	return s.cut(s.len(), s.by(left))
}

// fit keeps as many rows as fit in budget bytes, in priority order, and returns the bytes
// used. What a table's rows take depends on which are kept (a reason two kept rows share is
// a mark and a legend entry, one only a kept row has is in its cell), so each count of rows
// is measured whole, and the largest that fits is searched for: the bytes grow with the rows
// kept. A keepOne section that fits no row keeps its first, its reason cut to fit.
func (s *section) fit(budget int) int {
	prio := s.priority()
	n := s.len()
	measure := func(k, whyCap int) (int, []bool, string) {
		kept := make([]bool, n)
		for _, i := range prio[:k] {
			kept[i] = true
		}
		size, cut := 0, ""
		if k > 0 {
			_, legend, rows := s.layout(kept, whyCap, true)
			size = len(s.open) + rows + len(legend) + len(s.close)
		}
		if k < n {
			left := map[check.Status]int{}
			if s.groups != nil {
				for _, i := range prio[k:] {
					left[s.groups[i]]++
				}
			}
			cut = s.cut(n-k, s.by(left))
		}
		return size + len(cut), kept, cut
	}
	keep := func(k, whyCap int) int {
		size, kept, cut := measure(k, whyCap)
		s.kept, s.cutLine, s.whyCap = kept, cut, whyCap
		return size
	}
	if size, _, _ := measure(n, maxCellBytes); size <= budget {
		return keep(n, maxCellBytes)
	}
	// lo rows fit (0 always does: the cut line was reserved), hi do not.
	lo, hi := 0, n
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if size, _, _ := measure(mid, maxCellBytes); size <= budget {
			lo = mid
		} else {
			hi = mid
		}
	}
	if lo > 0 || !s.keepOne || n == 0 {
		return keep(lo, maxCellBytes)
	}
	// One row, alone: no legend, its reason in its cell, cut until the row fits. A budget
	// that cannot hold the row without its reason (smaller than the table's header) keeps
	// the line counting the failing rows instead, which says where to read them.
	for whyCap := maxCellBytes; ; {
		size, _, _ := measure(1, whyCap)
		if size <= budget {
			return keep(1, whyCap)
		}
		if whyCap == 0 {
			return keep(0, maxCellBytes)
		}
		whyCap = max(0, whyCap-(size-budget))
	}
}

// render writes the kept rows in their order, a table's legend, then the cut line counting
// the others.
func (s *section) render() string {
	whyCap := s.whyCap
	if s.kept == nil {
		whyCap = maxCellBytes
	}
	rows, legend, _ := s.layout(s.kept, whyCap, false)
	var b strings.Builder
	if len(rows) > 0 {
		b.WriteString(s.open)
		for _, r := range rows {
			b.WriteString(r)
		}
		b.WriteString(legend)
		b.WriteString(s.close)
	}
	b.WriteString(s.cutLine)
	return b.String()
}

func truncateUTF8(s string, n int) string {
	for n > 0 && n < len(s) && (s[n]&0xC0) == 0x80 {
		n--
	}
	if n < len(s) {
		return s[:n]
	}
	return s
}

func distinctConfigs(rows []Row) int {
	seen := map[string]bool{}
	for _, r := range rows {
		seen[r.Key] = true
	}
	return len(seen)
}

// otherSummary counts the configs of rows by status, e.g. "1 improvement, 2 missing": a
// config missing on its speed and its memory row is one missing config, as the first line
// counts it.
func otherSummary(rows []Row) string {
	seen := map[check.Status]map[string]bool{}
	for _, r := range rows {
		s := r.Status
		if r.Ignored {
			s = Ignored
		}
		if seen[s] == nil {
			seen[s] = map[string]bool{}
		}
		seen[s][r.Key] = true
	}
	c := map[check.Status]int{}
	for s, keys := range seen {
		c[s] = len(keys)
	}
	return CountWords(c)
}

// mdHeader is the header of a table of rows: status, config, one column per metric, what
// the change was measured against, and why.
func mdHeader(rows []Row) string {
	metrics := rowMetrics(rows)
	var b strings.Builder
	b.WriteString("| status | config |")
	for _, m := range metrics {
		b.WriteString(" " + Escape(m) + " |")
	}
	b.WriteString(" measured against | reason |\n|---|---|")
	for range metrics {
		b.WriteString("---:|")
	}
	b.WriteString("---|---|\n")
	return b.String()
}

// An mdTable is the rows of a table, each rendered once up to its reason cell: whether a
// reason is in its cell or is a footnote mark, explained once in a legend under the table,
// depends on which rows are kept, so layout writes the reasons for the rows kept.
type mdTable struct {
	lines []string // each row's line, up to its reason cell
	why   []string // each row's reason, escaped, not cut
}

// mdRows renders each row once, as a table line without its reason, and the reason.
func mdRows(rows []Row, common []string) *mdTable {
	metrics := rowMetrics(rows)
	why := reasons(rows)
	t := &mdTable{lines: make([]string, len(rows)), why: make([]string, len(rows))}
	for i := range rows {
		row := &rows[i]
		var b strings.Builder
		b.WriteString("| " + statusCell(row) + " | " + capCell(Escape(orDash(shortConfig(row.Config, common)))) + " |")
		for _, m := range metrics {
			cell := Escape(MetricCell(row.Result(m)))
			if r := row.Result(m); r == row.Decider() && row.Status != check.Unchanged {
				if spark := runSparkline(r); spark != "" {
					cell += " " + spark
				}
			}
			b.WriteString(" " + cell + " |")
		}
		b.WriteString(" " + Escape(GateCell(row.Decider())) + " | ")
		t.lines[i], t.why[i] = b.String(), Escape(why[i])
	}
	return t
}

// layout returns the kept rows (all of them when kept is nil), in their order, each ending
// with its reason: a reason two or more kept rows share is a footnote mark, and the legend
// under the table explains those marks, and only those. Every reason, in a cell or in the
// legend, is cut at whyCap bytes, as a cell is. With measure it only counts the bytes of the
// rows and returns no text.
func (t *mdTable) layout(kept []bool, whyCap int, measure bool) (rows []string, legend string, size int) {
	why := make([]string, len(t.why))
	for i := range t.why {
		if kept == nil || kept[i] {
			why[i] = t.why[i]
		}
	}
	notes := newFootnotes(why)
	const end = " |\n"
	for i, line := range t.lines {
		if kept != nil && !kept[i] {
			continue
		}
		cell := notes.mark[why[i]]
		if cell == "" {
			cell = capBytes(why[i], whyCap)
		}
		size += len(line) + len(cell) + len(end)
		if !measure {
			rows = append(rows, line+cell+end)
		}
	}
	var b strings.Builder
	for _, r := range notes.order {
		fmt.Fprintf(&b, "\n%s %s\n", notes.mark[r], capBytes(r, whyCap))
	}
	return rows, b.String(), size
}

// maxCellBytes caps a table cell taken from the data (a config, a reason). Rows are fitted
// to the comment worst first, so one row larger than the comment (a config value of many
// kilobytes) would otherwise leave out every failing row after it; the JSON report holds it
// whole.
const maxCellBytes = 1024

// capCell cuts an escaped cell to maxCellBytes, marking the cut.
func capCell(s string) string { return capBytes(s, maxCellBytes) }

// capBytes cuts escaped text to n bytes, marking the cut with " …". A cut escape is
// harmless: a lone backslash escapes the space after it, a part of an entity is plain text,
// and an @ or # cut from its zero-width space is followed by the space.
func capBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return truncateUTF8(s, n) + " …"
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func statusCell(row *Row) string {
	icon := map[check.Status]string{
		check.Regression: "🔴 ", check.NewlyFailing: "🔴 ", check.Improvement: "🟢 ", check.Fixed: "🟢 ",
		check.Missing: "⚪ ", check.StillFailing: "⚪ ", check.New: "🆕 ",
	}[row.Status]
	switch {
	case row.Fails:
		// Whatever its status (a missing config with --require-all): it fails the gate.
		icon = "🔴 "
	case row.Ignored:
		icon = "🔕 "
	}
	return icon + Escape(StatusText(row))
}

// markdownHead is the heading with the verdict and the counts of configs, the provenance and
// the keys every config shares. It is kept whole when the output is fitted, so each part of
// the provenance and the list of shared keys is cut at maxCellBytes, as a cell is.
func markdownHead(rep *check.Report, rows []Row, common []string, opts MarkdownOptions) string {
	icon := "✅"
	if rep.Verdict != check.Pass {
		icon = "❌"
	}
	name := "perfgate"
	if opts.ID != "" && opts.ID != "perfgate" {
		name += " (" + Escape(opts.ID) + ")"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "### %s %s: %s\n", icon, name, Escape(headline(rep, rows)))
	if p := ProvenanceParts(rep.Provenance); len(p) > 0 {
		for i := range p {
			p[i] = capCell(Escape(p[i]))
		}
		fmt.Fprintf(&b, "\n<sub>%s</sub>\n", strings.Join(p, " · "))
	}
	if len(common) > 0 {
		fmt.Fprintf(&b, "\nEvery config has %s; the tables leave these keys out.\n", capCell(Escape(strings.Join(common, " "))))
	}
	return b.String()
}

func markdownTail(rep *check.Report, opts MarkdownOptions) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n<sub>%s</sub>\n", capBytes(Escape(ReportMethod(rep)), maxNoteBytes))
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

// Escape makes text taken from the data safe to place in Markdown, including inside a table
// cell: HTML is neutralised, Markdown punctuation is backslash-escaped, pipes cannot split
// cells, line breaks are flattened, @-mentions and #-references are broken with a
// zero-width space so they notify no one, and so are the "://" of a scheme and a "www." so
// a bare URL does not render as a link (GitHub autolinks them). The hyphen of "GH-" is an
// entity, so "GH-5" does not link issue 5 and add a cross-reference to it; a dollar sign is
// an entity, so "$…$" does not render as math; and bidirectional controls are shown as
// [U+202E] (bidiMark), so they cannot make one config's name look like another's.
func Escape(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == ':' && strings.HasPrefix(s[i+1:], "//"):
			b.WriteString(":\u200b")
			continue
		case (r == 'w' || r == 'W') && len(s) >= i+4 && strings.EqualFold(s[i:i+4], "www."):
			b.WriteRune(r)
			b.WriteString("\u200b")
			continue
		case r == '-' && i >= 2 && strings.EqualFold(s[i-2:i], "gh"):
			b.WriteString("&#45;")
			continue
		case bench.IsBidi(r):
			b.WriteString(`\[` + bidiMark(r) + `\]`)
			continue
		}
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '$':
			b.WriteString("&#36;")
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

// bidiMark names a bidirectional control visibly, as "U+202E".
func bidiMark(r rune) string { return fmt.Sprintf("U+%04X", r) }

// CodeSpan puts text taken from the data in a Markdown code span, to be copied as is: inside
// one, backslash escapes (Escape) would be shown, not read, and HTML is not rendered. Line
// breaks are flattened, bidirectional controls are shown as [U+202E] (they would reorder
// the span's text), and the fence is one backtick longer than the longest run of them in s,
// so s cannot close it.
func CodeSpan(s string) string {
	var m strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			m.WriteByte(' ')
		case r < 0x20 || r == 0x7f:
		case bench.IsBidi(r):
			m.WriteString("[" + bidiMark(r) + "]")
		default:
			m.WriteRune(r)
		}
	}
	s = m.String()
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if longest > 0 || strings.HasPrefix(s, " ") || strings.HasSuffix(s, " ") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// chartLabel keeps only characters that are safe and of one column in a code block.
func chartLabel(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		case strings.ContainsRune("=+-._/:, ", r):
			return r
		}
		return -1
	}, s)
}

// cutKeys shortens a "k=v k=v" label to at most n bytes at a key boundary, marking the cut.
func cutKeys(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndexByte(s[:n-2], ' ')
	if cut <= 0 {
		return s[:n-2] + ".."
	}
	return s[:cut] + " .."
}

// deltaChart draws the change of every row that regressed or improved, in its better
// direction: bars to the left of the axis are worse, to the right better, whatever the
// metric's sign convention, and the axis is zero. Bars are scaled to the largest change.
func deltaChart(rows []Row, common []string) string {
	var moved []*Row
	for i := range rows {
		r := rows[i].Decider()
		if (r.Status == check.Regression || r.Status == check.Improvement) && r.DeltaPct != nil && !math.IsNaN(*r.DeltaPct) {
			moved = append(moved, &rows[i])
		}
	}
	if len(moved) == 0 {
		return ""
	}
	left := len(moved) - maxChartBars
	if left > 0 {
		moved = moved[:maxChartBars]
	}
	const side = 20
	hi := 0.0
	type line struct{ label, delta string }
	lines := make([]line, len(moved))
	wl, wd := 0, 0
	for i, row := range moved {
		r := row.Decider()
		hi = math.Max(hi, math.Abs(*r.DeltaPct))
		lines[i] = line{cutKeys(chartLabel(shortConfig(row.Config, common)), 60), chartLabel(r.Metric) + " " + signedPct(*r.DeltaPct) + " " + Mark(*r.DeltaPct, r.Better)}
		wl = max(wl, len(lines[i].label))
		wd = max(wd, utf8.RuneCountInString(lines[i].delta))
	}
	var b strings.Builder
	b.WriteString("\n**What moved** (bars: worse to the left, better to the right, whatever the metric's sign)\n\n```text\n")
	fmt.Fprintf(&b, "%*s  %*s  %*s│%s\n", wl, "", wd, "", side, "worse", "better")
	for i, row := range moved {
		r := row.Decider()
		better := -worsePct(r)
		n := int(math.Round(math.Abs(better) / hi * side))
		n = max(n, 1)
		bar := strings.Repeat("█", n)
		l, rt := strings.Repeat(" ", side), ""
		if better < 0 {
			l = strings.Repeat(" ", side-n) + bar
		} else {
			rt = bar
		}
		fmt.Fprintf(&b, "%-*s  %s%s  %s│%s\n", wl, lines[i].label, lines[i].delta, strings.Repeat(" ", wd-utf8.RuneCountInString(lines[i].delta)), l, rt)
	}
	if left > 0 {
		fmt.Fprintf(&b, "… and %d more\n", left)
	}
	b.WriteString("```\n")
	return b.String()
}
