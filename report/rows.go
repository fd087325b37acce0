package report

import (
	"cmp"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/check"
)

// A Row is one line of a report: one decision about one config. The metrics of one
// measurement (s/iter, TFLOPS/GPU, tokens/s/GPU: each a function of the others) are one row
// with a column per metric; an independent metric (memory) is a row of its own.
type Row struct {
	Key    string
	Config map[string]string
	// Status is the row's decision; Fails and Ignored are as for a check.Result.
	Status  check.Status
	Fails   bool
	Ignored bool
	// Results are the row's metrics, the one that decided the status first.
	Results []check.Result
}

// Decider returns the result that decided the row's status.
func (r *Row) Decider() *check.Result { return &r.Results[0] }

// Result returns the row's result for metric, or nil.
func (r *Row) Result(metric string) *check.Result {
	for i := range r.Results {
		if r.Results[i].Metric == metric {
			return &r.Results[i]
		}
	}
	return nil
}

// measurement lists the metrics that are one measurement of a run, in the order their
// columns are shown: each is a constant over, or a multiple of, the time per iteration.
var measurement = []string{bench.MetricTFLOPS, bench.MetricTime, "tokens/s/GPU", "tokens/s", "samples/s", "MFU"}

func measurementRank(metric string) int {
	for i, m := range measurement {
		if m == metric {
			return i
		}
	}
	return -1
}

// statusRank orders statuses as check.Statuses lists them (failures first); unknown
// statuses (a newer perfgate's) come last.
func statusRank(s check.Status) int {
	for i, t := range check.Statuses {
		if t == s {
			return i
		}
	}
	return len(check.Statuses)
}

// failOrder orders the statuses of failing results, most severe first: a config that ran in
// the baseline and now fails (OOM, error) is an unbounded slowdown, worse than any regression;
// a config that is missing (with --require-all) was not measured at all; then regressions,
// worst first by their size. It is not check.Statuses' order, which the counts follow.
var failOrder = []check.Status{check.NewlyFailing, check.Missing, check.Regression}

// failRank ranks a failing result's status by failOrder; other failing statuses (a newer
// perfgate's) come after, in report order.
func failRank(s check.Status) int {
	for i, t := range failOrder {
		if t == s {
			return i
		}
	}
	return len(failOrder) + statusRank(s)
}

// A severity orders results by how much a reviewer must look at them: failing results
// first (newly failing, then missing, then regressions: failOrder), then by status, then by
// the size of the change in the worse direction.
type severity struct {
	fails bool
	rank  int
	worse float64
}

// Fails reports whether r fails the gate. Reports from before the "fails" field carry only
// the status, so a failing status that is not ignored counts too.
func Fails(r *check.Result) bool {
	return r.Fails || (r.Status.Fails(false) && !r.Ignored)
}

func severityOf(r *check.Result) severity {
	fails := Fails(r)
	rank := statusRank(r.Status)
	if fails {
		rank = failRank(r.Status)
	}
	return severity{fails, rank, worsePct(r)}
}

// compare is negative when a is more severe than b, positive when less, 0 when as severe.
func (a severity) compare(b severity) int {
	switch {
	case a.fails != b.fails:
		return before(a.fails)
	case a.rank != b.rank:
		return cmp.Compare(a.rank, b.rank)
	case a.worse != b.worse:
		return before(a.worse > b.worse)
	}
	return 0
}

// CompareSeverity orders results as the reports list them, worst first: failing ones first
// (newly failing, missing, then regressions), then by status, then by how far they moved the
// worse way. Negative when a comes first.
func CompareSeverity(a, b *check.Result) int { return severityOf(a).compare(severityOf(b)) }

// moreSevere reports whether a is more severe than b.
func moreSevere(a, b *check.Result) bool { return severityOf(a).compare(severityOf(b)) < 0 }

// worsePct is how far r moved in its worse direction, in percent (negative when it got
// better, 0 when undefined).
func worsePct(r *check.Result) float64 {
	if r.DeltaPct == nil || math.IsNaN(*r.DeltaPct) {
		return 0
	}
	if r.Better == "lower" {
		return *r.DeltaPct
	}
	return -*r.DeltaPct
}

// Rows groups the report's results into rows, in report order: failing rows first, worst
// first (newly failing, missing, then regressions by the size of the change), then the
// other rows by status and config. The row's status is that of its most severe metric (a failing one if any), so a
// row fails when any of its metrics fails.
//
// A row is one decision of check: a config's results of one measurement
// (check.Result.Measurement), led by the result that decided (DecidedBy empty). Reports
// from before check recorded measurements are grouped by the known speed metrics.
func Rows(rep *check.Report) []Row {
	type id struct{ key, group string }
	index := map[id]int{}
	var rows []Row
	for _, r := range rep.Results {
		g := r.Measurement
		if g == "" {
			g = r.Metric
			if measurementRank(r.Metric) >= 0 {
				g = check.SpeedMeasurement
			}
		}
		k := id{r.Key, g}
		i, ok := index[k]
		if !ok {
			i = len(rows)
			index[k] = i
			rows = append(rows, Row{Key: r.Key, Config: r.Config})
		}
		rows[i].Results = append(rows[i].Results, r)
	}
	for i := range rows {
		row := &rows[i]
		// The deciding result first: check's decision, else (a report without decisions
		// recorded) a failing one, else the most severe status; among equals the
		// measurement's primary metric (TFLOPS/GPU), then the others in order.
		slices.SortStableFunc(row.Results, func(ra, rb check.Result) int {
			switch {
			case ra.Decides() != rb.Decides():
				return before(ra.Decides())
			case ra.Fails != rb.Fails:
				return before(ra.Fails)
			}
			if sa, sb := statusRank(ra.Status), statusRank(rb.Status); sa != sb {
				return cmp.Compare(sa, sb)
			}
			return cmp.Compare(measurementRank(ra.Metric), measurementRank(rb.Metric))
		})
		d := row.Decider()
		row.Status, row.Fails, row.Ignored = d.Status, false, d.Ignored
		for _, r := range row.Results {
			row.Fails = row.Fails || Fails(&r)
		}
	}
	// A stable sort of the rows, by their indexes: the original index breaks ties, and the
	// rows, large structs, move once.
	// The sort keys sit side by side (severity, then key and metric), not behind each
	// row's results.
	type sortKey struct {
		sev         severity
		key, metric string
		index       int
	}
	order := make([]sortKey, len(rows))
	for i := range rows {
		d := rows[i].Decider()
		order[i] = sortKey{severityOf(d), d.Key, d.Metric, i}
	}
	slices.SortFunc(order, func(a, b sortKey) int {
		if c := a.sev.compare(b.sev); c != 0 {
			return c
		}
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		if c := strings.Compare(a.metric, b.metric); c != 0 {
			return c
		}
		return cmp.Compare(a.index, b.index)
	})
	sorted := make([]Row, len(rows))
	for i, k := range order {
		sorted[i] = rows[k.index]
	}
	return sorted
}

// before is a comparison's result for "the first comes first" when first is true, else for
// "the second comes first".
func before(first bool) int {
	if first {
		return -1
	}
	return 1
}

// Ignored is the count ConfigCounts gives configs whose most severe row an ignore rule
// covers (and that did not stay unchanged): they cannot fail the gate, so they are not
// counted under their status.
const Ignored check.Status = "ignored"

// ConfigCounts counts the report's configs by status: each config once, with the status of
// its failing row if it has one (the most severe), else of its measurement row (s/iter,
// TFLOPS/GPU), else of its most severe row. So a config whose memory metric is new but
// whose speed is unchanged counts as unchanged, and one whose memory regressed as a
// regression.
func ConfigCounts(rows []Row) (counts map[check.Status]int, configs int) {
	worst := map[string]*check.Result{}
	counts2 := func(r *check.Result) bool {
		return r.Fails || r.Measurement == check.SpeedMeasurement || (r.Measurement == "" && measurementRank(r.Metric) >= 0)
	}
	for i := range rows {
		d := rows[i].Decider()
		w, ok := worst[rows[i].Key]
		switch {
		case !ok, d.Fails && !w.Fails:
			worst[rows[i].Key] = d
		case d.Fails == w.Fails && counts2(d) != counts2(w):
			if counts2(d) {
				worst[rows[i].Key] = d
			}
		case d.Fails == w.Fails && moreSevere(d, w):
			worst[rows[i].Key] = d
		}
	}
	counts = map[check.Status]int{}
	for _, d := range worst {
		if d.Ignored && d.Status != check.Unchanged {
			counts[Ignored]++
			continue
		}
		counts[d.Status]++
	}
	return counts, len(worst)
}

// rowMetrics returns the metric columns for rows: the measurement's metrics in their order,
// then the others in order of first appearance.
func rowMetrics(rows []Row) []string {
	seen := map[string]bool{}
	var known, other []string
	for _, row := range rows {
		for _, r := range row.Results {
			if seen[r.Metric] {
				continue
			}
			seen[r.Metric] = true
			if measurementRank(r.Metric) >= 0 {
				known = append(known, r.Metric)
			} else {
				other = append(other, r.Metric)
			}
		}
	}
	sort.Slice(known, func(i, j int) bool { return measurementRank(known[i]) < measurementRank(known[j]) })
	return append(known, other...)
}

// CommonKeys returns the config keys that have one value in every row, in display order,
// as "k=v" pairs. Rows show only the other keys.
func CommonKeys(rows []Row) []string {
	if len(rows) < 2 {
		return nil
	}
	common := map[string]string{}
	for k, v := range rows[0].Config {
		common[k] = v
	}
	for _, row := range rows[1:] {
		for k, v := range common {
			if w, ok := row.Config[k]; !ok || w != v {
				delete(common, k)
			}
		}
		if len(common) == 0 {
			return nil
		}
	}
	// A config made only of common keys would show as nothing: keep at least one key.
	for _, row := range rows {
		if len(row.Config) == len(common) {
			return nil
		}
	}
	var out []string
	for _, k := range bench.Config(common).Keys() {
		out = append(out, k+"="+common[k])
	}
	return out
}

// shortConfig renders cfg in display order without the common keys.
func shortConfig(cfg map[string]string, common []string) string {
	var b strings.Builder
	for _, k := range bench.Config(cfg).Keys() {
		v := cfg[k]
		if slices.ContainsFunc(common, func(kv string) bool { return isPair(kv, k, v) }) {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(v)
	}
	return b.String()
}

// isPair reports whether kv is k + "=" + v.
func isPair(kv, k, v string) bool {
	return len(kv) == len(k)+1+len(v) && kv[len(k)] == '=' && kv[:len(k)] == k && kv[len(k)+1:] == v
}

// Mark returns "▲" when a change of deltaPct is better in the direction better, "▼" when
// it is worse, and "" for no change.
func Mark(deltaPct float64, better string) string {
	switch {
	case math.IsNaN(deltaPct) || math.Abs(deltaPct) < 0.05:
		return ""
	case (deltaPct > 0) == (better != "lower"):
		return "▲"
	default:
		return "▼"
	}
}

// signedPct formats a percentage with its sign (a true minus sign) and one decimal.
func signedPct(p float64) string {
	s := strconv.FormatFloat(math.Abs(p), 'f', 1, 64) + "%"
	switch {
	case s == "0.0%":
		return "±0.0%"
	case p < 0:
		return "−" + s
	}
	return "+" + s
}

// MetricCell is a metric's column in a row: "baseline → new Δ mark", e.g.
// "154.0 → 138.7 −9.9% ▼", "147.2 → OOM" or "— → 145.8".
func MetricCell(r *check.Result) string {
	if r == nil {
		return ""
	}
	base, cur := "—", "—"
	if b := r.Baseline; b != nil {
		switch {
		case b.Runs > 0:
			base = num(b.Center)
		case b.Failed > 0:
			base = "failed"
		}
	}
	if n := r.New; n != nil {
		switch {
		case n.Runs > 0:
			cur = num(n.Center)
		case r.Outcome != "ok" && r.Outcome != "":
			cur = strings.ToUpper(r.Outcome)
		}
	} else if r.Status != check.Missing && r.Outcome != "ok" && r.Outcome != "" {
		cur = strings.ToUpper(r.Outcome)
	}
	s := base + " → " + cur
	if r.DeltaPct != nil {
		s += " " + signedPct(*r.DeltaPct)
		if m := Mark(*r.DeltaPct, r.Better); m != "" {
			s += " " + m
		}
	}
	return s
}

// GateCell says what the decision was measured against, labelled as what it is: the fixed
// tolerance, or the test's threshold and the measured run-to-run noise, with the runs.
func GateCell(r *check.Result) string {
	if r.DeltaPct == nil || r.Baseline == nil {
		return "—"
	}
	runs := " (n=" + strconv.Itoa(r.Baseline.Runs) + ")"
	if r.PValue == nil {
		return "tolerance ±" + trimPct(r.ThresholdPct) + runs
	}
	s := "p=" + strconv.FormatFloat(*r.PValue, 'g', 2, 64) + ", threshold " + trimPct(r.ThresholdPct)
	if r.Baseline.NoisePct > 0 {
		s += ", noise ±" + strconv.FormatFloat(r.Baseline.NoisePct, 'f', 1, 64) + "%"
	}
	return s + runs
}

// trimPct formats a percentage with at most one decimal: "5%", "3.4%".
func trimPct(p float64) string {
	return strings.TrimSuffix(strconv.FormatFloat(p, 'f', 1, 64), ".0") + "%"
}

// StatusText is a row's status as shown: the status, and "(ignored)" when an ignore rule
// covers it.
func StatusText(row *Row) string {
	if row.Ignored {
		return string(row.Status) + " (ignored)"
	}
	return string(row.Status)
}

// rowReason is the reason of a row in words, with the ingest notes of its results.
func rowReason(row *Row) string {
	why := Reason(row.Decider())
	seen := map[string]bool{}
	for _, r := range row.Results {
		for _, n := range r.Notes {
			if !seen[n] {
				seen[n] = true
				why += " — note: " + n
			}
		}
	}
	return oneLine(why)
}

// footnotes gives a mark to every reason that more than one row shares, so the reason is
// written once below the table instead of on every row.
type footnotes struct {
	mark  map[string]string
	order []string
}

var footnoteMarks = []string{"¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"}

func newFootnotes(reasons []string) *footnotes {
	count := map[string]int{}
	for _, r := range reasons {
		count[r]++
	}
	f := &footnotes{mark: map[string]string{}}
	for _, r := range reasons {
		if count[r] < 2 || r == "" || f.mark[r] != "" {
			continue
		}
		m := "[" + strconv.Itoa(len(f.order)+1) + "]"
		if len(f.order) < len(footnoteMarks) {
			m = footnoteMarks[len(f.order)]
		}
		f.mark[r] = m
		f.order = append(f.order, r)
	}
	return f
}

// reasons returns the reason of every row, as newFootnotes takes them.
func reasons(rows []Row) []string {
	out := make([]string, len(rows))
	for i := range rows {
		out[i] = rowReason(&rows[i])
	}
	return out
}
