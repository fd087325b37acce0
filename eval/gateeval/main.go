// Command gateeval runs perfgate's gate-accuracy harness and prints, per scenario, the suite
// false-fail rate and the recall by drop size on steady, noisy and bimodal configs. See
// package eval for the noise model and the scenarios.
//
//	go run ./eval/gateeval -suites 1000 -seed 1
//	go run ./eval/gateeval -scenario short+contaminated -alpha 0.02
package main

import (
	"flag"
	"fmt"
	"os"
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
	flag.Parse()
	if err := s.Validate(); err != nil {
		fmt.Fprintf(os.Stderr, "gateeval: %v\n", err)
		os.Exit(2)
	}
	var run []eval.Scenario
	if *scenarios == "all" {
		run = eval.Scenarios
	} else {
		for _, name := range strings.Split(*scenarios, ",") {
			sc, ok := eval.LookupScenario(strings.TrimSpace(name))
			if !ok {
				fmt.Fprintf(os.Stderr, "gateeval: unknown scenario %q; have %s\n", name, names())
				os.Exit(2)
			}
			run = append(run, sc)
		}
	}
	eval.Header(os.Stdout, s)
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
