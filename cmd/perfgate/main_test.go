package main

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

var update = flag.Bool("update", false, "rewrite golden files and cmp targets in testscripts")

// scriptCommands are extra testscript commands; test files add theirs in init.
var scriptCommands = map[string]func(ts *testscript.TestScript, neg bool, args []string){}

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"perfgate": func() { os.Exit(MainSignals(os.Args[1:], SystemStreams())) },
	})
}

// TestScripts runs the end-to-end CLI scripts in testdata/script. Run with -update to rewrite
// the expected outputs that scripts compare with cmp.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       *update,
		Cmds:                scriptCommands,
		Setup: func(env *testscript.Env) error {
			// REPO is the repository root, so scripts can read the shared fixtures in testdata.
			repo, err := filepath.Abs("../..")
			if err != nil {
				return err
			}
			env.Setenv("REPO", repo)
			env.Setenv("GIT_AUTHOR_NAME", "perfgate-test")
			env.Setenv("GIT_AUTHOR_EMAIL", "test@example.com")
			env.Setenv("GIT_COMMITTER_NAME", "perfgate-test")
			env.Setenv("GIT_COMMITTER_EMAIL", "test@example.com")
			env.Setenv("GIT_CONFIG_NOSYSTEM", "1")
			// Keep CI detection and tokens of the host out of the scripts.
			for _, k := range []string{"GITHUB_ACTIONS", "GITHUB_TOKEN", "GITHUB_EVENT_PATH", "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT", "GITHUB_REPOSITORY", "GITHUB_API_URL", "CI"} {
				env.Setenv(k, "")
			}
			return nil
		},
	})
}
