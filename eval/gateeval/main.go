// Command gateeval runs perfgate's gate-accuracy harness and prints the suite false-fail rate
// and the recall by drop size. See package eval for the noise model.
//
//	go run ./eval/gateeval -suites 2000
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/perfgate/perfgate/eval"
)

func main() {
	s := eval.DefaultSetup()
	flag.IntVar(&s.Suites, "suites", s.Suites, "simulated suites per scenario")
	flag.IntVar(&s.Configs, "configs", s.Configs, "configs per suite")
	flag.IntVar(&s.BaselineRuns, "baseline-runs", s.BaselineRuns, "baseline runs per config")
	flag.IntVar(&s.PRRuns, "pr-runs", s.PRRuns, "PR runs per config")
	flag.Uint64Var(&s.Seed, "seed", s.Seed, "random seed")
	flag.Float64Var(&s.Check.MinEffectPct, "min-effect", s.Check.MinEffectPct, "minimum effect in percent")
	flag.Float64Var(&s.Check.Alpha, "alpha", s.Check.Alpha, "suite-wide alpha")
	flag.Var(&s.Check.Correction, "correction", "holm, bh or none")
	flag.Parse()
	if err := s.Validate(); err != nil {
		fmt.Fprintf(os.Stderr, "gateeval: %v\n", err)
		os.Exit(2)
	}
	eval.Run(s).Print(os.Stdout, s)
}
