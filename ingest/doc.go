// Package ingest is the first stage of perfgate's pipeline: it reads benchmark results in
// every supported format into runs.
//
// perfgate is a pipeline of five packages, each feeding the next:
//
//  1. ingest reads results — sweep tables, the Go benchmark format, JSON Lines, and the logs of
//     Megatron-LM, Megatron-Bridge, NeMo and torchtitan — into Runs. A Run is one training job
//     of one Config (tp, pp, mbs, gbs, flags, sl, nodes…) with an Outcome (ok, oom, error) and
//     the samples of each Metric. The run, not the iteration, is the unit of statistics.
//  2. baseline keeps the recent runs of every config in a directory of the user's repository.
//  3. check compares new runs with the baseline and gives each config and metric a status and
//     the whole a verdict.
//  4. report renders that verdict as text, Markdown or JSON.
//  5. github publishes it on the pull request.
//
// cmd/perfgate is a thin cobra layer over these packages.
//
// Formats is the list of readers, tried in order by Detect; ReadAll (and ReadPaths, its runs)
// reads files and directories, validates what no single reader can (directions, one unit per
// metric, usable values, a config key that tells every run apart: not only the batch and
// sequence sizes a trainer log printed) and fails with a SyntaxError
// ("file:line: what is wrong") on the first bad input. A directory's files that no reader
// claims are skipped and listed in Input.Skipped. No reader panics on any input: each is
// fuzzed.
//
// Config identity follows the sweep's vocabulary (bench.FlagVocabulary): the flags of a
// trainer log are the options a sweep table's "addtl args" speak of; the other launch
// arguments are the run's fingerprint (Run.Args), and ArgsDrift compares the fingerprints of
// baseline and new runs, and the FLOPs formula their logged TFLOPS match (Run.Formula).
package ingest
