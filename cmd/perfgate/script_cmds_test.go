package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/perfgate/perfgate/check"
)

func init() {
	// statuses REPORT.json prints "status metric key" for every result of a JSON report,
	// sorted, then "verdict V", so scripts can cmp the exact statuses.
	scriptCommands["statuses"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: statuses REPORT.json")
		}
		var rep check.Report
		if err := json.Unmarshal([]byte(ts.ReadFile(args[0])), &rep); err != nil {
			ts.Fatalf("statuses: %v", err)
		}
		var lines []string
		for _, r := range rep.Results {
			lines = append(lines, fmt.Sprintf("%s %s %s", r.Status, r.Metric, r.Key))
		}
		sort.Strings(lines)
		lines = append(lines, "verdict "+string(rep.Verdict))
		fmt.Fprintln(ts.Stdout(), strings.Join(lines, "\n"))
	}
	// unchanged FILE... fails unless each file has the content it had when the script
	// last ran "snapshot FILE..."
	scriptCommands["snapshot"] = func(ts *testscript.TestScript, neg bool, args []string) {
		for _, f := range args {
			data, err := os.ReadFile(ts.MkAbs(f))
			if err != nil {
				ts.Fatalf("snapshot: %v", err)
			}
			ts.Check(os.WriteFile(ts.MkAbs(f)+".snapshot", data, 0o644))
		}
	}
	scriptCommands["unchanged"] = func(ts *testscript.TestScript, neg bool, args []string) {
		for _, f := range args {
			now, err := os.ReadFile(ts.MkAbs(f))
			if err != nil {
				ts.Fatalf("unchanged: %v", err)
			}
			before, err := os.ReadFile(ts.MkAbs(f) + ".snapshot")
			if err != nil {
				ts.Fatalf("unchanged: no snapshot of %s", f)
			}
			if (string(now) == string(before)) == neg {
				ts.Fatalf("%s changed: %v", f, !neg)
			}
		}
	}
}
