package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/perfgate/perfgate/eval"
	"github.com/perfgate/perfgate/history"
)

func init() {
	// changepoints HISTORY.json prints "series KEY METRIC points=N" for every series and
	// "change KEY METRIC KIND BATCH DELTA worse|better" for every change point, sorted.
	scriptCommands["changepoints"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: changepoints HISTORY.json")
		}
		var h history.History
		if err := json.Unmarshal([]byte(ts.ReadFile(args[0])), &h); err != nil {
			ts.Fatalf("changepoints: %v", err)
		}
		if h.Schema != history.Schema {
			ts.Fatalf("changepoints: schema %d, want %d", h.Schema, history.Schema)
		}
		var lines []string
		for _, s := range h.Series {
			lines = append(lines, fmt.Sprintf("series %s %s points=%d", s.Key, s.Metric, len(s.Points)))
			for _, cp := range s.ChangePoints {
				delta := string(cp.From) + "→" + string(cp.To)
				if cp.DeltaPct != nil {
					delta = fmt.Sprintf("%+.0f%%", *cp.DeltaPct)
				}
				verdict := "better"
				if cp.Worse {
					verdict = "worse"
				}
				lines = append(lines, fmt.Sprintf("change %s %s %s %s %s %s", s.Key, s.Metric, cp.Kind, cp.Batch, delta, verdict))
			}
		}
		sort.Strings(lines)
		fmt.Fprintln(ts.Stdout(), strings.Join(lines, "\n"))
	}
}

// nightlyRepo writes a git repository of nights nightly refreshes of configs configs, with
// the given steps and OOM starts, and returns its baseline directory.
func nightlyRepo(tb testing.TB, configs, nights int, steps []eval.Step, oom map[int]int) string {
	tb.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		tb.Skip("git not on PATH")
	}
	n := eval.Nightly{Configs: configs, Nights: nights, NoisePct: 0.8, Window: 10, Steps: steps, OOMFrom: oom}
	dir, err := eval.WriteNightlyRepo(context.Background(), filepath.Join(tb.TempDir(), "repo"), n, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		tb.Fatal(err)
	}
	return dir
}

// TestHistoryCommand runs "perfgate history" in-process on 30 committed nightlies of 20
// configs: a 6% drop two nights ago and an OOM since last night fail --fail-on, naming the
// measured commits to bisect; the JSON has every night and both change points.
func TestHistoryCommand(t *testing.T) {
	dir := nightlyRepo(t, 20, 30, []eval.Step{{Config: 3, Night: 28, Pct: -6}}, map[int]int{5: 29})
	code, out, errOut := runMain("history", "--baseline", dir, "--format", "json", "--fail-on")
	if code != ExitFail {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, errOut)
	}
	var h history.History
	if err := json.Unmarshal([]byte(out), &h); err != nil {
		t.Fatal(err)
	}
	if h.Schema != 1 || h.Source != history.FromGit || len(h.Batches) != 30 || len(h.Series) != 40 {
		t.Fatalf("schema %d source %s: %d batches, %d series; want 1, git, 30, 40", h.Schema, h.Source, len(h.Batches), len(h.Series))
	}
	var got []string
	for _, s := range h.Series {
		for _, cp := range s.ChangePoints {
			got = append(got, fmt.Sprintf("%s %s %s %s", s.Config["tp"]+"/"+s.Config["pp"]+"/"+s.Config["mbs"], s.Metric, cp.Kind, cp.Batch))
		}
	}
	sort.Strings(got)
	want := []string{
		"2/2/1 TFLOPS/GPU level nightly-028", "2/2/1 s/iter level nightly-028", // config 3
		"8/2/1 TFLOPS/GPU outcome nightly-029", "8/2/1 s/iter outcome nightly-029", // config 5
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("change points\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, s := range []string{
		"2 change(s) for the worse in the newest 3 batch(es)", // one per config: the speed metrics are one measurement
		"TFLOPS/GPU: runs → OOM (with s/iter) since nightly-029",
		fmt.Sprintf("bisect %s..%s (measured commits; git bisect start %s %s)", eval.MeasuredCommit(28)[:12], eval.MeasuredCommit(29)[:12], eval.MeasuredCommit(29), eval.MeasuredCommit(28)),
		fmt.Sprintf("bisect %s..%s (measured commits", eval.MeasuredCommit(27)[:12], eval.MeasuredCommit(28)[:12]),
	} {
		if !strings.Contains(errOut, s) {
			t.Errorf("stderr lacks %q:\n%s", s, errOut)
		}
	}
	// Without --fail-on the same history passes, and the alerts are in the report.
	code, out, _ = runMain("history", "--baseline", dir)
	if code != 0 || !strings.Contains(out, "Newest 3 batch(es): 2 change(s) for the worse") {
		t.Errorf("without --fail-on: exit %d\n%s", code, out)
	}
}

// TestHistoryCommandRules: a perfgate.json rule that gives a config a 10% minimum effect, as
// the gate would use, keeps its 6% step out of the history.
func TestHistoryCommandRules(t *testing.T) {
	dir := nightlyRepo(t, 20, 30, []eval.Step{{Config: 3, Night: 20, Pct: -6}}, nil)
	rule := `{"rules": [{"match": "/tp:2 AND /pp:2 AND /mbs:1", "min_effect_pct": 10}]}`
	code, out, errOut := runMain("history", "--baseline", dir, "--format", "json")
	if code != 0 || !strings.Contains(out, `"kind": "level"`) {
		t.Fatalf("without the rule: exit %d, no level change point\n%s", code, errOut)
	}
	if err := os.WriteFile(filepath.Join(dir, "perfgate.json"), []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runMain("history", "--baseline", dir, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if strings.Contains(out, `"kind": "level"`) || !strings.Contains(out, `"min_effect_pct": 10`) {
		t.Errorf("with a 10%% rule the 6%% step is still a change point, or the series does not say its minimum effect")
	}
}

// TestHistoryCommandSpeedMetrics: the alerts follow the gate's speed metrics. By default a
// 6% drop is one alert, on TFLOPS/GPU, with s/iter's rise shown; with speed_metrics
// ["s/iter"] in perfgate.json s/iter decides, TFLOPS/GPU (no longer one measurement with it)
// alerts on its own, and a config that started failing is still one alert, every metric's
// failure shown on it.
func TestHistoryCommandSpeedMetrics(t *testing.T) {
	dir := nightlyRepo(t, 20, 30, []eval.Step{{Config: 3, Night: 28, Pct: -6}}, map[int]int{5: 29})
	code, _, errOut := runMain("history", "--baseline", dir, "--fail-on")
	if code != ExitFail || !strings.Contains(errOut, "perfgate: 2 change(s) for the worse") || strings.Count(errOut, " TFLOPS/GPU: ") != 2 ||
		!strings.Contains(errOut, "(with s/iter +") || strings.Contains(errOut, " s/iter: ") {
		t.Errorf("default speed metrics: exit %d, want 1 and two alerts on TFLOPS/GPU showing s/iter:\n%s", code, errOut)
	}
	if err := os.WriteFile(filepath.Join(dir, "perfgate.json"), []byte(`{"speed_metrics": ["s/iter"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runMain("history", "--baseline", dir, "--fail-on")
	if code != ExitFail || !strings.Contains(errOut, "perfgate: 3 change(s) for the worse") || strings.Count(errOut, " s/iter: ") != 2 ||
		strings.Count(errOut, " TFLOPS/GPU: ") != 1 || !strings.Contains(errOut, "s/iter: runs → OOM (with TFLOPS/GPU) since nightly-029") {
		t.Errorf("with speed_metrics [\"s/iter\"]: exit %d, want 1, s/iter deciding and TFLOPS/GPU's drop alerting on its own:\n%s", code, errOut)
	}
}

// TestHistoryCommandClusterEvent: 12 of 16 configs 5% slower on one night (the cluster, or
// a shared dependency) are one event, said first with the commits to bisect and followed by
// its 12 configs; --fail-on still fails, and the JSON carries all 12 alerts, each naming the
// event, and the event.
func TestHistoryCommandClusterEvent(t *testing.T) {
	var steps []eval.Step
	for c := 0; c < 12; c++ {
		steps = append(steps, eval.Step{Config: c, Night: 28, Pct: -5})
	}
	dir := nightlyRepo(t, 16, 30, steps, nil)
	code, out, errOut := runMain("history", "--baseline", dir, "--format", "json", "--fail-on")
	if code != ExitFail {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	want := "perfgate: 12 change(s) for the worse, 12 of them in 1 cluster-wide event(s) in the newest 3 batch(es) (--fail-on):"
	if len(lines) != 14 || lines[0] != want || !strings.Contains(lines[1], "nightly-028 (commit ") ||
		!strings.Contains(lines[1], ": 12 of 16 configs slower by ") ||
		!strings.Contains(lines[1], fmt.Sprintf("bisect %s..%s (measured commits", eval.MeasuredCommit(27)[:12], eval.MeasuredCommit(28)[:12])) {
		t.Fatalf("stderr, want the count, the event and its 12 configs:\n%s", errOut)
	}
	for _, l := range lines[2:] {
		if !strings.HasPrefix(l, "    model=") || !strings.Contains(l, " TFLOPS/GPU: ") || !strings.Contains(l, "(with s/iter +") {
			t.Errorf("event config line %q: want indented, on TFLOPS/GPU with s/iter shown", l)
		}
	}
	var js struct {
		Alerts []history.Alert `json:"alerts"`
		Events []history.Event `json:"alert_events"`
	}
	if err := json.Unmarshal([]byte(out), &js); err != nil {
		t.Fatal(err)
	}
	for _, a := range js.Alerts {
		if a.Event != "nightly-028" || a.Metric != "TFLOPS/GPU" || len(a.With) != 1 {
			t.Errorf("JSON alert %s %s event %q with %d shown, want nightly-028's, on TFLOPS/GPU, s/iter shown", a.Key, a.Metric, a.Event, len(a.With))
		}
	}
	if len(js.Alerts) != 12 || len(js.Events) != 1 || js.Events[0].Configs != 12 || js.Events[0].Of != 16 {
		t.Errorf("JSON: %d alerts, events %+v; want 12 and one event of 12 of 16 configs", len(js.Alerts), js.Events)
	}
}

func TestHistoryCommandBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"history", "--baseline", t.TempDir(), "--format", "xml"},
		{"history", "--baseline", filepath.Join(t.TempDir(), "missing")},
		{"history", "--baseline", t.TempDir(), "--recent", "0"},
		{"history"},
	} {
		if code, _, errOut := runMain(args...); code != ExitInput || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message", args, code, errOut)
		}
	}
}

// BenchmarkHistory3000x60 is "perfgate history --format html" of 3000 configs over 60
// nightly refresh commits (window 10): reading every version of the store from git, finding
// the change points and writing the dashboard. 5% of the configs drop 5% at night 40.
func BenchmarkHistory3000x60(b *testing.B) {
	var steps []eval.Step
	for c := 0; c < 3000; c += 20 {
		steps = append(steps, eval.Step{Config: c, Night: 40, Pct: -5})
	}
	dir := nightlyRepo(b, 3000, 60, steps, nil)
	out := filepath.Join(b.TempDir(), "history.html")
	b.ResetTimer()
	for b.Loop() {
		if code, _, errOut := runMain("history", "--baseline", dir, "--format", "html", "-o", out); code != 0 {
			b.Fatalf("history: %d %s", code, errOut)
		}
	}
}

// TestReadAcceptFile: an accept file written by hand reads as meant: a byte-order mark, a
// reason after the acceptance, tabs and CRLF line ends; a "#" inside a part is no comment.
func TestReadAcceptFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "accept.txt")
	data := "\ufeffnightly-06\r\n# whole-line comment\r\n\r\nnightly-07\ttp=8  pp=4 # a reason\r\nnightly-08 flags=a#b # a reason\r\n"
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := readAcceptFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var strs []string
	for _, a := range got {
		strs = append(strs, a.Batch+"|"+a.Key)
	}
	want := []string{"nightly-06|", "nightly-07|tp=8/pp=4", "nightly-08|flags=a#b"}
	if !slices.Equal(strs, want) {
		t.Errorf("got %q, want %q", strs, want)
	}
}
