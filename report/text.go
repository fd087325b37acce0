package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/check"
)

const (
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiPlain  = "\x1b[39m"
	ansiReset  = "\x1b[0m"
)

// TextWidth is the terminal width the text report fits.
const TextWidth = 120

func statusColor(s check.Status) string {
	switch s {
	case check.Regression, check.NewlyFailing:
		return ansiRed
	case check.Improvement, check.Fixed:
		return ansiGreen
	case check.Missing, check.StillFailing, check.New:
		return ansiYellow
	}
	return ansiPlain
}

// Text writes the report for a terminal, within TextWidth columns: the verdict with the
// configs counted by status, where the numbers come from and the keys every config shares,
// then the rows grouped by status (failures first, worst first), each with a column per
// metric and what it was measured against, and its reason below it; reasons shared by
// several rows are written once under their group. The sweep, notes and method follow. With
// opts.Brief, unchanged rows, the sweep and the method are left out (counted only).
func Text(w io.Writer, rep *check.Report, opts Options) error {
	rows := Rows(rep)
	common := CommonKeys(rows)
	var b strings.Builder
	fmt.Fprintf(&b, "perfgate: %s\n", headline(rep, rows))
	if p := ProvenanceParts(rep.Provenance); len(p) > 0 {
		b.WriteString(wrap(oneLine(strings.Join(p, " · ")), TextWidth, ""))
	}
	if len(common) > 0 {
		b.WriteString(wrap(oneLine("every config has "+strings.Join(common, " ")), TextWidth, ""))
	}
	unchanged := 0
	for start := 0; start < len(rows); {
		end := start + 1
		for end < len(rows) && groupOf(&rows[end]) == groupOf(&rows[start]) {
			end++
		}
		group := rows[start:end]
		start = end
		if opts.Brief && group[0].Status == check.Unchanged && !group[0].Ignored {
			unchanged += len(group)
			continue
		}
		title := fmt.Sprintf("%s (%d)", groupOf(&group[0]), len(group))
		if opts.Color {
			title = statusColor(group[0].Status) + title + ansiReset
		}
		b.WriteString("\n" + title + "\n")
		writeTextGroup(&b, group, common)
	}
	if unchanged > 0 {
		fmt.Fprintf(&b, "\n%s unchanged, not listed.\n", plural(unchanged, "row"))
	}
	if !opts.Brief && len(rep.Sweep) > 0 {
		b.WriteString("\nFastest config per model and scale:\n")
		for _, s := range rep.Sweep {
			b.WriteString(wrap(SweepLine(s), TextWidth, "  "))
		}
	}
	notes := Notes(rep)
	if len(notes) > 0 {
		b.WriteString("\n")
	}
	for _, n := range notes {
		b.WriteString(wrap("note: "+oneLine(n), TextWidth, ""))
	}
	if !opts.Brief {
		b.WriteString("\n" + wrap("method: "+oneLine(MethodSummary(rep.Method)), TextWidth, ""))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// groupOf names the group a row is listed under: its status, "(ignored)" apart.
func groupOf(row *Row) string {
	s := StatusText(row)
	if row.Fails && row.Ignored {
		s = string(row.Status)
	}
	return s
}

// writeTextGroup writes one status's rows: a table when it fits TextWidth, else each row
// stacked over two lines; the reason goes under each row, or under the group when shared.
func writeTextGroup(b *strings.Builder, rows []Row, common []string) {
	metrics := rowMetrics(rows)
	why := reasons(rows)
	notes := newFootnotes(why)
	type textRow struct {
		cells  []string
		reason string
	}
	trs := make([]textRow, len(rows))
	for i := range rows {
		row := &rows[i]
		cells := []string{orDash(shortConfig(row.Config, common))}
		for _, m := range metrics {
			cells = append(cells, MetricCell(row.Result(m)))
		}
		gate, reason := GateCell(row.Decider()), why[i]
		if m := notes.mark[reason]; m != "" {
			// A shared reason is written once below the group; its mark ends the row.
			gate, reason = gate+" "+m, ""
		}
		cells = append(cells, gate)
		trs[i] = textRow{cells, reason}
	}
	var tb strings.Builder
	tw := tabwriter.NewWriter(&tb, 0, 4, 3, ' ', 0)
	fmt.Fprintf(tw, "  %s\t%s\t%s\n", "config", strings.Join(metrics, "\t"), "measured against")
	for _, tr := range trs {
		fmt.Fprintf(tw, "  %s\n", strings.Join(tr.cells, "\t"))
	}
	tw.Flush()
	table := strings.Split(strings.TrimRight(tb.String(), "\n"), "\n")
	fits := true
	for _, l := range table {
		if utf8.RuneCountInString(strings.TrimRight(l, " ")) > TextWidth {
			fits = false
		}
	}
	if fits {
		b.WriteString(strings.TrimRight(table[0], " ") + "\n")
		for i, tr := range trs {
			b.WriteString(strings.TrimRight(table[i+1], " ") + "\n")
			if tr.reason != "" {
				b.WriteString(wrap(tr.reason, TextWidth, "      "))
			}
		}
	} else {
		for _, tr := range trs {
			b.WriteString(wrap(tr.cells[0], TextWidth, "  "))
			var rest []string
			for i, c := range tr.cells[1:] {
				switch {
				case i < len(metrics) && c != "":
					rest = append(rest, metrics[i]+" "+c)
				case i == len(metrics):
					rest = append(rest, c)
				}
			}
			b.WriteString(wrap(strings.Join(rest, " · "), TextWidth, "      "))
			if tr.reason != "" {
				b.WriteString(wrap(tr.reason, TextWidth, "      "))
			}
		}
	}
	for _, r := range notes.order {
		b.WriteString(wrap(notes.mark[r]+" "+r, TextWidth, "  "))
	}
}

// wrap breaks s at spaces into lines of at most width columns, each starting with indent
// (continuation lines two columns further), and ends every line with a newline. A word
// longer than a line is cut.
func wrap(s string, width int, indent string) string {
	var b strings.Builder
	line := indent
	lineLen := utf8.RuneCountInString(indent)
	start := lineLen
	cont := indent + "  "
	for _, word := range strings.Fields(s) {
		wl := utf8.RuneCountInString(word)
		if lineLen > start && lineLen+1+wl > width {
			b.WriteString(line + "\n")
			line, lineLen = cont, utf8.RuneCountInString(cont)
			start = lineLen
		}
		for lineLen+wl > width && lineLen == start {
			// A word that does not fit on a line of its own: cut it.
			r := []rune(word)
			n := width - lineLen
			b.WriteString(line + string(r[:n]) + "\n")
			word, wl = string(r[n:]), wl-n
			line, lineLen = cont, utf8.RuneCountInString(cont)
			start = lineLen
		}
		if lineLen > start {
			line += " "
			lineLen++
		}
		line += word
		lineLen += wl
	}
	b.WriteString(line + "\n")
	return b.String()
}

// SweepLine describes the fastest config at one scale, and the one it replaced.
func SweepLine(s check.Winner) string {
	line := scaleString(s.Scale) + ": " + orNone(s.New) + " (by " + s.Metric + ")"
	if s.Changed {
		line += "; was " + orNone(s.Baseline)
	}
	return line
}

// scaleString renders a scale's keys in display order, "all configs" when it has none.
func scaleString(scale map[string]string) string { return orAll(bench.Config(scale).String()) }

func orNone(s string) string {
	if s == "" {
		return "none ran"
	}
	return s
}

// oneLine replaces line breaks and control characters so one result stays on one line.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
