package check

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/flops"
)

// RecomputeTFLOPS replaces the TFLOPS/GPU of every OK run that reports a time per iteration
// by the value formula f gives for its config (which must name the model, e.g. model=llama3-70b
// or model=70b, and gbs, sl and nodes or gpus), so that baselines written by different
// Megatron versions, whose FLOPs formulas differ, stay comparable. A run whose config cannot
// be recomputed is an error naming its source.
func RecomputeTFLOPS(runs []bench.Run, f flops.Formula, gpusPerNode int) error {
	for i := range runs {
		r := &runs[i]
		t := r.Metric(bench.MetricTime)
		if r.Outcome != bench.OK || t == nil || len(t.Values) == 0 {
			continue
		}
		vals := make([]float64, len(t.Values))
		for j, sec := range t.Values {
			v, err := flops.RecomputeTFLOPS(f, r.Config, sec, gpusPerNode)
			if err != nil {
				return fmt.Errorf("%s: --recompute-tflops %s: %v (add it with --set)", r.Source, f, err)
			}
			vals[j] = v
		}
		m := bench.Metric{Name: bench.MetricTFLOPS, Unit: bench.MetricTFLOPS, Better: bench.Higher, Values: vals, Samples: t.Samples}
		if old := r.Metric(bench.MetricTFLOPS); old != nil {
			*old = m
		} else {
			r.Metrics = append(r.Metrics, m)
		}
	}
	return nil
}

// driftTolerance is how far logged TFLOPS may stray from a formula and still match it.
const driftTolerance = 0.005

// FormulaDrift compares the logged TFLOPS of the baseline and of the new runs with every
// FLOPs formula perfgate knows, for the runs whose config allows recomputing them. It returns
// warnings: when the two sides match different formulas (a Megatron upgrade changed the
// formula, which must not read as a regression), and when the logged TFLOPS match none of
// them within 0.5%.
func FormulaDrift(base, cur []bench.Run, gpusPerNode int) []string {
	bm, bOff := matchingFormulas(base, gpusPerNode)
	nm, nOff := matchingFormulas(cur, gpusPerNode)
	var notes []string
	if len(bm) > 0 && len(nm) > 0 && !slices.ContainsFunc(bm, func(f string) bool { return slices.Contains(nm, f) }) {
		notes = append(notes, fmt.Sprintf("TFLOPS formula drift: the baseline's TFLOPS/GPU match the %s formula but the new runs' match %s, so their TFLOPS differ even at the same speed. Compare s/iter, or pin one formula with --recompute-tflops.",
			strings.Join(bm, "/"), strings.Join(nm, "/")))
	}
	for _, off := range []string{bOff, nOff} {
		if off != "" {
			notes = append(notes, off)
		}
	}
	return notes
}

// matchingFormulas returns the formulas every checkable run's logged TFLOPS agree with, and a
// warning for a run that agrees with none.
func matchingFormulas(runs []bench.Run, gpusPerNode int) ([]string, string) {
	var common map[string]bool
	warning := ""
	for _, r := range runs {
		t, tf := r.Metric(bench.MetricTime), r.Metric(bench.MetricTFLOPS)
		if r.Outcome != bench.OK || t == nil || tf == nil || len(t.Values) == 0 || len(tf.Values) == 0 {
			continue
		}
		logged, sec := bench.Center(tf.Values), bench.Center(t.Values)
		match := map[string]bool{}
		var closest string
		best := math.Inf(1)
		for _, f := range flops.Formulas {
			v, err := flops.RecomputeTFLOPS(f, r.Config, sec, gpusPerNode)
			if err != nil {
				continue
			}
			d := math.Abs(logged/v - 1)
			if d <= driftTolerance {
				match[string(f)] = true
			}
			if d < best {
				best, closest = d, fmt.Sprintf("%s gives %.4g", f, v)
			}
		}
		if closest == "" {
			continue // the config does not say enough to recompute
		}
		if len(match) == 0 && warning == "" {
			warning = fmt.Sprintf("%s: logged TFLOPS/GPU %.4g disagree by more than 0.5%% with every known formula (closest: %s); check the model and GPU count, or pin one with --recompute-tflops.", r.Source, logged, closest)
		}
		if common == nil {
			common = match
			continue
		}
		for f := range common {
			if !match[f] {
				delete(common, f)
			}
		}
	}
	var out []string
	for f := range common {
		out = append(out, f)
	}
	sort.Strings(out)
	return out, warning
}
