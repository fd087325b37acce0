package check

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/flops"
)

// RecomputeTFLOPS replaces the TFLOPS/GPU of every OK run that reports a time per iteration
// by the value formula f gives for its config (which must name the model, e.g. model=llama3-70b
// or model=70b, and gbs, sl and nodes or gpus), so that baselines written by different
// Megatron versions, whose FLOPs formulas differ, stay comparable. A run whose config cannot
// be recomputed is an error naming its source, and so is an OK run that logs TFLOPS/GPU but
// no time to recompute them from: its logged TFLOPS, under whatever formula its trainer used,
// would be compared with the other side's pinned ones. So is a layout that cannot run (see
// flops.RecomputeTFLOPS), and a recomputed value beyond what a run can measure (1e17 FLOP/s
// per GPU, as bench.CheckValue bounds every TFLOPS/GPU read). fix, in parentheses after an error about
// a config, says how to give the config what it lacks on this side ("add it with --set" for
// results; a store's configs are its keys, which --set on the results cannot change).
func RecomputeTFLOPS(runs []bench.Run, f flops.Formula, gpusPerNode int, fix string) error {
	for i := range runs {
		r := &runs[i]
		if r.Outcome != bench.OK {
			continue
		}
		// The time and the TFLOPS as the run holds them: s/iter and TFLOPS/GPU, or a scaling
		// of either (a store kept in ms/iter, results in GFLOPS/GPU), in which the recomputed
		// values are written back, so that one metric is not held in two units.
		t, tScale := scaledMetric(r, bench.MetricTime)
		tf, tfScale := scaledMetric(r, bench.MetricTFLOPS)
		if t == nil || len(t.Values) == 0 {
			if tf != nil && len(tf.Values) > 0 {
				return fmt.Errorf("%s: --recompute-tflops %s: the run reports %s but no %s to recompute it from, so its TFLOPS would not follow the pinned formula (gate it without --recompute-tflops, or give its time per iteration)",
					r.Source, f, bench.MetricTFLOPS, bench.MetricTime)
			}
			continue
		}
		vals := make([]float64, len(t.Values))
		for j, tv := range t.Values {
			sec := tv * tScale
			v, err := flops.RecomputeTFLOPS(f, r.Config, sec, gpusPerNode)
			if errors.Is(err, flops.ErrImpossibleLayout) {
				return fmt.Errorf("%s: --recompute-tflops %s: %v (no run has this layout: correct its config, or --gpus-per-node if its nodes have another number of GPUs)", r.Source, f, err)
			}
			if err != nil {
				return fmt.Errorf("%s: --recompute-tflops %s: %v (%s)", r.Source, f, err, fix)
			}
			// The same limit the ingest and the store apply to a measured TFLOPS/GPU: a time
			// that gives more is a typo or a unit error, and failing here names its input
			// rather than the store line it would have become.
			if msg := bench.CheckValue(v, bench.MetricTFLOPS, bench.Higher); msg != "" {
				return fmt.Errorf("%s: --recompute-tflops %s: %g %s gives %s: %s; check its time per iteration",
					r.Source, f, sec, bench.MetricTime, bench.MetricTFLOPS, msg)
			}
			vals[j] = v
		}
		if tf != nil {
			for j := range vals {
				vals[j] /= tfScale // in the run's own unit: one of it is tfScale TFLOPS/GPU
			}
			tf.Values, tf.Samples = vals, t.Samples
			continue
		}
		r.Metrics = append(r.Metrics, bench.Metric{Name: bench.MetricTFLOPS, Unit: bench.MetricTFLOPS, Better: bench.Higher, Values: vals, Samples: t.Samples})
	}
	return nil
}

// scaledMetric returns run r's metric named name, else one in a scaling of it (ms/iter of
// s/iter: bench.ScaleOf), with the factor that turns its values into name's unit; nil when
// the run has neither.
func scaledMetric(r *bench.Run, name string) (*bench.Metric, float64) {
	if m := r.Metric(name); m != nil {
		return m, 1
	}
	for i := range r.Metrics {
		if f, ok := bench.ScaleOf(r.Metrics[i].Name, name); ok && f > 0 {
			return &r.Metrics[i], f
		}
	}
	return nil, 0
}

// driftTolerance is how far logged TFLOPS may stray from a formula and still match it.
const driftTolerance = 0.005

// CheckFormulas compares the logged TFLOPS of the baseline and of the new runs with every
// FLOPs formula perfgate knows, for the runs whose config allows recomputing them. It returns
// remarks: FormulaDrift when the two sides match different formulas (a Megatron upgrade
// changed the formula, which must not read as a regression), or when the runs of one config
// match no formula together (a baseline window that spans the upgrade: its TFLOPS mix two
// conventions, and would pass a real drop as noise); and FormulaUnmatched when the logged
// TFLOPS of a side match none of them within 0.5%.
func CheckFormulas(base, cur []bench.Run, gpusPerNode int) []Remark {
	bm, bKeys, bOff := matchingFormulas(base, gpusPerNode)
	nm, nKeys, nOff := matchingFormulas(cur, gpusPerNode)
	var remarks []Remark
	if len(bm) > 0 && len(nm) > 0 && !slices.ContainsFunc(bm, func(f string) bool { return slices.Contains(nm, f) }) {
		remarks = append(remarks, FormulaDrift{Baseline: bm, New: nm})
	} else if d, ok := configDrift(bKeys, nKeys); ok {
		remarks = append(remarks, d)
	}
	for _, off := range []*FormulaUnmatched{bOff, nOff} {
		if off != nil {
			remarks = append(remarks, *off)
		}
	}
	return remarks
}

// keyFormulas are, for one config and side, the formulas that its runs matching some formula
// all agree with (common) and that any of them agrees with (any), per flops.Formulas.
type keyFormulas struct {
	common, any []bool
}

// configDrift looks for configs whose runs, on both sides together, match no one formula
// although each matches some: their TFLOPS follow two conventions. It returns a FormulaDrift
// naming, per side, the formulas of those runs that the other side's lack (all of them when
// the other side has them all), marked Mixed.
func configDrift(base, cur map[string]*keyFormulas) (FormulaDrift, bool) {
	bAny := make([]bool, len(flops.Formulas))
	nAny := make([]bool, len(flops.Formulas))
	found := false
	for k, b := range base {
		n := cur[k]
		if n == nil {
			continue
		}
		shared := false
		for fi := range flops.Formulas {
			shared = shared || (b.common[fi] && n.common[fi])
		}
		if shared {
			continue
		}
		found = true
		for fi := range flops.Formulas {
			bAny[fi] = bAny[fi] || b.any[fi]
			nAny[fi] = nAny[fi] || n.any[fi]
		}
	}
	if !found {
		return FormulaDrift{}, false
	}
	names := func(own, other []bool) []string {
		var only, all []string
		for fi, f := range flops.Formulas {
			if own[fi] {
				all = append(all, string(f))
				if !other[fi] {
					only = append(only, string(f))
				}
			}
		}
		if len(only) == 0 {
			only = all
		}
		sort.Strings(only)
		return only
	}
	return FormulaDrift{Baseline: names(bAny, nAny), New: names(nAny, bAny), Mixed: true}, true
}

// matchingFormulas returns the formulas every checkable run's logged TFLOPS agree with, per
// config the formulas of its runs that match some (keyFormulas), and the first run that
// agrees with none.
func matchingFormulas(runs []bench.Run, gpusPerNode int) ([]string, map[string]*keyFormulas, *FormulaUnmatched) {
	perKey := map[string]*keyFormulas{}
	var common []bool // per formula of flops.Formulas: every checkable run so far agrees with it
	var warning *FormulaUnmatched
	// Per config key, the formulas its config does not say enough for: with a valid time,
	// RecomputeTFLOPS fails or not by the config alone, so a config's other runs skip them.
	unfit := map[string][]bool{}
	matched := make([]bool, len(flops.Formulas)) // the formulas a run's TFLOPS agree with
	for i := range runs {
		r := &runs[i]
		t, tf := r.Metric(bench.MetricTime), r.Metric(bench.MetricTFLOPS)
		if r.Outcome != bench.OK || t == nil || tf == nil || len(t.Values) == 0 || len(tf.Values) == 0 {
			continue
		}
		logged, sec := bench.Center(tf.Values), bench.Center(t.Values)
		clear(matched)
		var closest flops.Formula
		var closestValue float64
		best := math.Inf(1)
		key := r.ConfigKey()
		skip := unfit[key]
		if skip == nil {
			skip = make([]bool, len(flops.Formulas))
			unfit[key] = skip
		}
		for fi, f := range flops.Formulas {
			if skip[fi] {
				continue
			}
			v, err := flops.RecomputeTFLOPS(f, r.Config, sec, gpusPerNode)
			if err != nil {
				skip[fi] = sec > 0 && !math.IsInf(sec, 0)
				continue
			}
			d := math.Abs(logged/v - 1)
			matched[fi] = d <= driftTolerance
			if d < best {
				best, closest, closestValue = d, f, v
			}
		}
		if closest == "" {
			continue // the config does not say enough to recompute
		}
		if !slices.Contains(matched, true) && warning == nil {
			warning = &FormulaUnmatched{Source: r.Source, Logged: logged, Closest: string(closest), ClosestValue: closestValue}
		}
		if slices.Contains(matched, true) {
			if kf := perKey[key]; kf == nil {
				perKey[key] = &keyFormulas{common: slices.Clone(matched), any: slices.Clone(matched)}
			} else {
				for fi := range matched {
					kf.common[fi] = kf.common[fi] && matched[fi]
					kf.any[fi] = kf.any[fi] || matched[fi]
				}
			}
		}
		if common == nil {
			common = slices.Clone(matched)
			continue
		}
		for fi := range common {
			common[fi] = common[fi] && matched[fi]
		}
	}
	var out []string
	for fi, agree := range common {
		if agree {
			out = append(out, string(flops.Formulas[fi]))
		}
	}
	sort.Strings(out)
	return out, perKey, warning
}
