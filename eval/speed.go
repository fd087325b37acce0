package eval

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// WriteSpeedSuite writes the raw files of the speed comparison to dir: runs baseline files
// base1.txt… and pr.txt, each a run of every config in Go benchmark format with one line per
// iteration. It returns the baseline file paths and the PR file path.
func WriteSpeedSuite(dir string, configs, iters, runs int, seed uint64) (base []string, pr string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, "", err
	}
	rng := rand.New(rand.NewPCG(seed, 2))
	level := make([]float64, configs)
	for i := range level {
		level[i] = 20 + 40*rng.Float64()
	}
	write := func(name string) (string, error) {
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		if err != nil {
			return "", err
		}
		w := bufio.NewWriter(f)
		fmt.Fprintln(w, "Unit s/iter better=lower")
		fmt.Fprintln(w, "Unit TFLOPS/GPU better=higher")
		for c := 0; c < configs; c++ {
			run := level[c] * math.Exp(0.01*rng.NormFloat64())
			name := fmt.Sprintf("BenchmarkTrain/tp=%d/pp=%d/mbs=%d/gbs=1024/flags=cfg%d/sl=4096/nodes=32", 1<<(c%4), 1+c/4%8, 1+c/32%4, c)
			for it := 0; it < iters; it++ {
				t := run * math.Exp(0.003*rng.NormFloat64())
				fmt.Fprintf(w, "%s 1 %.4f s/iter %.3f TFLOPS/GPU\n", name, t, 7000/t)
			}
		}
		if err := w.Flush(); err != nil {
			f.Close()
			return "", err
		}
		return path, f.Close()
	}
	for r := 1; r <= runs; r++ {
		p, err := write(fmt.Sprintf("base%d.txt", r))
		if err != nil {
			return nil, "", err
		}
		base = append(base, p)
	}
	pr, err = write("pr.txt")
	return base, pr, err
}
