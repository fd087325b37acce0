package eval

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"testing"
)

// TestHistoryAccuracy is a short, seeded run of the change-point harness through real git
// repositories. It guards the targets with a margin for its small sample: 5% steps
// are found within ±1 night, and few repositories get a change point on a config without a
// step. PERFGATE_EVAL_HISTORY_REPOS=200 runs the full harness (go run ./eval/historyeval).
func TestHistoryAccuracy(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not on PATH")
	}
	s := DefaultHistorySetup()
	s.Repos = 25
	if n, err := strconv.Atoi(os.Getenv("PERFGATE_EVAL_HISTORY_REPOS")); err == nil && n > 0 {
		s.Repos = n
	}
	f, err := RunHistory(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	found5 := f.Found[-5] + f.Found[5]
	trials5 := f.Trials[-5] + f.Trials[5]
	t.Logf("5%% steps found within ±1 night: %d/%d; -3%%: %d/%d; false-change repos %d/%d; misplaced %d",
		found5, trials5, f.Found[-3], f.Trials[-3], f.FalseRepos, f.Repos, f.Misplaced)
	if trials5 != 2*s.Repos {
		t.Fatalf("%d 5%% steps evaluated, want %d", trials5, 2*s.Repos)
	}
	if float64(found5) < 0.9*float64(trials5) {
		t.Errorf("5%% steps found within ±1 night: %d/%d, want ≥ 90%% in the smoke run (95%% in the full one)", found5, trials5)
	}
	if f.FalseRate() > 0.1 {
		t.Errorf("%d/%d repositories have a change point on a config without a step", f.FalseRepos, f.Repos)
	}
}
