package report

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/check"
	"github.com/perfgate/perfgate/history"
)

// This file is where check's decisions become words. Every renderer, and github, takes its
// reasons, notes and method paragraph from here.

// Reason returns a result's reason in words: the words recorded in it (a report read back
// from JSON), else the words of its typed caveats.
func Reason(r *check.Result) string {
	if r.Reason != "" || len(r.Caveats) == 0 {
		return r.Reason
	}
	var prefix string
	var parts []string
	for _, c := range r.Caveats {
		if ig, ok := c.(check.Ignored); ok {
			until := "with no expiry"
			if !ig.Until.IsZero() {
				until = "until " + ig.Until.Format("2006-01-02")
			}
			prefix = fmt.Sprintf("ignored %s (%s): ", until, ig.Reason)
			continue
		}
		if w := caveatWords(r, c); w != "" { // a steady noise class goes without saying
			parts = append(parts, w)
		}
	}
	return prefix + strings.Join(parts, "; ")
}

// caveatWords says one caveat of r.
func caveatWords(r *check.Result, c check.Caveat) string {
	p := math.NaN()
	if r.PValue != nil {
		p = *r.PValue
	}
	abs := math.NaN()
	if r.DeltaPct != nil {
		abs = math.Abs(*r.DeltaPct)
	}
	switch c := c.(type) {
	case check.NotInNew:
		return "in the baseline but not in the new results"
	case check.RunFailed:
		why := failedWhy(c.Outcome, c.Reason)
		switch r.Status {
		case check.New:
			return "new config; it failed: " + why
		case check.NewlyFailing:
			return "the baseline ran; now " + why
		}
		if c.Ran > 0 {
			// The runs that ran were compared with the baseline's good runs: the words
			// that follow (worse by …, within run-to-run noise …) are theirs.
			return fmt.Sprintf("failed in the baseline too; now %s in %d of %d new runs, and the %d that ran were compared with the baseline's good runs", why, c.Runs-c.Ran, c.Runs, c.Ran)
		}
		return "failed in the baseline too; now " + why
	case check.MetricNotReported:
		return "the new runs did not report " + c.Metric
	case check.NoBaseline:
		return "no baseline for this config"
	case check.BaselineFailed:
		return fmt.Sprintf("failed in the baseline (%s); runs now", failedWhy(c.Outcome, c.Reason))
	case check.BaselineLacksMetric:
		return "the baseline has no " + c.Metric + " for this config"
	case check.IdenticalRuns:
		return fmt.Sprintf("its %d baseline runs are identical (the same results ingested under several run ids?): counted as one run, since a spread of 0 is not a noise of 0", c.Runs)
	case check.FixedTolerance:
		s := fmt.Sprintf("%d baseline run(s): fixed ±%g%% tolerance (a statistical test needs %d)", c.Runs, c.TolerancePct, c.Needed)
		if c.RaisedFrom > 0 {
			s += fmt.Sprintf(": the minimum effect, as the %g%% tolerance is below the smallest change that can fail", c.RaisedFrom)
		}
		if r.DecidedBy != "" && math.Abs(r.ThresholdPct-c.TolerancePct) >= 0.005 {
			// Shown with another metric's decision: the tolerance is that metric's, the
			// same bound in this metric's units.
			s += fmt.Sprintf("; the tolerance is %s's: here %s of more than %.2f%% fails", r.DecidedBy, worseWord(r.Better), r.ThresholdPct)
		}
		return s
	case check.Material:
		// The direction of the change itself: a result shown with another metric's
		// decision carries that decision's status, not its own direction.
		dir := "better"
		if r.DeltaPct != nil && Mark(*r.DeltaPct, r.Better) == "▼" || r.DeltaPct == nil && r.Status == check.Regression {
			dir = "worse"
		}
		return fmt.Sprintf("%s by %.1f%%: significant (p=%.2g) and above the %g%% minimum effect", dir, abs, p, c.MinEffectPct)
	case check.BelowMinEffect:
		return fmt.Sprintf("significant (p=%.2g) but below the %g%% minimum effect", p, c.MinEffectPct)
	case check.WithinNoise:
		if c.SlowRun {
			// Not the config's run-to-run noise: the doubt whether a baseline run was slow.
			if r.DeltaPct != nil && Mark(*r.DeltaPct, r.Better) == "▼" {
				return fmt.Sprintf("worse by %.1f%% but not significant (p=%.2g) on a baseline that probably holds a slow run: that run may instead be this config's own spread, under which such a drop is ordinary", abs, p)
			}
			return fmt.Sprintf("not significant (p=%.2g) on a baseline that probably holds a slow run", p)
		}
		return fmt.Sprintf("within run-to-run noise (p=%.2g)", p)
	case check.NoiseClass:
		switch {
		case c.Own:
			return fmt.Sprintf("a noisy config: its runs spread more than the suite's (±%.1f%% run to run), so they alone give its noise", c.NoisePct)
		case c.Remembered:
			return fmt.Sprintf("a noisy config, as the store's history remembers it: ±%.1f%% run to run", c.NoisePct)
		case c.Noisy:
			return fmt.Sprintf("a noisy config (probability %.2f): ±%.1f%% run to run", c.PNoisy, c.NoisePct)
		}
		return ""
	case check.SlowBaselineRun:
		return fmt.Sprintf("%s is %.1f%% below this config's other runs: likely a slow node (probability %.2f), weighed with and without it", c.Batch, c.BelowPct, c.Prob)
	case check.Unconfirmed:
		var where string
		switch {
		case c.Short && c.Contaminated:
			where = "a short baseline that probably holds a slow run"
		case c.Contaminated:
			where = "a baseline that probably holds a slow run"
		case c.Short:
			where = fmt.Sprintf("a short baseline (%d runs)", r.Baseline.Runs)
		}
		var why string
		switch {
		case c.NearThreshold && where == "":
			why = fmt.Sprintf("worse by %.1f%%, just short of significance (p=%.2g, alpha %g)", abs, c.PValue, c.Alpha)
		case c.NearThreshold:
			why = fmt.Sprintf("worse by %.1f%% but not significant (p=%.2g) on %s, which one run cannot settle", abs, c.PValue, where)
		case where == "":
			why = fmt.Sprintf("worse by %.1f%%, significant (p=%.2g) but near the threshold", abs, c.PValue)
		default:
			why = fmt.Sprintf("worse by %.1f%% (p=%.2g), but on %s", abs, c.PValue, where)
		}
		return fmt.Sprintf("suspect: %s; re-run it to %d runs and check again with all of them (%d so far)", why, c.ConfirmRuns, c.NewRuns)
	case check.ShownWith:
		return fmt.Sprintf("shown with the %s decision (one measurement of the run)", c.Metric)
	case check.SpeedDisagree:
		moved := math.Round(c.DeltaPct*10) / 10
		if moved == 0 {
			moved = 0 // not "-0.0"
		}
		return fmt.Sprintf("decided on %s rather than %s, which moved %+.1f%%: a run's speed metrics are one measurement and should move together, so the worse decides (a changed FLOPs formula, unit or gbs on one side? check the inputs)", r.Metric, c.Metric, moved)
	}
	return c.CaveatKind() // a caveat this renderer does not know yet
}

// worseWord says which way a metric whose better direction is better ("higher" or "lower")
// gets worse.
func worseWord(better string) string {
	if better == bench.Higher.String() {
		return "a drop"
	}
	return "a rise"
}

// failedWhy says why a run failed: its recorded reason, else its outcome.
func failedWhy(o bench.Outcome, reason string) string {
	if reason == "" {
		return string(o)
	}
	return reason
}

// Notes returns the report-wide notes in words: those recorded in rep (read back from JSON),
// else the words of its remarks.
func Notes(rep *check.Report) []string {
	if len(rep.Notes) > 0 || len(rep.Remarks) == 0 {
		return rep.Notes
	}
	notes := make([]string, len(rep.Remarks))
	for i, m := range rep.Remarks {
		notes[i] = RemarkText(m)
	}
	return notes
}

// RemarkText says one report-wide remark.
func RemarkText(m check.Remark) string {
	switch m := m.(type) {
	case check.ToleranceUsed:
		tol := fmt.Sprintf("the fixed ±%g%% tolerance", m.TolerancePct)
		if m.RaisedFrom > 0 {
			tol = fmt.Sprintf("a fixed ±%g%% tolerance, the minimum effect (larger than the %g%% tolerance)", m.TolerancePct, m.RaisedFrom)
		}
		return fmt.Sprintf("%d comparison(s) used %s: their configs have fewer than %d baseline runs, too few to learn the noise from.", m.Count, tol, m.MinHistoryRuns)
	case check.RefreshBaseline:
		return "Some configs improved: refresh the baseline (perfgate baseline update) once this lands, so later changes are judged against the new level."
	case check.NothingGated:
		return "Nothing was gated: no config of these results is in the baseline. Check that the configs match (perfgate baseline show), or start the baseline with perfgate baseline update."
	case check.FormulaDrift:
		if m.Mixed || len(m.Baseline) > 1 || len(m.New) > 1 {
			return fmt.Sprintf("TFLOPS formula drift: the runs of some configs follow different FLOPs formulas (baseline: %s; new runs: %s), as across a trainer upgrade, so their TFLOPS differ even at the same speed: s/iter decides each config's speed instead. Pin one formula with --recompute-tflops to compare TFLOPS.",
				strings.Join(m.Baseline, ", "), strings.Join(m.New, ", "))
		}
		return fmt.Sprintf("TFLOPS formula drift: the baseline's TFLOPS/GPU match the %s formula but the new runs' match %s, so their TFLOPS differ even at the same speed: s/iter decides each config's speed instead. Pin one formula with --recompute-tflops to compare TFLOPS.",
			strings.Join(m.Baseline, "/"), strings.Join(m.New, "/"))
	case check.FormulaUnmatched:
		return fmt.Sprintf("%s: logged TFLOPS/GPU %.4g disagree by more than 0.5%% with every known formula (closest: %s gives %.4g); check the model and GPU count, or pin one with --recompute-tflops.", m.Source, m.Logged, m.Closest, m.ClosestValue)
	case check.TFLOPSRecomputed:
		return fmt.Sprintf("TFLOPS/GPU recomputed from s/iter with the %s formula on both sides (--recompute-tflops).", m.Formula)
	case check.ArgsDrift:
		return fmt.Sprintf("args drift: %s %s → %s in %s. The runs were launched differently from the baseline's although their configs match; check the launch script, or make the argument part of the config with --key-arg %s.",
			m.Arg, argValues(m.Baseline), argValues(m.New), configList(m.Configs), m.Arg)
	case check.LoggedFormula:
		return fmt.Sprintf("The logged TFLOPS/GPU of %d new run(s) match the %s FLOPs formula (from their time per iteration and model shape).", m.Runs, m.Formula)
	case check.MemoryUsed:
		if m.Refs != "" && m.Runs == 0 && m.Commits == 0 {
			return fmt.Sprintf("Noise classes were also learned from %d older run(s) of the baseline as committed at %s (--memory-ref): a config its longer history showed noisy stays noisy (without --memory-ref: this window only).%s", m.RefRuns, m.Refs, emptyRefs(m.EmptyRefs))
		}
		how, off := "", "--memory=false"
		if m.Recorded {
			how = ", as the baseline update recorded them in memory.json"
		}
		if m.Refs != "" {
			how = fmt.Sprintf(" and %d at %s (--memory-ref)", m.RefRuns, m.Refs)
			off = "--memory=false without --memory-ref"
		}
		return fmt.Sprintf("Noise classes were also learned from %d older run(s) in the last %d commit(s) of the baseline's git history%s: a config its longer history showed noisy stays noisy (%s: this window only).%s%s", m.Runs, m.Commits, how, off, skippedVersions(m.Damaged, m.Skipped, "the memory"), emptyRefs(m.EmptyRefs))
	case check.MemoryUnavailable:
		lead := "Noise classes were learned from this window only"
		if m.FromRefs {
			lead = "Noise classes were learned from this window and --memory-ref only"
		}
		switch {
		case m.TooFew:
			return fmt.Sprintf("%s: the %d older run(s) of the baseline's git history hold too few runs of any one config beyond this window to remember its noise (a memory needs %d of a config).%s%s", lead, m.OlderRuns, m.NeedRuns, skippedVersions(m.Damaged, m.Skipped, "the memory"), emptyRefs(m.EmptyRefs))
		case m.Damaged > 0:
			why := "the older versions of the baseline in git that held older runs could not be read"
			if m.AllSkipped {
				why = "no older version of the baseline in git could be read"
			}
			return fmt.Sprintf("%s: %s.%s%s", lead, why, skippedVersions(m.Damaged, m.Skipped, "the memory"), emptyRefs(m.EmptyRefs))
		case m.Shallow:
			return lead + ": the clone is shallow, holds no older version of the baseline, and the baseline has no memory.json recorded for these runs. Commit the memory.json that perfgate baseline update records with the store (the nightly job's git add of the baseline directory does), or check out with fetch-depth: 0, so that the gate remembers which configs are noisy." + emptyRefs(m.EmptyRefs)
		case m.Err == "" && m.EmptyRefs != "":
			return fmt.Sprintf("%s: %s.", lead, emptyRefsWhy(m.EmptyRefs))
		}
		return fmt.Sprintf("%s: the baseline's git history could not be read (%s).%s", lead, m.Err, emptyRefs(m.EmptyRefs))
	case check.MemoryRecordIgnored:
		why := "cannot be read (a merge conflict in it, or a newer perfgate wrote it)"
		switch {
		case m.OtherRuns && m.OtherOptions:
			why = "was learned for other runs and with other options"
		case m.OtherRuns:
			why = "was learned for other runs (the store changed since it was recorded)"
		case m.OtherOptions:
			why = "was learned with other options (--min-history, speed_metrics)"
		case m.OlderSchema:
			return "The baseline's memory.json was recorded by an older perfgate, so it was not used; the next nightly update (perfgate baseline update) records it anew."
		}
		return "The baseline's memory.json " + why + ", so it was not used."
	case check.SkippedInputs:
		parts := make([]string, len(m.Files))
		for i, f := range m.Files {
			parts[i] = f + " (" + m.Reasons[i] + ")"
		}
		return fmt.Sprintf("%d input file(s) skipped, not results: %s.", len(m.Files), strings.Join(parts, ", "))
	}
	return m.RemarkKind()
}

// emptyRefsWhy says that the baseline's versions at the --memory-ref refs (joined by ", ")
// gave the memory nothing.
func emptyRefsWhy(refs string) string {
	return fmt.Sprintf("the baseline as committed at %s (--memory-ref) holds no run that this window or the other versions read do not hold, so the memory learned nothing from it", refs)
}

// emptyRefs is emptyRefsWhy as a sentence of its own, after a remark's other words, or ""
// when every --memory-ref gave the memory runs (or there was none).
func emptyRefs(refs string) string {
	if refs == "" {
		return ""
	}
	w := emptyRefsWhy(refs)
	return " T" + w[1:] + "."
}

// skippedVersions says which damaged older versions of the store were left out of what
// (the memory, the history): past commits, which cannot be repaired, so nothing is asked of
// the reader.
func skippedVersions(n int, versions, of string) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" %d damaged older version(s) of the store were left out of %s: %s.", n, of, versions)
}

// HistorySkipped says which damaged older versions of the store perfgate history left out,
// or "" when it left none out.
func HistorySkipped(h *history.History) string {
	if len(h.Skipped) == 0 {
		return ""
	}
	s := strings.TrimSpace(skippedVersions(len(h.Skipped), strings.Join(h.Skipped, "; "), "the history"))
	switch {
	case h.AllSkipped:
		s += " No older version could be read: the history is the current store's runs alone."
	case h.SkippedLost:
		s += " The history goes on from the other versions; nights that only the versions left out held are missing from it."
	default:
		s += " The history goes on from the other versions, which hold every night of those left out."
	}
	return s
}

// FailOnSkipped says why perfgate history --fail-on refuses to vouch for the newest recent
// batches: the damaged older version (as baseline.DamagedVersion names it), left out of the
// history, may have held a night that no version read holds, and only newer batches are
// newer than it, so that night could be one of the newest recent.
//
// minRecent is the smallest --recent that --fail-on takes (a level step is seen from its
// second night): with fewer newer batches than that, no smaller --recent is offered.
func FailOnSkipped(version string, newer, recent, minRecent int) string {
	hint := "To see the history, run without --fail-on"
	if newer > 0 && newer >= minRecent {
		hint = fmt.Sprintf("To gate on the %d batch(es) after it, pass --recent %d; to see the history, run without --fail-on", newer, newer)
	}
	return fmt.Sprintf("%s.\nThat older version of the store cannot be read and may have held a night that no other version holds: only %d batch(es) are newer than it, so that night could be one of the newest %d that --fail-on looks at, and a change for the worse in it would pass unseen. %s. --fail-on gates the newest %d again once %d batch(es) newer than the damaged version are recorded",
		version, newer, recent, hint, recent, recent)
}

// correctionWords names each correction in the method paragraph.
var correctionWords = map[check.Correction]string{
	check.Holm:         "Holm–Bonferroni correction (family-wise error rate)",
	check.BH:           "Benjamini–Hochberg correction (false discovery rate)",
	check.NoCorrection: "no multiple-comparison correction",
}

// MethodSummary says how the report decided: the summary recorded in it (read back from
// JSON), else the words of its typed method.
func MethodSummary(m check.Method) string {
	if m.Summary != "" {
		return m.Summary
	}
	tol := max(m.TolerancePct, m.MinEffectPct) // the tolerance is never below the minimum effect
	if m.Comparisons == 0 {
		return fmt.Sprintf("Each run is summarised by its median. No config had the %d baseline runs a statistical test needs, so every config was judged against the fixed ±%g%% tolerance: a change beyond it in the worse direction is a regression.",
			m.MinHistoryRuns, tol)
	}
	how := "one-sided t-tests whose noise is learned from the baseline history (pooled across configs, widened for noisier configs)"
	if m.Test == "mixture" {
		how = "a model fitted over the whole baseline that weighs, per config, a steady or noisy noise class and whether one baseline run was slow, giving the probability that the new runs are worse (a config with 5 or more baseline runs and no probable slow run is judged by a one-sided t-test on the pooled noise instead)"
	}
	return fmt.Sprintf("Each run is summarised by its median; runs are compared on a log scale with %s. Alpha %g with %s over the %d comparison(s) of each measurement (a config's speed metrics are one measurement, decided once); a change must also exceed %g%% to count. Configs with fewer than %d baseline runs use a fixed ±%g%% tolerance instead.",
		how, m.Alpha, correctionWords[m.Correction], m.Comparisons, m.MinEffectPct, m.MinHistoryRuns, tol)
}

// ReportMethod says how rep decided: MethodSummary, unless no config was compared on numbers
// at all (no test and no tolerance decided any result: every config failed, or is new or
// missing), when the tolerance story MethodSummary tells of zero comparisons would be false.
func ReportMethod(rep *check.Report) string {
	m := rep.Method
	if m.Summary == "" && m.Comparisons == 0 && !slices.ContainsFunc(rep.Results, func(r check.Result) bool { return r.Test != "" }) {
		return "No config was compared on numbers: every result was decided by outcomes (failed runs, new or missing configs)."
	}
	return MethodSummary(m)
}

// WithWords returns rep with every word field filled (Result.Reason, Notes, Method.Summary),
// as schema 1 of the JSON holds them. rep is not modified; fields already holding words keep
// them.
func WithWords(rep *check.Report) *check.Report {
	out := *rep
	out.Results = make([]check.Result, len(rep.Results))
	for i := range rep.Results {
		out.Results[i] = rep.Results[i]
		out.Results[i].Reason = Reason(&rep.Results[i])
	}
	out.Notes = Notes(rep)
	out.Method.Summary = ReportMethod(rep)
	return &out
}

// describeWithWords returns d with its word fields filled.
func describeWithWords(d *check.Description) *check.Description {
	out := *d
	out.Series = make([]check.SeriesSummary, len(d.Series))
	for i, e := range d.Series {
		if e.Test == "" {
			e.Test = "statistical"
			if !e.Tested {
				e.Test = fmt.Sprintf("tolerance ±%g%%", d.TolerancePct)
			}
			if e.Identical {
				e.Test += " (identical runs: one)"
			}
		}
		out.Series[i] = e
	}
	out.Pooled = make([]check.PooledNoise, len(d.Pooled))
	for i, pn := range d.Pooled {
		if pn.Text == "" {
			if pn.Configs > 0 {
				pn.Text = fmt.Sprintf("±%.2f%% (robust pool over %s with ≥%d runs)", pn.NoisePct, plural(pn.Configs, "config"), pn.MinRuns)
			} else {
				runs := "runs"
				if slices.ContainsFunc(d.Series, func(e check.SeriesSummary) bool { return e.Metric == pn.Metric && e.Identical }) {
					runs = "distinct runs (identical runs count as one)"
				}
				pn.Text = fmt.Sprintf("unknown: no config has %d %s yet, so checks use the fixed ±%g%% tolerance", d.MinHistoryRuns, runs, d.TolerancePct)
			}
		}
		out.Pooled[i] = pn
	}
	return &out
}

// argValues says the values a launch argument had on one side of args drift.
func argValues(vs []string) string {
	out := make([]string, len(vs))
	for i, v := range vs {
		if v == "" {
			v = "(not set)"
		}
		out[i] = v
	}
	return strings.Join(out, "/")
}

// configList names up to three configs and counts the rest.
func configList(keys []string) string {
	const shown = 3
	if len(keys) <= shown {
		return strings.Join(keys, ", ")
	}
	return fmt.Sprintf("%s and %d more config(s)", strings.Join(keys[:shown], ", "), len(keys)-shown)
}
