// Package check is the statistics stage of perfgate's pipeline (bench → ingest → baseline →
// check → report → github): it decides, per config and metric, whether new runs regressed
// against the baseline runs, and gives the suite a verdict.
//
// Compare groups runs by config; several runs of a config (several PR runs, after a
// confirmation re-run) are several samples of it. Each run is summarised by the median of its
// samples (bench.Center), so warm-up iterations and slow outliers do not move it. The
// statistical test sits behind the Test interface, registered in Tests and chosen by
// Options.Test: it learns from a metric's whole baseline once (Learn), then judges one config
// at a time (Judge) from its baseline and new log run centres, which carry the runs'
// identities. The default, Mixture (mixture.go), weighs per config a steady or noisy noise
// class and whether one baseline run was slow, with the class scales and weights, the noisy
// share and the slow-run rate fitted over the store by EM from a robust pooled noise
// (pool.go), and gives the posterior probability that the new runs are worse (a config with a
// long, clean history is judged by a moderated t test on that pool instead); Options.
// NoisyMemory (NoisyMemory, from the store's git history) carries noise classes beyond the
// window. ModeratedT is the previous default. The speed metrics of a run
// (Options.SpeedMetrics: TFLOPS/GPU, tokens/s/GPU, samples/s, s/iter) are one measurement, so
// each config gets one speed decision, on the first of them it has on both sides; the others
// are shown with it (Result.DecidedBy). Outside the test, Compare corrects the p-values of
// one measurement's configs together (Holm–Bonferroni by default, Correction), requires a
// minimum effect, holds doubtful worsenings on fewer than Options.ConfirmRuns new runs as
// Suspect (the confirmation protocol; Report.Suspects), applies the config file's rules, and
// judges configs the test declines (too little history) against a fixed tolerance. Failures
// (OOM, error) are compared as outcomes.
//
// Decisions are data: every Result carries its status, p-value, threshold, effect interval,
// the test that decided, and typed Caveats (FixedTolerance, Ignored, BelowMinEffect, RunFailed
// with the proving input, …); the Report carries typed Remarks and the Method. This package
// writes no words beyond error messages: package report renders them, and fills the word
// fields of the JSON schema (Result.Reason, Report.Notes, Method.Summary). Nothing here
// returns an error for data that is merely thin.
//
// Correction and Verdict are typed enums with one Parse each; CheckAlpha, CheckPercent and
// CheckMinHistory are the ranges flags, the config file (LoadConfig) and the evaluation harness
// share. Rules of the config file match configs with benchproc filters.
package check
