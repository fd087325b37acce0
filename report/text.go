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
		// Counted in configs, as the verdict line counts them (a config's memory row is in
		// the group beside its speed row).
		title := fmt.Sprintf("%s (%d)", groupOf(&group[0]), distinctConfigs(group))
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
		b.WriteString("\n" + wrap("method: "+oneLine(ReportMethod(rep)), TextWidth, ""))
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
	header := append(append([]string{"config"}, metrics...), "measured against")
	fits := tableFits(header, trs, func(tr textRow) []string { return tr.cells })
	var table []string
	if fits {
		var tb strings.Builder
		tw := tabwriter.NewWriter(&tb, 0, 4, 3, ' ', 0)
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", "config", strings.Join(metrics, "\t"), "measured against")
		for _, tr := range trs {
			fmt.Fprintf(tw, "  %s\n", strings.Join(tr.cells, "\t"))
		}
		tw.Flush()
		table = strings.Split(strings.TrimRight(tb.String(), "\n"), "\n")
		for _, l := range table {
			if utf8.RuneCountInString(strings.TrimRight(l, " ")) > TextWidth {
				fits = false
			}
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
		var rest strings.Builder
		for _, tr := range trs {
			wrapTo(b, tr.cells[0], TextWidth, "  ")
			rest.Reset()
			for i, c := range tr.cells[1:] {
				if (i < len(metrics) && c != "") || i == len(metrics) {
					if rest.Len() > 0 {
						rest.WriteString(" · ")
					}
					if i < len(metrics) {
						rest.WriteString(metrics[i])
						rest.WriteByte(' ')
					}
					rest.WriteString(c)
				}
			}
			wrapTo(b, rest.String(), TextWidth, "      ")
			if tr.reason != "" {
				wrapTo(b, tr.reason, TextWidth, "      ")
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
	wrapTo(&b, s, width, indent)
	return b.String()
}

// wrapTo writes wrap(s, width, indent) to b.
func wrapTo(b *strings.Builder, s string, width int, indent string) {
	b.WriteString(indent)
	lineLen := utf8.RuneCountInString(indent)
	start := lineLen
	cont := indent + "  "
	contLen := lineLen + 2
	for word := range strings.FieldsSeq(s) {
		wl := utf8.RuneCountInString(word)
		if lineLen > start && lineLen+1+wl > width {
			b.WriteString("\n")
			b.WriteString(cont)
			lineLen, start = contLen, contLen
		}
		for lineLen+wl > width && lineLen == start {
			// A word that does not fit on a line of its own: cut it.
			r := []rune(word)
			n := width - lineLen
			b.WriteString(string(r[:n]))
			b.WriteString("\n")
			b.WriteString(cont)
			word, wl = string(r[n:]), wl-n
			lineLen, start = contLen, contLen
		}
		if lineLen > start {
			b.WriteByte(' ')
			lineLen++
		}
		b.WriteString(word)
		lineLen += wl
	}
	b.WriteString("\n")
}

// tableFits reports whether rows, under header, may fit TextWidth as a table: false when
// some row is sure to be wider, computed as text/tabwriter lays out the table (a column is
// as wide as its widest cell plus 3 of padding; the last cell is not padded), so that a
// large group that will be stacked costs no table. The table itself is the final word.
func tableFits[R any](header []string, rows []R, cells func(R) []string) bool {
	widths := make([]int, len(header))
	last := 0     // the widest last cell
	plain := true // no cell holds what tabwriter treats specially
	measure := func(cs []string) {
		for j, c := range cs {
			plain = plain && !strings.ContainsAny(c, "\t\n\v\f") && strings.IndexByte(c, tabwriter.Escape) < 0
			w := utf8.RuneCountInString(c)
			if j == 0 {
				w += 2 // the table's indent
			}
			if j == len(cs)-1 {
				last = max(last, utf8.RuneCountInString(strings.TrimRight(c, " ")))
			} else if j < len(widths) {
				widths[j] = max(widths[j], w)
			}
		}
	}
	measure(header)
	for _, r := range rows {
		cs := cells(r)
		if len(cs) != len(header) {
			return true // not the shape this reckons with: let the table decide
		}
		measure(cs)
	}
	total := last
	for _, w := range widths[:len(widths)-1] {
		total += w + 3
	}
	return !plain || total <= TextWidth
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
