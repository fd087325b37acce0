package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

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
