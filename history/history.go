package history

import (
	"encoding/json"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/check"
)

// Schema is the version of the JSON form of a History.
const Schema = 1

// A Source says where a history came from.
type Source string

// The sources of a history.
const (
	// FromGit: every committed version of the store (and the work tree's, if newer).
	FromGit Source = "git"
	// FromStore: the store as it is, because it is not in a git work tree; the history is
	// then limited to the store's rolling window.
	FromStore Source = "store"
	// FromWorkTree: the store in a git work tree as it is, because no commit holds it yet
	// (never committed, or deleted and re-created since): the history is, as FromStore,
	// limited to the store's rolling window.
	FromWorkTree Source = "worktree"
)

// A History is the series of every config and metric of a baseline.
type History struct {
	Schema int    `json:"schema"`
	Source Source `json:"source"`
	// Commits is the number of store versions read (commits, plus the work tree when it held
	// runs no commit did); for FromWorkTree, 0: no commit holds the store.
	Commits int `json:"commits"`
	// Shallow is set when the store is in a shallow git clone: history older than the
	// clone's depth is missing.
	Shallow bool `json:"shallow,omitempty"`
	// Skipped names the damaged older versions of the store that were left out, each as
	// file@commit:line and what is wrong with it.
	Skipped []string `json:"skipped_versions,omitempty"`
	// AllSkipped is set when versions were left out and no older version could be read.
	AllSkipped bool `json:"all_skipped,omitempty"`
	// SkippedLost is set when a version left out may have held nights no version read holds.
	SkippedLost bool `json:"skipped_lost,omitempty"`
	// Extra is the number of runs added from results files outside the store.
	Extra int `json:"extra_runs"`
	// Batches are all batches, oldest first: the x axis every series shares.
	Batches []Batch `json:"batches"`
	// Series are sorted by config key, then metric.
	Series []Series `json:"series"`
	// Sweep ranks the configs of each scale by their newest value.
	Sweep *Sweep `json:"sweep,omitempty"`
	// MinEffectPct is the smallest step kept as a change point.
	MinEffectPct float64 `json:"min_effect_pct"`
	// SpeedMetrics are the metrics that are one measurement of a run (Options.SpeedMetrics),
	// the deciding one first: Alerts makes one alert of them per config.
	SpeedMetrics []string `json:"speed_metrics,omitempty"`
	// FormulaDrift names, per config key, the FLOPs formulas its logged TFLOPS/GPU matched
	// over the history (bench.Run.Formula), in order of first appearance, for the configs
	// that matched more than one: a Megatron upgrade that changed the formula steps the
	// logged TFLOPS at the same speed. Their speed alerts are decided time first, as the gate
	// decides them under formula drift, and TFLOPS/GPU never overrules the time.
	FormulaDrift map[string][]string `json:"formula_drift,omitempty"`
	// HoldNights is how many newest batches a change for the worse that still holds keeps
	// alerting in (Options.HoldNights): a step on main is a fact until it is fixed or
	// accepted, not only for the newest recent nights.
	HoldNights int `json:"hold_nights,omitempty"`
	// Accepted are the changes acknowledged as the new normal: they stop alerting once older
	// than the newest recent batches (Options.Accepted).
	Accepted []Accept `json:"accepted,omitempty"`
}

// A Batch is one ingest: usually one nightly run of the whole sweep.
type Batch struct {
	Batch string `json:"batch"`
	// Commit recorded the batch in the store; "" when uncommitted or outside git.
	Commit string `json:"commit"`
	// Date is when the batch was measured (the store's date, else the commit's).
	Date string `json:"date"`
	// Measured is the commit the batch measured (baseline update --commit), when known.
	Measured string `json:"measured_commit,omitempty"`
}

// A Series is the history of one metric of one config.
type Series struct {
	Config bench.Config `json:"config"`
	Key    string       `json:"key"`
	Metric string       `json:"metric"`
	Better bench.Better `json:"-"`
	// Points are oldest first, one per batch the config ran in.
	Points       []Point       `json:"points"`
	ChangePoints []ChangePoint `json:"change_points"`
	// Band is what the gate compares a new run with: the newest Window OK values.
	Band *Band `json:"band,omitempty"`
	// Drift is set when the series slid for the worse by the newest run (Kind Drift; Index
	// the newest run, Good the first of the reference window's last DriftRuns runs, Before
	// and After the two levels, PValue absent, Z the slide over its standard error). It
	// alerts unless change points that alert explain it (Alerts).
	Drift *ChangePoint `json:"drift,omitempty"`
	// MinEffectPct is set when a rule gives the series a minimum effect other than the
	// history's.
	MinEffectPct *float64 `json:"min_effect_pct,omitempty"`
}

// MarshalJSON writes Better as "higher" or "lower".
func (s Series) MarshalJSON() ([]byte, error) {
	type plain Series
	return json.Marshal(struct {
		plain
		Better string `json:"better"`
	}{plain(s), s.Better.String()})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *Series) UnmarshalJSON(data []byte) error {
	type plain Series
	var v struct {
		plain
		Better string `json:"better"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	*s = Series(v.plain)
	s.Better, _ = bench.ParseBetter(v.Better)
	return nil
}

// A Point is one batch of one config: a value when it ran, else how it failed.
type Point struct {
	Batch  string `json:"batch"`
	Commit string `json:"commit"`
	Date   string `json:"date"`
	// Value is the median of the config's run centres in the batch (usually one run).
	Value *float64 `json:"value,omitempty"`
	// Outcome is set when no run of the batch succeeded: "oom" or "error".
	Outcome bench.Outcome `json:"outcome,omitempty"`
	// BatchIndex is the batch's index in History.Batches.
	BatchIndex int `json:"-"`
}

// OK reports whether the point has a value.
func (p *Point) OK() bool { return p.Value != nil }

// A Kind is what changed at a change point.
type Kind string

// The kinds of change point.
const (
	Level   Kind = "level"   // the metric's level stepped
	Outcome Kind = "outcome" // the config started or stopped failing
	// Drift: the newest runs are worse than the runs a window earlier by the minimum effect,
	// beyond the series' own noise, with no change point between: a slow slide in which no
	// single night stepped.
	Drift Kind = "drift"
)

// A ChangePoint names the first run after a change.
type ChangePoint struct {
	Kind Kind `json:"kind"`
	// Index is the index in Points of the first run after the change.
	Index  int    `json:"index"`
	Batch  string `json:"batch"`
	Commit string `json:"commit"`
	Date   string `json:"date"`
	// Before and After are the levels (geometric means) of the segments either side; for
	// an outcome change they are absent.
	Before   *float64 `json:"before,omitempty"`
	After    *float64 `json:"after,omitempty"`
	DeltaPct *float64 `json:"delta_pct,omitempty"`
	// PValue is the permutation test's p-value for the split that found the change.
	PValue *float64 `json:"p_value,omitempty"`
	// Z, for a drift, is the slide in units of its standard error from the run-to-run noise.
	Z *float64 `json:"z,omitempty"`
	// From and To are the outcomes either side of an outcome change.
	From bench.Outcome `json:"from,omitempty"`
	To   bench.Outcome `json:"to,omitempty"`
	// Worse reports a change for the worse: a level step against the metric's direction,
	// or a config that started failing.
	Worse bool `json:"worse"`
	// Good is the index in Points of the last run before the change that was on the other
	// side of it: with Index, the range to bisect.
	Good int `json:"good_index"`
	// Holds, on a change for the worse, says the series is still on its worse side at its
	// newest run (see holds): what keeps it alerting after the newest recent batches.
	Holds bool `json:"holds,omitempty"`

	// On a drift: the jumps of the level change points that may explain it, and its slide
	// (log), for explainedBy.
	jumps []cpJump
	slide float64
}

// A Band is the rolling baseline of a series: the level the gate compares a new run with and
// the range in which the gate cannot fail it (the level ± the minimum effect).
type Band struct {
	Center float64 `json:"center"`
	Lo     float64 `json:"lo"`
	Hi     float64 `json:"hi"`
	// From is the index in Points of the band's oldest run.
	From int `json:"from"`
	Runs int `json:"runs"`
}

// Options configure Build.
type Options struct {
	// MinEffectPct is the smallest level step kept as a change point: the gate's.
	MinEffectPct float64
	// MinEffectFor, when set, gives the minimum effect of one config and metric instead
	// (the gate's per-config rules).
	MinEffectFor func(cfg bench.Config, metric string) float64
	// Alpha is the significance level of the permutation test.
	Alpha float64
	// Permutations is the number of permutations of each test.
	Permutations int
	// MinSegment is the fewest OK runs on either side of a level change point, so that one
	// outlying night is not a step.
	MinSegment int
	// Window is the number of newest OK runs the band is computed from: the store's window.
	Window int
	// Seed makes the permutation tests reproducible; each series derives its own stream.
	Seed uint64
	// DriftRuns is how many newest OK runs make the level a drift is judged on (their
	// median); 0 turns the drift check off.
	DriftRuns int
	// DriftZ is how many standard errors (from the series' run-to-run noise) a drift must
	// measure, besides the minimum effect.
	DriftZ float64
	// SpeedMetrics are the metrics of one run that are functions of one another, the
	// deciding one first: the gate's (check.Options.SpeedMetrics, which the config file's
	// speed_metrics replaces). Alerts makes one alert of them per config; empty makes every
	// metric alert on its own.
	SpeedMetrics []string
	// HoldNights is how many newest batches a change for the worse keeps alerting in while
	// it holds (History.HoldNights); 0 alerts on changes only among the newest recent.
	HoldNights int
	// Accepted are the changes acknowledged as the new normal (History.Accepted).
	Accepted []Accept
	// ExtraDate is the date (RFC 3339) Build gives an extra run that records none and is not
	// already committed: tonight's, for a results file that does not say when it ran. Empty
	// leaves such runs undated, and an undated run of a committed batch is taken as committed.
	ExtraDate string
}

// DefaultOptions are the documented defaults: the gate's minimum effect and the store's
// window; α 0.05 with 199 permutations, the defaults of Matteson and James's ecp package (the
// minimum effect and minimum segment, not α, are what keep steady series quiet); change points
// need two runs on either side. A drift is judged on the median of the newest 3 runs and
// must measure 5 standard errors: at 4, a config at 2.5% noise alerted on drifts on 0.1% of
// its nights (historyeval alerts, seed 2), at 5 on 0.01%, and a 0.5%-a-night drift still
// alerted in every repository, 0.6 nights later.
func DefaultOptions() Options {
	return Options{
		MinEffectPct: check.DefaultOptions.MinEffectPct,
		Alpha:        0.05,
		Permutations: 199,
		MinSegment:   2,
		Window:       baseline.DefaultWindow,
		Seed:         1,
		DriftRuns:    3,
		DriftZ:       5,
		HoldNights:   DefaultHoldNights,
		SpeedMetrics: slices.Clone(check.DefaultOptions.SpeedMetrics),
	}
}

// A Revision is a version of the store: its commit and date, and the runs it added.
type Revision = baseline.Revision

// Build makes the history of revs (oldest first), adds extra runs of batches not already in
// it (with no commit), and detects the change points of every series.
//
// An extra run without a date under the id of a committed batch is committed already when
// the extra runs of its batch without a date are all runs of one committed night of that
// id (the batch, or a night of it the history names ID@DATE): each of the same config and
// outcome as a run of its own there, and of the same values as written in the store, or,
// for a batch id that is the hash of its results file's content (sha256:…), the same file,
// of any values. Otherwise they are another night under a reused run id, dated
// opts.ExtraDate, and named ID@DATE.
func Build(revs []Revision, extra []bench.Run, src Source, opts Options) *History {
	h := &History{Schema: Schema, Source: src, Commits: len(revs), Series: []Series{}, Batches: []Batch{}, MinEffectPct: opts.MinEffectPct,
		SpeedMetrics: slices.Clone(opts.SpeedMetrics)}

	// Batches in order of appearance, each with its runs.
	type batchRuns struct {
		Batch
		runs []*bench.Run
		t    time.Time
	}
	index := map[string]int{}
	var batches []*batchRuns
	add := func(r *bench.Run, commit, commitDate string) {
		r.Key = r.ConfigKey() // computed once; Build reads it twice
		i, seen := index[r.Batch]
		if !seen {
			i = len(batches)
			index[r.Batch] = i
			b := &batchRuns{Batch: Batch{Batch: r.Batch, Commit: commit, Date: r.Date, Measured: r.Commit}}
			if b.Date == "" {
				b.Date = commitDate
			}
			batches = append(batches, b)
		}
		batches[i].runs = append(batches[i].runs, r)
	}
	for ri := range revs {
		for i := range revs[ri].Runs {
			add(&revs[ri].Runs[i], revs[ri].Commit, revs[ri].Date)
		}
	}
	stored := len(batches)
	var committed map[[2]string]bool // batch and date of every committed run, once needed
	var undated map[string]bool      // per committed batch id, whether its undated extra runs are committed
	for i := range extra {
		r := &extra[i]
		if r.Date == "" && opts.ExtraDate != "" {
			if j, ok := index[r.Batch]; ok && j < stored {
				if undated == nil {
					undated = map[string]bool{}
				}
				in, ok := undated[r.Batch]
				if !ok {
					var nights [][]*bench.Run
					for _, b := range batches[:stored] {
						if b.Batch.Batch == r.Batch || strings.HasPrefix(b.Batch.Batch, r.Batch+"@") {
							nights = append(nights, b.runs)
						}
					}
					in = undatedCommitted(r.Batch, extra, nights)
					undated[r.Batch] = in
				}
				if in {
					continue
				}
			}
			r.Date = opts.ExtraDate
		}
		if _, ok := index[r.Batch]; ok && index[r.Batch] < stored {
			if committed == nil {
				committed = map[[2]string]bool{}
				for _, b := range batches[:stored] {
					for _, cr := range b.runs {
						committed[[2]string{cr.Batch, dateKey(cr.Date)}] = true
					}
				}
			}
			// A committed run without a date could be of any night: the old union by batch.
			if r.Date == "" || committed[[2]string{r.Batch, dateKey(r.Date)}] || committed[[2]string{r.Batch, ""}] {
				continue // already committed: union by batch
			}
			// A batch id reused every night (--run-id nightly) with a date none of its
			// committed runs has is another night, named as the store's history names a
			// replaced run: ID@DATE.
			r.Batch += "@" + r.Date
			if j, ok := index[r.Batch]; ok && j < stored {
				continue
			}
		}
		add(r, "", "")
		h.Extra++
	}

	// Order by date; a batch whose date does not parse keeps its place after its predecessor.
	var last time.Time
	for _, b := range batches {
		if t, ok := parseDate(b.Date); ok {
			b.t, last = t, t
		} else {
			b.t = last
		}
	}
	sort.SliceStable(batches, func(i, j int) bool { return batches[i].t.Before(batches[j].t) })

	// Series: per config, the metrics its OK runs report.
	type cfgInfo struct {
		cfg      bench.Config
		metrics  []string
		formulas []string // the formulas its logged TFLOPS matched, in order of appearance
	}
	cfgs := map[string]*cfgInfo{}
	better := map[string]bench.Better{}
	var suiteMetrics []string
	for _, b := range batches {
		for _, r := range b.runs {
			k := r.ConfigKey()
			ci := cfgs[k]
			if ci == nil {
				ci = &cfgInfo{cfg: r.Config}
				cfgs[k] = ci
			}
			if r.Formula != "" && !slices.Contains(ci.formulas, r.Formula) {
				ci.formulas = append(ci.formulas, r.Formula)
			}
			for _, m := range r.Metrics {
				if len(m.Values) == 0 {
					continue
				}
				if !slices.Contains(ci.metrics, m.Name) {
					ci.metrics = append(ci.metrics, m.Name)
				}
				if _, ok := better[m.Name]; !ok {
					better[m.Name] = m.Better
					suiteMetrics = append(suiteMetrics, m.Name)
				}
			}
		}
	}
	keys := make([]string, 0, len(cfgs))
	for k := range cfgs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	type seriesKey struct{ cfg, metric string }
	pos := map[seriesKey]int{}
	for _, k := range keys {
		ci := cfgs[k]
		if len(ci.formulas) > 1 {
			if h.FormulaDrift == nil {
				h.FormulaDrift = map[string][]string{}
			}
			h.FormulaDrift[k] = ci.formulas
		}
		// A config that never ran still has a history of failing, in every metric.
		ms := slices.Clone(seriesMetrics(ci.metrics, suiteMetrics))
		sort.Slice(ms, func(i, j int) bool {
			return metricRank(ms[i]) < metricRank(ms[j]) || metricRank(ms[i]) == metricRank(ms[j]) && ms[i] < ms[j]
		})
		for _, m := range ms {
			pos[seriesKey{k, m}] = len(h.Series)
			h.Series = append(h.Series, Series{Config: ci.cfg, Key: k, Metric: m, Better: better[m], Points: []Point{}, ChangePoints: []ChangePoint{}})
		}
	}

	// Points: per batch and config, the median of the OK runs' centres, else the failure.
	for bi, b := range batches {
		h.Batches = append(h.Batches, b.Batch)
		byCfg := map[string][]*bench.Run{}
		var order []string
		for _, r := range b.runs {
			k := r.ConfigKey()
			if _, ok := byCfg[k]; !ok {
				order = append(order, k)
			}
			byCfg[k] = append(byCfg[k], r)
		}
		for _, k := range order {
			runs := byCfg[k]
			for _, m := range seriesMetrics(cfgs[k].metrics, suiteMetrics) {
				si, ok := pos[seriesKey{k, m}]
				if !ok {
					continue
				}
				p := Point{Batch: b.Batch.Batch, Commit: b.Commit, Date: b.Date, BatchIndex: bi}
				var centres []float64
				var failed bench.Outcome
				for _, r := range runs {
					if r.Outcome != bench.OK {
						failed = r.Outcome
						continue
					}
					if mm := r.Metric(m); mm != nil && len(mm.Values) > 0 {
						if c := bench.Center(mm.Values); c > 0 && !math.IsInf(c, 0) {
							centres = append(centres, c)
						}
					}
				}
				switch {
				case len(centres) > 0:
					v := bench.Center(centres)
					p.Value = &v
				case failed != "":
					p.Outcome = failed
				default:
					continue // ran, but did not report this metric
				}
				h.Series[si].Points = append(h.Series[si].Points, p)
			}
		}
	}
	var sc scratch
	for i := range h.Series {
		s := &h.Series[i]
		o := opts
		if opts.MinEffectFor != nil {
			o.MinEffectPct = opts.MinEffectFor(s.Config, s.Metric)
		}
		if o.MinEffectPct != opts.MinEffectPct {
			s.MinEffectPct = &o.MinEffectPct
		}
		s.ChangePoints = detect(s, o, &sc)
		s.Band = band(s, o)
		s.Drift = drift(s, o)
		for j := range s.ChangePoints {
			s.ChangePoints[j].Holds = holdsTwoNights(s, &s.ChangePoints[j], o)
		}
	}
	h.HoldNights, h.Accepted = max(opts.HoldNights, 0), opts.Accepted
	h.Sweep = sweep(h)
	return h
}

// parseDate reads a run's date as every reader and the store do (bench.ParseDate).
func parseDate(s string) (time.Time, bool) {
	t, err := bench.ParseDate(s)
	return t, err == nil
}

// dateKey returns the instant of date s in one form, so that two forms of one time compare
// equal; s itself when it does not parse.
// undatedCommitted reports whether the extra runs of batch without a date are the runs of one
// committed night of that batch id: for each a run of its own there of the same config and
// outcome, and of the same values as the store writes them (10 significant digits of each
// metric's centre) unless the id is the hash of the results file's content. The committed
// nights of the id are the batch and those the history names ID@DATE.
func undatedCommitted(batch string, extra []bench.Run, nights [][]*bench.Run) bool {
	sameFile := strings.HasPrefix(batch, "sha256:")
	for _, night := range nights {
		claimed := make([]bool, len(night))
		all := true
		for i := range extra {
			r := &extra[i]
			if r.Batch != batch || r.Date != "" {
				continue
			}
			found := false
			for j, c := range night {
				if !claimed[j] && c.ConfigKey() == r.ConfigKey() && c.Outcome == r.Outcome && (sameFile || sameStoredValues(c, r)) {
					claimed[j], found = true, true
					break
				}
			}
			if !found {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// sameStoredValues reports whether runs a and b have values in the same metrics, of the same
// centres as the store writes them.
func sameStoredValues(a, b *bench.Run) bool {
	stored := func(r *bench.Run) map[string]string {
		m := map[string]string{}
		for _, mm := range r.Metrics {
			if len(mm.Values) > 0 {
				m[mm.Name] = strconv.FormatFloat(bench.Center(mm.Values), 'g', 10, 64)
			}
		}
		return m
	}
	return maps.Equal(stored(a), stored(b))
}

func dateKey(s string) string {
	if t, ok := parseDate(s); ok {
		return t.UTC().Format(time.RFC3339Nano)
	}
	return s
}

// seriesMetrics returns own, or all when own is empty.
func seriesMetrics(own, all []string) []string {
	if len(own) == 0 {
		return all
	}
	return own
}

// metricRank puts TFLOPS first and time second: the metrics people read first.
func metricRank(m string) int {
	switch m {
	case bench.MetricTFLOPS:
		return 0
	case bench.MetricTime:
		return 1
	}
	return 2
}

// band returns the rolling baseline of s: the newest opts.Window OK values.
func band(s *Series, opts Options) *Band {
	var logs []float64
	from := -1
	for i := len(s.Points) - 1; i >= 0 && len(logs) < max(opts.Window, 1); i-- {
		if s.Points[i].OK() {
			logs = append(logs, math.Log(*s.Points[i].Value))
			from = i
		}
	}
	if len(logs) == 0 {
		return nil
	}
	c := math.Exp(mean(logs))
	e := opts.MinEffectPct / 100
	return &Band{Center: c, Lo: c * (1 - e), Hi: c * (1 + e), From: from, Runs: len(logs)}
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
