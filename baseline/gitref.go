package baseline

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/perfgate/perfgate/bench"
)

// Materialize returns a temporary directory holding the files of the baseline directory dir
// as they were committed at the git revision ref (a branch such as origin/main, a tag or a
// commit), so that a pull request can be gated against the baseline of its base branch rather
// than the copy its own head may have changed. commit is the full hash ref resolved to: a
// caller that reads more of the store at ref (its history, history.Older) passes commit on,
// so that all it reads comes from one commit even if ref moves meanwhile (a fetch in another
// step). The caller must call cleanup, which removes the directory; cleanup is never nil,
// even when err is not.
//
// dir need not exist in the working tree: the repository is found from dir's nearest existing
// ancestor. Materialize reads objects with git ls-tree and git cat-file rather than git archive,
// so export-ignore and export-subst attributes cannot hide or rewrite baseline files. Regular
// and executable files are materialised; symbolic links and submodules are skipped.
//
// The errors say what to do: dir is not in a git repository, ref is unknown (usually a shallow
// clone that has not fetched it), or dir does not exist at ref.
func Materialize(ctx context.Context, dir, ref string) (path, commit string, cleanup func(), err error) {
	noop := func() {}
	if ref == "" {
		return "", "", noop, errors.New("empty git ref")
	}
	if err := checkRef(ref); err != nil {
		return "", "", noop, err
	}
	if _, err := exec.LookPath("git"); err != nil {
		return "", "", noop, fmt.Errorf("reading baseline %s at %s needs git, which is not on PATH", dir, ref)
	}
	root, rel, err := repoPath(ctx, dir)
	if err != nil {
		return "", "", noop, err
	}
	commit, err = resolveCommit(ctx, root, ref)
	if err != nil {
		return "", "", noop, err
	}

	// commit:rel names the baseline tree at ref; for the repository root rel is "" and
	// commit: is the root tree.
	treeish := commit + ":" + rel
	kind, err := git(ctx, root, "cat-file", "-t", treeish)
	if err != nil {
		if ctx.Err() != nil {
			return "", "", noop, ctx.Err()
		}
		return "", "", noop, fmt.Errorf("baseline directory %s is not present at %s (%s): nothing is committed at %s",
			dir, ref, bench.ShortCommit(commit), displayRel(rel))
	}
	if kind = strings.TrimSpace(kind); kind != "tree" {
		what := "file"
		if kind == "commit" {
			what = "submodule"
		}
		return "", "", noop, fmt.Errorf("baseline directory %s is a %s at %s (%s), not a directory",
			dir, what, ref, bench.ShortCommit(commit))
	}

	list, err := git(ctx, root, "ls-tree", "-r", "-z", treeish)
	if err != nil {
		return "", "", noop, fmt.Errorf("listing %s at %s: %v", displayRel(rel), ref, err)
	}
	entries, err := parseLsTree(list)
	if err != nil {
		return "", "", noop, fmt.Errorf("listing %s at %s: %v", displayRel(rel), ref, err)
	}

	tmp, err := os.MkdirTemp("", "perfgate-baseline-*")
	if err != nil {
		return "", "", noop, err
	}
	cleanup = func() { os.RemoveAll(tmp) }
	if err := writeBlobs(ctx, root, tmp, entries); err != nil {
		cleanup()
		return "", "", noop, fmt.Errorf("reading %s at %s: %v", displayRel(rel), ref, err)
	}
	return tmp, commit, cleanup, nil
}

// RunsAt returns the runs of the baseline directory dir as committed at git ref: the store
// Materialize gives, opened. Its errors are Materialize's, or name dir and ref with the
// store's own (a damaged file, no store there).
func RunsAt(ctx context.Context, dir, ref string) ([]bench.Run, error) {
	tmp, _, cleanup, err := Materialize(ctx, dir, ref)
	defer cleanup()
	if err != nil {
		return nil, err
	}
	st, err := Open(tmp)
	if err != nil {
		return nil, fmt.Errorf("%s at %s: %w", dir, ref, err)
	}
	return st.Runs, nil
}

// repoPath returns the top level of the git work tree holding dir and dir's slash-separated
// path relative to it ("" for the top level itself).
func repoPath(ctx context.Context, dir string) (root, rel string, err error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", "", err
	}
	// Walk up to the nearest existing directory, remembering the missing tail.
	anc, tail := abs, []string(nil)
	for {
		if st, err := os.Stat(anc); err == nil && st.IsDir() {
			break
		}
		parent := filepath.Dir(anc)
		if parent == anc {
			return "", "", fmt.Errorf("%s: no existing parent directory", dir)
		}
		tail = append([]string{filepath.Base(anc)}, tail...)
		anc = parent
	}
	out, err := git(ctx, anc, "rev-parse", "--show-toplevel")
	if err != nil {
		return "", "", fmt.Errorf("%s is not in a git repository, so its baseline cannot be read at a git ref: %v", dir, err)
	}
	top := strings.TrimRight(out, "\r\n")
	if top == "" {
		// Inside a .git directory or a bare repository there is no work tree.
		return "", "", fmt.Errorf("%s is not in a git work tree", dir)
	}
	// git prints the top level with symbolic links resolved; resolve ours the same way so
	// that, for example, /tmp and /private/tmp on macOS compare equal.
	realAnc, err := filepath.EvalSymlinks(anc)
	if err != nil {
		return "", "", err
	}
	realTop, err := filepath.EvalSymlinks(top)
	if err != nil {
		return "", "", err
	}
	r, err := filepath.Rel(realTop, realAnc)
	if err != nil {
		return "", "", fmt.Errorf("%s is outside the git repository at %s", dir, top)
	}
	r = filepath.Join(append([]string{r}, tail...)...)
	if r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return "", "", fmt.Errorf("%s is outside the git repository at %s", dir, top)
	}
	if r == "." {
		r = ""
	}
	return top, filepath.ToSlash(r), nil
}

// A treeEntry is one blob listed by git ls-tree.
type treeEntry struct {
	mode string // "100644", "100755", "120000" (symlink), "160000" (submodule)
	typ  string // "blob", "tree", "commit"
	oid  string
	name string // slash-separated, relative to the listed tree
}

// parseLsTree parses the NUL-terminated output of git ls-tree -z: "<mode> SP <type> SP <oid>
// TAB <path> NUL" per entry.
func parseLsTree(out string) ([]treeEntry, error) {
	var entries []treeEntry
	for _, rec := range strings.Split(out, "\x00") {
		if rec == "" {
			continue
		}
		meta, name, ok := strings.Cut(rec, "\t")
		f := strings.Fields(meta)
		if !ok || len(f) != 3 || name == "" {
			return nil, fmt.Errorf("unexpected git ls-tree output %q", rec)
		}
		entries = append(entries, treeEntry{mode: f[0], typ: f[1], oid: f[2], name: name})
	}
	return entries, nil
}

// writeBlobs writes the regular files among entries below dst, reading their contents with a
// single git cat-file --batch process.
func writeBlobs(ctx context.Context, root, dst string, entries []treeEntry) error {
	var files []treeEntry
	for _, e := range entries {
		if e.typ != "blob" || (e.mode != "100644" && e.mode != "100755") {
			continue // symlinks and submodules are not baseline data
		}
		// git never stores such names, but the output is parsed, so check rather than trust.
		clean := path.Clean(e.name)
		if clean != e.name || path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
			return fmt.Errorf("unsafe path %q in git tree", e.name)
		}
		files = append(files, e)
	}
	if len(files) == 0 {
		return nil
	}
	objects := make([]string, len(files))
	for i, f := range files {
		objects[i] = f.oid
	}
	return catFileBatch(ctx, root, objects, func(i int, h []string, r *bufio.Reader) error {
		f := files[i]
		if len(h) != 3 || h[0] != f.oid || h[1] != "blob" {
			return fmt.Errorf("git cat-file: unexpected header %q for %s", strings.Join(h, " "), f.name)
		}
		size, err := strconv.ParseInt(h[2], 10, 64)
		if err != nil || size < 0 {
			return fmt.Errorf("git cat-file: bad size in %q", strings.Join(h, " "))
		}
		target := filepath.Join(dst, filepath.FromSlash(f.name))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		perm := os.FileMode(0o644)
		if f.mode == "100755" {
			perm = 0o755
		}
		out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if err != nil {
			return err
		}
		_, err = io.CopyN(out, r, size)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("writing %s: %v", f.name, err)
		}
		if b, err := r.ReadByte(); err != nil || b != '\n' {
			return fmt.Errorf("git cat-file: missing terminator after %s", f.name)
		}
		return nil
	})
}

// catFileBatch asks one git cat-file --batch process in root for each object ("<oid>" or
// "<rev>:<path>") and calls each with the object's index, its response header split into
// fields ("<oid> <type> <size>", or "<object> missing") and the reader positioned at its
// contents; each must consume the contents and their terminating newline.
func catFileBatch(ctx context.Context, root string, objects []string, each func(i int, header []string, r *bufio.Reader) error) error {
	var in bytes.Buffer
	for _, o := range objects {
		in.WriteString(o)
		in.WriteByte('\n')
	}
	cmd := exec.CommandContext(ctx, "git", "cat-file", "--batch")
	cmd.Dir = root
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	br := bufio.NewReaderSize(stdout, 1<<16)
	var rerr error
	for i, o := range objects {
		header, err := br.ReadString('\n')
		if err != nil {
			rerr = fmt.Errorf("git cat-file: reading %s: %v", o, err)
			break
		}
		if rerr = each(i, strings.Fields(header), br); rerr != nil {
			break
		}
	}
	if rerr != nil {
		// Drain so that git is not blocked writing, then reap it.
		io.Copy(io.Discard, br)
	}
	werr := cmd.Wait()
	if rerr != nil {
		return rerr
	}
	if werr != nil {
		return fmt.Errorf("git cat-file: %v%s", werr, stderrSuffix(stderr.String()))
	}
	return nil
}

// logConfig overrides, for git log, the settings of the user's or the repository's git config
// that would change what perfgate reads from its output: with log.follow, git log PATH follows
// renames itself and stops at the store's move, so the history would end there without a word
// (listRevisions follows moves its own way); with log.showSignature, git log prints signature
// checks among its lines. Only these settings are overridden, and only for git log (the other
// commands perfgate runs read none of them): the rest of the config (safe.directory, which a
// CI checkout sets, included) is still the user's.
var logConfig = []string{"-c", "log.follow=false", "-c", "log.showSignature=false"}

// git runs git with args in dir and returns its standard output. The error includes git's
// standard error. args may start with -c NAME=VALUE options.
func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		sub := args
		for len(sub) > 2 && sub[0] == "-c" {
			sub = sub[2:]
		}
		return "", fmt.Errorf("git %s: %v%s", sub[0], err, stderrSuffix(stderr.String()))
	}
	return stdout.String(), nil
}

func stderrSuffix(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	return ": " + strings.ReplaceAll(s, "\n", "; ")
}

// checkRef refuses a ref that git would take for an option.
func checkRef(ref string) error {
	if strings.HasPrefix(ref, "-") {
		return fmt.Errorf("invalid git ref %q: a ref cannot start with '-'", ref)
	}
	return nil
}

// resolveCommit returns the full hash of the commit that ref (checked by checkRef) names in
// the repository at root; the error says how to fetch a ref a shallow clone lacks.
func resolveCommit(ctx context.Context, root, ref string) (string, error) {
	commit, err := git(ctx, root, "rev-parse", "--verify", "--quiet", ref+"^{commit}")
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", fmt.Errorf("unknown git ref %q; fetch it first, e.g. %s", ref, fetchHint(ref))
	}
	return strings.TrimSpace(commit), nil
}

// fetchHint suggests the command that makes ref resolvable in a shallow clone.
func fetchHint(ref string) string {
	if remote, branch, ok := strings.Cut(ref, "/"); ok && remote == "origin" && branch != "" {
		return fmt.Sprintf("git fetch origin %s:refs/remotes/%s", branch, ref)
	}
	return "git fetch origin main"
}

func displayRel(rel string) string {
	if rel == "" {
		return "the repository root"
	}
	return rel
}
