package report

import (
	"bytes"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/check"
	"github.com/perfgate/perfgate/eval"
	"github.com/perfgate/perfgate/history"
)

// historyFixture is the README dashboard's example (see exampleHistory): a level drop, a
// level gain and an OOM start among the newest nights.
func historyFixture(t *testing.T) *history.History {
	t.Helper()
	h := exampleHistory(12, 40)
	var kinds = map[history.Kind]int{}
	for _, s := range h.Series {
		for _, cp := range s.ChangePoints {
			kinds[cp.Kind]++
		}
	}
	if kinds[history.Level] == 0 || kinds[history.Outcome] == 0 {
		t.Fatalf("the fixture lost a kind of change point: %v", kinds)
	}
	return h
}

func smallHistory() *history.History {
	n := eval.Nightly{Configs: 3, Nights: 10, NoisePct: 0.8, Window: 10,
		Steps: []eval.Step{{Config: 0, Night: 5, Pct: -8}}, OOMFrom: map[int]int{2: 8}}
	var revs []history.Revision
	for i, runs := range eval.Nights(n, rand.New(rand.NewPCG(3, 3))) {
		commit := fmt.Sprintf("%x", sha1.Sum([]byte(fmt.Sprint("store ", i))))
		revs = append(revs, history.Revision{Commit: commit, Date: runs[0].Date, Runs: runs})
	}
	return history.Build(revs, nil, history.FromGit, history.DefaultOptions())
}

func TestHistoryGolden(t *testing.T) {
	h := historyFixture(t)
	o := HistoryOptions{Store: "perf/baseline", Recent: 3}
	var text, md, js bytes.Buffer
	if err := HistoryText(&text, h, o); err != nil {
		t.Fatal(err)
	}
	if err := HistoryMarkdown(&md, h, o); err != nil {
		t.Fatal(err)
	}
	// The JSON of a smaller history: 3 configs over 10 nights, an 8% drop at night 5 and an
	// OOM start at night 8.
	small := smallHistory()
	if err := HistoryJSON(&js, small, o); err != nil {
		t.Fatal(err)
	}
	golden(t, "history.txt.golden", text.String())
	golden(t, "history.md.golden", md.String())
	golden(t, "history.json.golden", js.String())

	// The JSON reads back into the same history (schema 1).
	var back history.History
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Schema != 1 || len(back.Series) != len(small.Series) || back.Series[0].Better != small.Series[0].Better {
		t.Errorf("JSON round trip: schema %d, %d series, better %v", back.Schema, len(back.Series), back.Series[0].Better)
	}
}

// TestHTMLEscapesData: config keys and values reach the page as data, never as markup.
func TestHTMLEscapesData(t *testing.T) {
	h := exampleHistory(4, 12)
	for i := range h.Series {
		h.Series[i].Config["flags"] = `</script><script>alert(1)</script><img src=x onerror=alert(2)>`
	}
	h.Sweep.Scales[0].BestCfg["flags"] = `<b onmouseover=alert(3)>`
	var buf bytes.Buffer
	if err := HTML(&buf, h, HistoryOptions{Store: "<i>perf</i>", Recent: 3}); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, bad := range []string{"<script>alert", "<img src=x", "<b onmouseover", "<i>perf</i>"} {
		if strings.Contains(page, bad) {
			t.Errorf("the page contains %q unescaped", bad)
		}
	}
	if n := strings.Count(page, "</script>"); n != 2 {
		t.Errorf("%d </script> tags, want the data's and the code's", n)
	}
}

func TestSparkline(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	for _, tt := range []struct {
		in   []*float64
		want string
	}{
		{nil, ""},
		{[]*float64{f(1), f(1)}, "▅▅"},
		{[]*float64{f(100), f(100), f(90), f(90), nil}, "██▁▁✕"},
		{[]*float64{f(0), f(1), f(2), f(3), f(4), f(5), f(6), f(7)}, "▁▂▃▄▅▆▇█"},
		// Within the minimum span (±5% around 98): 1% noise moves a bar or so, a 5% step four.
		{[]*float64{f(100), f(101), f(99.5), f(95), f(95.5)}, "▆▇▆▂▃"},
		// A range beyond float64 (a hand-made or hostile report) draws, never panics.
		{[]*float64{f(1e308), f(-1e308), f(0)}, "█▁▅"},
		{[]*float64{f(math.Inf(1)), f(1)}, "▅▅"},
	} {
		if got := Sparkline(tt.in); got != tt.want {
			t.Errorf("Sparkline(%d values) = %q, want %q", len(tt.in), got, tt.want)
		}
	}
}

func TestRunSparkline(t *testing.T) {
	base := &check.Baseline{Runs: 3, History: []float64{100, 101, 99.5}}
	for _, tt := range []struct {
		name string
		r    check.Result
		want string
	}{
		{"a drop after steady runs", check.Result{Baseline: base, New: &check.NewRuns{Center: 95, Runs: 1}, Outcome: "ok"}, "▆▇▆▂"},
		{"a new OOM", check.Result{Baseline: base, New: &check.NewRuns{}, Outcome: "oom"}, "▄▅▄✕"},
		{"one baseline run says nothing", check.Result{Baseline: &check.Baseline{Runs: 1, History: []float64{100}}, New: &check.NewRuns{Center: 95, Runs: 1}}, ""},
		{"no baseline", check.Result{New: &check.NewRuns{Center: 95, Runs: 1}}, ""},
	} {
		if got := runSparkline(&tt.r); got != tt.want {
			t.Errorf("%s: runSparkline = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestBisectTextSameStoreCommit: when the nights recorded no measured commit, the range falls
// back to the store commits that recorded them; one store commit recording both nights (a
// store imported in bulk, or moved) says nothing about the code, so it must not be reported
// as "both nights measured it: the change is not in the code".
func TestBisectTextSameStoreCommit(t *testing.T) {
	store := strings.Repeat("a", 40)
	a := &history.Alert{Good: history.Point{Batch: "n3", Commit: store}, Bad: history.Point{Batch: "n4", Commit: store}}
	got := BisectText(a)
	if strings.Contains(got, "measured "+store[:12]) || strings.Contains(got, "not in the code") {
		t.Errorf("BisectText = %q: claims the nights measured the store commit", got)
	}
	if !strings.Contains(got, "n3") || !strings.Contains(got, "n4") {
		t.Errorf("BisectText = %q: want the batches to bisect between", got)
	}
	// The same measured commit on both nights does mean the code did not change.
	a.GoodMeasured, a.BadMeasured = strings.Repeat("b", 40), strings.Repeat("b", 40)
	if got := BisectText(a); !strings.Contains(got, "not in the code") {
		t.Errorf("BisectText = %q with one measured commit: want 'not in the code'", got)
	}
}

// sweptHistory is the history of 30 nights of configs configs (seeded), every one of which
// got 8% slower on night 27 (a night that moved the whole sweep), but the configs in oom,
// which run out of memory from the night given.
func sweptHistory(configs int, oom map[int]int) *history.History {
	n := eval.Nightly{Configs: configs, Nights: 30, NoisePct: 0.8, Window: 10, OOMFrom: oom}
	for c := 0; c < n.Configs; c++ {
		if _, ok := oom[c]; !ok {
			n.Steps = append(n.Steps, eval.Step{Config: c, Night: 27, Pct: -8})
		}
	}
	var revs []history.Revision
	for i, runs := range eval.Nights(n, rand.New(rand.NewPCG(5, 5))) {
		commit := fmt.Sprintf("%x", sha1.Sum([]byte(fmt.Sprint("store ", i))))
		revs = append(revs, history.Revision{Commit: commit, Date: runs[0].Date, Runs: runs})
	}
	return history.Build(revs, nil, history.FromGit, history.DefaultOptions())
}

// TestHistoryMarkdownFitsAnIssue: a night that moves a whole sweep (a container update that
// costs every config 8%) gives hundreds of alerts; the history-pages workflow posts the
// Markdown as an issue body, which GitHub refuses at 65536 characters, so the report must
// stay under HistoryMarkdownMaxBytes and say how many rows it left out. The night is one
// cluster-wide event, said once at the top; a config that started failing on another night
// is no part of it and is shown whole, however many of the event's rows are left out.
func TestHistoryMarkdownFitsAnIssue(t *testing.T) {
	h := sweptHistory(300, map[int]int{7: 28})
	all := h.Alerts(3)
	alerts := len(all)
	if alerts != 300 {
		t.Fatalf("%d alerts, want one per config (the speed metrics are one measurement)", alerts)
	}
	events := h.Events(all)
	if len(events) != 1 || events[0].Configs != 299 || events[0].Of != 300 || events[0].Slower != 299 {
		t.Fatalf("events %+v, want one of 299 of 300 configs slower", events)
	}
	var md bytes.Buffer
	if err := HistoryMarkdown(&md, h, HistoryOptions{Store: "perf/my_baseline", Recent: 3}); err != nil {
		t.Fatal(err)
	}
	out := md.String()
	// The command to list them all is one to copy: in a code span, unescaped.
	if !strings.Contains(out, "`perfgate history --baseline perf/my_baseline`") {
		t.Errorf("the command that lists every alert is not copyable as is: %q", out[strings.LastIndex(out, "not shown"):])
	}
	if md.Len() > HistoryMarkdownMaxBytes {
		t.Errorf("the Markdown is %d bytes, over %d: GitHub would refuse the issue", md.Len(), HistoryMarkdownMaxBytes)
	}
	if !strings.HasPrefix(out, fmt.Sprintf("## perfgate history: %d change(s) for the worse, 299 of them in 1 cluster-wide event(s)", alerts)) {
		t.Errorf("the heading does not count every alert and the event: %.150s", out)
	}
	if !strings.Contains(out, "**Cluster-wide:** nightly-027 \\(commit ") || !strings.Contains(out, ": 299 of 300 configs slower by ") {
		t.Errorf("no cluster-wide event line for nightly-027")
	}
	// The OOM, no part of the event, comes before the event's rows.
	oom := strings.Index(out, "runs → OOM")
	if oom < 0 || oom > strings.Index(out, "The 299 change(s) of nightly-027") {
		t.Errorf("the config that started failing is not shown before the event's rows")
	}
	shown := strings.Count(out, " | bisect |") // the tables' headers
	rows := strings.Count(out, " | TFLOPS/GPU | ")
	var more int
	if i := strings.Index(out, " more change(s) for the worse of nightly-027 not shown"); i < 0 {
		t.Errorf("no note on the alerts left out")
	} else {
		fmt.Sscanf(out[strings.LastIndex(out[:i], "\n")+1:], "%d", &more)
	}
	if shown != 2 || rows == 0 || rows+more != alerts {
		t.Errorf("%d tables, %d alert rows shown and %d said left out, want 2 tables and %d rows in all", shown, rows, more, alerts)
	}
	if !strings.HasSuffix(out, "</details>\n") {
		t.Errorf("the change-point list is not closed: %q", out[len(out)-80:])
	}
}

// TestHistoryMarkdownCapsCells: rows are fitted to the issue body as a prefix, so one row
// larger than the body (a config value of many kilobytes, which escaping can quadruple) left
// out every alert after it. Cells taken from the data are cut at 1 kB, as in the PR comment.
func TestHistoryMarkdownCapsCells(t *testing.T) {
	h := sweptHistory(10, nil)
	alerts := h.Alerts(3)
	if len(alerts) != 10 {
		t.Fatalf("%d alerts, want one per config", len(alerts))
	}
	s := &h.Series[alerts[0].Series]
	s.Config = maps.Clone(s.Config)
	s.Config["container"] = strings.Repeat("<", 30000)
	s.Metric = strings.Repeat("|", 30000)
	// A metric of that name is no speed metric: its config's s/iter now decides, and the
	// giant metric alerts on its own.
	alerts = h.Alerts(3)
	if len(alerts) != 11 {
		t.Fatalf("%d alerts with the giant metric, want 11", len(alerts))
	}
	var md bytes.Buffer
	if err := HistoryMarkdown(&md, h, HistoryOptions{Store: "perf/baseline", Recent: 3}); err != nil {
		t.Fatal(err)
	}
	out := md.String()
	if md.Len() > HistoryMarkdownMaxBytes {
		t.Errorf("the Markdown is %d bytes, over %d", md.Len(), HistoryMarkdownMaxBytes)
	}
	if strings.Contains(out, "not shown") {
		t.Errorf("rows left out although every row fits once the giant cells are cut: %s", out[strings.Index(out, "not shown")-40:][:120])
	}
	if rows := strings.Count(out, "(measured commits; git bisect start") - 1; rows != len(alerts) { // and the event's line
		t.Errorf("%d of %d alert rows shown", rows, len(alerts))
	}
	if !strings.Contains(out, "&lt;&lt; …") || !strings.Contains(out, "\\| …") {
		t.Errorf("the giant cells were not cut with a mark")
	}
}

// TestHistoryEventInEveryFormat: 5 of 6 configs 8% slower on one night is one cluster-wide
// event, said once with its range to bisect and followed by its configs, in the text report,
// the Markdown, the dashboard and the --fail-on lines alike; the sixth config, which started
// failing the next night, is an alert of its own. The JSON carries every alert, the event's
// naming it, and the event.
func TestHistoryEventInEveryFormat(t *testing.T) {
	h := sweptHistory(6, map[int]int{5: 28})
	o := HistoryOptions{Store: "perf/baseline", Recent: 3}
	lines := AlertLines(h, h.Alerts(3))
	if len(lines) != 7 {
		t.Fatalf("%d alert lines, want the event, its 5 configs and the OOM:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	event := lines[0]
	for _, want := range []string{"nightly-027 (commit ", "5 of 6 configs slower by ", "likely the cluster or a shared dependency", "; bisect " + eval.MeasuredCommit(26)[:12] + ".." + eval.MeasuredCommit(27)[:12]} {
		if !strings.Contains(event, want) {
			t.Errorf("event line lacks %q: %s", want, event)
		}
	}
	for _, l := range lines[1:6] {
		if !strings.HasPrefix(l, "  model=") || !strings.Contains(l, "TFLOPS/GPU: ") || !strings.Contains(l, "(with s/iter +") || strings.Contains(l, "bisect") {
			t.Errorf("event member line %q: want indented, on TFLOPS/GPU with s/iter shown, without the event's range", l)
		}
	}
	if l := lines[6]; strings.HasPrefix(l, " ") || !strings.Contains(l, "runs → OOM (with s/iter) since nightly-028") || !strings.Contains(l, "bisect ") {
		t.Errorf("OOM line %q: want its own alert and range", l)
	}

	var text, md, page, js bytes.Buffer
	if err := HistoryText(&text, h, o); err != nil {
		t.Fatal(err)
	}
	if err := HistoryMarkdown(&md, h, o); err != nil {
		t.Fatal(err)
	}
	if err := HTML(&page, h, o); err != nil {
		t.Fatal(err)
	}
	if err := HistoryJSON(&js, h, o); err != nil {
		t.Fatal(err)
	}
	if want := "Newest 3 batch(es): 6 change(s) for the worse, 5 of them in 1 cluster-wide event(s):\n  " + strings.Join(lines, "\n  ") + "\n"; !strings.HasSuffix(text.String(), want) {
		t.Errorf("text report does not end with the alert lines:\n%s", text.String())
	}
	if !strings.Contains(md.String(), "## perfgate history: 6 change(s) for the worse, 5 of them in 1 cluster-wide event(s)") ||
		!strings.Contains(md.String(), "**Cluster-wide:** "+Escape(event)) || strings.Count(md.String()[:strings.Index(md.String(), "<details>")], " | TFLOPS/GPU | ") != 6 {
		t.Errorf("Markdown lacks the event or a row:\n%s", md.String())
	}
	if !strings.Contains(page.String(), "5 of 6 configs slower by ") {
		t.Errorf("the dashboard lacks the event")
	}
	var back struct {
		Recent int             `json:"recent"`
		Alerts []history.Alert `json:"alerts"`
		Events []history.Event `json:"alert_events"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	inEvent := 0
	for _, a := range back.Alerts {
		if a.Event == "nightly-027" {
			inEvent++
		}
	}
	if back.Recent != 3 || len(back.Alerts) != 6 || inEvent != 5 || len(back.Events) != 1 || back.Events[0].Configs != 5 || back.Events[0].Of != 6 {
		t.Errorf("JSON: recent %d, %d alerts (%d in the event), events %+v; want 3, 6 (5), one of 5 of 6 configs", back.Recent, len(back.Alerts), inEvent, back.Events)
	}
}

// TestHistoryMarkdownFullBodyCountsEvents: when the alerts of no event fill the issue body,
// the rows of the cluster-wide event are left out too, and counted, never dropped unsaid.
func TestHistoryMarkdownFullBodyCountsEvents(t *testing.T) {
	oom := map[int]int{}
	for c := 61; c < 120; c++ {
		oom[c] = 28 // 59 of 120 configs: not half, so 59 alerts of their own
	}
	h := sweptHistory(120, oom) // the other 61 are one event
	for i := range h.Series {
		s := &h.Series[i]
		s.Config = maps.Clone(s.Config)
		s.Config["container"] = strings.Repeat("x", 3000) // cut at 1 kB: rows of about 1.4 kB
	}
	alerts := h.Alerts(3)
	if ev := h.Events(alerts); len(alerts) != 120 || len(ev) != 1 || ev[0].Alerts != 61 {
		t.Fatalf("%d alerts, events %+v; want 120 and one event of 61", len(alerts), ev)
	}
	var md bytes.Buffer
	if err := HistoryMarkdown(&md, h, HistoryOptions{Store: "perf/baseline", Recent: 3}); err != nil {
		t.Fatal(err)
	}
	out := md.String()
	var more, moreEvent int
	if i := strings.Index(out, " more change(s) for the worse not shown"); i >= 0 {
		fmt.Sscanf(out[strings.LastIndex(out[:i], "\n")+1:], "%d", &more)
	}
	if i := strings.Index(out, " more change(s) for the worse of the cluster-wide event(s) above not shown"); i >= 0 {
		fmt.Sscanf(out[strings.LastIndex(out[:i], "\n")+1:], "%d", &moreEvent)
	}
	rows := strings.Count(out, "runs → OOM")
	if md.Len() > HistoryMarkdownMaxBytes || more == 0 || rows+more != 59 || moreEvent != 61 || !strings.Contains(out, "**Cluster-wide:** ") {
		t.Errorf("%d bytes; %d OOM rows shown, %d said left out, %d of the event said left out; want under %d, 59 in all and 61",
			md.Len(), rows, more, moreEvent, HistoryMarkdownMaxBytes)
	}
}

// TestAlertOverrulesInWords: an alert on a speed metric that overruled the deciding one (the
// two disagreed) says so on its line, with the deciding metric's own change, never "-0.0%".
func TestAlertOverrulesInWords(t *testing.T) {
	before, after, step, p, flat := 40.0, 44.0, 10.0, 0.001, -0.01
	h := &history.History{Series: []history.Series{{Key: "tp=8", Metric: "s/iter"}}}
	a := history.Alert{Series: 0, Metric: "s/iter", Change: history.ChangePoint{Kind: history.Level, Before: &before, After: &after, DeltaPct: &step, PValue: &p},
		Overrules: "TFLOPS/GPU", OverruledPct: &flat}
	got := AlertLines(h, []history.Alert{a})
	want := "(alerting on s/iter, not TFLOPS/GPU, which moved +0.0% over the same nights"
	if len(got) != 1 || !strings.Contains(got[0], want) {
		t.Errorf("alert lines %q, want one containing %q", got, want)
	}
}

// TestHistoryFormulaDrift: the configs whose logged TFLOPS followed two formulas are named in
// the text report, with the metric that decides their alerts instead.
func TestHistoryFormulaDrift(t *testing.T) {
	h := &history.History{Source: history.FromGit, Commits: 3, Series: []history.Series{}, Batches: []history.Batch{},
		FormulaDrift: map[string][]string{"tp=8": {"megatron", "megatron-core"}, "tp=4": {"a", "b"}}}
	var b strings.Builder
	if err := HistoryText(&b, h, HistoryOptions{Store: "perf/baseline", Recent: 3}); err != nil {
		t.Fatal(err)
	}
	want := "The logged TFLOPS/GPU of 2 config(s) followed more than one FLOPs formula over the history (tp=4: a → b), so it steps at the same speed; their speed alerts are decided by s/iter."
	if !strings.Contains(b.String(), want) {
		t.Errorf("text report\n%s\nlacks %q", b.String(), want)
	}
	if HistoryFormulaDrift(&history.History{}) != "" {
		t.Errorf("a history without formula drift has a formula-drift note")
	}
}

// TestHistoryHeldMarked: a held alert (an older change that still holds) is not counted as
// one of the newest nights' changes without saying so: the headings count it as still
// holding, its row says "still holding", and the Markdown says how to accept a change.
func TestHistoryHeldMarked(t *testing.T) {
	h := historyFixture(t)
	o := HistoryOptions{Store: "perf/baseline", Recent: 3}
	var text, md bytes.Buffer
	if err := HistoryText(&text, h, o); err != nil {
		t.Fatal(err)
	}
	if err := HistoryMarkdown(&md, h, o); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2 change(s) for the worse, 1 of them older and still holding (from the newest 30):", "since nightly-025 (commit 3de4549f3aef, 2026-09-26), still holding; bisect"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
	for _, want := range []string{"## perfgate history: 2 change(s) for the worse in the newest 3 night(s), 1 of them older and still holding (from the newest 30)", "2026-09-26\\), still holding |", "`perfgate history --accept-file`", "`--accept \"BATCH CONFIG\"`"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("Markdown report lacks %q:\n%s", want, md.String())
		}
	}
}
