// Command historyeval runs perfgate's change-point harness: it builds git repositories of
// simulated nightly baseline refreshes with steps at known nights, reads them back with
// "perfgate history"'s code path, and prints how many steps were found within ±1 night and how
// many repositories got a change point on a config without one.
//
//	go run ./eval/historyeval -repos 200
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/perfgate/perfgate/eval"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "alerts" {
		alerts(os.Args[2:])
		return
	}
	s := eval.DefaultHistorySetup()
	flag.IntVar(&s.Repos, "repos", s.Repos, "simulated repositories")
	flag.IntVar(&s.Nightly.Configs, "configs", s.Nightly.Configs, "configs per repository")
	flag.IntVar(&s.Nightly.Nights, "nights", s.Nightly.Nights, "nightly refreshes per repository, one commit each")
	flag.Float64Var(&s.Nightly.NoisePct, "noise", s.Nightly.NoisePct, "run-to-run noise in percent")
	flag.Uint64Var(&s.Seed, "seed", s.Seed, "random seed")
	flag.Float64Var(&s.History.MinEffectPct, "min-effect", s.History.MinEffectPct, "minimum effect in percent")
	flag.StringVar(&s.Dir, "dir", "", "keep the repositories in this directory")
	flag.Parse()
	if s.Repos < 1 || s.Nightly.Configs < len(s.StepPcts) || s.Nightly.Nights < 2*s.MinNight+1 {
		fmt.Fprintln(os.Stderr, "historyeval: need at least 1 repository, 3 configs and 11 nights")
		os.Exit(2)
	}
	f, err := eval.RunHistory(context.Background(), s)
	if err != nil {
		fmt.Fprintln(os.Stderr, "historyeval:", err)
		os.Exit(1)
	}
	f.Print(os.Stdout, s)
}

// alerts runs the nightly job's evaluation: --fail-on every night on the history as it stood.
func alerts(args []string) {
	s := eval.DefaultAlertSetup()
	fs := flag.NewFlagSet("historyeval alerts", flag.ExitOnError)
	fs.IntVar(&s.Repos, "repos", s.Repos, "simulated repositories")
	fs.IntVar(&s.Nightly.Configs, "configs", s.Nightly.Configs, "configs per repository (the first 11 are the cases)")
	fs.IntVar(&s.Nightly.Nights, "nights", s.Nightly.Nights, "nightly refreshes per repository, one commit each")
	fs.Float64Var(&s.Nightly.NoisePct, "noise", s.Nightly.NoisePct, "run-to-run noise in percent")
	fs.Float64Var(&s.NoisyPct, "noisy", s.NoisyPct, "run-to-run noise of the noisy config in percent")
	fs.Float64Var(&s.ClusterPct, "cluster", 0, "instead of the cases, step every config by this percentage at night S")
	fs.IntVar(&s.Recent, "recent", s.Recent, "the job's --recent")
	fs.Uint64Var(&s.Seed, "seed", s.Seed, "random seed")
	fs.Float64Var(&s.History.MinEffectPct, "min-effect", s.History.MinEffectPct, "minimum effect in percent")
	fs.IntVar(&s.History.DriftRuns, "drift-runs", s.History.DriftRuns, "newest runs a drift is judged on (0: no drift check)")
	fs.Float64Var(&s.History.DriftZ, "drift-z", s.History.DriftZ, "standard errors a drift must measure")
	fs.IntVar(&s.History.HoldNights, "hold", s.History.HoldNights, "newest batches a change for the worse keeps alerting in while it holds (0: only the newest -recent)")
	fs.Parse(args)
	if s.Repos < 1 || s.Nightly.Configs < 12 || s.Nightly.Nights < s.EventMax+s.DriftNights/2+1 {
		fmt.Fprintf(os.Stderr, "historyeval alerts: need at least 1 repository, 12 configs and %d nights\n", s.EventMax+s.DriftNights/2+1)
		os.Exit(2)
	}
	f, err := eval.RunAlerts(context.Background(), s)
	if err != nil {
		fmt.Fprintln(os.Stderr, "historyeval:", err)
		os.Exit(1)
	}
	f.Print(os.Stdout, s)
}
