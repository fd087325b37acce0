package main

import (
	"os"
	"regexp"

	"github.com/rogpeppe/go-internal/testscript"
)

func init() {
	// replace FILE REGEXP REPLACEMENT rewrites every match of REGEXP in FILE, and fails when
	// there is none, so a script can flip one launch argument of a copied log.
	scriptCommands["replace"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 3 {
			ts.Fatalf("usage: replace FILE REGEXP REPLACEMENT")
		}
		re, err := regexp.Compile(args[1])
		ts.Check(err)
		path := ts.MkAbs(args[0])
		data, err := os.ReadFile(path)
		ts.Check(err)
		if !re.Match(data) {
			ts.Fatalf("replace: no match for %q in %s", args[1], args[0])
		}
		ts.Check(os.WriteFile(path, re.ReplaceAll(data, []byte(args[2])), 0o644))
	}
}
