package baseline

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/internal/gobench"
)

// The integrity of a store: its header names the format, and a closing line that Save
// maintains counts its runs and batches, so that a file cut short or stripped of runs by a
// hand edit is refused rather than read, and merge-conflict markers are refused with the fix.

// checkHeader checks the first line of a store and reports whether it is format 1 (legacy,
// without a closing line).
func checkHeader(file string, line []byte) (legacy bool, err error) {
	l := string(bytes.TrimRight(line, "\r"))
	if l == fileHeader {
		return false, nil
	}
	v, ok := strings.CutPrefix(l, headerPrefix)
	if !ok {
		if len(line) >= 7 && isConflictMarker(line) {
			return false, conflictError(file, 1)
		}
		return false, bench.Errorf(file, 1, "not a perfgate baseline: the first line must be %q", fileHeader)
	}
	n, err := strconv.Atoi(v)
	switch {
	case err != nil || n < 1:
		return false, bench.Errorf(file, 1, "not a perfgate baseline: the first line must be %q", fileHeader)
	case n == 1:
		return true, nil
	case n > Format:
		return false, bench.Errorf(file, 1, "written by a newer perfgate (format v%d; this perfgate reads up to v%d): upgrade perfgate", n, Format)
	}
	return false, nil
}

// isConflictMarker reports whether line is one of the markers git leaves in a file it could
// not merge: "<<<<<<< ours", "||||||| base", "=======", ">>>>>>> theirs".
func isConflictMarker(line []byte) bool {
	switch line[0] {
	case '<', '>', '=', '|':
	default:
		return false
	}
	for _, c := range line[1:7] {
		if c != line[0] {
			return false
		}
	}
	rest := line[7:]
	if line[0] == '=' {
		return len(bytes.TrimRight(rest, "\r")) == 0
	}
	return len(rest) == 0 || rest[0] == ' ' || rest[0] == '\r'
}

// conflictError is the error for a merge-conflict marker at file:line. file is a path, or
// path@commit for a version of the store read from git's history.
func conflictError(file string, line int) error {
	if path, commit, ok := committedVersion(file); ok {
		// A merge was committed unresolved: "git checkout -m" has no stages to redo it from.
		return bench.Errorf(file, line, `git merge-conflict marker: commit %s recorded the store with an unresolved merge (two versions in one file), and counting both would double runs.
Redo that merge with perfgate's merge driver, which keeps the runs of both sides:
  git show %s^1:%s > ours.txt; git show %s^2:%s > theirs.txt
  git show $(git merge-base %s^1 %s^2):%s > base.txt
  perfgate baseline merge base.txt ours.txt theirs.txt && cp ours.txt %s
then commit it (set the driver up for the next merges: perfgate baseline merge --help)`,
			commit, commit, path, commit, path, commit, commit, path, path)
	}
	return bench.Errorf(file, line, `git merge-conflict marker: the file holds two versions of the store, and counting both would double runs.
Resolve it with perfgate's merge driver, which keeps the runs of both sides:
  git config merge.perfgate.driver "perfgate baseline merge %%O %%A %%B %%P"
  printf 'baseline.txt merge=perfgate\nmemory.json merge=perfgate\n' >> %s
  git checkout -m -- %s
then 'git add' it and commit the merge; or merge two saved versions yourself: perfgate baseline merge BASE OURS THEIRS (the result is written to OURS)`, filepath.Join(filepath.Dir(file), ".gitattributes"), file)
}

// committedVersion splits a label path@commit, as Revisions names a version of the store,
// into the path and the (abbreviated) commit.
func committedVersion(file string) (path, commit string, ok bool) {
	i := strings.LastIndexByte(file, '@')
	if i <= 0 {
		return "", "", false
	}
	path, commit = file[:i], file[i+1:]
	if len(commit) < 7 || len(commit) > 64 || strings.Trim(commit, "0123456789abcdef") != "" {
		return "", "", false
	}
	return path, commit, true
}

// restoreHint says how to get a good store back.
func restoreHint(file string) string {
	return fmt.Sprintf("restore it from git ('git checkout HEAD -- %s', or find the last good version with 'git log -- %s')", file, file)
}

// A closing is a store's '# perfgate end' line.
type closing struct {
	line          int
	runs, batches int
	window        int
}

func (c closing) String() string {
	s := fmt.Sprintf("%sruns=%d batches=%d", endPrefix, c.runs, c.batches)
	if c.window > 0 {
		s += fmt.Sprintf(" window=%d", c.window)
	}
	return s
}

func parseClosing(s string) (closing, error) {
	var c closing
	kv, err := gobench.ParseFields(s)
	if err != nil {
		return c, err
	}
	num := func(k string, need bool) (int, error) {
		v, ok := kv[k]
		if !ok {
			if need {
				return 0, fmt.Errorf("no %s=", k)
			}
			return 0, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%s=%q is not a count", k, v)
		}
		return n, nil
	}
	if c.runs, err = num("runs", true); err != nil {
		return c, err
	}
	if c.batches, err = num("batches", true); err != nil {
		return c, err
	}
	if c.window, err = num("window", false); err != nil {
		return c, err
	}
	return c, nil
}

// verify compares the closing line with what the file holds.
func (c closing) verify(file string, runs, batches int) error {
	if c.runs == runs && c.batches == batches {
		return nil
	}
	fixed := closing{runs: runs, batches: batches, window: c.window}
	return bench.Errorf(file, c.line, "the closing line counts %d run(s) in %d batch(es), but the file holds %d in %d: runs were removed (a cut-short copy, a bad merge or a hand edit) and would be lost for good by the next update.\n%s.\nIf you removed them on purpose, change this line to: %s",
		c.runs, c.batches, runs, batches, strings.ToUpper(restoreHint(file)[:1])+restoreHint(file)[1:], fixed)
}
