// Command gateeval runs perfgate's gate-accuracy harness and prints, per scenario, the suite
// false-fail rate and the recall by drop size on steady, noisy and bimodal configs. See
// package eval for the noise model and the scenarios.
//
//	go run ./eval/gateeval -suites 1000 -seed 1
//	go run ./eval/gateeval -scenario short+contaminated -alpha 0.02
//	go run ./eval/gateeval -scenario standard -diagnose 0,5   # where false fails and missed 5% drops come from
//	go run ./eval/gateeval -scenario short+contaminated -oracle-noisy   # with the true noisy class: a bound
//	go run ./eval/gateeval -scenario short+contaminated+memory -memory-runs 4   # a store a week old
//	go run ./eval/gateeval -ideal   # the test that knows the noise model: what any rule can do from the window
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/perfgate/perfgate/eval"
)

func main() {
	s := eval.DefaultSetup()
	scenarios := flag.String("scenario", "all", "comma-separated scenarios, or all: "+names())
	flag.IntVar(&s.Suites, "suites", s.Suites, "simulated suites per scenario")
	flag.IntVar(&s.Configs, "configs", s.Configs, "configs per suite")
	flag.Uint64Var(&s.Seed, "seed", s.Seed, "random seed")
	flag.IntVar(&s.Workers, "workers", s.Workers, "suites simulated at once")
	flag.Float64Var(&s.Check.MinEffectPct, "min-effect", s.Check.MinEffectPct, "minimum effect in percent")
	flag.Float64Var(&s.Check.Alpha, "alpha", s.Check.Alpha, "suite-wide alpha")
	flag.StringVar(&s.Check.Test, "test", s.Check.Test, "statistical test")
	flag.IntVar(&s.Check.ConfirmRuns, "confirm-runs", s.Check.ConfirmRuns, "new runs that confirm a regression (0: no suspect status)")
	flag.Var(&s.Check.Correction, "correction", "holm, bh or none")
	flag.BoolVar(&s.OracleNoisy, "oracle-noisy", false, "give the check the simulation's true noisy class (a bound, not the gate)")
	flag.BoolVar(&s.Ideal, "ideal", false, "judge with the test that knows the simulation's noise model: what any rule can do from the window alone (scenarios without bimodal configs or memory)")
	memoryRuns := flag.Int("memory-runs", 0, "older runs in git of the +memory scenarios (0: each scenario's own, 14)")
	diagnose := flag.String("diagnose", "", "comma-separated drop sizes in percent (0: clean PRs): file the errors by what the test said instead of printing the tables")
	flag.Parse()
	if err := s.Validate(); err != nil {
		fmt.Fprintf(os.Stderr, "gateeval: %v\n", err)
		os.Exit(2)
	}
	var run []eval.Scenario
	if *scenarios == "all" {
		for _, sc := range eval.Scenarios {
			if !s.Ideal || eval.IdealModels(sc) {
				run = append(run, sc)
			}
		}
	} else {
		for _, name := range strings.Split(*scenarios, ",") {
			sc, ok := eval.LookupScenario(strings.TrimSpace(name))
			if !ok {
				fmt.Fprintf(os.Stderr, "gateeval: unknown scenario %q; have %s\n", name, names())
				os.Exit(2)
			}
			if s.Ideal && !eval.IdealModels(sc) {
				fmt.Fprintf(os.Stderr, "gateeval: -ideal does not model scenario %q (bimodal configs or memory)\n", name)
				os.Exit(2)
			}
			run = append(run, sc)
		}
	}
	if *memoryRuns < 0 {
		fmt.Fprintf(os.Stderr, "gateeval: -memory-runs must not be negative\n")
		os.Exit(2)
	}
	for i := range run {
		if *memoryRuns > 0 && run[i].MemoryRuns > 0 {
			run[i].MemoryRuns = *memoryRuns
		}
	}
	eval.Header(os.Stdout, s)
	if *diagnose != "" {
		for _, sc := range run {
			for _, f := range strings.Split(*diagnose, ",") {
				drop, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
				if err != nil || drop < 0 || drop >= 100 {
					fmt.Fprintf(os.Stderr, "gateeval: -diagnose: bad drop size %q\n", f)
					os.Exit(2)
				}
				eval.Diagnose(s, sc, drop).Print(os.Stdout)
			}
		}
		return
	}
	for _, sc := range run {
		eval.Run(s, sc).Print(os.Stdout, s)
	}
}

func names() string {
	var n []string
	for _, sc := range eval.Scenarios {
		n = append(n, sc.Name)
	}
	return strings.Join(n, ", ")
}
