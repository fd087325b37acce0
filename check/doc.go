// Package check is the third stage of perfgate's pipeline (ingest → baseline → check →
// report → github): it decides, per config and metric, whether new runs regressed against
// the baseline runs, and gives the suite a verdict.
//
// Compare groups runs by config. Each run is summarised by the median of its samples
// (RunCenter), so warm-up iterations and slow outliers do not move it. For each metric, the
// run-to-run noise is learned from the baseline history: per-config variances of log run
// summaries are pooled with a median, each config's own variance is moderated towards the pool,
// and a config that is significantly noisier than the pool keeps its own. New and baseline
// runs are compared with one-sided t-tests on that noise; the p-values of one metric's
// configs are corrected together (Holm–Bonferroni by default), and a change must also exceed
// a minimum effect. Configs with too little history use a fixed tolerance instead, and say so.
// Failures (OOM, error) are compared as outcomes.
//
// benchmath's tests compare two samples on their own; none pools noise across a suite, which
// is what a gate with one or two runs per side needs, so this package carries its own small
// t-test (on go-moremath's t distribution, as benchmath does). Rules of the config file match
// configs with benchproc filters.
//
// Statistical caveats are values: every Result carries its reason, and the Report carries the
// method and notes; nothing here returns an error for data that is merely thin.
package check
