package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rogpeppe/go-internal/testscript"
)

func init() {
	scriptCommands["gensuite"] = genSuite
	scriptCommands["commentfits"] = commentFits
	scriptCommands["fitted"] = fitted
}

// fitted is the testscript command
//
//	fitted COMMENTS.txt LIMIT
//
// It checks that the last comment dumped by "fakegithub comments" has at most LIMIT
// characters and bytes yet lists failing rows up to at least LIMIT-2000 bytes: the fit cut
// once, not everything.
func fitted(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: fitted COMMENTS.txt LIMIT")
	}
	dump := ts.ReadFile(args[0])
	if i := strings.LastIndex(dump, "\n== "); i >= 0 {
		dump = dump[i+1:]
	}
	_, body, _ := strings.Cut(dump, "\n")
	limit, err := strconv.Atoi(args[1])
	ts.Check(err)
	if c := utf8.RuneCountInString(body); c > limit || len(body) > limit || len(body) < limit-2000 {
		ts.Fatalf("comment is %d characters, %d bytes, for a limit of %d", c, len(body), limit)
	}
	rows := strings.Count(body, "\n| 🔴 regression |")
	if rows < 100 {
		ts.Fatalf("only %d failing rows in the comment", rows)
	}
	fmt.Fprintf(ts.Stdout(), "%d bytes, %d failing rows\n", len(body), rows)
}

// genSuite is the testscript command
//
//	gensuite CONFIGS REGRESSIONS BASE.jsonl PR.jsonl REGRESSED.txt
//
// It writes a synthetic sweep as JSON Lines, seeded: CONFIGS configs of two models over tp,
// pp, mbs and flags (gbs, sl and nodes fixed), three nightly baseline runs each and one PR
// run, with TFLOPS/GPU and s/iter of one measurement (s/iter = work / TFLOPS). Every
// (CONFIGS/REGRESSIONS)-th config is 5% to 12% slower in the PR; their configs, as the report
// shows them, go to REGRESSED.txt, one per line.
func genSuite(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 5 {
		ts.Fatalf("usage: gensuite CONFIGS REGRESSIONS BASE.jsonl PR.jsonl REGRESSED.txt")
	}
	n, err1 := strconv.Atoi(args[0])
	nreg, err2 := strconv.Atoi(args[1])
	if err1 != nil || err2 != nil || n < 1 || nreg < 1 || nreg > n {
		ts.Fatalf("gensuite: bad counts %q %q", args[0], args[1])
	}
	regressed, err := writeSuite(ts.MkAbs(args[2]), ts.MkAbs(args[3]), n, nreg)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[4]), []byte(strings.Join(regressed, "\n")+"\n"), 0o644))
}

// writeSuite writes the suite of gensuite to basePath and prPath and returns the regressed
// configs as the report shows them.
func writeSuite(basePath, prPath string, n, nreg int) ([]string, error) {
	rng := rand.New(rand.NewPCG(11, 1))
	var bb, pb strings.Builder
	bw, pw := &bb, &pb
	var regressed []string
	every := n / nreg
	for i := 0; i < n; i++ {
		model := []string{"moe-a", "dense-b"}[i%2]
		tp, pp, mbs := 1<<(i/2%4), 1<<(i/8%4), 1<<(i/32%3)
		flags := fmt.Sprintf("f%02d", i/96)
		cfg := fmt.Sprintf(`{"model":%q,"tp":%d,"pp":%d,"mbs":%d,"gbs":1024,"flags":%q,"sl":4096,"nodes":32}`, model, tp, pp, mbs, flags)
		level := 100 + 80*rng.Float64()
		line := func(w *strings.Builder, run string, tflops float64, date, commit string) {
			fmt.Fprintf(w, `{"config":%s,"metric":"TFLOPS/GPU","better":"higher","values":[%.3f],"run":%q,"date":%q,"commit":%q}`+"\n", cfg, tflops, run, date, commit)
			fmt.Fprintf(w, `{"config":%s,"metric":"s/iter","better":"lower","values":[%.4f],"run":%q,"date":%q,"commit":%q}`+"\n", cfg, 7000/tflops, run, date, commit)
		}
		// Every config has the same small run-to-run spread, so that the verdicts are
		// unambiguous: the drops, and nothing else.
		for r := 1; r <= 3; r++ {
			line(bw, fmt.Sprintf("nightly-%d", r), level*(1+0.003*float64(r-2)), fmt.Sprintf("2026-11-2%dT03:00:00Z", r), strings.Repeat(strconv.Itoa(r), 40))
		}
		pr := level * (1 + 0.002*(rng.Float64()-0.5))
		// The regressed configs alternate between the models and drop by 5% to 12%.
		if i%every == every-1-(i/every)%2 && len(regressed) < nreg {
			pr = level * (0.95 - 0.01*float64(len(regressed)%8))
			regressed = append(regressed, fmt.Sprintf("model=%s tp=%d pp=%d mbs=%d flags=%s", model, tp, pp, mbs, flags))
		}
		line(pw, "pr", pr, "2026-11-24T10:00:00Z", "abcdef0123456789abcdef0123456789abcdef01")
	}
	if err := os.WriteFile(basePath, []byte(bb.String()), 0o644); err != nil {
		return nil, err
	}
	return regressed, os.WriteFile(prPath, []byte(pb.String()), 0o644)
}

// commentFits is the testscript command
//
//	commentfits COMMENTS.txt LIMIT NAMES.txt
//
// It checks the one comment dumped by "fakegithub comments": its body has at most LIMIT
// characters (and bytes), and names every line of NAMES.txt in a table row.
func commentFits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: commentfits COMMENTS.txt LIMIT NAMES.txt")
	}
	dump := ts.ReadFile(args[0])
	if strings.Count(dump, "\n== ")+btoi(strings.HasPrefix(dump, "== ")) != 1 {
		ts.Fatalf("commentfits: want exactly one comment in %s", args[0])
	}
	_, body, _ := strings.Cut(dump, "\n")
	limit, err := strconv.Atoi(args[1])
	ts.Check(err)
	if c := utf8.RuneCountInString(body); c > limit || len(body) > limit {
		ts.Fatalf("comment is %d characters, %d bytes: over %d", c, len(body), limit)
	}
	for _, name := range strings.Split(strings.TrimSpace(ts.ReadFile(args[2])), "\n") {
		if !strings.Contains(body, "| "+name+" |") {
			ts.Fatalf("comment does not list %q", name)
		}
	}
	fmt.Fprintf(ts.Stdout(), "%d characters, %d bytes\n", utf8.RuneCountInString(body), len(body))
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
