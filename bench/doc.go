// Package bench holds perfgate's data model, the leaf every other package builds on: a Run
// (one training job of one Config, with its Outcome and the samples of each Metric), a config's
// canonical key and Go benchmark name, metric directions (Better), a run's centre, the one
// reading of a run's date (ParseDate, NormalizeDate), and positioned input errors
// (SyntaxError).
//
// It does no I/O and knows no file format: ingest reads formats into Runs, baseline stores them,
// check judges them, report words them. Nothing here imports another perfgate package.
package bench
