// Command speedgen writes the raw benchmark files of the speed comparison: N baseline runs and
// one PR run of a suite in Go benchmark format, one line per iteration.
//
//	go run ./eval/speedgen -configs 3000 -iters 40 -runs 7 -out /tmp/speed
//
// eval/speed.sh times perfgate and benchstat on them.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/perfgate/perfgate/eval"
)

func main() {
	configs := flag.Int("configs", 3000, "configs in the suite")
	iters := flag.Int("iters", 40, "iterations per run")
	runs := flag.Int("runs", 7, "baseline runs")
	out := flag.String("out", "speed", "output directory")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if _, _, err := eval.WriteSpeedSuite(*out, *configs, *iters, *runs, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "speedgen:", err)
		os.Exit(1)
	}
}
