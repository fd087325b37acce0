package baseline

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/internal/gobench"
)

// A Revision is what one version of the store added to its history: the runs that no earlier
// version held.
type Revision struct {
	// Commit is the full hash of the commit that recorded the version, or "" for the
	// uncommitted file in the work tree.
	Commit string
	// Date is the commit's committer date (RFC 3339), or "" for the work tree.
	Date string
	// Path is the slash-separated path of the store file in the commit, relative to the
	// repository's top level: the store's path now, or the path it had before a move.
	// "" for the work tree.
	Path string
	// Runs are the runs this version recorded first, in store order, each with the values of
	// the newest version that holds it (see Revisions).
	Runs []bench.Run
}

// ErrNotInGit reports a baseline directory outside a git work tree, or a machine without git:
// its history is only what the store holds now.
var ErrNotInGit = errors.New("not in a git repository")

// Revisions reads every committed version of the store in dir, oldest first, and returns what
// each added: so the history of a config reaches back beyond the store's rolling window without
// any storage of its own.
//
// A run is the run of one config in one batch on one date. It is attributed to the first
// commit that recorded it, with the values of the newest version that holds it: a later
// commit that rewrites it (a re-ingest under the same --run-id and date) does not move it but
// replaces its values, so that what the store holds now is never hidden by what it held
// before. A run that a later version replaced by one of another date (the same --run-id
// reused on another night) stays a run of its own: it was measured, on its own date. When the
// work tree's store holds runs that no commit does, they come last, with an empty Commit.
//
// Commits are those that changed DIR/baseline.txt, as git log lists them for that path,
// oldest first, and, when the store was moved (its first commit there added the file as a
// rename or copy), those that changed it at its earlier paths: see listRevisions. All
// versions are read with one git cat-file --batch process, and each is parsed with Parse
// restricted to its run blocks (a run line and the lines up to the next) whose text no
// earlier version held (other lines are blanked, so errors still name the right line of
// "path@commit"): a block unchanged since an earlier version is not parsed again.
//
// Revisions is strict: any version that cannot be read is an error. RecentRevisions leaves
// damaged older versions out instead, and says which.
//
// Outside a git work tree, or without git, the error wraps ErrNotInGit.
func Revisions(ctx context.Context, dir string) ([]Revision, error) {
	revs, skipped, err := RecentRevisions(ctx, dir, "", 0)
	if err != nil {
		return nil, err
	}
	if len(skipped.Versions) > 0 {
		return nil, skipped.Versions[0].Err
	}
	return revs, nil
}

// A DamagedVersion is an older committed version of the store that could not be read (a
// commit with merge-conflict markers, a truncated or hand-edited file), which RecentRevisions
// left out: a past commit cannot be repaired, and the versions after it still hold most of
// what it held.
type DamagedVersion struct {
	Commit, Date string
	// Err names the file, commit and line: "dir/baseline.txt@0123456789ab:5: ...".
	Err error
	// Lost is set when the version may have held batches that no version read holds: its
	// run lines name a batch no other version has, or could not all be read. When it is
	// not set, every batch of the version is in the history from a later one.
	Lost bool
	// Newer is the number of batches recorded first by versions newer than this one: when
	// it is below the number of newest batches a caller looks at, a batch only this version
	// held could have been one of them.
	Newer int
}

// String says what is wrong with the version in one line, naming file@commit:line, without
// the advice for repairing a current store (a past commit is not repaired).
func (d DamagedVersion) String() string {
	s, _, _ := strings.Cut(d.Err.Error(), "\n")
	s, _, _ = strings.Cut(s, "; ")
	return strings.TrimSuffix(s, ".")
}

// Skipped is what RecentRevisions left out.
type Skipped struct {
	// Versions are the damaged older versions, oldest first.
	Versions []DamagedVersion
	// OlderRead is the number of older committed versions (not the current store's) that
	// were read.
	OlderRead int
}

// All reports whether versions were left out and no older version could be read.
func (s Skipped) All() bool { return len(s.Versions) > 0 && s.OlderRead == 0 }

// RecentRevisions is Revisions over the last n commits that changed the store (all of them
// when n <= 0), the oldest of which is read whole, as the store it committed; and, when ref
// is not empty, over the history of git ref instead of HEAD and the work tree.
//
// An older committed version that cannot be read is left out and listed in the Skipped
// result, and the history goes on from the others. The current store cannot be left out: its
// damage is an error, as it is for every command that reads it. The current store is the
// version at ref; without ref, the work tree's, which is the newest commit's when the work
// tree holds the same file or none.
func RecentRevisions(ctx context.Context, dir, ref string, n int) ([]Revision, Skipped, error) {
	var skipped Skipped
	if _, err := exec.LookPath("git"); err != nil {
		return nil, skipped, fmt.Errorf("%s: %w: git is not on PATH", dir, ErrNotInGit)
	}
	root, rel, err := repoPath(ctx, dir)
	if err != nil {
		if ctx.Err() != nil {
			return nil, skipped, ctx.Err()
		}
		return nil, skipped, fmt.Errorf("%w: %v", ErrNotInGit, err)
	}
	file := FileName
	if rel != "" {
		file = rel + "/" + FileName
	}
	// git log prints nothing (and succeeds) for a path never committed, and fails in a
	// repository without commits; both mean "no committed history". A ref must name a commit.
	tip := "HEAD"
	if ref != "" {
		if err := checkRef(ref); err != nil {
			return nil, skipped, err
		}
		if tip, err = resolveCommit(ctx, root, ref); err != nil {
			return nil, skipped, err
		}
	} else if _, err := git(ctx, root, "rev-parse", "--verify", "--quiet", tip); err != nil {
		if ctx.Err() != nil {
			return nil, skipped, ctx.Err()
		}
		tip = "" // no commits yet
	}
	var revs []Revision
	if tip != "" {
		if revs, err = listRevisions(ctx, root, tip, file, n); err != nil {
			return nil, skipped, err
		}
	}
	// The work tree's version, read first: it decides whether the newest commit's version is
	// the current store (which cannot be left out) or an older one.
	wt := (&Store{Dir: dir}).Path()
	var wtData []byte
	wtExists := false
	if ref == "" {
		wtData, err = os.ReadFile(wt)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, skipped, err
		default:
			wtExists = true
		}
	}
	// Each version is parsed as git hands it over, so that only one is held at a time.
	seen := newSeenRuns()
	in := &gobench.Interner{Strict: true} // the versions share their configs' names
	out := make([]Revision, 0, len(revs))
	var last, scratch []byte      // the newest committed version; parseNew's buffer
	var damagedBatches [][]string // per skipped version, the batches its run lines name
	var damagedAt []int           // per skipped version, how many versions read precede it
	err = readVersions(ctx, root, revs, func(i int, blob []byte) error {
		if blob == nil {
			return nil // the commit deleted the store
		}
		rev := revs[i]
		current := i == len(revs)-1 && (ref != "" || !wtExists || bytes.Equal(blob, wtData))
		label := rev.Path + "@" + bench.ShortCommit(rev.Commit)
		if current {
			// parseNew reads a filtered copy, which its closing line cannot count: the
			// current store, which cannot be left out, is checked whole first, so that one
			// cut at a line's end or stripped of runs is an error, as Open makes it.
			if _, err := parseWith(label, blob, parseVerify, in); err != nil {
				return err
			}
		}
		var runs []bench.Run
		runs, scratch, err = parseNew(label, blob, seen, in, scratch)
		if err != nil {
			if current {
				return err
			}
			batches, ok := runBatches(blob)
			if !ok {
				batches = nil
			}
			skipped.Versions = append(skipped.Versions, DamagedVersion{Commit: rev.Commit, Date: rev.Date, Err: err, Lost: !ok})
			damagedBatches = append(damagedBatches, batches)
			damagedAt = append(damagedAt, len(out))
			return nil
		}
		rev.Runs = clipped(seen.add(runs, len(out), out))
		out = append(out, rev)
		if !current {
			skipped.OlderRead++
		}
		if i == len(revs)-1 && ref == "" {
			last = bytes.Clone(blob) // for the work tree's version; blob is reused
		}
		return nil
	})
	if err != nil {
		return nil, skipped, err
	}
	// The work tree's version, for runs merged but not yet committed.
	switch {
	case ref != "" || !wtExists:
	case last != nil && bytes.Equal(wtData, last):
		// As committed: nothing new, and read already.
	default:
		if _, err := parseWith(wt, wtData, parseVerify, in); err != nil {
			return nil, skipped, err // checked whole, as the current commit's version is
		}
		runs, _, err := parseNew(wt, wtData, seen, in, scratch)
		if err != nil {
			return nil, skipped, err
		}
		if runs = seen.add(runs, len(out), out); len(runs) > 0 {
			out = append(out, Revision{Runs: runs})
		}
	}
	// What the skipped versions may have taken with them.
	for k := range skipped.Versions {
		d := &skipped.Versions[k]
		for _, b := range damagedBatches[k] {
			if seen.batches[b] == nil {
				d.Lost = true
			}
		}
		newer := map[string]bool{}
		for _, rev := range out[damagedAt[k]:] {
			for _, r := range rev.Runs {
				newer[r.Batch] = true
			}
		}
		d.Newer = len(newer)
	}
	return out, skipped, nil
}

// clipped returns runs in an array of their own length. parseNew's runs of a version sit in an
// array as long as the lines it kept (provenance and Unit lines too): a version adds a few
// thousand runs, and every version read is held until the history is learned, so the history
// should hold only what it uses.
func clipped(runs []bench.Run) []bench.Run {
	if cap(runs) == len(runs) {
		return runs
	}
	return append(make([]bench.Run, 0, len(runs)), runs...)
}

// runBatches returns the batches that the run lines of a store's data name, as far as they
// can be read; ok is false when some run line cannot be.
func runBatches(data []byte) (batches []string, ok bool) {
	ok = true
	for rest := data; len(rest) > 0; {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte("\n"))
		if !bytes.HasPrefix(line, []byte(runPrefix)) {
			continue
		}
		kv, err := gobench.ParseFields(strings.TrimPrefix(string(bytes.TrimRight(line, "\r")), runPrefix))
		if err != nil || kv["batch"] == "" {
			ok = false
			continue
		}
		batches = append(batches, kv["batch"])
	}
	return batches, ok
}

// maxMoves bounds the moves of the store that listRevisions follows back.
const maxMoves = 100

// listRevisions lists the commits of tip's history that changed file (slash-separated,
// relative to the top level root), oldest first, at most n (all when n <= 0), each with the
// store's path in it. When the oldest commit that changed file added it as a rename or a copy
// of another file (git mv perf/baseline perf/store), the listing goes on with the commits
// that changed that file before, from the commit's first parent, and so on back.
//
// It does not use git log --follow, which would do this in one call: --follow breaks with
// --reverse (git 2.39 lists only the newest commit), leaves out merge commits, and walks
// history without the simplification that git log PATH does; so a moved store would list
// other commits than the same store never moved. Here each path is listed as git log PATH
// lists it, and a store never moved costs one git log, as before, plus, when the listing
// reaches the store's first commit, one git diff-tree of that commit.
func listRevisions(ctx context.Context, root, tip, file string, n int) ([]Revision, error) {
	var newestFirst []Revision
	path, from := file, tip
	for moves := 0; ; moves++ {
		args := append(slices.Clip(logConfig), "log", "--format=%H %cI")
		if n > 0 {
			args = append(args, "-n", strconv.Itoa(n-len(newestFirst)))
		}
		// :(literal): the path is a path, not a pattern, whatever characters it holds.
		log, err := git(ctx, root, append(args, from, "--", ":(literal)"+path)...)
		if err != nil {
			return nil, fmt.Errorf("listing the commits of %s: %v", path, err)
		}
		listed := len(newestFirst)
		for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
			if line == "" {
				continue
			}
			h, d, ok := strings.Cut(line, " ")
			if !ok {
				return nil, fmt.Errorf("unexpected git log output %q", line)
			}
			newestFirst = append(newestFirst, Revision{Commit: h, Date: d, Path: path})
		}
		if len(newestFirst) == listed || n > 0 && len(newestFirst) >= n {
			break
		}
		first := newestFirst[len(newestFirst)-1].Commit
		old, err := movedFrom(ctx, root, first, path)
		if err != nil {
			return nil, err
		}
		if old == "" {
			break
		}
		if moves == maxMoves {
			return nil, fmt.Errorf("listing the commits of %s: it was moved more than %d times", file, maxMoves)
		}
		path, from = old, first+"^"
	}
	slices.Reverse(newestFirst)
	return newestFirst, nil
}

// movedFrom returns the path that commit renamed or copied to path (git's rename and copy
// detection against its first parent), or "" when the commit did not: path was new, changed,
// or the commit is a merge or the first commit.
func movedFrom(ctx context.Context, root, commit, path string) (string, error) {
	out, err := git(ctx, root, "diff-tree", "-r", "-z", "--no-commit-id", "--name-status", "-M", "-C", commit)
	if err != nil {
		return "", fmt.Errorf("reading what %s changed: %v", bench.ShortCommit(commit), err)
	}
	f := strings.Split(out, "\x00")
	for i := 0; i < len(f); {
		status := f[i]
		if status == "" {
			i++
			continue
		}
		if status[0] == 'R' || status[0] == 'C' {
			if i+2 >= len(f) {
				return "", fmt.Errorf("unexpected git diff-tree output %q", out)
			}
			if f[i+2] == path {
				return f[i+1], nil
			}
			i += 3
			continue
		}
		i += 2
	}
	return "", nil
}

// Shallow reports whether dir is in a shallow clone, whose history stops at the clone's
// depth (actions/checkout fetches one commit unless told fetch-depth: 0).
func Shallow(ctx context.Context, dir string) bool {
	root, _, err := repoPath(ctx, dir)
	if err != nil {
		return false
	}
	out, err := git(ctx, root, "rev-parse", "--is-shallow-repository")
	return err == nil && strings.TrimSpace(out) == "true"
}

// readVersions calls each with the content of the store file at each revision (its Path at
// its Commit), in order (nil where it does not exist), read with one git cat-file --batch
// process; an error from each stops it. The content is valid only during the call: the next
// version is read into the same buffer.
func readVersions(ctx context.Context, root string, revs []Revision, each func(i int, blob []byte) error) error {
	if len(revs) == 0 {
		return nil
	}
	objects := make([]string, len(revs))
	for i, r := range revs {
		if strings.ContainsAny(r.Path, "\n\r") {
			// cat-file --batch reads one object name a line.
			return fmt.Errorf("cannot read %q at %s with git cat-file: its path holds a line break", r.Path, bench.ShortCommit(r.Commit))
		}
		objects[i] = r.Commit + ":" + r.Path
	}
	var buf []byte
	return catFileBatch(ctx, root, objects, func(i int, h []string, r *bufio.Reader) error {
		if len(h) == 2 && h[1] == "missing" {
			return each(i, nil)
		}
		if len(h) != 3 || h[1] != "blob" {
			return fmt.Errorf("git cat-file: unexpected header %q for %s at %s", strings.Join(h, " "), revs[i].Path, bench.ShortCommit(revs[i].Commit))
		}
		size, err := strconv.ParseInt(h[2], 10, 64)
		if err != nil || size < 0 {
			return fmt.Errorf("git cat-file: bad size in %q", strings.Join(h, " "))
		}
		if int64(cap(buf)) < size+1 {
			buf = make([]byte, size+1)
		}
		buf = buf[:size+1]
		if _, err := io.ReadFull(r, buf); err != nil || buf[size] != '\n' {
			return fmt.Errorf("git cat-file: short read of %s at %s", revs[i].Path, bench.ShortCommit(revs[i].Commit))
		}
		return each(i, buf[:size])
	})
}

// seenRuns is what the versions read so far held: the text of their run blocks, and where in
// the history the runs of each batch are.
type seenRuns struct {
	seed    maphash.Seed
	blocks  map[uint64]bool // hashes of the run blocks' text
	counted map[uint64]bool // the same, without the iteration counts (hashBlock)
	norm    []byte          // hashBlock's buffer
	batches map[string]*seenBatch
}

// seenBatch is where the runs of one batch are in the history: out[at[i][0]].Runs[at[i][1]:
// at[i][2]], runs of other batches among them.
type seenBatch struct {
	at [][3]int
	// ids indexes the batch's runs in the history by config, in order, built when a later
	// version holds the batch again (a re-ingest, a window that dropped some of its runs, or
	// a reused run id; most batches are read once, and need no config keys here). A run
	// renamed "ID@DATE" stays listed: users check its batch.
	ids map[string][][2]int
}

func newSeenRuns() *seenRuns {
	return &seenRuns{seed: maphash.MakeSeed(), blocks: map[uint64]bool{}, counted: map[uint64]bool{}, batches: map[string]*seenBatch{}}
}

// index builds b.ids from the runs of batch in the history.
func (b *seenBatch) index(batch string, out []Revision) {
	b.ids = map[string][][2]int{}
	for _, at := range b.at {
		for i := at[1]; i < at[2]; i++ {
			r := &out[at[0]].Runs[i]
			if r.Batch != batch {
				continue // another batch's, or replaced by another night's run and renamed
			}
			k := r.ConfigKey()
			b.ids[k] = append(b.ids[k], [2]int{at[0], i})
		}
	}
}

// sameMeasurement reports whether a and b hold the same measurements: outcome, reason and
// metric values, bit for bit. Sample counts are left out: a rewrite of the store writes 1
// where the first version wrote the run's number of samples.
func sameMeasurement(a, b *bench.Run) bool {
	if a.Outcome != b.Outcome || a.Reason != b.Reason || len(a.Metrics) != len(b.Metrics) {
		return false
	}
	for i := range a.Metrics {
		m, n := &a.Metrics[i], &b.Metrics[i]
		if m.Name != n.Name || m.Unit != n.Unit || len(m.Values) != len(n.Values) {
			return false
		}
		for j := range m.Values {
			if math.Float64bits(m.Values[j]) != math.Float64bits(n.Values[j]) {
				return false
			}
		}
	}
	return true
}

// add records the runs that revision rev (the next one, out being the revisions before it)
// parsed, and returns those that no earlier revision held.
//
// Every run an earlier revision recorded keeps its identity: a later version that holds runs
// of its batch and config is matched with those runs first by date and measurements (the
// same run, written again because another run of its block changed, or the window dropped
// a run of its block: a sweep may list a config twice), then, of those left, by date in
// store order (a re-ingest under the same run id and date, whose values replace the earlier
// ones there). A run matched to none is new. A run of an earlier revision of the batch and
// config of another date than all of this version's is another night's run under a reused
// batch id (baseline update --run-id nightly every night), which this version replaced in
// the store: it stays in the history as batch "ID@DATE". An earlier run that this version no
// longer holds (the window dropped it) stays as it is.
func (s *seenRuns) add(runs []bench.Run, rev int, out []Revision) []bench.Run {
	// Match the runs of batches that earlier revisions hold with their runs there.
	var replaces map[int][2]int // run index in runs → the earlier run it is
	var groups map[[2]string][]int
	var order [][2]string
	for i := range runs {
		r := &runs[i]
		b := s.batches[r.Batch]
		if b == nil || len(b.at) == 0 || b.at[0][0] >= rev {
			continue
		}
		if groups == nil {
			groups = map[[2]string][]int{}
		}
		k := [2]string{r.Batch, r.ConfigKey()}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	for _, k := range order {
		b := s.batches[k[0]]
		if b.ids == nil {
			b.index(k[0], out)
		}
		var earlier [][2]int
		for _, at := range b.ids[k[1]] {
			if at[0] < rev && out[at[0]].Runs[at[1]].Batch == k[0] {
				earlier = append(earlier, at)
			}
		}
		if len(earlier) == 0 {
			continue
		}
		claimed := make([]bool, len(earlier))
		dates := map[string]bool{}
		idx := groups[k]
		if replaces == nil {
			replaces = map[int][2]int{}
		}
		for pass := 0; pass < 2; pass++ {
			for _, i := range idx {
				r := &runs[i]
				dates[r.Date] = true
				if _, ok := replaces[i]; ok {
					continue
				}
				for e, at := range earlier {
					old := &out[at[0]].Runs[at[1]]
					if claimed[e] || old.Date != r.Date || pass == 0 && !sameMeasurement(old, r) {
						continue
					}
					claimed[e] = true
					replaces[i] = at
					break
				}
			}
		}
		for e, at := range earlier {
			if old := &out[at[0]].Runs[at[1]]; !claimed[e] && !dates[old.Date] {
				old.Batch += "@" + old.Date
			}
		}
	}
	fresh := runs[:0]
	var b *seenBatch
	var name string
	for i, r := range runs {
		if at, ok := replaces[i]; ok {
			out[at[0]].Runs[at[1]] = r
			continue
		}
		if b == nil || r.Batch != name {
			name = r.Batch
			if b = s.batches[name]; b == nil {
				b = &seenBatch{}
				s.batches[name] = b
			}
		}
		if b.ids != nil {
			k := r.ConfigKey()
			b.ids[k] = append(b.ids[k], [2]int{rev, len(fresh)})
		}
		if n := len(b.at); n > 0 && b.at[n-1][0] == rev && b.at[n-1][2] == len(fresh) {
			b.at[n-1][2]++
		} else {
			b.at = append(b.at, [3]int{rev, len(fresh), len(fresh) + 1})
		}
		fresh = append(fresh, r)
	}
	return fresh
}

// hashBlock hashes the text of a run block, leaving out the iteration count of its result
// lines: a rewrite of the store writes 1 where the first version wrote the run's number of
// samples (its summary is one value), and a count alone does not make another run.
func (s *seenRuns) hashBlock(block []byte) uint64 {
	norm := s.norm[:0]
	for rest := block; len(rest) > 0; {
		line, tail, _ := bytes.Cut(rest, []byte("\n"))
		rest = tail
		if bytes.HasPrefix(line, []byte("Benchmark")) {
			if i := bytes.IndexByte(line, ' '); i >= 0 {
				if j := bytes.IndexByte(line[i+1:], ' '); j >= 0 {
					norm = append(norm, line[:i]...)
					line = line[i+1+j:]
				}
			}
		}
		norm = append(norm, line...)
		norm = append(norm, '\n')
	}
	s.norm = norm
	return maphash.Bytes(s.seed, norm)
}

// blockEnd returns the length of the run block at the start of data: up to the next run
// line or the closing line.
func blockEnd(data []byte) int {
	const mark = "# perfgate "
	for off := 1; ; {
		i := bytes.Index(data[off:], []byte(mark)) // '#' is rare: faster than "\n# perfgate "
		if i < 0 {
			return len(data)
		}
		at := off + i
		if data[at-1] == '\n' && (bytes.HasPrefix(data[at:], []byte(runPrefix)) || bytes.HasPrefix(data[at:], []byte(endPrefix))) {
			return at
		}
		off = at + 1
	}
}

var newlines = bytes.Repeat([]byte("\n"), 512)

// nextRunLine returns the offset of the first run line of data at or after from, or len(data).
func nextRunLine(data []byte, from int) int {
	for off := from; ; {
		i := bytes.Index(data[off:], []byte(runPrefix))
		if i < 0 {
			return len(data)
		}
		if at := off + i; at == 0 || data[at-1] == '\n' {
			return at
		}
		off += i + 1
	}
}

// blank appends region to buf with each line blanked but for Unit lines (and the first line
// of the file, when keepFirst is set), so that line numbers hold.
func blank(buf, region []byte, keepFirst bool) []byte {
	if !keepFirst && !bytes.Contains(region, []byte("\nUnit ")) && !bytes.HasPrefix(region, []byte("Unit ")) {
		for n := bytes.Count(region, []byte("\n")); n > 0; n -= min(n, len(newlines)) {
			buf = append(buf, newlines[:min(n, len(newlines))]...)
		}
		return buf
	}
	for rest := region; len(rest) > 0; keepFirst = false {
		line, tail, found := bytes.Cut(rest, []byte("\n"))
		rest = tail
		if keepFirst || bytes.HasPrefix(line, []byte("Unit ")) {
			buf = append(buf, line...)
		}
		if found {
			buf = append(buf, '\n')
		}
	}
	return buf
}

// parseNew parses the run blocks of data (a run line and the lines up to the next run line or
// the closing line) whose text is not in seen, and adds them to seen; the caller records the
// runs with seen.add. Lines of other blocks are blanked rather than removed, so line numbers
// hold (the closing line and anything after it go with the last block). The filtered copy is
// built in scratch, which parseNew returns for the next version.
func parseNew(file string, data []byte, seen *seenRuns, in *gobench.Interner, scratch []byte) ([]bench.Run, []byte, error) {
	var fresh [][2]uint64 // the hashes of the blocks of data not in seen
	at := nextRunLine(data, 0)
	buf := append(scratch[:0], data[:at]...) // the header
	lineNo := 1 + bytes.Count(data[:at], []byte("\n"))
	for at < len(data) {
		line := data[at:]
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line = line[:i]
		}
		l := string(bytes.TrimRight(line, "\r"))
		if _, err := gobench.ParseFields(strings.TrimPrefix(l, runPrefix)); err != nil {
			return nil, buf, bench.Errorf(file, lineNo, "run line: %v", err)
		}
		block := data[at : at+blockEnd(data[at:])]
		next := nextRunLine(data, at+len(block))
		region := data[at:next]
		raw := maphash.Bytes(seen.seed, block)
		skipping := seen.blocks[raw]
		if !skipping {
			// A rewrite of the store may have changed only the iteration counts.
			norm := seen.hashBlock(block)
			if skipping = seen.counted[norm]; skipping {
				seen.blocks[raw] = true
			} else {
				fresh = append(fresh, [2]uint64{raw, norm})
			}
		}
		if skipping {
			buf = blank(buf, region, at == 0)
		} else {
			buf = append(buf, region...)
		}
		lineNo += bytes.Count(region, []byte("\n"))
		at = next
	}
	if len(fresh) == 0 {
		// A version that adds no block (a trimmed window, a reordered store) is still checked
		// whole, so that a damaged one is named rather than passed over (parse words the
		// error for an empty or foreign file too); its runs are not kept, since none is new.
		_, err := parseWith(file, data, parseVerify, in)
		return nil, buf, err
	}
	// buf is a filtered copy: its closing line cannot count it.
	info, err := parseWith(file, buf, parseKeep, in)
	if err != nil {
		return nil, buf, err
	}
	for _, h := range fresh {
		seen.blocks[h[0]], seen.counted[h[1]] = true, true
	}
	return info.runs, buf, nil
}
