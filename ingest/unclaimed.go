package ingest

import (
	"errors"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/perfgate/perfgate/bench"
)

// trainerFormats are the formats of trainer logs, whose lines say what they are wherever
// they are in a log: unclaimed looks for them past the head detection sees.
var trainerFormats = []*Format{MegatronBridgeFormat, NeMoFormat, TorchtitanFormat, MegatronFormat}

// crashExts are the extensions of a job's own output: a crash in one is a run that failed.
// A .txt may be anything (a leftover text report of perfgate quotes failure lines).
var crashExts = []string{".log", ".out", ".err", ".stdout", ".stderr"}

// unclaimed decides a file found below a directory that no format claims from its head (br
// holds the rest of it, unread but for the head; whole reports that the head is all of it).
// A log (.log, .txt, .out, …) does not pass for "not results" on its head alone; its first
// scanLimit bytes are read:
//   - a log whose trainer lines begin past the head (a launcher's or NCCL's long preamble)
//     is read in that trainer's format;
//   - a job's output that shows a failure (a traceback, an OOM, a killed task) is a run that
//     failed: a *CrashLog, which ReadAll gives to the run of a companion log of the same stem
//     (Slurm's job.err beside job.out), or reports as an error at that line when no log read
//     names the run.
//
// A file of perfgate's own formats (ownExts, golden values) that no reader reads is broken
// results, an error. Any other file is unclaimed (nil runs, no format, no error), skipped with
// a note: a CSV of GPU telemetry beside the results is no run's.
func unclaimed(file string, br io.Reader, whole bool, opts *Options) ([]bench.Run, *Format, string, error) {
	ext := strings.ToLower(filepath.Ext(file))
	if slices.Contains(ownExts, ext) || goldenName(file) {
		// Named in a format of perfgate's own that no reader reads: broken results.
		return nil, nil, "", &bench.SyntaxError{File: file, Msg: "named as results (" + ext + "), but no reader recognises its format; force one with --input-format NAME (" + FormatNames() + "), or move the file out of the results"}
	}
	if !slices.Contains(logExts, ext) {
		return nil, nil, "", nil
	}
	crash := slices.Contains(crashExts, ext)
	lr := newLineReader(io.LimitReader(br, scanLimit))
	var fail failureTracker
	for {
		line, ok := lr.next()
		if !ok {
			break
		}
		if crash {
			fail.observe(line, lr.lineNo)
		}
		if whole {
			continue // the head was all of it: no format claimed it
		}
		for _, f := range trainerFormats {
			if f.Sniff(file, line) {
				o := Options{SkipIters: -1}
				if opts != nil {
					o = *opts
				}
				o.Format = f.Name
				return readFile(file, &o, true)
			}
		}
	}
	if lr.err != nil {
		return nil, nil, "", lr.err
	}
	if f := fail.first(); f != nil {
		return nil, nil, "", &CrashLog{File: file, Failure: *f}
	}
	if readPast(br) {
		return nil, nil, "", errScanLimit
	}
	return nil, nil, "", nil
}

// errScanLimit is what unclaimed returns for a log it read to scanLimit without finding a
// trainer line or a failure: skipped, with a reason that says how far it was read.
var errScanLimit = errors.New("no reader recognises it, and its first 16 MiB hold no trainer line and no failure; if a run's log, pass --input-format")

// readPast reports whether r has more to read (the scan stopped at its limit).
func readPast(r io.Reader) bool {
	var b [1]byte
	n, _ := r.Read(b[:])
	return n > 0
}

// ownExts are the extensions of perfgate's own results formats (JSON Lines, Go benchmark
// files): one no reader reads is broken results, an error. A .csv or .tsv is no format of
// perfgate's (GPU telemetry beside the results), and is skipped.
var ownExts = []string{".jsonl", ".ndjson", ".bench"}

// scanLimit is how much of a log no format claims from its head unclaimed reads: a preamble
// of launcher and NCCL lines runs to hundreds of kilobytes, a rank's debug log to gigabytes.
const scanLimit = 16 << 20

// A CrashLog is a log that no reader recognises but that shows a failed run (unclaimed).
type CrashLog struct {
	File    string
	Failure failure
}

func (e *CrashLog) Error() string {
	return (&bench.SyntaxError{File: e.File, Line: e.Failure.line, Msg: "no reader recognises this log, but it shows a failed run: \"" + e.Failure.text +
		"\". A run that crashed before it logged its config or first iteration fails the gate: rerun it, or move the file out of the results if it is no run's"}).Error()
}

// companion returns the index of the file of files whose stem (the name without its log
// extension, in the same directory) is crash's and that gave runs, or -1.
func companion(crash string, files []entry, runs func(int) int) int {
	stem := func(p string) string {
		ext := filepath.Ext(p)
		if !slices.Contains(logExts, strings.ToLower(ext)) {
			return ""
		}
		return strings.TrimSuffix(p, ext)
	}
	s := stem(crash)
	if s == "" {
		return -1
	}
	for i, f := range files {
		if f.path != crash && stem(f.path) == s && runs(i) > 0 {
			return i
		}
	}
	return -1
}

// failRuns makes the runs that crash's companion log gave failed runs, with the failure the
// crash log shows: a job whose stdout logged steady iterations and whose stderr shows the
// OOM or the killed task failed.
func failRuns(runs []bench.Run, c *CrashLog) {
	reason := reasonAt(c.File, c.Failure.line, c.Failure.text)
	for i := range runs {
		r := &runs[i]
		if r.Outcome != bench.OK && r.Outcome != "" {
			continue // failed already, with its own reason
		}
		r.Outcome, r.Reason, r.Metrics = c.Failure.outcome, reason, nil
	}
}
