package report

import (
	"bytes"
	"context"
	"crypto/sha1"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/eval"
	"github.com/perfgate/perfgate/history"
)

// exampleHistory is the dashboard example of the README: 12 configs of a 70B sweep over 40
// nightlies at 0.8% noise; tp=4 pp=4 drops 5% at night 25, tp=8 pp=1 gains 5% at night 18,
// and tp=4 pp=8 runs out of memory from night 38.
func exampleHistory(configs, nights int) *history.History {
	return history.Build(exampleRevisions(configs, nights), nil, history.FromGit, history.DefaultOptions())
}

// exampleRevisions are the nightly revisions of exampleHistory.
func exampleRevisions(configs, nights int) []history.Revision {
	n := eval.Nightly{Configs: configs, Nights: nights, NoisePct: 0.8, Window: 10,
		Steps:   []eval.Step{{Config: 7, Night: 25, Pct: -5}, {Config: 2, Night: 18, Pct: 5}},
		OOMFrom: map[int]int{10: 38}}
	var revs []history.Revision
	for i, runs := range eval.Nights(n, rand.New(rand.NewPCG(7, 7))) {
		commit := fmt.Sprintf("%x", sha1.Sum([]byte(fmt.Sprint("store ", i))))
		revs = append(revs, history.Revision{Commit: commit, Date: runs[0].Date, Runs: runs})
	}
	return revs
}

// chromium returns the path of a Chromium or Chrome binary. Without one the test is skipped,
// except in CI (CI=true), where it fails: the browser test must not silently vanish there.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no Chromium on PATH: the dashboard's browser test needs it (install with .ci/install-tools)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// A browser is a headless Chromium tab that records console errors and requested URLs.
type browser struct {
	ctx      context.Context
	mu       sync.Mutex
	errors   []string
	requests []string
}

func openBrowser(t *testing.T, width, height int) *browser {
	exe := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox, // CI containers run as root
		chromedp.Flag("disable-gpu", true),
		chromedp.WindowSize(width, height),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	b := &browser{ctx: ctx}
	// chromedp enables the runtime, log and network domains of the tab.
	err := chromedp.Listen(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning {
				var args []string
				for _, a := range e.Args {
					args = append(args, fmt.Sprintf("%s %s", a.Value, a.Description))
				}
				b.errors = append(b.errors, fmt.Sprintf("console.%s: %s", e.Type, strings.Join(args, " ")))
			}
		case *runtime.EventExceptionThrown:
			b.errors = append(b.errors, fmt.Sprintf("exception: %s at %d:%d", e.ExceptionDetails.Text, e.ExceptionDetails.LineNumber, e.ExceptionDetails.ColumnNumber))
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.EntryLevelError {
				b.errors = append(b.errors, "log: "+e.Entry.Text+" "+e.Entry.URL)
			}
		case *network.EventRequestWillBeSent:
			b.requests = append(b.requests, e.Request.URL)
		}
	})
	if err != nil {
		t.Fatalf("starting %s: %v", exe, err)
	}
	return b
}

func writePage(t *testing.T, h *history.History) string {
	var buf bytes.Buffer
	if err := HTML(&buf, h, HistoryOptions{Store: "perf/baseline", Recent: 3}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "history.html")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDashboardInBrowser opens the example dashboard from disk in headless Chromium: it must
// render without console errors and without network requests, draw one chart per config, hide
// and show configs with the key filter, and switch metric. With -update it writes the
// README's screenshot, docs/dashboard.png.
func TestDashboardInBrowser(t *testing.T) {
	h := exampleHistory(12, 40)
	configs := map[string]bench.Config{}
	for _, s := range h.Series {
		configs[s.Key] = s.Config
	}
	tp8 := 0
	for _, c := range configs {
		if c["tp"] == "8" {
			tp8++
		}
	}
	path := writePage(t, h)
	b := openBrowser(t, 1280, 4000)
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	count := func(sel string) int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	visibleCards := func() int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll(".card")].filter(c=>!c.hidden && c.offsetParent!==null).length`))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	setSelect := func(sel, v string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(()=>{const s=document.querySelector(%q);s.value=%q;s.dispatchEvent(new Event("change"));return true})()`, sel, v))); err != nil {
			t.Fatal(err)
		}
	}
	poll := func(expr string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			t.Fatalf("waiting for %s: %v", expr, err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+path)); err != nil {
		t.Fatal(err)
	}
	poll(fmt.Sprintf(`document.querySelectorAll("svg.chart").length >= %d`, len(configs)))
	cards, charts := count(".card"), count("svg.chart")
	worseLines := count(`svg.chart line.cp[stroke="#cf222e"]`)
	fails, bands := count("svg.chart text.fail"), count("svg.chart rect.band")
	alerts, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("alerts").textContent`))
	if err != nil {
		t.Fatal(err)
	}
	setSelect(`select[data-key="tp"]`, "8")
	visible8 := visibleCards()
	setSelect(`select[data-key="tp"]`, "")
	visibleAll := visibleCards()
	setSelect("#metric", "1")
	poll(`[...document.querySelectorAll(".card .sub")].every(s=>s.textContent.startsWith("s/iter"))`)
	timeCharts := count("svg.chart")
	setSelect("#metric", "0")
	poll(`[...document.querySelectorAll(".card .sub")].every(s=>s.textContent.startsWith("TFLOPS/GPU"))`)
	if cards != len(configs) || charts != len(configs) {
		t.Errorf("%d cards and %d charts, want one per config (%d)", cards, charts, len(configs))
	}
	// TFLOPS: the −5% drop is a worse level change, the OOM start a worse outcome change.
	if worseLines != 2 {
		t.Errorf("%d change-for-the-worse lines in the TFLOPS charts, want 2", worseLines)
	}
	if fails != 2 {
		t.Errorf("%d failed-night marks, want the 2 OOM nights", fails)
	}
	if bands != len(configs) {
		t.Errorf("%d baseline bands, want %d", bands, len(configs))
	}
	if !strings.Contains(alerts, "runs → OOM (with s/iter) since nightly-038") { // one alert per measurement, s/iter shown
		t.Errorf("alert box %q does not name the OOM start", alerts)
	}
	if visible8 != tp8 || visibleAll != len(configs) {
		t.Errorf("filter tp=8 shows %d configs (want %d); cleared, %d (want %d)", visible8, tp8, visibleAll, len(configs))
	}
	if timeCharts != len(configs) {
		t.Errorf("after switching to s/iter, %d charts, want %d", timeCharts, len(configs))
	}
	if *update {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 1500)); err != nil {
			t.Fatal(err)
		}
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("../docs/dashboard.png", png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.errors) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(b.errors, "\n"))
	}
	for _, u := range b.requests {
		if u != "file://"+path && !strings.HasPrefix(u, "data:") {
			t.Errorf("the page requested %s; it must need nothing beyond its own file", u)
		}
	}
	if len(b.requests) == 0 {
		t.Error("no request seen at all: the network listener is not working")
	}
}

// TestDashboardOddKeysInBrowser: JSONL accepts any config key, "__proto__" and "constructor"
// too. The key filter kept its choices in a plain object, so choosing a value of a
// "__proto__" key set the object's prototype and hid nothing; and a key only some configs
// have read the others' inherited "constructor" as one of its values. Each must filter like
// any other key, with the values the configs have.
func TestDashboardOddKeysInBrowser(t *testing.T) {
	revs := exampleRevisions(12, 12)
	for i := range revs {
		runs := make([]bench.Run, len(revs[i].Runs))
		for j, r := range revs[i].Runs {
			c := bench.Config{}
			for k, v := range r.Config {
				switch {
				case k == "tp":
					k = "__proto__"
				case k == "pp" && (v == "1" || v == "2"):
					k = "constructor"
				}
				c[k] = v
			}
			r.Config, r.Key = c, ""
			runs[j] = r
		}
		revs[i].Runs = runs
	}
	h := history.Build(revs, nil, history.FromGit, history.DefaultOptions())
	want, seen := map[string]int{}, map[string]bool{}
	for _, s := range h.Series {
		if seen[s.Key] {
			continue // another metric of the config
		}
		seen[s.Key] = true
		want["__proto__="+s.Config["__proto__"]]++
		if v, ok := s.Config["constructor"]; ok {
			want["constructor="+v]++
		}
	}
	if len(seen) != 12 || want["__proto__=8"] != 4 || want["constructor=1"] != 3 {
		t.Fatalf("the history has %d configs, by value %v", len(seen), want)
	}
	path := writePage(t, h)
	b := openBrowser(t, 1280, 4000)
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	eval := func(expr string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return v
	}
	visible := func() string {
		return eval(`String([...document.querySelectorAll(".card")].filter(c=>!c.hidden).length)`)
	}
	choose := func(key, v string) {
		eval(fmt.Sprintf(`(()=>{const s=document.querySelector('select[data-key=%q]');s.value=%q;s.dispatchEvent(new Event("change"));return s.value})()`, key, v))
	}
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+path)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("count").textContent!==""`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("the page did not start: %v", err)
	}
	if got := eval(`[...document.querySelectorAll('select[data-key="constructor"] option')].map(o=>o.value).join(",")`); got != ",1,2" {
		t.Errorf("the constructor filter offers %q, want all, 1 and 2", got)
	}
	choose("__proto__", "8")
	if got := visible(); got != "4" {
		t.Errorf("filter __proto__=8 shows %s configs, want 4", got)
	}
	choose("__proto__", "")
	choose("constructor", "1")
	if got := visible(); got != "3" {
		t.Errorf("filter constructor=1 shows %s configs, want 3", got)
	}
	choose("constructor", "")
	if got := visible(); got != "12" {
		t.Errorf("filters cleared, %s configs shown, want 12", got)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.errors) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(b.errors, "\n"))
	}
}

// TestDashboardLarge opens a dashboard of 3000 configs over 60 nightlies and logs how long it
// takes until the first charts are drawn; it asserts only that they are, and that charts are
// drawn lazily (a timing is measured here, never asserted). Set PERFGATE_DASHBOARD_LARGE=1.
func TestDashboardLarge(t *testing.T) {
	if os.Getenv("PERFGATE_DASHBOARD_LARGE") == "" {
		t.Skip("set PERFGATE_DASHBOARD_LARGE=1 to open a 3000-config dashboard")
	}
	path := writePage(t, exampleHistory(3000, 60))
	st, _ := os.Stat(path)
	b := openBrowser(t, 1280, 1000)
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	start := time.Now()
	// The sweep section above the charts lists every scale (42 here, some 7000 px): scroll to
	// the charts, as a reader does, or none is near the viewport and none is drawn.
	err := chromedp.Do(ctx,
		chromedp.Navigate("file://"+path),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`(document.getElementById("cards").scrollIntoView(),true)`)(ctx, tg)
			return err
		}),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Poll[bool](`document.querySelectorAll("svg.chart").length > 0`, chromedp.WithPollingTimeout(30*time.Second))(ctx, tg)
			return err
		}),
	)
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	charts, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("svg.chart").length`))
	if err != nil {
		t.Fatal(err)
	}
	cards, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".card").length`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("3000 configs × 60 nightlies: %.1f MB page, first charts after %v (%d of %d drawn)", float64(st.Size())/1e6, elapsed.Round(time.Millisecond), charts, cards)
	if cards != 3000 || charts == 0 || charts == 3000 {
		t.Errorf("%d cards, %d charts drawn: want 3000 cards, charts drawn only near the viewport", cards, charts)
	}
}
