package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/perfgate/perfgate/bench"
)

// An Input is what ReadAll read.
type Input struct {
	// Runs are the runs read, in the order of the paths and, within a directory, of the
	// files' names.
	Runs []bench.Run
	// Skipped are the files found below a directory that no reader claims (README.md,
	// notes.txt, a Slurm script, a model_config.yaml) and that were left out.
	Skipped []Skipped
	// Read are the formats of the files whose runs were read, each once, with the first
	// file read in it, in the order of the files: what a flag that applies to one kind of
	// input (--skip-iters to trainer logs) can say it was given instead.
	Read []FormatRead
}

// A FormatRead is a format some input was read in, and the first file read in it.
type FormatRead struct {
	Format *Format
	File   string
}

// A Skipped file is a file below an input directory that was left out, and why.
type Skipped struct {
	File   string
	Reason string
}

// An entry is one file to read: named on the command line (root "") or found below the
// directory root. An entry with a skip reason is not read: it is not results.
type entry struct {
	path, root string
	skip       string
}

// expand returns the files p names: p itself, or the regular files below the directory p in
// lexical order, without the sidecars of logs. Inputs that are not results are entries with a
// skip reason, never opened: hidden files and directories, the directories of opts.Exclude
// (the baseline), FIFOs, devices and sockets.
func expand(p string, opts *Options) ([]walked, error) {
	var exclude []os.FileInfo
	if opts != nil {
		for _, d := range opts.Exclude {
			if st, err := os.Stat(d); err == nil && st.IsDir() {
				exclude = append(exclude, st)
			}
		}
	}
	excluded := func(st os.FileInfo) bool {
		for _, x := range exclude {
			if os.SameFile(st, x) {
				return true
			}
		}
		return false
	}
	const baselineDir = "the baseline directory"
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		if !st.Mode().IsRegular() {
			return []walked{{entry: entry{path: p, skip: special(st.Mode())}}}, nil
		}
		return []walked{{entry: entry{path: p}, info: st}}, nil
	}
	if excluded(st) {
		return []walked{{entry: entry{path: p, skip: baselineDir}}}, nil
	}
	w := walker{root: p, excluded: excluded}
	err = w.walk(p, st)
	files := w.dedupe()
	readable := 0
	for _, e := range files {
		if e.skip == "" {
			readable++
		}
	}
	if err == nil && readable == 0 {
		err = fmt.Errorf("%s: directory holds no results files", p)
		if len(files) > 0 {
			err = fmt.Errorf("%w (%d skipped, e.g. %s: %s)", err, len(files), files[0].path, files[0].skip)
		}
	}
	return files, err
}

// SkipHidden is the reason given for a hidden file or directory below an input directory
// (.git, .github): always there in a repository root, so reports leave it out.
const SkipHidden = "hidden"

// A walker collects the files below one input directory. It follows symbolic links, as a
// user who points perfgate at a directory of logs expects (a "latest.log" link, a results
// directory assembled from links into scratch space, a RESULTS path that is itself a link):
// a link that was not followed would drop its runs without a word. A directory reached twice
// (a link to an ancestor, two links to one directory) is walked once, and a file reached twice
// is read once; the other paths are skipped with the reason. A link that points nowhere is an
// error: perfgate cannot tell whether it held results.
type walker struct {
	root     string
	excluded func(os.FileInfo) bool
	dirs     []walked // directories walked
	files    []walked // files found, with their info for dedupe
}

// A walked path is an entry with what os.Stat said of it (through any link).
type walked struct {
	entry
	info os.FileInfo
	link bool // the name is a symbolic link
}

func (w *walker) walk(dir string, st os.FileInfo) error {
	for _, d := range w.dirs {
		if os.SameFile(d.info, st) {
			w.files = append(w.files, walked{entry: entry{path: dir, root: w.root, skip: "the same directory as " + d.path + ", read once"}})
			return nil
		}
	}
	w.dirs = append(w.dirs, walked{entry: entry{path: dir}, info: st})
	des, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, d := range des {
		path := filepath.Join(dir, d.Name())
		if strings.HasPrefix(d.Name(), ".") {
			w.files = append(w.files, walked{entry: entry{path: path, root: w.root, skip: SkipHidden}})
			continue
		}
		t := d.Type()
		var info os.FileInfo
		if t&fs.ModeSymlink != 0 || t.IsDir() || t.IsRegular() {
			if info, err = os.Stat(path); err != nil {
				if t&fs.ModeSymlink != 0 {
					return fmt.Errorf("%s: a symbolic link that cannot be followed, so perfgate cannot tell whether it held results: %w", path, err)
				}
				return err
			}
			t = info.Mode().Type()
		}
		switch {
		case t.IsDir():
			if w.excluded(info) {
				w.files = append(w.files, walked{entry: entry{path: path, root: w.root, skip: "the baseline directory"}})
				continue
			}
			if err := w.walk(path, info); err != nil {
				return err
			}
		case t.IsRegular():
			if !isSidecar(path) {
				w.files = append(w.files, walked{entry: entry{path: path, root: w.root}, info: info, link: d.Type()&fs.ModeSymlink != 0})
			}
		case t&(fs.ModeNamedPipe|fs.ModeDevice|fs.ModeCharDevice|fs.ModeSocket) != 0:
			w.files = append(w.files, walked{entry: entry{path: path, root: w.root, skip: special(t)}})
		}
	}
	return nil
}

// dedupe returns the entries in lexical order of their paths, each file once: a file reached
// again (through a symbolic or hard link) is skipped, naming the path it is read as, which is
// a name that is not a link where there is one ("run3.log" rather than "latest.log").
func (w *walker) dedupe() []walked {
	sort.Slice(w.files, func(i, j int) bool { return w.files[i].path < w.files[j].path })
	var seen readOnce
	for _, links := range []bool{false, true} {
		for i := range w.files {
			if f := &w.files[i]; f.link == links {
				seen.check(f)
			}
		}
	}
	return w.files
}

// readOnce remembers the files to be read, by size and identity, so that a file reached
// again is read once.
type readOnce map[int64][]*walked

// check marks f skipped when it is a file already seen, naming the path it is read as, and
// else remembers it. Entries without file info (skipped ones) are left alone.
func (seen *readOnce) check(f *walked) {
	if f.info == nil || f.skip != "" {
		return
	}
	if *seen == nil {
		*seen = readOnce{}
	}
	n := f.info.Size()
	for _, g := range (*seen)[n] {
		if os.SameFile(g.info, f.info) {
			f.skip = "the same file as " + g.path + ", read once"
			return
		}
	}
	(*seen)[n] = append((*seen)[n], f)
}

// special says why a FIFO, device or socket is never read as results.
func special(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO, never opened"
	case m&fs.ModeSocket != 0:
		return "a socket, never opened"
	case m&(fs.ModeDevice|fs.ModeCharDevice) != 0:
		return "a device, never opened"
	}
	return "not a regular file"
}

// readEntry reads one file. A file found below a directory that no reader claims (or, with
// a forced format, in which that format finds none of its lines) is skipped: the reason is
// returned instead of runs. Runs of a file below a directory record its path relative to the
// directory as their File, and take config keys from the names of the directories between
// (key=value parts, as in file names) where the file itself gives none. named reports
// whether the runs' config keys were given by a user: the format's keys are user-written
// (Format.UserKeys), or the file name, a sidecar, a directory name or --set gives a key.
func readEntry(e entry, opts *Options) (runs []bench.Run, format *Format, named bool, digest, skip string, err error) {
	runs, format, digest, err = readFile(e.path, opts, e.root != "")
	if errors.Is(err, errEmptySkipped) {
		return nil, nil, false, "", "empty, and its name is not a results file's", nil
	}
	if errors.Is(err, errScanLimit) {
		return nil, nil, false, "", errScanLimit.Error(), nil
	}
	if format == nil && err == nil {
		return nil, nil, false, "", "no reader recognises its format", nil
	}
	if err != nil {
		var nf *NotFormatError
		if e.root != "" && errors.As(err, &nf) {
			return nil, nil, false, "", "no line of format " + nf.Format + " in it", nil
		}
		return nil, nil, false, "", "", err
	}
	named = format.UserKeys || len(opts.Set) > 0 || namedByFile(e.path)
	if e.root == "" {
		return runs, format, named, digest, "", nil
	}
	rel, err := filepath.Rel(e.root, e.path)
	if err != nil {
		rel = filepath.Base(e.path)
	}
	dirKeys := bench.Config{}
	dirs := append([]string{filepath.Base(filepath.Clean(e.root))}, strings.Split(filepath.Dir(rel), string(filepath.Separator))...)
	for _, d := range dirs {
		for k, v := range nameConfig(d) {
			dirKeys[k] = v
		}
	}
	for i := range runs {
		runs[i].File = filepath.ToSlash(rel)
	}
	if len(dirKeys) > 0 {
		// A directory the user named names the runs below it, even where the file gives
		// the same keys.
		named = true
		// The directories' keys fill in what the file does not give.
		rekey(runs, func(c bench.Config) bench.Config {
			nc := c.Clone()
			for k, v := range dirKeys {
				if _, ok := nc[k]; !ok {
					nc[k] = v
				}
			}
			if len(nc) == len(c) {
				return nil
			}
			return nc
		})
	}
	return runs, format, named, digest, "", nil
}

// readHead returns the first SniffSize bytes of file.
func readHead(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	head := make([]byte, SniffSize)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return bytes.TrimPrefix(head[:n], utf8BOM), nil
}

// A NotFormatError says that a file read with a forced --input-format holds no line of that
// format. It is an input error: the file is not what the user said it is, and reading it as
// a run that logged nothing would blame the PR for a failure that never happened.
type NotFormatError struct {
	bench.SyntaxError
	// Format is the forced format.
	Format string
}

func (e *NotFormatError) Unwrap() error { return &e.SyntaxError }

// errNoLines is what a trainer-log reader returns when it was forced on a file (with
// --input-format) in which it found none of its lines; readFile turns it into a NotFormatError.
var errNoLines = errors.New("no line of the forced format")

// errNotThisFormat returns the NotFormatError for file forced to be read as f, naming the
// format the file looks like when one does.
func errNotThisFormat(file string, f *Format) error {
	msg := "--input-format " + f.Name + " was given, but the file holds no line of that format (" + f.Doc + ")"
	if head, err := readHead(file); err == nil {
		for _, g := range Formats {
			if g != f && g.Sniff(file, head) {
				msg += "; it looks like " + g.Name + ": pass --input-format " + g.Name + " or leave detection to perfgate"
				break
			}
		}
	}
	return &NotFormatError{SyntaxError: bench.SyntaxError{File: file, Msg: msg}, Format: f.Name}
}

// batchKeys are the config keys a trainer log's content gives that describe the work of one
// step, its batch and sequence: NeMo's global_batch_size (gbs), torchtitan's start line (gbs,
// sl, tokens-per-step) and the mbs, gbs and sl of a Megatron-LM argument dump. A sweep holds
// them fixed while it varies the layout (tp, pp, cp, ep, vpp, flags) and the scale (nodes,
// gpus), so they cannot tell its runs apart.
var batchKeys = map[string]bool{"gbs": true, "mbs": true, "sl": true, "tokens-per-step": true}

// identifies reports whether cfg tells a run apart from other runs: any key does when a user
// gave the keys (named), and otherwise a key other than the batch keys does.
func identifies(cfg bench.Config, named bool) bool {
	if named {
		return len(cfg) > 0
	}
	for k := range cfg {
		if !batchKeys[k] {
			return true
		}
	}
	return false
}

// requireConfig fails on the first run of one file read in format whose config does not tell
// it apart (see identifies); named says whether a user gave the keys of its runs. Such runs
// would be compared as one config: a 1-node with a 2-node run, an FSDP with a TP=2 layout.
func requireConfig(runs []bench.Run, format *Format, named bool) error {
	for _, r := range runs {
		if identifies(r.Config, named) {
			continue
		}
		src := r.Source
		if src == "" {
			src = r.File
		}
		return &noConfigError{source: src, config: r.Config, jsonl: format == JSONLFormat}
	}
	return nil
}

// A noConfigError says that a run's config does not tell it apart from other runs.
type noConfigError struct {
	source string
	config bench.Config // the keys it has: none, or only batch keys from the log's content
	jsonl  bool         // read from JSON Lines, whose lines give a config as "config"
}

func (e *noConfigError) Error() string {
	why := "the run has no config keys, so it cannot be told apart from other runs"
	gate := "gate every such run as one unnamed config"
	if len(e.config) > 0 {
		why = "the run's only config keys, " + e.config.String() + ", are batch and sequence sizes read from the log itself, " +
			"which runs on other node counts or parallel layouts share, so it cannot be told apart from them"
		gate = "gate such runs by these keys alone"
	}
	if e.jsonl {
		return e.source + ": missing or empty \"config\": " + why + "; " +
			"give it a config on the line ({\"config\":{\"tp\":8,\"nodes\":32},\"metric\":…}), a key with --set key=value " +
			"(e.g. --set tp=8 --set nodes=32), or key=value parts in the directory name (nodes=32/results.jsonl); " +
			"or pass --allow-no-config to " + gate
	}
	return e.source + ": " + why + "; " +
		"give it a key with --set key=value (e.g. --set tp=8 --set nodes=32), a sidecar JSON beside the log " +
		"(run.log.json: {\"tp\": 8, \"nodes\": 32}), or key=value parts in the file or directory name " +
		"(tp=8_pp=4_nodes=32.log, nodes=32/run.log); or pass --allow-no-config to " + gate
}

// runKeys returns the config keys of runs, in order, as one string.
func runKeys(runs []bench.Run) string {
	var b strings.Builder
	for i := range runs {
		b.WriteString(runs[i].ConfigKey())
		b.WriteByte('\n')
	}
	return b.String()
}
