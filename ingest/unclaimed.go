package ingest

import (
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
// A file whose name says it holds results does not pass for "not results" on its head alone:
//   - a log whose trainer lines begin past the head (a launcher's or NCCL's long preamble)
//     is read in that trainer's format;
//   - a job's output that shows a failure (a traceback, an OOM, a killed task) is a run that
//     crashed before it logged its config or first iteration: an error at that line, never
//     a file skipped while the gate passes on the others;
//   - a file of a structured results extension (.jsonl, .csv, …) is an error: its name says
//     it holds results that no reader can read.
//
// Any other file is unclaimed (nil runs, no format, no error), skipped with a note.
func unclaimed(file string, br io.Reader, whole bool, opts *Options) ([]bench.Run, *Format, string, error) {
	if !resultsName(file) {
		return nil, nil, "", nil
	}
	ext := strings.ToLower(filepath.Ext(file))
	if !slices.Contains(logExts, ext) || goldenName(file) {
		return nil, nil, "", &bench.SyntaxError{File: file, Msg: "named as results (" + ext + "), but no reader recognises its format; force one with --input-format NAME (" + FormatNames() + "), or move the file out of the results"}
	}
	crash := slices.Contains(crashExts, ext)
	lr := newLineReader(br)
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
		return nil, nil, "", &bench.SyntaxError{File: file, Line: f.line, Msg: "no reader recognises this log, but it shows a failed run: \"" + f.text +
			"\". A run that crashed before it logged its config or first iteration fails the gate: rerun it, or move the file out of the results if it is no run's"}
	}
	return nil, nil, "", nil
}
