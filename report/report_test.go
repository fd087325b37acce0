package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/check"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// now is the fixed clock of the fixture, so its ignore rule is deterministic.
var now = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

const (
	cfgNone    = "tp=8/pp=4/mbs=1/gbs=1024/flags=none/sl=4096/nodes=32"
	cfgDist    = "tp=8/pp=4/mbs=2/gbs=1024/flags=dist-opt/sl=4096/nodes=32"
	cfgGrad    = "tp=8/pp=4/mbs=2/gbs=1024/flags=dist-opt+overlap-grad/sl=4096/nodes=32"
	cfgSmall   = "tp=8/pp=8/mbs=1/gbs=64/flags=none/sl=4096/nodes=32"
	cfgSmall4  = "tp=8/pp=4/mbs=1/gbs=64/flags=none/sl=4096/nodes=32"
	cfgOOMNow  = "tp=8/pp=8/mbs=2/gbs=1024/flags=none/sl=4096/nodes=32"
	cfgFixed   = "tp=8/pp=8/mbs=4/gbs=1024/flags=none/sl=4096/nodes=32"
	cfgErr     = "tp=4/pp=8/mbs=1/gbs=1024/flags=none/sl=4096/nodes=32"
	cfgNew     = "tp=8/pp=2/mbs=1/gbs=1024/flags=dist-opt/sl=4096/nodes=32"
	cfgIgnored = "tp=8/pp=8/mbs=2/gbs=1024/flags=recompute-selective/sl=4096/nodes=32"
	cfgNoted   = "tp=8/pp=8/mbs=1/gbs=1024/flags=none/sl=4096/nodes=32"
	cfgSeven   = "tp=8/pp=4/mbs=1/gbs=1024/flags=dist-opt/sl=4096/nodes=32"
)

func mustKey(key string) bench.Config {
	c, err := bench.ParseKey(key)
	if err != nil {
		panic(err)
	}
	return c
}

// run is one OK run with one TFLOPS/GPU and one s/iter sample; secs is derived from the
// TFLOPS so that both metrics move together, as they do in a real sweep.
func run(cfg, batch string, tflops float64) bench.Run {
	return bench.Run{
		Config: mustKey(cfg), Outcome: bench.OK, Batch: batch,
		Metrics: []bench.Metric{
			{Name: bench.MetricTFLOPS, Unit: bench.MetricTFLOPS, Better: bench.Higher, Values: []float64{tflops}},
			{Name: bench.MetricTime, Unit: bench.MetricTime, Better: bench.Lower, Values: []float64{7000 / tflops}},
		},
	}
}

func failed(cfg, batch string, o bench.Outcome, reason string) bench.Run {
	return bench.Run{Config: mustKey(cfg), Outcome: o, Reason: reason, Batch: batch}
}

// fixture is one fixed check: two statistical configs (three identical baseline runs and an
// identical new run, so their p-value is exactly 1 after the correction and their band is the
// minimum effect, whatever the tuning of the noise model), tolerance configs that regress and
// improve, one config of every other status, an ignored regression and an ingest note. The
// method summary is pinned: its wording belongs to package check, not to the renderers.
func fixture(t *testing.T) *check.Report {
	t.Helper()
	var base []bench.Run
	for _, b := range []string{"nightly-1", "nightly-2", "nightly-3"} {
		base = append(base, run(cfgNone, b, 148.59), run(cfgGrad, b, 155.26))
	}
	base = append(base,
		run(cfgDist, "seed", 154.02),
		run(cfgSmall, "seed", 75.4),
		run(cfgSmall4, "seed", 75.69),
		run(cfgOOMNow, "seed", 147.22),
		failed(cfgFixed, "seed", bench.OOM, "sweep.txt:11: OOM in the time column"),
		failed(cfgErr, "seed", bench.Error, "sweep.txt:18: Err in the time column"),
		run(cfgIgnored, "seed", 146.83),
		run(cfgNoted, "seed", 141.13),
		run(cfgSeven, "seed", 140.2),
	)
	noted := run(cfgNoted, "pr", 140.72)
	noted.Notes = []string{"log cut off at iteration 40 of 50 (time limit)"}
	cur := []bench.Run{
		run(cfgNone, "pr", 148.59),
		run(cfgGrad, "pr", 155.26),
		run(cfgDist, "pr", 138.74),
		run(cfgSmall, "pr", 75.99),
		failed(cfgOOMNow, "pr", bench.OOM, "pr-sweep.txt:7: OOM in the time column"),
		run(cfgFixed, "pr", 149.92),
		failed(cfgErr, "pr", bench.Error, "pr-sweep.txt:13: Err in the time column"),
		run(cfgNew, "pr", 145.79),
		run(cfgIgnored, "pr", 130.5),
		run(cfgSeven, "pr", 151.4),
		noted,
	}
	match, err := check.NewMatcher("/flags:recompute-selective")
	if err != nil {
		t.Fatal(err)
	}
	opts := check.DefaultOptions
	opts.Now = now
	// The fixture's numbers were written against the moderated t test at alpha 0.05; the
	// default test's own words are tested in check and in TestMixtureWords.
	opts.Test, opts.Alpha, opts.ConfirmRuns = "moderated-t", 0.05, 0
	opts.Rules = []check.Rule{{Match: match, Ignore: true, Until: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), Reason: "NCCL upgrade, #123", Source: "perfgate.json:4"}}
	rep := check.Compare(base, cur, opts)
	rep.Method.Summary = "(pinned method summary) Each run is summarised by its median; see package check for the wording."
	return rep
}

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run 'go test ./report -update' to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got); if the change is intended, run 'go test ./report -update':\n%s", path, diff)
	}
}

// TestFixture guards the fixture itself, so that a golden file cannot silently stop
// covering a status.
func TestFixture(t *testing.T) {
	rep := fixture(t)
	// Two results (TFLOPS/GPU and s/iter) per config; one row and one count per config.
	want := map[check.Status]int{
		check.Regression: 4, check.NewlyFailing: 2, check.Missing: 2, check.StillFailing: 2,
		check.Improvement: 2, check.Fixed: 2, check.New: 2, check.Unchanged: 8,
	}
	if diff := cmp.Diff(want, check.Counts(rep)); diff != "" {
		t.Errorf("fixture statuses (-want +got):\n%s", diff)
	}
	configs, n := ConfigCounts(Rows(rep))
	wantConfigs := map[check.Status]int{
		check.Regression: 1, Ignored: 1, check.NewlyFailing: 1, check.Missing: 1, check.StillFailing: 1,
		check.Improvement: 1, check.Fixed: 1, check.New: 1, check.Unchanged: 4,
	}
	if diff := cmp.Diff(wantConfigs, configs); diff != "" || n != 12 {
		t.Errorf("fixture config counts of %d configs (-want +got):\n%s", n, diff)
	}
	var withP, ignored, notes int
	for _, r := range rep.Results {
		if r.PValue != nil {
			withP++
		}
		if r.Ignored {
			ignored++
		}
		notes += len(r.Notes)
	}
	// Two tested decisions; the s/iter results shown with them carry no p-value of their own.
	if withP != 2 || ignored != 2 || notes != 2 || rep.Verdict != check.Fail || len(rep.Sweep) == 0 {
		t.Errorf("fixture: %d tested, %d ignored, %d notes, verdict %s, %d sweep lines", withP, ignored, notes, rep.Verdict, len(rep.Sweep))
	}
}

func TestTextGolden(t *testing.T) {
	rep := fixture(t)
	for _, tt := range []struct {
		name  string
		color bool
	}{{"text.golden", false}, {"text-color.golden", true}} {
		var b bytes.Buffer
		if err := Text(&b, rep, Options{Color: tt.color}); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		golden(t, tt.name, out)
		if hasANSI := strings.Contains(out, "\x1b["); hasANSI != tt.color {
			t.Errorf("%s: ANSI codes present = %v, want %v", tt.name, hasANSI, tt.color)
		}
	}
}

// TestTextColorAligned checks that colour does not shift the columns: stripping the codes
// gives the plain table.
func TestTextColorAligned(t *testing.T) {
	rep := fixture(t)
	var plain, color bytes.Buffer
	Text(&plain, rep, Options{})
	Text(&color, rep, Options{Color: true})
	ansi := regexp.MustCompile("\x1b\\[[0-9;]*m")
	// Each status carries the same number of escape bytes, so alignment is preserved but
	// padding may differ by a constant: compare with runs of spaces collapsed.
	spaces := regexp.MustCompile(" +")
	got := spaces.ReplaceAllString(ansi.ReplaceAllString(color.String(), ""), " ")
	want := spaces.ReplaceAllString(plain.String(), " ")
	if got != want {
		t.Errorf("colour output differs from plain beyond the escape codes:\n%s", cmp.Diff(want, got))
	}
	// Every row's escape codes sit at the same column.
	col := -1
	for _, line := range strings.Split(color.String(), "\n") {
		if i := strings.Index(line, "\x1b["); i >= 0 {
			i = utf8.RuneCountInString(line[:i])
			if col >= 0 && i != col {
				t.Errorf("status column starts at %d, earlier at %d: %q", i, col, line)
			}
			col = i
		}
	}
}

func TestMarkdownGolden(t *testing.T) {
	rep := fixture(t)
	md := Markdown(rep, MarkdownOptions{Chart: true, RunURL: "https://github.com/o/r/actions/runs/42", BaselineURL: "https://github.com/o/r/tree/main/perf/baseline"})
	golden(t, "markdown.golden", md)
	for _, want := range []string{"### ❌ perfgate: FAIL", "**What failed**", "```text\n", "[workflow run](https://github.com/o/r/actions/runs/42)", "**Other changes", "4 configs unchanged, not listed."} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	// Failures come before the rest; unchanged configs are counted, not listed.
	if strings.Index(md, "What failed") > strings.Index(md, "Other changes") {
		t.Errorf("failing table after the other changes")
	}
	if strings.Contains(md, "dist-opt+overlap-grad |") {
		t.Errorf("an unchanged config is listed")
	}
	plain := Markdown(rep, MarkdownOptions{})
	golden(t, "markdown-plain.golden", plain)
	if strings.Contains(plain, "```") || strings.Contains(plain, "workflow run") {
		t.Errorf("chart or links without the options")
	}
}

func TestJSONGolden(t *testing.T) {
	rep := fixture(t)
	var b bytes.Buffer
	if err := JSON(&b, rep, Options{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.json.golden", b.String())
	var back check.Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	// The JSON holds the words, not the typed decisions; a report read back renders alike.
	typed := cmp.Options{
		cmpopts.IgnoreFields(check.Result{}, "Test", "Effect", "Caveats"),
		cmpopts.IgnoreFields(check.Report{}, "Remarks"),
		cmpopts.IgnoreFields(check.Method{}, "Test"),
	}
	if diff := cmp.Diff(*WithWords(rep), back, typed); diff != "" {
		t.Errorf("JSON does not round-trip (-want +got):\n%s", diff)
	}
	for _, f := range Formats {
		var live, read bytes.Buffer
		if err := f.Render(&live, rep, Options{}); err != nil {
			t.Fatal(err)
		}
		f.Render(&read, &back, Options{})
		if live.String() != read.String() {
			t.Errorf("%s: a report read back from JSON renders differently:\n%s", f.Name, cmp.Diff(live.String(), read.String()))
		}
	}
	// The schema promises explicit nulls for undefined numbers.
	var raw struct {
		Results []map[string]any `json:"results"`
	}
	json.Unmarshal(b.Bytes(), &raw)
	for _, r := range raw.Results {
		for _, k := range []string{"delta_pct", "p_value", "threshold_pct", "status", "fails", "key"} {
			if _, ok := r[k]; !ok {
				t.Errorf("result %v lacks %q", r["key"], k)
			}
		}
	}
}

func TestRows(t *testing.T) {
	d := func(v float64) *float64 { return &v }
	rep := &check.Report{Results: []check.Result{
		{Key: "b", Metric: bench.MetricTime, Better: "lower", Status: check.Unchanged, DeltaPct: d(1)},
		{Key: "b", Metric: bench.MetricTFLOPS, Better: "higher", Status: check.Unchanged, DeltaPct: d(-1)},
		{Key: "b", Metric: bench.MetricMaxAlloc, Better: "lower", Status: check.Regression, Fails: true, DeltaPct: d(20)},
		{Key: "a", Metric: bench.MetricTFLOPS, Better: "higher", Status: check.Regression, Fails: true, DeltaPct: d(-5)},
		{Key: "a", Metric: bench.MetricTime, Better: "lower", Status: check.Regression, Fails: true, DeltaPct: d(5.3)},
		{Key: "z", Metric: bench.MetricTFLOPS, Better: "higher", Status: check.Regression, Fails: true, DeltaPct: d(-30)},
		{Key: "z", Metric: bench.MetricTime, Better: "lower", Status: check.Regression, Fails: true, DeltaPct: d(43)},
		{Key: "c", Metric: bench.MetricTFLOPS, Status: check.NewlyFailing, Fails: true},
		{Key: "c", Metric: bench.MetricTime, Status: check.NewlyFailing, Fails: true},
		{Key: "m", Metric: bench.MetricTFLOPS, Status: check.Missing},
		{Key: "s", Metric: bench.MetricTFLOPS, Better: "higher", Status: check.Unchanged, DeltaPct: d(0)},
		{Key: "s", Metric: bench.MetricTime, Better: "lower", Status: check.Regression, Fails: true, DeltaPct: d(4)},
	}}
	var got []string
	for _, row := range Rows(rep) {
		var ms []string
		for _, r := range row.Results {
			ms = append(ms, r.Metric)
		}
		got = append(got, fmt.Sprintf("%s %v %s %s", row.Status, row.Fails, row.Key, strings.Join(ms, ",")))
	}
	// Failing rows worst first (newly failing, an unbounded slowdown, before regressions,
	// then by how far they moved the worse way), the deciding metric first; memory is a row
	// of its own.
	want := []string{
		"newly-failing true c TFLOPS/GPU,s/iter",
		"regression true z TFLOPS/GPU,s/iter",
		"regression true b MB-max-allocated",
		"regression true a TFLOPS/GPU,s/iter",
		"regression true s s/iter,TFLOPS/GPU",
		"missing false m TFLOPS/GPU",
		"unchanged false b TFLOPS/GPU,s/iter",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Rows (-want +got):\n%s", diff)
	}
	if rep.Results[0].Key != "b" {
		t.Errorf("Rows modified the report")
	}
	counts, n := ConfigCounts(Rows(rep))
	if diff := cmp.Diff(map[check.Status]int{check.Regression: 4, check.NewlyFailing: 1, check.Missing: 1}, counts); diff != "" || n != 6 {
		t.Errorf("ConfigCounts of %d configs (-want +got):\n%s", n, diff)
	}
}

// hostile is a report whose data tries to inject markup, HTML, mentions and extra cells.
func hostile() *check.Report {
	evil := map[string]string{
		"model": "<script>alert(1)</script>",
		"team":  "@org/team",
		"flags": "a|b`c`\nd",
		"tp":    "8",
		"note":  "[x](javascript:alert(1)) **bold** #123 <img src=x onerror=alert(1)> https://evil.example/a (www.evil.example)",
	}
	delta := -12.5
	p := 0.001
	return &check.Report{
		Schema: check.Schema, Verdict: check.Fail,
		Results: []check.Result{
			{Config: evil, Key: "evil", Metric: "TFLOPS|GPU`x`", Better: "higher", Status: check.Regression, Fails: true, Outcome: "ok",
				Baseline: &check.Baseline{Center: 100, Lo: 97, Hi: 103, Runs: 3}, New: &check.NewRuns{Center: 87.5, Runs: 1},
				DeltaPct: &delta, PValue: &p, ThresholdPct: 3, Reason: "worse | @org/admins <b>bold</b>\nsecond line",
				Notes: []string{"note with | pipe and @someone and <script>x</script>"}},
			{Config: evil, Key: "evil2", Metric: "s/iter", Better: "lower", Status: check.Unchanged, Outcome: "ok",
				Baseline: &check.Baseline{Center: 10, Lo: 9.5, Hi: 10.5, Runs: 1}, New: &check.NewRuns{Center: 10, Runs: 1},
				DeltaPct: new(float64), ThresholdPct: 5, Reason: "1 baseline run(s) | @org"},
		},
		Method: check.Method{Summary: "method with @org and <script>"},
		Notes:  []string{"report note @org/team | <script>alert(1)</script>"},
		Sweep:  []check.Winner{{Scale: map[string]string{"nodes": "32"}, Metric: "TFLOPS|GPU", New: "model=<script> @org", Baseline: "x|y", Changed: true}},
	}
}

// unescapedPipes counts the pipes not preceded by a backslash.
func unescapedPipes(line string) int {
	n := 0
	for i := 0; i < len(line); i++ {
		if line[i] == '\\' {
			i++
			continue
		}
		if line[i] == '|' {
			n++
		}
	}
	return n
}

func TestMarkdownEscaping(t *testing.T) {
	md := Markdown(hostile(), MarkdownOptions{ID: "@org <b>gate</b>", Chart: true, RunURL: "https://example.com/run"})
	if strings.Contains(strings.ToLower(md), "<script") || strings.Contains(strings.ToLower(md), "<img") || strings.Contains(md, "<b>") {
		t.Errorf("raw HTML in the output:\n%s", md)
	}
	for i, r := range md {
		if r == '@' && !strings.HasPrefix(md[i+1:], "\u200b") {
			t.Errorf("@ without a zero-width space at byte %d: %q", i, md[max(0, i-20):min(len(md), i+20)])
		}
		if r == '#' && i > 0 && md[i-1] != '#' && md[i-1] != '\n' && !strings.HasPrefix(md[i+1:], "\u200b") && !strings.HasPrefix(md[i+1:], "#") && !strings.HasPrefix(md[i+1:], " ") {
			t.Errorf("#-reference not broken at byte %d: %q", i, md[max(0, i-20):min(len(md), i+20)])
		}
	}
	if strings.Contains(md, "@org") || !strings.Contains(md, "@\u200borg") {
		t.Errorf("mention not broken")
	}
	// The only link is perfgate's own; a URL in a config value would be autolinked.
	if rest := strings.ReplaceAll(md, "](https://example.com/run)", ""); strings.Contains(rest, "://") || strings.Contains(rest, "www.") {
		t.Errorf("a bare URL from the data would render as a link:\n%s", rest)
	}
	inFence := false
	rows, pipes := 0, 0
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "```") {
			inFence = !inFence
			continue
		}
		if inFence {
			// The chart's labels keep only characters that are plain in a code block.
			if strings.ContainsAny(line, "<>@`|&#\\") {
				t.Errorf("unsafe character in the chart: %q", line)
			}
			continue
		}
		if strings.HasPrefix(line, "|") {
			rows++
			n := unescapedPipes(line)
			if pipes == 0 {
				pipes = n
			}
			if n != pipes {
				t.Errorf("table row has %d cell separators, the header %d: %q", n, pipes, line)
			}
		} else if strings.Contains(line, "`") && !strings.Contains(line, "\\`") {
			t.Errorf("raw backtick outside a table: %q", line)
		}
		for i := 0; i < len(line); i++ {
			if line[i] == '\\' {
				i++
				continue
			}
			if line[i] == '`' {
				t.Errorf("unescaped backtick: %q", line)
				break
			}
		}
	}
	// One table (what failed) of header, rule and one row of status, config, metric, measured
	// against and reason; the unchanged config is only counted.
	if rows != 3 || pipes != 6 {
		t.Errorf("%d table lines of %d separators, want 3 of 6 (a newline in the data split a row?)", rows, pipes)
	}
	if !strings.Contains(md, "a\\|b\\`c\\` d") {
		t.Errorf("flags value not escaped as expected in:\n%s", md)
	}
}

// many returns a report with nFail regressions and nOther improvements, each of one config
// with TFLOPS/GPU and s/iter, and 10 unchanged configs.
func many(nFail, nOther int) *check.Report {
	rep := &check.Report{Schema: check.Schema, Verdict: check.Pass, Method: check.Method{Summary: "method"}}
	add := func(i int, s check.Status, delta float64) {
		cfg := map[string]string{"tp": "8", "pp": "4", "gbs": "1024", "idx": fmt.Sprintf("%04d", i)}
		for _, m := range []struct {
			name, better string
			base, sign   float64
		}{{bench.MetricTFLOPS, "higher", 150, 1}, {bench.MetricTime, "lower", 46.67, -1}} {
			d := m.sign * delta
			rep.Results = append(rep.Results, check.Result{
				Config: cfg, Key: bench.Config(cfg).Key(), Metric: m.name, Better: m.better, Status: s, Fails: s == check.Regression, Outcome: "ok",
				Baseline: &check.Baseline{Center: m.base, Lo: m.base * 0.95, Hi: m.base * 1.05, Runs: 5, NoisePct: 1}, New: &check.NewRuns{Center: m.base * (1 + d/100), Runs: 1},
				DeltaPct: &d, PValue: new(float64), ThresholdPct: 3, Reason: fmt.Sprintf("moved by %.1f%%", delta),
			})
		}
	}
	for i := 0; i < nFail; i++ {
		add(i, check.Regression, -4-float64(i%50)/10)
		rep.Verdict = check.Fail
	}
	for i := 0; i < nOther; i++ {
		add(nFail+i, check.Improvement, 5)
	}
	for i := 0; i < 10; i++ {
		add(nFail+nOther+i, check.Unchanged, 0.5)
	}
	return rep
}

func TestMarkdownMaxBytes(t *testing.T) {
	const url = "https://github.com/o/r/actions/runs/42"
	count := func(md string) int {
		return strings.Count(md, "| tp=8 pp=4 gbs=1024 idx=") + strings.Count(md, "| idx=")
	}
	t.Run("other changes dropped first", func(t *testing.T) {
		rep := many(3, 300)
		full := Markdown(rep, MarkdownOptions{RunURL: url, Chart: true})
		const limit = 6000
		if len(full) <= limit {
			t.Fatalf("fixture too small: %d bytes", len(full))
		}
		md := Markdown(rep, MarkdownOptions{RunURL: url, Chart: true, MaxBytes: limit})
		if len(md) > limit {
			t.Errorf("%d bytes > MaxBytes %d", len(md), limit)
		}
		for i := 0; i < 3; i++ {
			if !strings.Contains(md, fmt.Sprintf("| idx=%04d |", i)) {
				t.Errorf("failing row %d dropped while other rows remained", i)
			}
		}
		m := regexp.MustCompile(`_… and (\d+) more changed rows \((\d+) improvement\), left out to fit the comment; see the \[job summary\]\(` + regexp.QuoteMeta(url) + `\)\._`).FindStringSubmatch(md)
		if m == nil {
			t.Fatalf("no 'left out' note:\n%s", md[max(0, len(md)-600):])
		}
		kept := count(md) - 3
		if fmt.Sprint(300-kept) != m[1] || m[2] != m[1] {
			t.Errorf("note says %s left out, but %d of 300 other rows are shown", m[1], kept)
		}
		if kept <= 0 {
			t.Errorf("all other rows dropped; some fit")
		}
		// Exact: one more row would not have fitted.
		if row := 130; len(md)+row <= limit {
			t.Errorf("%d bytes of %d used: rows were dropped that fitted", len(md), limit)
		}
		if strings.Contains(md, "more failing rows") {
			t.Errorf("failing rows dropped although other rows could go")
		}
		if !strings.HasSuffix(md, "<sub>method</sub>\n\n[workflow run]("+url+")\n") {
			t.Errorf("the tail (method and links) was lost")
		}
	})
	t.Run("failing rows worst first", func(t *testing.T) {
		rep := many(400, 50)
		const limit = 20000
		md := Markdown(rep, MarkdownOptions{MaxBytes: limit})
		if len(md) > limit || len(md) < limit-300 {
			t.Errorf("%d bytes for MaxBytes %d", len(md), limit)
		}
		m := regexp.MustCompile(`_… and (\d+) more failing rows \((\d+) regression\), left out to fit the comment\._`).FindStringSubmatch(md)
		if m == nil || fmt.Sprint(400-count(md)) != m[1] || m[2] != m[1] {
			t.Errorf("failing note %v with %d rows shown", m, count(md))
		}
		if !strings.Contains(md, "_… and 50 more changed rows") {
			t.Errorf("no note for the other changes")
		}
		// The largest drops (−8.9%) come first and are kept.
		if first := strings.Index(md, "| 🔴 regression |"); first < 0 || !strings.Contains(md[first:first+200], "−8.9% ▼") {
			t.Errorf("the worst regression is not first")
		}
		if !strings.HasPrefix(md, "### ❌ perfgate: FAIL: 400 regression, 50 improvement, 10 unchanged \\(460 configs\\)\n") {
			t.Errorf("headline lost: %q", md[:80])
		}
	})
	t.Run("long notes do not crowd out failing rows", func(t *testing.T) {
		rep := many(3, 0)
		rep.Notes = []string{"5000 input file(s) skipped, not results: " + strings.Repeat("results/run.log (no reader recognises its format), ", 120000), "short note"}
		const limit = 65000
		md := Markdown(rep, MarkdownOptions{RunURL: url, MaxBytes: limit})
		if len(md) > limit {
			t.Errorf("%d bytes > MaxBytes %d", len(md), limit)
		}
		for i := 0; i < 3; i++ {
			if !strings.Contains(md, fmt.Sprintf("| idx=%04d |", i)) {
				t.Errorf("failing row %d crowded out by a note", i)
			}
		}
		if !strings.Contains(md, "> short note") || !strings.Contains(md, "> 5000 input file\\(s\\) skipped") || !strings.Contains(md, " …\n") {
			t.Errorf("notes not shown, or the long one not cut with a mark:\n%s", md[max(0, len(md)-9000):])
		}
	})
	t.Run("one giant config does not crowd out the failing rows after it", func(t *testing.T) {
		rep := many(30, 0)
		// The worst regression's config has a 20 kB value of characters escaping quadruples.
		for i := range rep.Results {
			if rep.Results[i].Config["idx"] == "0029" {
				rep.Results[i].Config = map[string]string{"tp": "8", "pp": "4", "gbs": "1024", "idx": "0029", "flags": strings.Repeat("<", 20000)}
			}
		}
		md := Markdown(rep, MarkdownOptions{RunURL: url, MaxBytes: 65000})
		if len(md) > 65000 {
			t.Errorf("%d bytes > MaxBytes", len(md))
		}
		if n := strings.Count(md, "| 🔴 regression |"); n != 30 || strings.Contains(md, "more failing row") {
			t.Errorf("%d of 30 failing rows shown", n)
		}
	})
	// The heading's parts come from the data too: ~60 kB of options, of hardware, of a key
	// every config shares or of a method summary used to fill the comment alone, cut
	// mid-heading, with no failing row and no count of them.
	t.Run("a giant heading does not crowd out the failing rows", func(t *testing.T) {
		giant := strings.Repeat("<x>", 20000)
		for name, edit := range map[string]func(*check.Report){
			"options": func(r *check.Report) {
				r.Provenance = &check.Provenance{Options: strings.Fields(strings.Repeat("--set=k=v ", 6000))}
			},
			"hardware": func(r *check.Report) { r.Provenance = &check.Provenance{Hardware: map[string]string{"gpu": giant}} },
			"ref":      func(r *check.Report) { r.Provenance = &check.Provenance{BaselineRef: giant} },
			"shared key": func(r *check.Report) {
				for i := range r.Results {
					r.Results[i].Config = maps.Clone(r.Results[i].Config)
					r.Results[i].Config["container"] = giant
				}
			},
			"method": func(r *check.Report) { r.Method.Summary = giant },
		} {
			t.Run(name, func(t *testing.T) {
				rep := many(30, 0)
				edit(rep)
				md := Markdown(rep, MarkdownOptions{RunURL: url, MaxBytes: 65000})
				if len(md) > 65000 {
					t.Errorf("%d bytes > MaxBytes", len(md))
				}
				if n := strings.Count(md, "| 🔴 regression |"); n != 30 || strings.Contains(md, "more failing row") {
					t.Errorf("%d of 30 failing rows shown:\n%.300s", n, md)
				}
				if !strings.Contains(md, " …") {
					t.Errorf("the heading was cut without a mark")
				}
				if !strings.HasSuffix(md, "[workflow run]("+url+")\n") {
					t.Errorf("the links were lost")
				}
			})
		}
	})
	// A job summary that other steps nearly filled leaves a budget smaller than the heading
	// with its provenance: the verdict and the count of failing rows, with where to read
	// them, must come before the provenance, not be cut off by it.
	t.Run("a budget under the heading keeps the count of failing rows", func(t *testing.T) {
		rep := many(5, 5)
		rep.Provenance = &check.Provenance{Options: []string{strings.Repeat("o", 2000)}, Hardware: map[string]string{"gpu": strings.Repeat("h", 2000)}}
		const limit = 400
		md := Markdown(rep, MarkdownOptions{RunURL: url, MaxBytes: limit})
		if len(md) > limit {
			t.Errorf("%d bytes > MaxBytes %d", len(md), limit)
		}
		if !strings.HasPrefix(md, "### ❌ perfgate: FAIL") || !strings.Contains(md, "_… and 5 more failing rows (5 regression), left out to fit the comment; see the [job summary]("+url+")._") {
			t.Errorf("the verdict or the count of failing rows was lost:\n%s", md)
		}
	})
	t.Run("tiny limit", func(t *testing.T) {
		for _, limit := range []int{1, 7, 50, 200} {
			md := Markdown(many(5, 5), MarkdownOptions{MaxBytes: limit})
			if len(md) > limit || !utf8.ValidString(md) {
				t.Errorf("limit %d: %d bytes, valid UTF-8 %v", limit, len(md), utf8.ValidString(md))
			}
		}
	})
	t.Run("no limit", func(t *testing.T) {
		md := Markdown(many(3, 300), MarkdownOptions{})
		if strings.Contains(md, "left out") || count(md) != 303 || !strings.Contains(md, "10 configs unchanged, not listed.") {
			t.Errorf("rows dropped without MaxBytes")
		}
	})
}

func TestEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain tp=8 pp=4", "plain tp=8 pp=4"},
		{"<b>&\"", "&lt;b&gt;&amp;&quot;"},
		{"a|b", `a\|b`},
		{"`code` *b* _i_ [l](u) ~s~ {x} !", "\\`code\\` \\*b\\* \\_i\\_ \\[l\\]\\(u\\) \\~s\\~ \\{x\\} \\!"},
		{"@org #12", "@\u200borg #\u200b12"},
		{"a\nb\r\tc", "a b  c"},
		{"bell\x07del\x7f", "belldel"},
		{`back\slash`, `back\\slash`},
		// Bare URLs are autolinked by GitHub: the scheme's "://" and a "www." are broken.
		{"see https://evil.example/x", "see https:\u200b//evil.example/x"},
		{"ftp://a.b HTTP://c.d", "ftp:\u200b//a.b HTTP:\u200b//c.d"},
		{"www.evil.example WWW.x.y", "w\u200bww.evil.example W\u200bWW.x.y"},
		{"log.txt:12: ok, a/b//c, wwwx.y", "log.txt:12: ok, a/b//c, wwwx.y"},
		// GitHub links GH-5 to issue 5 (and cross-references it), renders $…$ as math, and
		// bidirectional controls can make one config's name look like another's.
		{"fix GH-5 gh-12 tp-8", "fix GH&#45;5 gh&#45;12 tp-8"},
		{"$x^2$ cost $5", "&#36;x^2&#36; cost &#36;5"},
		{"tp=8\u202egnp.exe\u202c", `tp=8\[U+202E\]gnp.exe\[U+202C\]`},
		{"a\u2066b\u2069\u200fc", `a\[U+2066\]b\[U+2069\]\[U+200F\]c`},
	}
	for _, tt := range tests {
		if got := Escape(tt.in); got != tt.want {
			t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCells(t *testing.T) {
	d, p := 4.25, 0.0123
	r := check.Result{
		Config: map[string]string{"pp": "4", "tp": "8", "zz": "1"}, Metric: "TFLOPS/GPU", Better: "higher", Status: check.Improvement,
		Baseline: &check.Baseline{Center: 148.59, Lo: 144, Hi: 153.0477, Runs: 5, NoisePct: 0.83}, New: &check.NewRuns{Center: 154.9, Runs: 2},
		DeltaPct: &d, PValue: &p, Ignored: true, ThresholdPct: 3.4167,
		Caveats: []check.Caveat{check.Ignored{Reason: "flaky"}, check.Material{MinEffectPct: 3}},
	}
	tests := []struct{ got, want string }{
		{MetricCell(&r), "148.6 → 154.9 +4.2% ▲"},
		{GateCell(&r), "p=0.012, threshold 3.4%, noise ±0.8% (n=5)"},
		{Reason(&r), "ignored with no expiry (flaky): better by 4.2%: significant (p=0.012) and above the 3% minimum effect"},
	}
	// The same change of a time is worse.
	st := r
	st.Metric, st.Better = bench.MetricTime, "lower"
	tests = append(tests, struct{ got, want string }{MetricCell(&st), "148.6 → 154.9 +4.2% ▼"})
	tol := r
	tol.PValue, tol.ThresholdPct, tol.Baseline = nil, 5, &check.Baseline{Center: 10, Runs: 1}
	tests = append(tests, struct{ got, want string }{GateCell(&tol), "tolerance ±5% (n=1)"})
	oom := check.Result{Metric: "TFLOPS/GPU", Status: check.NewlyFailing, Outcome: "oom", Baseline: &check.Baseline{Runs: 0, Failed: 2}, New: &check.NewRuns{}}
	tests = append(tests, struct{ got, want string }{MetricCell(&oom), "failed → OOM"}, struct{ got, want string }{GateCell(&oom), "—"})
	missing := check.Result{Metric: "TFLOPS/GPU", Status: check.Missing, Outcome: "ok", Baseline: &check.Baseline{Center: 75.69, Runs: 1}}
	fresh := check.Result{Metric: "TFLOPS/GPU", Status: check.New, Outcome: "ok", New: &check.NewRuns{Center: 145.79, Runs: 1}}
	tests = append(tests, struct{ got, want string }{MetricCell(&missing), "75.69 → —"}, struct{ got, want string }{MetricCell(&fresh), "— → 145.8"})
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
	for _, tt := range []struct {
		d    float64
		b    string
		want string
	}{{-9.9, "higher", "▼"}, {9.9, "higher", "▲"}, {9.9, "lower", "▼"}, {-9.9, "lower", "▲"}, {0.01, "lower", ""}} {
		if got := Mark(tt.d, tt.b); got != tt.want {
			t.Errorf("Mark(%v, %s) = %q, want %q", tt.d, tt.b, got, tt.want)
		}
	}
}

// TestTextWidth checks that the text report fits a 120-column terminal however long the
// configs and reasons are.
func TestTextWidth(t *testing.T) {
	rep := many(20, 20)
	for i := range rep.Results {
		r := &rep.Results[i]
		r.Config = maps.Clone(r.Config)
		r.Config["flags"] = "dist-opt+overlap-grad+overlap-param+recompute-selective+tp-comm-overlap+fp8-hybrid+" + r.Config["idx"]
		r.Reason = strings.Repeat("a long reason that goes on ", 10) + fmt.Sprint(i)
	}
	var b bytes.Buffer
	if err := Text(&b, rep, Options{}); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(b.String(), "\n") {
		if n := utf8.RuneCountInString(line); n > TextWidth {
			t.Errorf("%d columns: %q", n, line)
		}
	}
	// Brief: no unchanged rows, no method; the counts stay.
	b.Reset()
	Text(&b, rep, Options{Brief: true})
	out := b.String()
	if strings.Contains(out, "\nunchanged (") || strings.Contains(out, "method:") || !strings.Contains(out, "10 rows unchanged, not listed.") || !strings.Contains(out, "10 unchanged (50 configs)") {
		t.Errorf("brief text:\n%s", out)
	}
}

// TestMarkdownFitKeepsTail checks, over many limits, that the output never passes the limit,
// that the heading and the method survive whenever they fit, and that every section that
// lost rows says how many.
func TestMarkdownFitKeepsTail(t *testing.T) {
	rep := many(60, 60)
	full := Markdown(rep, MarkdownOptions{Chart: true, RunURL: "https://example.com/run"})
	for limit := 1500; limit < len(full)+200; limit += 97 {
		md := Markdown(rep, MarkdownOptions{Chart: true, RunURL: "https://example.com/run", MaxBytes: limit})
		if len(md) > limit {
			t.Fatalf("limit %d: %d bytes", limit, len(md))
		}
		if !strings.HasPrefix(md, "### ❌ perfgate: FAIL") || !strings.Contains(md, "<sub>method</sub>") {
			t.Fatalf("limit %d: heading or method lost:\n%s", limit, md)
		}
		shownFail := strings.Count(md, "| 🔴 regression |")
		if shownFail < 60 && !strings.Contains(md, fmt.Sprintf("_… and %d more failing row", 60-shownFail)) {
			t.Errorf("limit %d: %d failing rows shown and no count of the rest", limit, shownFail)
		}
		shownOther := strings.Count(md, "| 🟢 improvement |")
		if shownOther < 60 && !strings.Contains(md, fmt.Sprintf("_… and %d more changed row", 60-shownOther)) {
			t.Errorf("limit %d: %d other rows shown and no count of the rest", limit, shownOther)
		}
	}
}

// TestMarkdownCountsConfigs: the comment's own counts (the unchanged line, the title of the
// other changes) are of configs, as its first line's are. A config's memory row is not
// another config, and an unchanged config an ignore rule covers is unchanged, not a change.
// The comment used to say "4 configs unchanged" under "1 unchanged", "2 missing" under
// "1 missing", and list an ignored unchanged config as an "ignored" change.
func TestMarkdownCountsConfigs(t *testing.T) {
	withMem := func(r bench.Run, mb float64) bench.Run {
		r.Metrics = append(r.Metrics, bench.Metric{Name: bench.MetricMaxAlloc, Unit: bench.MetricMaxAlloc, Better: bench.Lower, Values: []float64{mb}})
		return r
	}
	const same, gone, quiet = "tp=1/pp=1", "tp=2/pp=1", "tp=4/pp=1"
	base := []bench.Run{
		withMem(run(same, "seed", 150), 60000),
		withMem(run(gone, "seed", 150), 60000),
		withMem(run(quiet, "seed", 150), 60000),
	}
	cur := []bench.Run{withMem(run(same, "pr", 150), 60000), withMem(run(quiet, "pr", 150), 60000)}
	match, err := check.NewMatcher("/tp:4")
	if err != nil {
		t.Fatal(err)
	}
	opts := check.DefaultOptions
	opts.Now = now
	opts.Rules = []check.Rule{{Match: match, Ignore: true, Until: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), Reason: "flaky", Source: "perfgate.json:2"}}
	rep := check.Compare(base, cur, opts)
	md := Markdown(rep, MarkdownOptions{})
	for _, want := range []string{
		"PASS: 1 missing, 2 unchanged \\(3 configs\\)",
		"**Other changes: 1 missing**",
		"\n2 configs unchanged, not listed.\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "unchanged \\(ignored\\)") {
		t.Errorf("Markdown lists an unchanged config as a change:\n%s", md)
	}
}

// A formula drift within one side (a baseline spanning a trainer upgrade) is not worded as
// "the baseline matches X but the new runs match Y".
func TestFormulaDriftMixedWords(t *testing.T) {
	got := RemarkText(check.FormulaDrift{Baseline: []string{"megatron", "megatron-legacy"}, New: []string{"megatron"}, Mixed: true})
	if !strings.Contains(got, "follow different FLOPs formulas (baseline: megatron, megatron-legacy; new runs: megatron)") || strings.Contains(got, "but the new runs' match") {
		t.Errorf("mixed formula drift: %q", got)
	}
	got = RemarkText(check.FormulaDrift{Baseline: []string{"megatron-legacy"}, New: []string{"megatron"}})
	if !strings.Contains(got, "match the megatron-legacy formula but the new runs' match megatron") {
		t.Errorf("formula drift: %q", got)
	}
}

// TestTextSectionCountsConfigs: a section's title counts configs, as the verdict line does,
// not rows: two configs unchanged in speed and in memory are "unchanged (2)", not 4.
func TestTextSectionCountsConfigs(t *testing.T) {
	rep := &check.Report{Schema: check.Schema, Verdict: check.Pass}
	for _, k := range []string{"tp=8", "tp=4"} {
		for _, m := range []string{bench.MetricTFLOPS, bench.MetricMaxAlloc} {
			rep.Results = append(rep.Results, check.Result{Key: k, Config: map[string]string{"tp": k[3:]}, Metric: m, Status: check.Unchanged, Outcome: "ok", Measurement: m})
		}
	}
	var b strings.Builder
	if err := Text(&b, rep, Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "unchanged (2)\n") {
		t.Errorf("section title does not count the 2 configs:\n%s", b.String())
	}
}
