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

// TestNightlyAlerts runs the nightly job's evaluation briefly (go run ./eval/historyeval
// alerts runs it in full) and checks what the README promises of "history --fail-on": one
// slow night, a gain and clean configs do not alert; 5% and 10% steps alert from the second
// night after them (never on their own night: a change point needs two runs after it), for
// --recent−1 nights; a config that starts to run out of memory alerts on its first night; a
// slow drift of 0.5% a night alerts, as a drift, within its range.
func TestNightlyAlerts(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not on PATH")
	}
	s := DefaultAlertSetup()
	s.Repos = 4
	f, err := RunAlerts(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	for c := 0; c < alertCases; c++ {
		t.Logf("%-30s %v any %d misplaced %d", alertCaseNames[c], f.Lag[c], f.Any[c], f.Misplaced[c])
	}
	// A step that holds alerts every night from S+1 (held after S+2); one undone does not.
	for _, c := range []int{caseStep5, caseStep10} {
		if f.Lag[c] != [maxLag + 1]int{0, s.Repos, s.Repos, s.Repos, s.Repos, s.Repos} || f.Misplaced[c] != 0 {
			t.Errorf("%s alerted on nights S+0…S+%d in %v of %d repositories (%d misplaced), want on S+1 to S+%d in all",
				alertCaseNames[c], maxLag, f.Lag[c], s.Repos, f.Misplaced[c], maxLag)
		}
	}
	// Two slow nights never held (fewer than 2 of the newest 3 runs once they pass); a step
	// held for 3 nights is dropped after 2 nights in a row that do not hold it, so its alert
	// lasts one night past the fix (S+3), not longer.
	for c, want := range map[int][maxLag + 1]int{
		caseSlowTwo: {0, s.Repos, s.Repos, 0, 0, 0},
		caseRevert:  {0, s.Repos, s.Repos, s.Repos, 0, 0},
	} {
		if f.Lag[c] != want || f.Misplaced[c] != 0 {
			t.Errorf("%s alerted on nights S+0…S+%d in %v of %d repositories (%d misplaced), want %v",
				alertCaseNames[c], maxLag, f.Lag[c], s.Repos, f.Misplaced[c], want)
		}
	}
	if f.Lag[caseOOM] != [maxLag + 1]int{s.Repos, s.Repos, s.Repos, s.Repos, s.Repos, s.Repos} {
		t.Errorf("OOM alerted on nights %v of %d repositories, want every night from S (still failing) in all", f.Lag[caseOOM], s.Repos)
	}
	for _, c := range []int{caseGain5, caseSlowNight} {
		if f.Any[c] != 0 {
			t.Errorf("%s alerted in %d of %d repositories", alertCaseNames[c], f.Any[c], s.Repos)
		}
	}
	if f.CleanNights != 0 {
		t.Errorf("clean configs alerted on %d of %d config-nights", f.CleanNights, f.CleanTotal)
	}
	if f.Any[caseDrift] != s.Repos || f.DriftNights[caseDrift] == 0 || f.Misplaced[caseDrift] != 0 {
		t.Errorf("drift alerted in %d of %d repositories (%d nights as a drift, %d misplaced), want all", f.Any[caseDrift], s.Repos, f.DriftNights[caseDrift], f.Misplaced[caseDrift])
	}
	// A ramp longer than --recent alerts every night from its first alert (it passed on most
	// nights when change points older than --recent stood in for its drift).
	if f.Any[caseRamp] != s.Repos || f.RampAfter == 0 || f.RampSilent != 0 {
		t.Errorf("ramp alerted in %d of %d repositories, silent on %d of %d nights after its first alert; want all, none", f.Any[caseRamp], s.Repos, f.RampSilent, f.RampAfter)
	}
	// TFLOPS/GPU and s/iter of one slowdown are one alert: about half the per-series count.
	if rows := f.Rows - f.HeldRows; rows <= 0 || 2*rows > f.SeriesRows+f.SeriesOnly+rows/10 {
		t.Errorf("%d alerts against %d changes per series: want one per measurement, about half", f.Rows, f.SeriesRows)
	}
	// Six cases of twenty configs change on night S: not half, so no cluster-wide event.
	if f.EventNights != 0 {
		t.Errorf("%d job nights reported a cluster-wide event, want none", f.EventNights)
	}
}

// TestNightlyClusterEvent: every config 5% slower on night S is one cluster-wide event on
// the nights it alerts (S+1 and S+2), holding one alert per config, not one per config and
// metric (a config whose change point noise places a night off is an alert of its own).
func TestNightlyClusterEvent(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not on PATH")
	}
	s := DefaultAlertSetup()
	s.Repos = 2
	s.ClusterPct = -5
	f, err := RunAlerts(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	per := s.Nightly.Configs
	for _, l := range []int{1, 2} {
		if f.ClusterEvents[l] != s.Repos || f.ClusterRows[l] != per*s.Repos || 10*f.ClusterInEvents[l] < 9*per*s.Repos || f.ClusterSeriesRows[l] != 2*per*s.Repos {
			t.Errorf("night S+%d: %d events, %d alerts (%d in events, %d per series) in %d repositories; want one event of about %d alerts each (%d per series)",
				l, f.ClusterEvents[l], f.ClusterRows[l], f.ClusterInEvents[l], f.ClusterSeriesRows[l], s.Repos, per, 2*per)
		}
	}
}
