package check

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/perfgate/perfgate/bench"
)

// Gateable reports, as an input error, a check that could not gate anything although it was
// given something to gate against, where Compare would otherwise pass on nothing:
//
//   - a metric filter (Options.Metrics: --metric or "metrics" in the config file) that names a
//     metric neither side holds: the error lists the metrics present;
//   - results none of whose configs is in a non-empty baseline (a wrong --set, a table
//     without a nodes column): the error names the nearest baseline config and the keys that
//     differ;
//   - results whose configs are in the baseline but share no metric with it (after the
//     metric filter) and whose outcomes decide nothing: every result would be new or
//     missing (MetricsShared);
//   - results against a baseline that holds no run at all (a store of only its header and
//     end line): every result would be new.
//
// A pass must mean "compared, and fine"; these are neither.
func Gateable(base, cur []bench.Run, opts Options) error {
	if len(base) == 0 && len(cur) > 0 {
		return errors.New("the baseline holds no runs, so nothing was compared: every result would be new.\nSeed it from results you trust with 'perfgate baseline update' and commit it, then check against it")
	}
	if err := MetricsPresent(base, cur, opts.Metrics); err != nil {
		return err
	}
	if err := ConfigsMatch(base, cur); err != nil {
		return err
	}
	return MetricsShared(base, cur, opts.Metrics)
}

// Compared reports, as an input error, a report that would pass having compared nothing:
// no result was decided on numbers (by a test or the tolerance) nor by a change of outcome
// (newly-failing, fixed), so every config is still-failing with no run that ran on both
// sides (an OOM in the baseline and again now), missing or new. Gateable cannot see this
// from the runs, since a failed run may be compared (the still-failing config whose new runs
// partly ran) or decide (newly-failing, fixed); the report says what was decided. A report
// that fails (missing configs under --require-all) is a verdict and no error.
func Compared(rep *Report) error {
	if rep.Verdict != Pass {
		return nil
	}
	if slices.ContainsFunc(rep.Results, func(r Result) bool {
		return r.Test != "" || r.Status == NewlyFailing || r.Status == Fixed
	}) {
		return nil
	}
	configs := map[Status]map[string]bool{}
	for _, r := range rep.Results {
		if configs[r.Status] == nil {
			configs[r.Status] = map[string]bool{}
		}
		configs[r.Status][r.Key] = true
	}
	var parts []string
	for _, s := range []struct {
		status Status
		words  string
	}{
		{StillFailing, "config(s) still fail as in the baseline, with no run that ran on both sides"},
		{Missing, "config(s) of the baseline are missing from the results"},
		{New, "config(s) are new to it"},
	} {
		if n := len(configs[s.status]); n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s.words))
		}
	}
	if len(parts) == 0 {
		parts = []string{"there are no results"}
	}
	advice := "give results in which some config that the baseline measured ran"
	if len(configs[StillFailing]) > 0 {
		advice += ", or fix the failures and re-run"
	}
	return fmt.Errorf("nothing was compared: %s.\nA pass must mean compared, and fine: %s", strings.Join(parts, "; "), advice)
}

// MetricsShared is Gateable's check that some config of both sides can be compared: a
// metric (one the filter keeps, when there is one) that its baseline runs and its new runs
// both report, or a failed new run or a failed last baseline run, whose outcome is gated
// (newly-failing, still-failing, fixed). Without one, every result is new or missing, and a check would pass
// on nothing: results that report tokens/s/GPU against a baseline of TFLOPS/GPU and s/iter,
// or --metric TFLOPS/GPU on results that only timed their iterations.
func MetricsShared(base, cur []bench.Run, filter []string) error {
	if len(base) == 0 || len(cur) == 0 {
		return nil
	}
	keep := func(name string) bool { return len(filter) == 0 || slices.Contains(filter, name) }
	type side struct {
		metrics map[string]bool // the filter keeps
		all     map[string]bool // whether the filter keeps them or not
		failed  bool
	}
	collect := func(runs []bench.Run, newSide bool) map[string]*side {
		out := map[string]*side{}
		for i := range runs {
			k := runs[i].ConfigKey()
			s := out[k]
			if s == nil {
				s = &side{metrics: map[string]bool{}, all: map[string]bool{}}
				out[k] = s
			}
			// A new failed run gates the config's outcome (judge); a baseline's only when it
			// is the config's last run (fixed, still-failing): an older one, followed by
			// runs that measured the config, decides nothing. Runs are oldest first.
			if failed := runs[i].Outcome != bench.OK; failed || !newSide {
				s.failed = failed
			}
			for _, m := range runs[i].Metrics {
				if keep(m.Name) {
					s.metrics[m.Name] = true
				}
				s.all[m.Name] = true
			}
		}
		return out
	}
	bs, cs := collect(base, false), collect(cur, true)
	baseNames, curNames := map[string]bool{}, map[string]bool{}
	baseAll, curAll := map[string]bool{}, map[string]bool{} // unfiltered
	for k, c := range cs {
		b, ok := bs[k]
		if !ok {
			continue
		}
		if c.failed || b.failed {
			return nil
		}
		for m := range c.metrics {
			if b.metrics[m] {
				return nil
			}
			curNames[m] = true
		}
		for m := range b.metrics {
			baseNames[m] = true
		}
		maps.Copy(curAll, c.all)
		maps.Copy(baseAll, b.all)
	}
	// list names a side's kept metrics, and, when the filter kept none, the ones it has.
	list := func(names, all map[string]bool) string {
		if len(names) > 0 {
			return strings.Join(slices.Sorted(maps.Keys(names)), ", ")
		}
		if len(all) > 0 {
			return "none of them (only " + strings.Join(slices.Sorted(maps.Keys(all)), ", ") + ")"
		}
		return "none"
	}
	filtered := ""
	if len(filter) > 0 {
		filtered = fmt.Sprintf(" (kept by --metric, or \"metrics\" in the config file: %s)", strings.Join(filter, ", "))
	}
	return fmt.Errorf("the results and the baseline share configs but no metric%s, so nothing was compared: on those configs the results report %s and the baseline %s.\nCheck the metric names of the input, --metric and --recompute-tflops",
		filtered, list(curNames, curAll), list(baseNames, baseAll))
}

// MetricsPresent is Gateable's check of the metric filter alone.
func MetricsPresent(base, cur []bench.Run, filter []string) error {
	if len(filter) == 0 {
		return nil
	}
	present := bench.MetricNames(base, cur)
	if len(present) == 0 {
		return nil // only failed runs: there is no metric to name, and outcomes are still gated
	}
	names := slices.Sorted(maps.Keys(present))
	for _, m := range filter {
		if present[m] {
			continue
		}
		hint := ""
		for _, n := range names {
			if strings.EqualFold(n, m) {
				hint = fmt.Sprintf(" (did you mean %q?)", n)
			}
		}
		return fmt.Errorf("metric %q (--metric, or \"metrics\" in the config file) matches nothing%s, so nothing would be gated; the results and the baseline hold: %s", m, hint, strings.Join(names, ", "))
	}
	return nil
}

// ConfigsMatch is Gateable's check that some result's config is in the baseline.
func ConfigsMatch(base, cur []bench.Run) error {
	if len(base) == 0 || len(cur) == 0 {
		return nil
	}
	baseCfg := map[string]bench.Config{}
	for i := range base {
		k := base[i].ConfigKey()
		if _, ok := baseCfg[k]; !ok {
			baseCfg[k] = base[i].Config
		}
	}
	curCfg := map[string]bench.Config{}
	var curKeys []string
	for i := range cur {
		k := cur[i].ConfigKey()
		if _, ok := baseCfg[k]; ok {
			return nil
		}
		if _, ok := curCfg[k]; !ok {
			curCfg[k] = cur[i].Config
			curKeys = append(curKeys, k)
		}
	}
	baseKeys := slices.Sorted(maps.Keys(baseCfg))
	// The nearest pair: fewest keys that differ. Only the first results' configs are tried,
	// which keeps this linear in the baseline for any sweep; the closest pair of a consistent
	// mistake (one --set, one missing column) is the same for every config.
	best, bestCur, bestBase := -1, "", ""
	for _, ck := range curKeys[:min(len(curKeys), 64)] {
		for _, bk := range baseKeys {
			if d := len(differ(curCfg[ck], baseCfg[bk])); best < 0 || d < best {
				best, bestCur, bestBase = d, ck, bk
			}
		}
	}
	c, b := curCfg[bestCur], baseCfg[bestBase]
	return fmt.Errorf("no result matches any baseline config, so nothing was gated: the results hold %d config(s) and the baseline %d, none in both.\nNearest: %s\n    vs baseline %s\ndiffering in %s.\nCheck --set, the columns of the input, and --baseline",
		len(curCfg), len(baseCfg), c, b, Differences(c, b))
}

// NearestConfig returns the config of base nearest to cfg (the fewest keys that differ; of
// equals, the first in key order) and how they differ (Differences), or false when base
// holds no config.
func NearestConfig(base []bench.Run, cfg bench.Config) (bench.Config, string, bool) {
	var best bench.Config
	bestKey, bestN := "", -1
	for i := range base {
		k := base[i].ConfigKey()
		n := len(differ(cfg, base[i].Config))
		if bestN < 0 || n < bestN || (n == bestN && k < bestKey) {
			best, bestKey, bestN = base[i].Config, k, n
		}
	}
	if bestN < 0 {
		return nil, "", false
	}
	return best, Differences(cfg, best), true
}

// Differences says how config c (here) differs from b (in the baseline), key by key in
// display order: "mbs (9 here, 1 in the baseline), gbs (missing here, 1024 in the baseline)".
func Differences(c, b bench.Config) string {
	var diffs []string
	for _, k := range differ(c, b) {
		cv, inC := c[k]
		bv, inB := b[k]
		switch {
		case !inC:
			diffs = append(diffs, fmt.Sprintf("%s (missing here, %s in the baseline)", k, bv))
		case !inB:
			diffs = append(diffs, fmt.Sprintf("%s (%s here, missing in the baseline)", k, cv))
		default:
			diffs = append(diffs, fmt.Sprintf("%s (%s here, %s in the baseline)", k, cv, bv))
		}
	}
	return strings.Join(diffs, ", ")
}

// differ returns the keys whose values differ between a and b, or that only one has, in
// display order.
func differ(a, b bench.Config) []string {
	var keys []string
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			keys = append(keys, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	order := bench.Config{}
	for _, k := range keys {
		order[k] = ""
	}
	return slices.Clip(order.Keys())
}

// An IdleRule is a rule (Options.Rules) that applies to nothing a check compares: its match
// selects no config of the baseline or the new runs, or its metric is one neither side
// reports (a speed metric's rule covers whichever speed metric they report, as Compare
// applies it), or its until date has passed. Such a rule is most often a typo
// ("/tp:16", "tflops") that leaves the threshold or the ignore its author meant unapplied.
type IdleRule struct {
	Rule *Rule
	// NoConfig: the match selects no config. Metrics is set when the rule's metric is not
	// reported: the metrics both sides hold. Expired: a rule past its until date, which no
	// longer applies.
	NoConfig bool
	Metrics  []string
	Expired  bool
}

// IdleRules returns the rules of opts that apply to nothing in base and cur, in order.
func IdleRules(base, cur []bench.Run, opts Options) []IdleRule {
	if len(opts.Rules) == 0 {
		return nil
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	configs := map[string]bench.Config{}
	metrics := map[string]bool{}
	speed := false // some speed metric is reported: a rule for any speed metric covers it
	for _, runs := range [][]bench.Run{base, cur} {
		for i := range runs {
			if k := runs[i].ConfigKey(); configs[k] == nil {
				configs[k] = runs[i].Config
			}
			for _, m := range runs[i].Metrics {
				metrics[m.Name] = true
				speed = speed || measurementOf(m.Name, opts) == SpeedMeasurement
			}
		}
	}
	var out []IdleRule
	for i := range opts.Rules {
		r := &opts.Rules[i]
		idle := IdleRule{Rule: r}
		if r.Match != nil {
			idle.NoConfig = true
			for _, c := range configs {
				if r.Match(c) {
					idle.NoConfig = false
					break
				}
			}
		}
		covered := metrics[r.Metric] || (speed && measurementOf(r.Metric, opts) == SpeedMeasurement)
		if r.Metric != "" && len(metrics) > 0 && !covered {
			idle.Metrics = slices.Sorted(maps.Keys(metrics))
		}
		idle.Expired = r.Expired(now)
		if idle.NoConfig || idle.Metrics != nil || idle.Expired {
			out = append(out, idle)
		}
	}
	return out
}

// MetricTypos returns an error for the first of names (metric names a config file gives:
// speed_metrics, better) that neither side reports while a metric that one side reports is a
// near miss of it: the same name but for case and punctuation ("time-to-first-token" for
// time_to_first_token), or one letter off past the first word ("s/itr" for s/iter; nearMiss). Such a name would
// apply to nothing, and the metric it meant would keep the direction its unit suggests, or
// decide on its own. A name with no near miss may belong to another job's results (a shared
// config file lists tokens/s/GPU for a job that reports only TFLOPS) and is left alone.
func MetricTypos(base, cur []bench.Run, names []string, what string) error {
	present := bench.MetricNames(base, cur)
	reported := slices.Sorted(maps.Keys(present))
	for _, n := range names {
		if present[n] {
			continue
		}
		for _, r := range reported {
			if nearMiss(n, r) {
				return fmt.Errorf("metric %q (%s in the config file) matches no metric of the results or the baseline; did you mean %q? They hold: %s", n, what, r, strings.Join(reported, ", "))
			}
		}
	}
	return nil
}

// nearMiss reports whether metric names a and b differ only in case and punctuation, or by
// one letter. A letter of a short first word, or the first letter of any, is a unit's prefix
// that tells metrics apart (ms/iter and s/iter, GB-max-allocated and MB-max-allocated,
// GFLOPS/GPU and TFLOPS/GPU are other jobs' metrics, not typos); a letter further into a
// first word of five letters or more is a typo (TFLOP/GPU, tokns/s/GPU).
func nearMiss(a, b string) bool {
	norm := func(s string) string {
		return strings.Map(func(r rune) rune {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				return unicode.ToLower(r)
			}
			return -1
		}, s)
	}
	na, nb := norm(a), norm(b)
	if na == nb {
		return true
	}
	first := func(s string) string {
		if i := strings.IndexAny(s, "/-_"); i >= 0 {
			s = s[:i]
		}
		return strings.ToLower(s)
	}
	fa, fb := first(a), first(b)
	if len(na) < 4 || editDistance(na, nb) != 1 {
		return false
	}
	if fa == fb {
		return true
	}
	// The one letter is in the first word: a typo only past a unit's prefix.
	return min(len(fa), len(fb)) >= 5 && fa[0] == fb[0]
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
