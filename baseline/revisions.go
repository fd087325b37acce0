package baseline

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/internal/gobench"
)

// A Revision is what one version of the store added to its history: the runs of the batches
// that no earlier version held.
type Revision struct {
	// Commit is the full hash of the commit that recorded the version, or "" for the
	// uncommitted file in the work tree.
	Commit string
	// Date is the commit's committer date (RFC 3339), or "" for the work tree.
	Date string
	// Runs are the runs of the batches this version recorded first, in store order.
	Runs []bench.Run
}

// ErrNotInGit reports a baseline directory outside a git work tree, or a machine without git:
// its history is only what the store holds now.
var ErrNotInGit = errors.New("not in a git repository")

// Revisions reads every committed version of the store in dir, oldest first, and returns what
// each added: so the history of a config reaches back beyond the store's rolling window without
// any storage of its own. A batch is attributed to the first commit that recorded it; a later
// commit that rewrites a stored batch (a re-ingest under the same --run-id) does not move it.
// When the work tree's store holds batches that no commit does, they come last, with an empty
// Commit.
//
// Commits are those that changed DIR/baseline.txt, as git log lists them for that path,
// oldest first. All versions are read with one git cat-file --batch process, and each is
// parsed with Parse restricted to the batches not seen before (other lines are blanked, so
// errors still name the right line of "path@commit").
//
// Outside a git work tree, or without git, the error wraps ErrNotInGit.
func Revisions(ctx context.Context, dir string) ([]Revision, error) {
	return RecentRevisions(ctx, dir, "", 0)
}

// RecentRevisions is Revisions over the last n commits that changed the store (all of them
// when n <= 0), the oldest of which is read whole, as the store it committed; and, when ref
// is not empty, over the history of git ref instead of HEAD and the work tree.
func RecentRevisions(ctx context.Context, dir, ref string, n int) ([]Revision, error) {
	if _, err := exec.LookPath("git"); err != nil {
		return nil, fmt.Errorf("%s: %w: git is not on PATH", dir, ErrNotInGit)
	}
	root, rel, err := repoPath(ctx, dir)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w: %v", ErrNotInGit, err)
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
			return nil, err
		}
		if tip, err = resolveCommit(ctx, root, ref); err != nil {
			return nil, err
		}
	} else if _, err := git(ctx, root, "rev-parse", "--verify", "--quiet", tip); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		tip = "" // no commits yet
	}
	var log string
	if tip != "" {
		args := []string{"log", "--reverse", "--format=%H %cI"}
		if n > 0 {
			args = append(args, "-n", strconv.Itoa(n)) // git limits first, then reverses
		}
		log, err = git(ctx, root, append(args, tip, "--", ":(literal)"+file)...)
		if err != nil {
			return nil, fmt.Errorf("listing the commits of %s: %v", file, err)
		}
	}
	var revs []Revision
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		if line == "" {
			continue
		}
		h, d, ok := strings.Cut(line, " ")
		if !ok {
			return nil, fmt.Errorf("unexpected git log output %q", line)
		}
		revs = append(revs, Revision{Commit: h, Date: d})
	}
	// Each version is parsed as git hands it over, so that only one is held at a time.
	seen := map[string]bool{}
	in := &gobench.Interner{Strict: true} // the versions share their configs' names
	out := make([]Revision, 0, len(revs))
	var last, scratch []byte // the newest committed version; parseNew's buffer
	err = readVersions(ctx, root, file, revs, func(i int, blob []byte) error {
		if blob == nil {
			return nil // the commit deleted the store
		}
		rev := revs[i]
		var runs []bench.Run
		runs, scratch, err = parseNew(file+"@"+bench.ShortCommit(rev.Commit), blob, seen, in, scratch)
		if err != nil {
			return err
		}
		rev.Runs = runs
		out = append(out, rev)
		if i == len(revs)-1 && ref == "" {
			last = bytes.Clone(blob) // for the work tree's version; blob is reused
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if ref != "" {
		return out, nil
	}
	// The work tree's version, for runs merged but not yet committed.
	wt := (&Store{Dir: dir}).Path()
	data, err := os.ReadFile(wt)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	case last != nil && bytes.Equal(data, last):
		// As committed: nothing new, and read already.
	default:
		runs, _, err := parseNew(wt, data, seen, in, scratch)
		if err != nil {
			return nil, err
		}
		if len(runs) > 0 {
			out = append(out, Revision{Runs: runs})
		}
	}
	return out, nil
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

// readVersions calls each with the content of file at each revision, in order (nil where it
// does not exist), read with one git cat-file --batch process; an error from each stops it.
// The content is valid only during the call: the next version is read into the same buffer.
func readVersions(ctx context.Context, root, file string, revs []Revision, each func(i int, blob []byte) error) error {
	if len(revs) == 0 {
		return nil
	}
	objects := make([]string, len(revs))
	for i, r := range revs {
		objects[i] = r.Commit + ":" + file
	}
	var buf []byte
	return catFileBatch(ctx, root, objects, func(i int, h []string, r *bufio.Reader) error {
		if len(h) == 2 && h[1] == "missing" {
			return each(i, nil)
		}
		if len(h) != 3 || h[1] != "blob" {
			return fmt.Errorf("git cat-file: unexpected header %q for %s at %s", strings.Join(h, " "), file, bench.ShortCommit(revs[i].Commit))
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
			return fmt.Errorf("git cat-file: short read of %s at %s", file, bench.ShortCommit(revs[i].Commit))
		}
		return each(i, buf[:size])
	})
}

// parseNew parses the blocks of data whose batch is not in seen, and adds their batches to
// seen. Lines of other blocks are blanked rather than removed, so line numbers hold. The
// filtered copy is built in scratch, which parseNew returns for the next version.
func parseNew(file string, data []byte, seen map[string]bool, in *gobench.Interner, scratch []byte) ([]bench.Run, []byte, error) {
	buf := scratch[:0]
	skipping := false
	lineNo := 0
	fresh := map[string]bool{} // the batches of data not in seen
	for rest := data; len(rest) > 0; {
		line, tail, found := bytes.Cut(rest, []byte("\n"))
		rest = tail
		lineNo++
		if bytes.HasPrefix(line, []byte(runPrefix)) {
			l := string(bytes.TrimRight(line, "\r"))
			kv, err := parseFields(strings.TrimPrefix(l, runPrefix))
			if err != nil {
				return nil, buf, bench.Errorf(file, lineNo, "run line: %v", err)
			}
			skipping = seen[kv["batch"]]
			if !skipping {
				fresh[kv["batch"]] = true
			}
		}
		if !skipping || bytes.HasPrefix(line, []byte("Unit ")) || lineNo == 1 {
			buf = append(buf, line...)
		}
		if found {
			buf = append(buf, '\n')
		}
	}
	if len(fresh) == 0 {
		// A version that adds no batch (a trimmed window, a rewritten batch) is still checked
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
	for b := range fresh {
		seen[b] = true
	}
	return info.runs, buf, nil
}
