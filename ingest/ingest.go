package ingest

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/internal/gobench"
)

// Options tune how inputs are read. The zero value is usable.
type Options struct {
	// Format forces an input format by name; "" or "auto" detects it per file.
	Format string
	// Set adds or overrides config keys on every run read (--set key=value).
	Set bench.Config
	// SkipIters is the number of iterations dropped as warm-up by log formats beyond the first
	// logged one; a negative value selects the format's default.
	SkipIters int
	// Better overrides metric directions by metric name.
	Better map[string]bench.Better
	// Batch, when set, names the ingest instead of the content hash of each file.
	Batch string
	// Summarize, when set, replaces the samples of every metric of every run by one value,
	// its summary, as soon as each file has been read and validated, so that memory holds one
	// number per run rather than one per iteration. Metric.Samples keeps the count.
	Summarize func(values []float64) float64
	// Exclude are directories that directory walks skip (the baseline directory), so that
	// "perfgate check --baseline perf/baseline ." never reads the store as results.
	Exclude []string
	// KeyArgs names launch arguments (as a Megatron-LM argument dump spells them, e.g.
	// "sequence_parallel") that belong in the config key beside the flag vocabulary; a true
	// boolean adds its name as a flag, another value its name and value. The per-repository
	// config file is where a repository lists them.
	KeyArgs []string
	// AllowNoConfig accepts runs whose input gives no config key that tells them apart: no
	// key at all, or, for a trainer log, only the batch and sequence sizes the log itself
	// prints (see identifies). Such runs are gated as one config each per distinct key (the
	// bare unnamed config when there is none). Without it such a run is an input error: a
	// 1-node and a 2-node run would silently be compared with each other.
	AllowNoConfig bool
	// OrderDates says the runs' dates will order batches (baseline update): a date that
	// cannot be read as a time (bench.ParseDate) is then an error at the line that gives it.
	// Without it (check, convert, which do not use dates) such a date is kept as written.
	OrderDates bool

	// names, set by ReadAll, interns Go benchmark configs across the files of one read.
	names *gobench.Shared
}

// forced reports whether opts names one format (--input-format) rather than leaving
// detection to perfgate ("" or "auto").
func (o *Options) forced() bool {
	return o != nil && o.Format != "" && o.Format != "auto"
}

// A Format reads one kind of results file.
type Format struct {
	// Name is what --input-format takes.
	Name string
	// Doc is a one-line description for help and error messages.
	Doc string
	// Sniff reports whether a file whose name is file and whose first bytes are head is in
	// this format. head holds up to SniffSize bytes.
	Sniff func(file string, head []byte) bool
	// Read parses one file. It returns every run in it, or a *SyntaxError naming the first
	// problem. It must not retain r.
	Read func(file string, r io.Reader, opts *Options) ([]bench.Run, error)
	// UserKeys reports that the config keys in a file of this format were written by a user
	// to name its runs (a table's columns, a JSON Lines "config" object, Go benchmark names),
	// so any one key tells a run apart. Otherwise the file is a program's own output (a
	// trainer log), whose content gives only the keys the program happens to print, and
	// batch and sequence sizes alone do not tell its runs apart (see identifies).
	UserKeys bool
	// Warmup reports that the format logs iterations and drops the first ones as warm-up,
	// so that Options.SkipIters (--skip-iters) applies to its files. Formats that give one
	// value per run (a table, JSON Lines, Go benchmarks) ignore SkipIters.
	Warmup bool
}

// SniffSize is how many leading bytes detection looks at.
const SniffSize = 64 << 10

// utf8BOM is the byte-order mark some editors put at the start of a UTF-8 file; readers never
// see it.
var utf8BOM = []byte("\ufeff")

// Formats lists every supported input format in detection order: the first whose Sniff
// accepts a file reads it.
var Formats = []*Format{
	JSONLFormat,
	GoBenchFormat,
	GoldenFormat,
	MegatronBridgeFormat, // before megatron: Bridge logs also hold Megatron-style iteration lines
	NeMoFormat,
	TorchtitanFormat,
	MegatronFormat,
	TableFormat,
}

// LookupFormat returns the format called name.
func LookupFormat(name string) (*Format, error) {
	for _, f := range Formats {
		if f.Name == name {
			return f, nil
		}
	}
	return nil, fmt.Errorf("unknown input format %q; supported: %s", name, FormatNames())
}

// FormatNames returns the supported format names, comma-separated.
func FormatNames() string {
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

// Detect returns the format of a file from its name and first bytes.
func Detect(file string, head []byte) (*Format, error) {
	for _, f := range Formats {
		if f.Sniff(file, head) {
			return f, nil
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: unrecognised input format; supported formats are:\n", file)
	for _, f := range Formats {
		fmt.Fprintf(&b, "  %-16s %s\n", f.Name, f.Doc)
	}
	b.WriteString("force one with --input-format NAME")
	return nil, &bench.SyntaxError{File: file, Msg: strings.TrimPrefix(b.String(), file+": ")}
}

// ReadPaths reads every file named in paths, as ReadAll does, and returns the runs.
func ReadPaths(paths []string, opts *Options) ([]bench.Run, error) {
	in, err := ReadAll(paths, opts)
	if err != nil {
		return nil, err
	}
	return in.Runs, nil
}

// ReadAll reads every file named in paths. A directory contributes the regular files below
// it, following symbolic links and reading a file reached twice once, in lexical order,
// skipping hidden files and sidecar *.json files that describe a log,
// and skipping, with a note in Input.Skipped, files that no reader claims (a README, a Slurm
// script, a model_config.yaml); an empty or blank file whose name says it holds results
// (resultsName: run.log, results.jsonl) is an error, not skipped, as a crashed benchmark
// leaves one. Files are parsed concurrently, one per CPU, and their runs
// returned in order. It fails on the first bad file (in order), when the paths hold no
// results at all, and when a run's config does not tell it apart from other runs: it has no
// key, or it is a trainer log's and has only the batch and sequence sizes the log printed,
// with no key from a user (unless Options.AllowNoConfig).
func ReadAll(paths []string, opts *Options) (*Input, error) {
	var found []walked
	for _, p := range paths {
		fs, err := expand(p, opts)
		if err != nil {
			return nil, err
		}
		found = append(found, fs...)
	}
	// A file named twice (results/a.log results/, or the same file given twice by a script)
	// is read once: its runs counted twice would be two samples of one run.
	var seen readOnce
	files := make([]entry, len(found))
	for i := range found {
		seen.check(&found[i])
		files[i] = found[i].entry
	}
	// The files of one read share one config per benchmark name (a sweep's files name the
	// same configs), so each is parsed and keyed once, not once per file.
	shared := Options{SkipIters: -1}
	if opts != nil {
		shared = *opts
	}
	shared.names = &gobench.Shared{}
	opts = &shared
	type result struct {
		runs     []bench.Run
		err      error
		skipped  string
		digest   string // of the file's content
		noConfig error  // the first run whose config does not tell it apart (requireConfig)
		format   *Format
	}
	results := make([]result, len(files))
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.GOMAXPROCS(0), len(files)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if files[i].skip != "" {
					// Never opened: a FIFO could hang, a device never end.
					results[i] = result{skipped: files[i].skip}
					continue
				}
				rs, format, named, digest, skip, err := readEntry(files[i], opts)
				if err == nil && opts.Summarize != nil {
					if err = Validate(rs); err == nil {
						summarize(rs, opts.Summarize)
					}
				}
				results[i] = result{runs: rs, err: err, skipped: skip, digest: digest, format: format}
				if err == nil && !opts.AllowNoConfig {
					// Reported only after Validate has passed every file's runs.
					results[i].noConfig = requireConfig(rs, format, named)
				}
			}
		}()
	}
	for i := range files {
		work <- i
	}
	close(work)
	wg.Wait()
	// A crashed job's stderr beside its stdout (job.err, job.out) fails the run the stdout
	// gave; a crash log with no such companion is an error.
	for i := range results {
		var c *CrashLog
		if !errors.As(results[i].err, &c) {
			continue
		}
		// Only a companion of one run: one OOM in sweep.err must not fail every config of a
		// sweep in sweep.out, nor throw their measurements away (review).
		if j := companion(files[i].path, files, func(j int) int { return len(results[j].runs) }); j >= 0 && len(results[j].runs) == 1 {
			failRuns(results[j].runs, c)
			results[i] = result{skipped: "the failure it shows (line " + strconv.Itoa(c.Failure.line) + ") is that of the run " + files[j].path + " gave"}
		}
	}
	n := 0
	for _, r := range results {
		if r.err != nil {
			return nil, r.err
		}
		n += len(r.runs)
	}
	// A copy of a file under another name (pr.txt and pr-copy.txt) is read once too: its runs
	// are the same runs, and counted again they would be more samples of one run, enough to
	// reach --confirm-runs from a single run. A copy counts as one only when it gives the
	// same configs (the same log below tp=8/ and tp=4/ is a contradiction the check shows).
	//
	// A near copy (the same text but for whitespace at line ends, saved again by an editor or
	// a browser: "results (1).txt") is read once too; see nearcopy.go. Its text is read again
	// only when its runs equal an earlier file's.
	first := map[string]string{}
	kept := map[uint64][]int{} // runsHash → the files read with those runs
	norm := map[int]string{}   // normalised digests, computed for files with equal runs only
	normalized := func(k int) (string, error) {
		d, ok := norm[k]
		if !ok {
			var err error
			if d, err = normalizedDigest(files[k].path); err != nil {
				return "", err
			}
			norm[k] = d
		}
		return d, nil
	}
	for i := range results {
		r := &results[i]
		if r.skipped != "" || r.digest == "" {
			continue
		}
		id := r.digest + "\x00" + runKeys(r.runs)
		if p, ok := first[id]; ok {
			n -= len(r.runs)
			r.runs, r.noConfig, r.skipped = nil, nil, "the same content as "+p+", read once"
			continue
		}
		first[id] = files[i].path
		keys := runsHash(r.runs)
		for _, j := range kept[keys] {
			if !sameRuns(results[j].runs, r.runs) {
				continue
			}
			dj, err := normalized(j)
			if err != nil {
				return nil, err
			}
			di, err := normalized(i)
			if err != nil {
				return nil, err
			}
			if di == dj {
				n -= len(r.runs)
				r.runs, r.noConfig, r.skipped = nil, nil, "the same content as "+files[j].path+" but for whitespace at line ends or blank lines at the end, read once"
				break
			}
		}
		if r.skipped == "" {
			kept[keys] = append(kept[keys], i)
		}
	}
	in := &Input{Runs: make([]bench.Run, 0, n)}
	for i := range results {
		if results[i].skipped != "" {
			in.Skipped = append(in.Skipped, Skipped{File: files[i].path, Reason: results[i].skipped})
			continue
		}
		if f := results[i].format; f != nil && len(results[i].runs) > 0 &&
			!slices.ContainsFunc(in.Read, func(r FormatRead) bool { return r.Format == f }) {
			in.Read = append(in.Read, FormatRead{Format: f, File: files[i].path})
		}
		in.Runs = append(in.Runs, results[i].runs...)
		results[i].runs = nil // let each file's slice go once copied
	}
	if len(in.Runs) == 0 {
		msg := strings.Join(paths, ", ") + ": no results found"
		if len(in.Skipped) > 0 {
			msg += fmt.Sprintf(" (%d file(s) skipped, e.g. %s: %s)", len(in.Skipped), in.Skipped[0].File, in.Skipped[0].Reason)
		}
		return nil, errors.New(msg)
	}
	if err := Validate(in.Runs); err != nil {
		return nil, err
	}
	if err := setCollisions(in.Runs, opts.Set); err != nil {
		return nil, err
	}
	for _, r := range results {
		if r.noConfig != nil {
			return nil, r.noConfig
		}
	}
	return in, nil
}

// summarize replaces each metric's samples by f of them. The summaries are cut from one
// allocation, so that the samples themselves can be freed.
func summarize(runs []bench.Run, f func([]float64) float64) {
	n := 0
	for i := range runs {
		for j := range runs[i].Metrics {
			if len(runs[i].Metrics[j].Values) > 1 {
				n++
			}
		}
	}
	slab := make([]float64, n)
	for i := range runs {
		for j := range runs[i].Metrics {
			m := &runs[i].Metrics[j]
			if len(m.Values) > 1 {
				m.Samples = m.Count()
				slab[0] = f(m.Values)
				m.Values, slab = slab[:1:1], slab[1:]
			}
		}
	}
}

// Validate checks what no single parser can: that every metric has a known direction, one
// unit and one direction across all runs, and only usable values. Errors name the run's source.
func Validate(runs []bench.Run) error {
	type seen struct {
		unit   string
		better bench.Better
		source string
	}
	metrics := map[string]seen{}
	configs := map[string]bool{} // checked for control characters
	for _, r := range runs {
		if k := r.ConfigKey(); !configs[k] {
			configs[k] = true
			if err := configControl(r.Config); err != nil {
				return fmt.Errorf("%s: %v", r.Source, err)
			}
		}
		for _, m := range r.Metrics {
			if m.Better == bench.Unknown {
				return fmt.Errorf("%s: metric %q: cannot tell whether higher or lower is better; declare it (Go format: \"Unit %s better=higher\"; JSON Lines: \"better\") or pass --better %s=higher|lower", r.Source, m.Name, m.Name, m.Name)
			}
			if s, ok := metrics[m.Name]; !ok {
				metrics[m.Name] = seen{m.Unit, m.Better, r.Source}
			} else if s.unit != m.Unit {
				return fmt.Errorf("%s: metric %q is in unit %q here but %q at %s; mixed units for one metric", r.Source, m.Name, m.Unit, s.unit, s.source)
			} else if s.better != m.Better {
				return fmt.Errorf("%s: metric %q is %s-is-better here but %s-is-better at %s", r.Source, m.Name, m.Better, s.better, s.source)
			}
			for _, v := range m.Values {
				if msg := bench.CheckValue(v, m.Unit, m.Better); msg != "" {
					return fmt.Errorf("%s: metric %q: %s", r.Source, m.Name, msg)
				}
			}
		}
	}
	return nil
}

// configControl refuses a config key or value holding a control character (a JSON Lines
// "\u0000" or "a\nb", a file name with a line break): written raw, a NUL makes git take the
// store for a binary file, and a line break splits the report's row of the config. A
// bidirectional control (U+202E) is refused too: in the terminal, the log's ::error lines and
// the dashboard it would reorder the text around it, so that one config reads as another.
func configControl(c bench.Config) error {
	bad := func(r rune) bool { return unicode.IsControl(r) || bench.IsBidi(r) }
	for k, v := range c {
		if strings.ContainsFunc(k, bad) {
			return fmt.Errorf("config key %q holds a control character", k)
		}
		if strings.ContainsFunc(v, bad) {
			return fmt.Errorf("config %q: value %q holds a control character", k, v)
		}
	}
	return nil
}

// resultsExts are the extensions of files that hold results by their name: the readers'
// (JSON Lines, Go benchmark files, tables, trainer logs and their stdout and stderr) and the
// ones harnesses write results to. A file below a directory with one of them that is empty
// is an input error, not a file skipped as "not results"; a README.md, a Slurm script, a
// model_config.yaml are not results by name.
var resultsExts = append([]string{".jsonl", ".ndjson", ".bench", ".csv", ".tsv"}, logExts...)

// resultsName reports whether a file's name says it holds results: a results extension
// (resultsExts), or a Megatron-LM golden values file (golden_values_*.json).
func resultsName(file string) bool {
	ext := filepath.Ext(file)
	for _, e := range resultsExts {
		if strings.EqualFold(ext, e) {
			return true
		}
	}
	return goldenName(file)
}

// errEmptySkipped is what readFile returns for an empty or blank file found below a directory
// under a name that is not a results file's; readEntry skips it.
var errEmptySkipped = errors.New("empty, and not named as results")

// readFile reads one results file, detecting its format unless opts forces one. Each run's
// Batch is opts.Batch or, failing that, a hash of the file's content, so that ingesting the
// same file twice yields the same runs. It returns the format the file was read in, or nil
// and no error when the file is unclaimed: with skipUnclaimed (a file found below a
// directory, which a walk skips when no format claims it), a file that no format claims is
// unclaimed rather than an error, told before the check for a baseline store's file, as
// readEntry has always told it. digest is the SHA-256 of the file's content (hex). The format
// is detected once, on the head the read then goes on from.
func readFile(file string, opts *Options, skipUnclaimed bool) (runs []bench.Run, format *Format, digest string, err error) {
	if opts == nil {
		opts = &Options{SkipIters: -1}
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, nil, "", err
	}
	defer f.Close()
	h := sha256.New()
	br := bufio.NewReaderSize(io.TeeReader(f, h), SniffSize)
	head, err := br.Peek(SniffSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, nil, "", fmt.Errorf("%s: %w", file, err)
	}
	whole := errors.Is(err, io.EOF) // head is the whole file
	if bytes.HasPrefix(head, utf8BOM) {
		// Editors on Windows (Notepad, Excel's "CSV UTF-8") start a file with a byte-order
		// mark; left in, it hides a JSON Lines or Go benchmark file from detection and makes
		// a table's first column "\ufefftp", a config key that matches nothing.
		head = head[len(utf8BOM):]
		if _, err := br.Discard(len(utf8BOM)); err != nil {
			return nil, nil, "", fmt.Errorf("%s: %w", file, err)
		}
	}
	if opts.forced() {
		if format, err = LookupFormat(opts.Format); err != nil {
			return nil, nil, "", err
		}
	}
	if whole && len(bytes.TrimSpace(head)) == 0 {
		// An empty or blank file: what a benchmark that crashed or was killed before writing
		// its results leaves. Named on the command line, or below a directory under a name
		// that says it holds results (run.log, results.jsonl), it is an error, never a pass;
		// below a directory under another name (an empty README.md, a .gitkeep's kin) it is
		// skipped, as other files no reader claims are.
		if skipUnclaimed && !resultsName(file) {
			return nil, nil, "", errEmptySkipped
		}
		what := "an empty file"
		if len(head) > 0 {
			what = "a file of blank lines only"
		}
		return nil, nil, "", &bench.SyntaxError{File: file, Msg: what + ", with no results: a benchmark that crashed or was killed before writing its results leaves one, " +
			"and a file with no results is an error, never a pass; rerun the benchmark, or remove the file if it holds no run"}
	}
	if !opts.forced() {
		if format, err = Detect(file, head); err != nil && skipUnclaimed {
			return unclaimed(file, br, whole, opts)
		}
	}
	if bytes.HasPrefix(head, []byte("# perfgate baseline v")) {
		return nil, nil, "", &bench.SyntaxError{File: file, Line: 1, Msg: "a perfgate baseline store, not results: give its directory to --baseline, and results as RESULTS"}
	}
	if err != nil {
		return nil, nil, "", err
	}
	runs, err = format.Read(file, br, opts)
	if errors.Is(err, errNoLines) {
		return nil, nil, "", errNotThisFormat(file, format)
	}
	if err != nil {
		return nil, nil, "", err
	}
	// Drain, so the hash covers the whole file even if the reader stopped early.
	if _, err := io.Copy(io.Discard, br); err != nil {
		return nil, nil, "", fmt.Errorf("%s: %w", file, err)
	}
	if len(runs) == 0 {
		return nil, nil, "", &bench.SyntaxError{File: file, Msg: "no results found (format " + format.Name + ")"}
	}
	digest = hex.EncodeToString(h.Sum(nil))
	batch := opts.Batch
	if batch == "" {
		batch = "sha256:" + digest[:16]
	}
	base := filepath.Base(file)
	for i := range runs {
		r := &runs[i]
		if r.Batch == "" {
			r.Batch = batch
		}
		if r.File == "" {
			r.File = base
		}
		for mi := range r.Metrics {
			m := &r.Metrics[mi]
			if b, ok := opts.Better[m.Name]; ok {
				m.Better = b
			}
		}
	}
	if len(opts.Set) > 0 {
		if err := setCollision(runs, opts.Set); err != nil {
			return nil, nil, "", err
		}
		// --set overrides every config key the file gave. Each run remembers the key it had,
		// so that ReadAll finds two files' configs that --set merges (setCollisions).
		for i := range runs {
			runs[i].SetFrom = runs[i].Config // rekey replaces Config with a copy
		}
		rekey(runs, func(c bench.Config) bench.Config {
			c = c.Clone()
			for k, v := range opts.Set {
				c[k] = v
			}
			return c
		})
	}
	return runs, format, digest, nil
}

// setCollision reports two runs of one file whose configs differ only in keys that set (--set)
// overrides: once set, they would be one config, and a dist-opt run and a plain one would be
// stored and gated as runs of one config, each other's noise. The error names both runs.
func setCollision(runs []bench.Run, set bench.Config) error {
	type first struct {
		key string // the config as read
		run *bench.Run
	}
	seen := map[string]first{} // by the config without set's keys
	for i := range runs {
		r := &runs[i]
		rest := r.Config.Clone()
		for k := range set {
			delete(rest, k)
		}
		rk := rest.Key()
		f, ok := seen[rk]
		if !ok {
			seen[rk] = first{r.ConfigKey(), r}
			continue
		}
		if f.key != r.ConfigKey() {
			var flags []string
			for _, k := range set.Keys() {
				flags = append(flags, "--set "+k+"="+set[k])
			}
			return fmt.Errorf("%s: %s makes this run's config %s the same as that of %s, %s: runs of two configs would be stored and gated as one; give --set only to inputs it does not merge",
				r.Source, strings.Join(flags, " "), r.Config, f.run.Source, f.run.Config)
		}
	}
	return nil
}

// setCollisions is setCollision across files: two runs that --set made one config must not
// have given one of the keys it sets two values (the same --set nodes=32 on a.jsonl, nodes=32,
// and b.jsonl, nodes=64, made a 10% drop of one the other's noise). A file that did not give
// the key at all (--set fills it in) collides with none.
func setCollisions(runs []bench.Run, set bench.Config) error {
	if len(set) == 0 {
		return nil
	}
	first := map[string]*bench.Run{} // final config key and set key → the first run giving it
	for i := range runs {
		r := &runs[i]
		for _, k := range set.Keys() {
			v, ok := r.SetFrom[k]
			if !ok {
				continue // --set changed nothing in this run's file, or filled the key in
			}
			id := r.ConfigKey() + "\x00" + k
			f, seen := first[id]
			if !seen {
				first[id] = r
				continue
			}
			if f.SetFrom[k] != v {
				var flags []string
				for _, k := range set.Keys() {
					flags = append(flags, "--set "+k+"="+set[k])
				}
				return fmt.Errorf("%s: %s makes this run's config %s the same as that of %s, %s: runs of two configs would be stored and gated as one; give --set only to inputs it does not merge",
					r.Source, strings.Join(flags, " "), r.SetFrom.Key(), f.Source, f.SetFrom.Key())
			}
		}
	}
	return nil
}

// A keyedConfig is an interned config with its key.
type keyedConfig struct {
	cfg bench.Config
	key string
}

// rekey rewrites the configs of runs with f, once per distinct config: readers intern
// configs (runs of one config share one map), so each distinct config is handed to f and
// keyed once, and f must return a copy rather than change a reader's map. f returns nil to
// keep a config as it is.
func rekey(runs []bench.Run, f func(bench.Config) bench.Config) {
	done := map[string]keyedConfig{}
	for i := range runs {
		r := &runs[i]
		old := r.ConfigKey()
		kc, ok := done[old]
		if !ok {
			kc = keyedConfig{r.Config, old}
			if c := f(r.Config); c != nil {
				kc = keyedConfig{c, c.Key()}
			}
			done[old] = kc
		}
		r.Config, r.Key = kc.cfg, kc.key
	}
}
