// Package baseline is the second stage of perfgate's pipeline: the store of recent runs per
// config that new results are judged against.
//
// ingest reads results into runs; baseline keeps a rolling window of them in a directory of
// the user's repository (see Store for the file format, which stock benchstat reads); check
// compares new runs with the stored ones; report renders the verdict; github publishes it.
//
// A store is changed only by Merge followed by Save, inside Update: under an advisory lock on
// the directory (LockDir), so that concurrent updates serialise and lose no run. Save is
// atomic, and a failed ingest never reaches Merge, so bad input never changes a stored
// baseline. The file's closing line (integrity.go) makes a store cut short, stripped of runs
// or holding merge-conflict markers an error; MergeFiles is git's merge driver for two
// versions of it; Conform keeps units and directions what the store says they are. Materialize reads a store as
// committed at a git ref, so a pull request is gated against its base branch's baseline.
package baseline
