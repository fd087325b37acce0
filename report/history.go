package report

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/history"
)

// HistoryOptions say how a history is rendered.
type HistoryOptions struct {
	// Store names the baseline directory.
	Store string
	// Recent is the number of newest batches alerts look at.
	Recent int
}

// HistorySource says where the history came from, as one sentence.
func HistorySource(h *history.History, o HistoryOptions) string {
	extra := ""
	if h.Extra > 0 {
		extra = fmt.Sprintf(", plus %d run(s) from results files", h.Extra)
	}
	switch h.Source {
	case history.FromStore:
		return fmt.Sprintf("%s is not in a git repository, so its history is the store as it is: only the runs its rolling window kept%s.", o.Store, extra)
	case history.FromWorkTree:
		return fmt.Sprintf("%s is in git, but no commit holds its store yet, so its history is the store as it is in the work tree: only the runs its rolling window kept%s. Commit it: the commits that change it are its history.", o.Store, extra)
	default:
		shallow := ""
		if h.Shallow {
			shallow = " The clone is shallow, so older history is missing: fetch it all (actions/checkout with fetch-depth: 0, or git fetch --unshallow)."
		}
		return fmt.Sprintf("History of %s from %d version(s) of the store in git%s.%s", o.Store, h.Commits, extra, shallow)
	}
}

// HistoryFormulaDrift says which configs' logged TFLOPS/GPU followed more than one FLOPs
// formula over the history (History.FormulaDrift), so that their speed alerts are decided by
// the time; "" when none did.
func HistoryFormulaDrift(h *history.History) string {
	if len(h.FormulaDrift) == 0 {
		return ""
	}
	keys := slices.Sorted(maps.Keys(h.FormulaDrift))
	first := h.FormulaDrift[keys[0]]
	return fmt.Sprintf("The logged %s of %d config(s) followed more than one FLOPs formula over the history (%s: %s), so it steps at the same speed; their speed alerts are decided by %s.",
		bench.MetricTFLOPS, len(keys), keys[0], strings.Join(first, " → "), bench.MetricTime)
}

// ChangeText describes a change point: "148.6 → 141.2 (-5.0%, p=0.005)" or "ok → oom", or a
// drift: "slid 148.6 → 139.4 (-6.2%, z=5.1; no single night stepped)".
func ChangeText(cp *history.ChangePoint) string {
	if cp.Kind == history.Outcome {
		return outcomeWord(cp.From) + " → " + outcomeWord(cp.To)
	}
	if cp.Kind == history.Drift {
		return fmt.Sprintf("slid %s → %s (%s, z=%s; no single night stepped)", num(*cp.Before), num(*cp.After), pct(*cp.DeltaPct), strconv.FormatFloat(*cp.Z, 'f', 1, 64))
	}
	return fmt.Sprintf("%s → %s (%s, p=%s)", num(*cp.Before), num(*cp.After), pct(*cp.DeltaPct), strconv.FormatFloat(*cp.PValue, 'g', 2, 64))
}

func outcomeWord(o bench.Outcome) string {
	switch o {
	case bench.OK:
		return "runs"
	case bench.OOM:
		return "OOM"
	case bench.Error:
		return "error"
	}
	return string(o)
}

func pct(d float64) string {
	if math.Round(d*10) == 0 {
		d = 0 // "+0.0%", not "-0.0%"
	}
	s := strconv.FormatFloat(d, 'f', 1, 64) + "%"
	if d >= 0 {
		s = "+" + s
	}
	return s
}

// where names a point: "nightly-012 (commit abc1234, 2026-10-13)".
func where(batch, commit, date string) string {
	var parts []string
	if commit != "" {
		parts = append(parts, "commit "+bench.ShortCommit(commit))
	} else {
		parts = append(parts, "uncommitted")
	}
	if len(date) >= 10 {
		parts = append(parts, date[:10])
	}
	return batch + " (" + strings.Join(parts, ", ") + ")"
}

// BisectText names the range to bisect for an alert: the commits the last good and the first
// bad night measured when the store recorded them, else the commits that recorded the nights.
func BisectText(a *history.Alert) string {
	return bisectText(a.Good, a.Bad, a.GoodMeasured, a.BadMeasured)
}

func bisectText(goodP, badP history.Point, goodM, badM string) string {
	good, bad, what := goodM, badM, "measured commits"
	if good == "" || bad == "" {
		good, bad, what = goodP.Commit, badP.Commit, "store commits"
	}
	if good == "" || bad == "" {
		return fmt.Sprintf("between batches %s and %s (no commits recorded)", goodP.Batch, badP.Batch)
	}
	if good == bad {
		if what == "store commits" {
			// One store commit recorded both nights (a bulk import, a moved store): it says
			// nothing about the code they measured.
			return fmt.Sprintf("between batches %s and %s (both recorded by store commit %s; no measured commits recorded)", goodP.Batch, badP.Batch, bench.ShortCommit(good))
		}
		return fmt.Sprintf("both nights measured %s: the change is not in the code (machines, container, data?)", bench.ShortCommit(good))
	}
	return fmt.Sprintf("%s..%s (%s; git bisect start %s %s)", bench.ShortCommit(good), bench.ShortCommit(bad), what, bad, good)
}

// EventText describes a cluster-wide event on one line: "nightly-027 (commit …, 2026-09-28): 12
// of 16 configs slower by 4.1–7.0% on one night: likely the cluster or a shared dependency
// (container, driver, library), not one config's code; bisect …". The slowdown is the size
// of each config's deciding speed metric's step.
func EventText(e *history.Event) string {
	var what []string
	by := fmt.Sprintf("%.1f%%", e.MinSlowerPct)
	if fmt.Sprintf("%.1f", e.MinSlowerPct) != fmt.Sprintf("%.1f", e.MaxSlowerPct) {
		by = fmt.Sprintf("%.1f–%.1f%%", e.MinSlowerPct, e.MaxSlowerPct)
	}
	if e.Slower > 0 {
		what = append(what, fmt.Sprintf("%d slower by %s", e.Slower, by))
	}
	if e.Failing > 0 {
		what = append(what, fmt.Sprintf("%d started failing", e.Failing))
	}
	if other := e.Configs - e.Slower - e.Failing; other > 0 {
		what = append(what, fmt.Sprintf("%d worse in another metric", other))
	}
	head := fmt.Sprintf("%d of %d configs got worse", e.Configs, e.Of)
	if len(what) == 1 && e.Slower == e.Configs { // every config slower, and only that
		head = fmt.Sprintf("%d of %d configs slower by %s", e.Configs, e.Of, by)
	} else if len(what) > 0 {
		head += " (" + strings.Join(what, ", ") + ")"
	}
	return fmt.Sprintf("%s: %s on one night: likely the cluster or a shared dependency (container, driver, library), not one config's code; bisect %s",
		where(e.Bad.Batch, e.Bad.Commit, e.Bad.Date), head, bisectText(e.Good, e.Bad, e.GoodMeasured, e.BadMeasured))
}

// AlertCount says how many alerts there are, and how many of them are cluster-wide events':
// "14 change(s) for the worse, 12 of them in 1 cluster-wide event".
func AlertCount(alerts []history.Alert, events []history.Event) string {
	s := fmt.Sprintf("%d change(s) for the worse", len(alerts))
	if len(events) > 0 {
		n := 0
		for _, e := range events {
			n += e.Alerts
		}
		s += fmt.Sprintf(", %d of them in %d cluster-wide event(s)", n, len(events))
	}
	return s
}

// withText names the changes shown with an alert (the other speed metrics of its
// measurement, or the metrics that failed with it): " (with s/iter +5.7%)".
func withText(a *history.Alert) string {
	over := ""
	if a.Overrules != "" && a.OverruledPct != nil {
		over = fmt.Sprintf(" (alerting on %s, not %s, which moved %s over the same nights: a run's speed metrics are one measurement and should move together; a FLOPs formula or unit changed?)", a.Metric, a.Overrules, pct(*a.OverruledPct))
	}
	if len(a.With) == 0 {
		return over
	}
	var parts []string
	for _, w := range a.With {
		p := w.Metric
		if w.Change.DeltaPct != nil {
			p += " " + pct(*w.Change.DeltaPct)
		} else if w.Change.Kind == history.Outcome && w.Change.To != a.Change.To {
			p += " " + outcomeWord(w.Change.To)
		}
		if w.Change.Batch != a.Change.Batch && w.Change.Kind != history.Drift {
			p += " from " + w.Change.Batch
		}
		parts = append(parts, p)
	}
	return over + " (with " + strings.Join(parts, ", ") + ")"
}

// sparkNights is how many newest nights an alert's sparkline shows.
const sparkNights = 30

// AlertLines describe each alert on one line, the other metrics of its measurement with it.
// A cluster-wide event is one line (EventText) followed by its alerts, indented, which name
// their own range to bisect only when it is not the event's; the other alerts follow.
func AlertLines(h *history.History, alerts []history.Alert) []string {
	events := h.Events(alerts)
	var out []string
	for i := range events {
		e := &events[i]
		out = append(out, EventText(e))
		for j := range alerts {
			if a := &alerts[j]; a.Event == e.Batch {
				out = append(out, "  "+alertLine(h, a, e))
			}
		}
	}
	for i := range alerts {
		if a := &alerts[i]; a.Event == "" {
			out = append(out, alertLine(h, a, nil))
		}
	}
	return out
}

// alertLine describes one alert; in event e, without what the event's line says.
func alertLine(h *history.History, a *history.Alert, e *history.Event) string {
	s := &h.Series[a.Series]
	line := fmt.Sprintf("%s %s: %s%s", s.Config, s.Metric, ChangeText(&a.Change), withText(a))
	if e != nil && a.Good.Batch == e.Good.Batch && a.GoodMeasured == e.GoodMeasured {
		return line
	}
	return fmt.Sprintf("%s %s; bisect %s", line, alertWhen(a), BisectText(a))
}

// alertWhen says when an alert's change happened: since its first bad night, or for a drift
// over how many nights up to the newest.
func alertWhen(a *history.Alert) string {
	if a.Change.Kind == history.Drift {
		return fmt.Sprintf("over %d nights to %s", a.Bad.BatchIndex-a.Good.BatchIndex, where(a.Bad.Batch, a.Bad.Commit, a.Bad.Date))
	}
	if a.Held {
		return "since " + where(a.Bad.Batch, a.Bad.Commit, a.Bad.Date) + ", still holding"
	}
	return "since " + where(a.Bad.Batch, a.Bad.Commit, a.Bad.Date)
}

// heldText says how many alerts are older changes that still hold (history.Alert.Held), which
// the newest recent nights of a heading do not hold: "" when none.
func heldText(h *history.History, alerts []history.Alert) string {
	n := 0
	for _, a := range alerts {
		if a.Held {
			n++
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", %d of them older and still holding (from the newest %d)", n, h.HoldNights)
}

// acceptMarkdown says, in Markdown, how to accept a change for the worse as the new normal.
const acceptMarkdown = "To accept a change as the new normal (it stops alerting once older than the newest nights), add a line `BATCH` (every config's change from that night) or `BATCH CONFIG` (one config's, ± 1 night; CONFIG as `tp=8/pp=4/nodes=32` or `tp=8 pp=4 nodes=32`) to the file `perfgate history --accept-file` reads, or pass `--accept \"BATCH CONFIG\"`."

// HistoryText writes the history as a terminal report: the source, every change point, and
// the changes for the worse among the newest batches.
func HistoryText(w io.Writer, h *history.History, o HistoryOptions) error {
	bw := &errWriter{w: w}
	configs := map[string]bool{}
	for _, s := range h.Series {
		configs[s.Key] = true
	}
	bw.printf("%s\n", HistorySource(h, o))
	if d := HistoryFormulaDrift(h); d != "" {
		bw.printf("%s\n", d)
	}
	bw.printf("%d batch(es), %d config(s), %d series; change points: E-divisive means on log values, permutation test, steps of at least %g%%.\n\n",
		len(h.Batches), len(configs), len(h.Series), h.MinEffectPct)
	n := 0
	for i := range h.Series {
		s := &h.Series[i]
		for j := range s.ChangePoints {
			cp := &s.ChangePoints[j]
			if n == 0 {
				bw.printf("Change points:\n")
			}
			n++
			mark := ""
			if cp.Worse {
				mark = "  worse"
			}
			bw.printf("  %s  %s  %s at %s%s\n", s.Config, s.Metric, ChangeText(cp), where(cp.Batch, cp.Commit, cp.Date), mark)
		}
	}
	if n == 0 {
		bw.printf("No change points.\n")
	}
	alerts := h.Alerts(o.Recent)
	bw.printf("\nNewest %d batch(es): ", o.Recent)
	if len(alerts) == 0 {
		bw.printf("no change for the worse.\n")
	} else {
		bw.printf("%s%s:\n", AlertCount(alerts, h.Events(alerts)), heldText(h, alerts))
		for _, l := range AlertLines(h, alerts) {
			bw.printf("  %s\n", l)
		}
	}
	return bw.err
}

// HistoryMarkdownMaxBytes is the size HistoryMarkdown keeps its output under: GitHub refuses
// an issue body (where the history-pages workflow posts it) of 65536 characters or more, and a
// job summary of more than 1 MiB. A night that moves a whole sweep must still be posted.
const HistoryMarkdownMaxBytes = 65000

// HistoryMarkdown writes the changes for the worse among the newest batches and the other
// change points as Markdown, for an issue or a job summary, in at most
// HistoryMarkdownMaxBytes: rows that do not fit are counted, and the text report named for
// the full list.
func HistoryMarkdown(w io.Writer, h *history.History, o HistoryOptions) error {
	var b strings.Builder
	alerts := h.Alerts(o.Recent)
	events := h.Events(alerts)
	if len(alerts) > 0 {
		fmt.Fprintf(&b, "## perfgate history: %s in the newest %d night(s)%s\n\n", AlertCount(alerts, events), o.Recent, heldText(h, alerts))
	} else {
		fmt.Fprintf(&b, "## perfgate history: no change for the worse in the newest %d night(s)\n\n", o.Recent)
	}
	fmt.Fprintf(&b, "%s\n\n", Escape(HistorySource(h, o)))
	if d := HistoryFormulaDrift(h); d != "" {
		fmt.Fprintf(&b, "%s\n\n", Escape(d))
	}
	if len(alerts) > 0 {
		fmt.Fprintf(&b, "%s\n\n", acceptMarkdown)
	}
	// Room kept for the notes on rows left out and the closing tags.
	const reserve = 1024
	// Rows are fitted as a prefix, so one row larger than the body (a config value of many
	// kilobytes) would leave out every row after it: cells from the data are cut at 1 kB,
	// marked, as in the PR comment; the text and JSON reports hold them whole.
	cell := func(s string) string { return capCell(Escape(s)) }
	// fit writes the rows that fit, in order, and counts the rest as what; it reports
	// whether all did.
	fit := func(rows []string, what string) bool {
		for i, row := range rows {
			if b.Len()+len(row)+1+reserve > HistoryMarkdownMaxBytes {
				fmt.Fprintf(&b, "\n%d more %s not shown: GitHub limits an issue body to 65536 characters. %s lists them all, and the dashboard shows them.\n", len(rows)-i, what, CodeSpan("perfgate history --baseline "+o.Store))
				return false
			}
			b.WriteString(row + "\n")
		}
		return true
	}
	header := fmt.Sprintf("| config | metric | last %d nights | change | first bad night | bisect |\n|---|---|---|---|---|---|\n", sparkNights)
	row := func(a *history.Alert) string {
		s := &h.Series[a.Series]
		return fmt.Sprintf("| %s | %s | %s | %s | %s | %s |", cell(s.Config.String()), cell(s.Metric), SeriesSparkline(s, sparkNights), cell(ChangeText(&a.Change)+withText(a)),
			cell(strings.TrimPrefix(alertWhen(a), "since ")), cell(BisectText(a)))
	}
	// The events first, one line each; then the alerts of no event, whole; then each
	// event's alerts, which are what an issue body leaves out first.
	for i := range events {
		fmt.Fprintf(&b, "**Cluster-wide:** %s\n\n", cell(EventText(&events[i])))
	}
	room := true
	var rows []string
	for i := range alerts {
		if alerts[i].Event == "" {
			rows = append(rows, row(&alerts[i]))
		}
	}
	if len(rows) > 0 {
		if len(events) > 0 {
			b.WriteString("Other changes for the worse:\n\n")
		}
		b.WriteString(header)
		room = fit(rows, "change(s) for the worse")
		b.WriteString("\n")
	}
	left := 0 // rows of events after the body is full
	for i := range events {
		e := &events[i]
		if !room {
			left += e.Alerts
			continue
		}
		rows = rows[:0]
		for j := range alerts {
			if alerts[j].Event == e.Batch {
				rows = append(rows, row(&alerts[j]))
			}
		}
		fmt.Fprintf(&b, "The %d change(s) of %s:\n\n%s", len(rows), cell(e.Batch), header)
		room = fit(rows, "change(s) for the worse of "+cell(e.Batch))
		b.WriteString("\n")
	}
	if left > 0 {
		fmt.Fprintf(&b, "%d more change(s) for the worse of the cluster-wide event(s) above not shown: %s lists them all.\n\n", left, CodeSpan("perfgate history --baseline "+o.Store))
	}
	rows = nil
	for i := range h.Series {
		s := &h.Series[i]
		for j := range s.ChangePoints {
			cp := &s.ChangePoints[j]
			rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s |", cell(s.Config.String()), cell(s.Metric), cell(ChangeText(cp)), cell(where(cp.Batch, cp.Commit, cp.Date))))
		}
	}
	if len(rows) > 0 {
		fmt.Fprintf(&b, "<details><summary>All %d change point(s)</summary>\n\n| config | metric | change | first night after |\n|---|---|---|---|\n", len(rows))
		fit(rows, "change point(s)")
		b.WriteString("\n</details>\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

// HistoryJSON writes the history as indented JSON (schema 1, see history.History), with the
// alerts of the newest o.Recent batches (every one, one per measurement, each naming its
// cluster-wide event if any) and those events.
func HistoryJSON(w io.Writer, h *history.History, o HistoryOptions) error {
	alerts := h.Alerts(o.Recent)
	if alerts == nil {
		alerts = []history.Alert{}
	}
	events := h.Events(alerts)
	if events == nil {
		events = []history.Event{}
	}
	return writeJSON(w, struct {
		*history.History
		Recent int             `json:"recent"`
		Alerts []history.Alert `json:"alerts"`
		Events []history.Event `json:"alert_events"`
	}{h, o.Recent, alerts, events})
}
