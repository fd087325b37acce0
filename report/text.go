package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/perfgate/perfgate/check"
)

const (
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiPlain  = "\x1b[39m"
	ansiReset  = "\x1b[0m"
)

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

// Text writes the report as a benchstat-like table: one row per config and metric with the
// baseline centre and no-change band, the new centre, the change, the p-value or the reason,
// and the status. Notes, the method and the sweep summary follow.
func Text(w io.Writer, rep *check.Report, opts Options) error {
	var b strings.Builder
	fmt.Fprintf(&b, "perfgate: %s\n\n", Headline(rep))
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "config\tmetric\tbaseline\tnew\tdelta\tstatus\tp-value / reason")
	for _, r := range Ordered(rep) {
		c := RowCells(&r)
		status := c.Status
		if opts.Color {
			// Every status gets a code of the same width, so columns stay aligned.
			status = statusColor(r.Status) + status + ansiReset
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.Config, c.Metric, c.Baseline, c.New, c.Delta, status, oneLine(c.Test))
		for _, n := range r.Notes {
			fmt.Fprintf(tw, "\t\t\t\t\t\t  note: %s\n", oneLine(n))
		}
	}
	tw.Flush()
	if len(rep.Sweep) > 0 {
		b.WriteString("\nFastest config per scale:\n")
		for _, s := range rep.Sweep {
			b.WriteString("  " + SweepLine(s) + "\n")
		}
	}
	notes := Notes(rep)
	for _, n := range notes {
		fmt.Fprintf(&b, "\nnote: %s", n)
	}
	if len(notes) > 0 {
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "\nmethod: %s\n", MethodSummary(rep.Method))
	_, err := io.WriteString(w, b.String())
	return err
}

// SweepLine describes the fastest config at one scale, and the one it replaced.
func SweepLine(s check.Winner) string {
	var scale []string
	for _, k := range []string{"nodes", "gbs", "sl"} {
		if v, ok := s.Scale[k]; ok {
			scale = append(scale, k+"="+v)
		}
	}
	line := strings.Join(scale, " ") + ": " + orNone(s.New) + " (by " + s.Metric + ")"
	if s.Changed {
		line += "; was " + orNone(s.Baseline)
	}
	return line
}

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
