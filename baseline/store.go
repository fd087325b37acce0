package baseline

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/perf/benchfmt"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/internal/gobench"
)

// FileName is the store's results file inside the baseline directory.
const FileName = "baseline.txt"

// DefaultWindow is how many runs of each config the store keeps by default.
const DefaultWindow = 10

// A Store is a baseline directory: the recent runs of every config, oldest first.
//
// On disk it is one Go benchmark format file, DIR/baseline.txt, that stock benchstat reads
// without error. Each stored run is one result line holding the run's summary (the median of
// its samples; the iteration count field records how many samples that was). Runs are grouped
// in blocks, one per ingested batch, each opened by a provenance line (a batch that runs of
// another date or commit joined later, such as a matrix shard under the night's run id,
// continues in a block of its own right after), and failed runs are kept as lines benchstat
// ignores:
//
//	# perfgate run batch=nightly-1234 date=2026-11-24T03:00:00Z commit=abc123 source=sweep.txt
//	BenchmarkTrain/tp=8/pp=4/mbs=1/gbs=1024/flags=none/sl=4096/nodes=32 1 46.3 s/iter 148.59 TFLOPS/GPU
//	# perfgate fail oom BenchmarkTrain/tp=8/pp=8/mbs=4/gbs=1024/flags=none/sl=4096/nodes=32 reason="sweep.txt:11: OOM in the time column"
//
// The file ends with a closing line that Save maintains, so that a store cut short (an
// interrupted copy, a bad merge) or stripped of runs by hand is refused instead of read:
//
//	# perfgate end runs=68 batches=3 window=10
//
// A result line names each metric by its name only. A metric whose unit is not its name (a
// JSON Lines metric such as peak-mem in GB) has its unit on its 'Unit' line, which benchstat
// ignores; a metric whose unit is its name has none, as in stores written before the key:
//
//	Unit peak-mem better=lower unit=GB
//
// Runs read from trainer logs may carry a launch fingerprint (bench.Run.Args) and the FLOPs
// formula their logged TFLOPS match (bench.Run.Formula). A '# perfgate launch' line holds
// them for the result and failure lines that follow it in its block, up to the next launch
// line; runs of a sweep share one:
//
//	# perfgate launch formula=megatron arg.sequence_parallel=True arg.transformer_impl=transformer_engine
//
// A run's source file is its block's source=, unless a '# perfgate source=' line before it in
// its block says otherwise: the runs of one batch may come from several files (the logs of a
// directory, or matrix shards stored one after the other under the night's run id), and each
// keeps its own. It holds for the result and failure lines that follow it in its block, up
// to the next such line; a perfgate that does not know the line ignores it:
//
//	# perfgate source=shardB.txt
type Store struct {
	// Dir is the baseline directory.
	Dir string
	// Runs are the stored runs, oldest first. Each OK run holds one value per metric.
	Runs []bench.Run
	// Window is the rolling window the store was last saved with, from its closing line; 0
	// when not known (an empty store, or one written by a perfgate older than format v2).
	Window int
	// Legacy reports a store written by a perfgate older than format v2, without a closing
	// line: it cannot tell whether it was cut short. The next Save adds the line.
	Legacy bool
}

// Path returns the path of the store's results file.
func (s *Store) Path() string { return filepath.Join(s.Dir, FileName) }

// ErrNoBaseline reports a baseline directory with no results file yet.
var ErrNoBaseline = errors.New("no baseline")

// Open reads the store in dir. A directory without a results file yields an empty store and
// an error wrapping ErrNoBaseline (so that callers may choose to start one); any damage to the
// file is an error naming the file and line.
func Open(dir string) (*Store, error) {
	s := &Store{Dir: dir}
	data, err := os.ReadFile(s.Path())
	if errors.Is(err, fs.ErrNotExist) {
		if st, derr := os.Stat(dir); derr != nil || !st.IsDir() {
			return s, fmt.Errorf("%s: %w: the directory does not exist (create it with 'perfgate baseline update --baseline %s RESULTS...')", dir, ErrNoBaseline, dir)
		}
		return s, fmt.Errorf("%s: %w: %s is missing (create it with 'perfgate baseline update --baseline %s RESULTS...')", dir, ErrNoBaseline, FileName, dir)
	}
	if err != nil {
		return nil, err
	}
	info, err := parse(s.Path(), data, parseKeep|parseVerify)
	if err != nil {
		return nil, err
	}
	s.Runs, s.Window, s.Legacy = info.runs, info.window, info.legacy
	return s, nil
}

const (
	runPrefix    = "# perfgate run "
	failPrefix   = gobench.FailPrefix // its format is gobench's (ParseFailure): results hold it too
	launchPrefix = "# perfgate launch"
	sourcePrefix = "# perfgate source="
	endPrefix    = "# perfgate end "
	// Format is the store format this perfgate writes. Format 1 had no closing line; it is
	// still read, and rewritten as the current format by the next Save.
	Format       = 2
	headerPrefix = "# perfgate baseline v"
	fileHeader   = "# perfgate baseline v2"
)

// A block is one provenance line and the line numbers it covers.
type block struct {
	line                        int
	batch, date, commit, source string
}

// A failure is a '# perfgate fail' line.
type failure struct {
	line   int
	entry  *gobench.Entry
	reason string
	o      bench.Outcome
}

// Parse reads a store file's content. file names it in errors. Runs of one config share one
// Config map and key string (Run.Key is set). The closing line is checked: a file cut short
// or stripped of runs is an error naming the line and what to do.
func Parse(file string, data []byte) ([]bench.Run, error) {
	info, err := parse(file, data, parseKeep|parseVerify)
	return info.runs, err
}

// AsStored returns runs as a store file holding them reads back: an OK run keeps the centre
// of each metric's samples, to the digits its result line keeps, a failed run no
// measurements, and each run of a batch's block the date and commit of the block's first
// run. What is derived from runs before they are saved and must match the store that
// checks read (history's memory record) is derived from these. The runs come back in their
// order, runs[i] as out[i], even when their batches interleave (a file holds a batch once, so
// they are written each batch's runs together).
func AsStored(runs []bench.Run) ([]bench.Run, error) {
	order := batchesTogether(runs)
	grouped := make([]bench.Run, len(runs))
	for j, i := range order {
		grouped[j] = runs[i]
	}
	var buf bytes.Buffer
	if err := write(&buf, grouped, false, 0); err != nil {
		return nil, err
	}
	info, err := parse(FileName, buf.Bytes(), parseKeep)
	if err != nil || len(info.runs) != len(runs) {
		return info.runs, err
	}
	out := make([]bench.Run, len(runs))
	for j, i := range order {
		out[i] = info.runs[j]
	}
	return out, nil
}

// batchesTogether returns the indexes of runs with each batch's together, batches in order of
// first appearance and runs in their order within a batch.
func batchesTogether(runs []bench.Run) []int {
	first := map[string]int{}
	for i := range runs {
		if _, ok := first[runs[i].Batch]; !ok {
			first[runs[i].Batch] = i
		}
	}
	order := make([]int, len(runs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(first[runs[a].Batch], first[runs[b].Batch]) })
	return order
}

// What parse does besides checking the syntax.
const (
	parseKeep   = 1 << iota // keep the runs (Save's read-back check keeps none)
	parseVerify             // check the closing line against the content
)

// parsed is what parse found.
type parsed struct {
	runs   []bench.Run
	window int
	legacy bool // format 1: no closing line
}

// parse is Parse. Without parseKeep it checks everything Parse checks but keeps no runs, which
// is how Save makes sure what it writes reads back without a second copy of the store.
// Without parseVerify the closing line is not required, for content that is a filtered copy
// of a store (Revisions' parseNew).
func parse(file string, data []byte, mode int) (parsed, error) {
	return parseWith(file, data, mode, &gobench.Interner{Strict: true})
}

// parseWith is parse with the interner of benchmark names in: reading several versions of one
// store with one interner parses each config's name once rather than once a version.
func parseWith(file string, data []byte, mode int, in *gobench.Interner) (parsed, error) {
	var info parsed
	keep := mode&parseKeep != 0
	// First pass: the header, provenance and failure lines, which benchfmt skips. Only lines
	// that start with "# perfgate " or a merge-conflict marker cost more than a scan for
	// their end.
	var (
		blocks   []block
		failures []failure
		launches []launch
		sources  []source
		batches  = map[string]int{}
		end      closing
		lastLine int // last line that is not blank
		filled   int // lines that are not blank: at most one run each
	)
	lineNo := 0
	for rest := data; len(rest) > 0; {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte("\n"))
		lineNo++
		if lineNo == 1 {
			legacy, err := checkHeader(file, line)
			if err != nil {
				return info, err
			}
			info.legacy = legacy
			continue
		}
		if len(line) > 0 && line[0] != '\r' {
			lastLine = lineNo
			filled++
		}
		if len(rest) == 0 && mode&parseVerify != 0 && !info.legacy && len(line) > 0 && data[len(data)-1] != '\n' &&
			!bytes.HasPrefix(line, []byte(strings.TrimSpace(endPrefix))) {
			// A last line without its end is a cut mid-line: say so, rather than what the
			// cut made of the line (a failure line whose config stops at "tp").
			return info, bench.Errorf(file, lineNo, "the store ends here without its closing '# perfgate end' line: it was cut short mid-line (an interrupted copy or a bad merge), and runs may be lost; %s", restoreHint(file))
		}
		if len(line) >= 7 && isConflictMarker(line) {
			return info, conflictError(file, lineNo)
		}
		if !info.legacy && !storeLine(line) {
			return info, bench.Errorf(file, lineNo, "not a line of a perfgate store (a result, a 'Unit' line or a '#' line): the file was edited or damaged, and runs may be lost; %s", restoreHint(file))
		}
		if !bytes.HasPrefix(line, []byte("# perfgate")) {
			continue
		}
		l := string(bytes.TrimRight(line, "\r"))
		if end.line > 0 {
			return info, bench.Errorf(file, lineNo, "content after the closing line at line %d: two stores were joined or the file was edited; %s", end.line, restoreHint(file))
		}
		switch {
		case strings.HasPrefix(l, runPrefix):
			kv, err := gobench.ParseFields(strings.TrimPrefix(l, runPrefix))
			if err != nil {
				return info, bench.Errorf(file, lineNo, "run line: %v", err)
			}
			b := block{line: lineNo, batch: kv["batch"], date: kv["date"], commit: kv["commit"], source: kv["source"]}
			if b.batch == "" {
				return info, bench.Errorf(file, lineNo, "run line has no batch=")
			}
			if prev, dup := batches[b.batch]; dup && blocks[len(blocks)-1].batch != b.batch {
				return info, bench.Errorf(file, lineNo, "batch %q already opened at line %d", b.batch, prev)
			}
			batches[b.batch] = lineNo
			blocks = append(blocks, b)
		case strings.HasPrefix(l, failPrefix):
			if len(blocks) == 0 {
				return info, bench.Errorf(file, lineNo, "failure line before any '# perfgate run' line")
			}
			f, err := gobench.ParseFailure(l)
			if err != nil {
				return info, bench.Errorf(file, lineNo, "%v", err)
			}
			e := in.Name([]byte(f.Name))
			if e.Err != nil {
				return info, bench.Errorf(file, lineNo, "failure line: %v", e.Err)
			}
			failures = append(failures, failure{line: lineNo, entry: e, o: f.Outcome, reason: f.Reason()})
		case strings.HasPrefix(l, endPrefix):
			c, err := parseClosing(strings.TrimPrefix(l, endPrefix))
			if err != nil {
				return info, bench.Errorf(file, lineNo, "closing line: %v", err)
			}
			c.line = lineNo
			end = c
		case l == launchPrefix || strings.HasPrefix(l, launchPrefix+" "):
			if len(blocks) == 0 {
				return info, bench.Errorf(file, lineNo, "launch line before any '# perfgate run' line")
			}
			ln, err := parseLaunch(strings.TrimPrefix(l, launchPrefix))
			if err != nil {
				return info, bench.Errorf(file, lineNo, "launch line: %v", err)
			}
			ln.line = lineNo
			launches = append(launches, ln)
		case strings.HasPrefix(l, sourcePrefix):
			if len(blocks) == 0 {
				return info, bench.Errorf(file, lineNo, "source line before any '# perfgate run' line")
			}
			kv, err := gobench.ParseFields(strings.TrimPrefix(l, "# perfgate "))
			if err != nil {
				return info, bench.Errorf(file, lineNo, "source line: %v", err)
			}
			if len(kv) != 1 {
				return info, bench.Errorf(file, lineNo, "source line: want only source=FILE")
			}
			sources = append(sources, source{line: lineNo, file: kv["source"]})
		}
	}
	if lineNo == 0 {
		return info, bench.Errorf(file, 1, "not a perfgate baseline: empty file")
	}
	if mode&parseVerify != 0 && !info.legacy && end.line == 0 {
		return info, bench.Errorf(file, max(lastLine, 1), "the store ends here without its closing '# perfgate end' line: it was cut short (an interrupted copy or a bad merge), and runs may be lost; %s", restoreHint(file))
	}
	if end.line > 0 && end.line == lineNo && !bytes.HasSuffix(data, []byte("\n")) {
		return info, bench.Errorf(file, end.line, "the closing line is cut short (no end of line): the file was truncated; %s", restoreHint(file))
	}
	if end.line > 0 && end.line != lastLine {
		return info, bench.Errorf(file, lastLine, "content after the closing line at line %d: two stores were joined or the file was edited; %s", end.line, restoreHint(file))
	}
	info.window = end.window

	// Second pass: results, with benchfmt, merged in line order with the failures. Results
	// and blocks come in line order, so the block of a line is found by moving forward.
	var (
		// At most one run per line that is not blank: one allocation instead of a doubling
		// series, and not one as long as an older version's mostly blanked lines (parseNew).
		runs     []bench.Run
		bi       = -1
		li       = -1
		si       = -1
		better   = map[string]bench.Better{}
		unitOf   = map[string]firstUnit{} // by metric name
		named    []string                 // metrics whose unit is their name, in order seen
		metrics  slab[bench.Metric]
		values   slab[float64]
		seen     []string
		fileBase = file + ":"
		counted  = len(failures) // runs in the file, for the closing line
	)
	if keep {
		runs = make([]bench.Run, 0, filled)
	}
	prov := func(r *bench.Run, line int) {
		for bi+1 < len(blocks) && blocks[bi+1].line < line {
			bi++
		}
		b := &blocks[bi]
		r.Batch, r.Date, r.Commit, r.File = b.batch, b.date, b.commit, b.source
		r.Source = fileBase + strconv.Itoa(line)
		// The launch line in force: the last one before line, within its block.
		for li+1 < len(launches) && launches[li+1].line < line {
			li++
		}
		if li >= 0 && launches[li].line > b.line {
			r.Args, r.Formula = launches[li].args, launches[li].formula
		}
		// The source line in force, likewise.
		for si+1 < len(sources) && sources[si+1].line < line {
			si++
		}
		if si >= 0 && sources[si].line > b.line {
			r.File = sources[si].file
		}
	}
	flush := func(before int) {
		for len(failures) > 0 && failures[0].line < before {
			f := failures[0]
			failures = failures[1:]
			if keep {
				r := bench.Run{Config: f.entry.Config, Key: f.entry.Key, Outcome: f.o, Reason: f.reason}
				prov(&r, f.line)
				runs = append(runs, r)
			}
		}
	}
	units, err := gobench.Read(file, bytes.NewReader(data), func(x *gobench.Result) error {
		line := x.Line
		if len(blocks) == 0 || blocks[0].line > line {
			return bench.Errorf(file, line, "result line before any '# perfgate run' line")
		}
		if len(x.FileConfig) > 0 {
			return bench.Errorf(file, line, "unexpected file configuration %q: a baseline keeps provenance in '# perfgate run' lines", x.FileConfig[0].Key)
		}
		e := in.Of(x)
		if e.Err != nil {
			return bench.Errorf(file, line, "%v", e.Err)
		}
		if x.Iters < 1 {
			return bench.Errorf(file, line, "sample count %d: a stored run is the median of at least 1 sample", x.Iters)
		}
		flush(line)
		counted++
		var run bench.Run
		var vals []float64
		if keep {
			run = bench.Run{Config: e.Config, Key: e.Key, Outcome: bench.OK}
			prov(&run, line)
			run.Metrics = metrics.take(len(x.Values))
			vals = values.take(len(x.Values))
		}
		seen = seen[:0]
		for i, v := range x.Values {
			if slices.Contains(seen, v.Unit) {
				return bench.Errorf(file, line, "metric %q appears twice", v.Unit)
			}
			seen = append(seen, v.Unit)
			b, ok := better[v.Unit]
			if !ok {
				if md := x.Units.Get(v.Unit, "better"); md != nil {
					var ok bool
					if b, ok = bench.ParseBetter(md.Value); !ok {
						_, at := md.Pos()
						return bench.Errorf(file, at, "Unit %s: better=%q, want higher or lower", v.Unit, md.Value)
					}
				}
				if b == bench.Unknown {
					return bench.Errorf(file, line, "metric %q has no 'Unit %s better=higher|lower' line", v.Unit, v.Unit)
				}
				better[v.Unit] = b
			}
			// The metric's unit: its name, unless its Unit line says unit= (a JSON Lines
			// metric whose unit is not its name), as known at its first result.
			mu, ok := unitOf[v.Unit]
			if !ok {
				u, _, err := gobench.MetricUnit(file, x.Units, v.Unit)
				if err != nil {
					return err
				}
				mu = firstUnit{u, line}
				unitOf[v.Unit] = mu
				if u == v.Unit {
					// Two metrics named by their units, one a scaling of the other (s/iter
					// and ms/iter), are one metric stored twice: a check would compare
					// neither with the other, and pass a regression as missing and new.
					if err := oneScaling(file, line, v.Unit, named, unitOf); err != nil {
						return err
					}
					named = append(named, v.Unit)
				}
			}
			u := mu.unit
			if msg := bench.CheckValue(v.Value, u, b); msg != "" {
				return bench.Errorf(file, line, "metric %q: %s", v.Unit, msg)
			}
			if keep {
				vals[i] = v.Value
				// The count field is the number of samples the stored median summarises,
				// kept so that a rewrite of the store writes it again.
				run.Metrics[i] = bench.Metric{Name: v.Unit, Unit: u, Better: b, Values: vals[i : i+1 : i+1]}
				if x.Iters > 1 {
					run.Metrics[i].Samples = x.Iters
				}
			}
		}
		if keep {
			runs = append(runs, run)
		}
		return nil
	})
	if err != nil {
		return info, err
	}
	if err := lateUnits(file, units, unitOf); err != nil {
		return info, err
	}
	flush(math.MaxInt)
	if mode&parseVerify != 0 && end.line > 0 {
		if err := end.verify(file, counted, len(blocks)); err != nil {
			return info, err
		}
	}
	info.runs = runs
	return info, nil
}

// storeLine reports whether a line that is not blank is one a perfgate store holds: a
// result ("Benchmark…"), a Unit line, or a '#' line (provenance, failures, comments). Go's
// benchmark format ignores other lines, so a store read as that format alone would read a
// run line damaged into something else as no line at all; the closing line's count would
// catch it, but only at its own line.
func storeLine(line []byte) bool {
	switch {
	case len(line) == 0, line[0] == '#', bytes.HasPrefix(line, []byte("Benchmark")), bytes.HasPrefix(line, []byte("Unit ")):
		return true
	}
	return len(bytes.TrimSpace(line)) == 0
}

// oneScaling refuses the metric name, whose unit is its name, first read at line, when it is a
// scaling of one of the metrics named before it (s/iter and ms/iter, TFLOPS/GPU and
// GFLOPS/GPU): a store holds each metric in one unit. The store is left as it is: converting
// its values on read would change what every command reads without a word, so the error says
// how to make the store whole.
func oneScaling(file string, line int, name string, named []string, unitOf map[string]firstUnit) error {
	for _, other := range named {
		f, ok := bench.ScaleOf(name, other)
		if !ok || other == name {
			continue
		}
		return bench.Errorf(file, line, "metric %q is a scaling of metric %q (first at line %d): a store keeps each metric in one unit, "+
			"and a check would compare neither with the other, passing a change as missing and new; "+
			"restore %s from git to before the update that stored %s beside %s and run that update again (perfgate converts it now), "+
			"or by hand multiply the %s values by %g, rename them %s, and delete the line 'Unit %s …'",
			name, other, unitOf[other].line, file, name, other, name, f, other, name)
	}
	return nil
}

// A firstUnit is a metric's unit as the store read it at the metric's first result line.
type firstUnit struct {
	unit string
	line int
}

// lateUnits refuses a Unit line whose unit= comes after the first result of its metric: the
// values were read in the unit known there, so the store would otherwise drop the unit=
// on its next rewrite, while the Go benchmark reader of the same file applies it. units
// is the file's unit metadata; the error names the lowest such Unit line.
func lateUnits(file string, units benchfmt.UnitMetadataMap, unitOf map[string]firstUnit) error {
	var late error
	lateLine := 0
	for name, first := range unitOf {
		u, line, err := gobench.MetricUnit(file, units, name)
		if err == nil && u == first.unit {
			continue
		}
		if late == nil || line < lateLine {
			if err == nil {
				err = bench.Errorf(file, line, "metric %q: its 'Unit %s' line gives unit=%s after the metric's first result at line %d; a store's Unit lines come before its results", name, name, u, first.line)
			}
			late, lateLine = err, line
		}
	}
	return late
}

// A slab hands out small slices cut from large allocations, so that a store of many runs
// costs a few allocations rather than two per run. Each slice is capped at its length, so an
// append to it never writes into its neighbour.
type slab[T any] struct{ buf []T }

func (s *slab[T]) take(n int) []T {
	if len(s.buf) < n {
		s.buf = make([]T, max(n, 4096))
	}
	out := s.buf[:n:n]
	s.buf = s.buf[n:]
	return out
}

func field(k, v string) string {
	if v == "" || strings.ContainsAny(v, " \t\"\\=") || !strconvIsPrint(v) {
		return k + "=" + strconv.Quote(v)
	}
	return k + "=" + v
}

// optField is " "+field(k, v), or "" when v is empty.
func optField(k, v string) string {
	if v == "" {
		return ""
	}
	return " " + field(k, v)
}

func strconvIsPrint(s string) bool {
	for _, r := range s {
		if !strconv.IsPrint(r) {
			return false
		}
	}
	return true
}

// Write writes runs in the store format. Every OK run becomes one line holding the centre of
// each metric's samples. The closing line records no window; Store.Save records its own.
func Write(w io.Writer, runs []bench.Run) error {
	return write(w, runs, false, 0)
}

// WriteSamples writes runs in Go benchmark format with one line per sample rather than per
// run, for benchstat and other tools. Provenance and failed runs are kept as '# perfgate'
// lines, as in the store.
func WriteSamples(w io.Writer, runs []bench.Run) error {
	return write(w, runs, true, 0)
}

func write(w io.Writer, runs []bench.Run, samples bool, window int) error {
	bw := bufio.NewWriter(w)
	if samples {
		fmt.Fprintln(bw, "# Written by perfgate convert: one line per sample. '# perfgate' lines carry provenance and failed runs.")
	} else {
		fmt.Fprintln(bw, fileHeader)
		fmt.Fprintln(bw, "# One result line per run: the run's median per metric; the count is its number of samples.")
		fmt.Fprintln(bw, "# '# perfgate' lines carry provenance and failed runs. Read it with: benchstat baseline.txt")
	}
	// Unit metadata, sorted, so benchstat and perfgate know each metric's direction, and
	// perfgate its unit where that is not its name.
	units, err := unitLines(runs, !samples)
	if err != nil {
		return err
	}
	for _, u := range units {
		fmt.Fprintln(bw, u)
	}
	var (
		batch      string
		end        closing // the closing line's counts
		launchLine string
		file       string // the source file of the block's runs so far
		line       []byte
		vals       []byte
		benchNames = map[string]string{} // benchmark name by config key: one per config, not per run
	)
	for i := range runs {
		r := &runs[i]
		// A block per batch, and another of the same batch where its runs' date or commit
		// changes (a shard that joined the night's batch later): each run keeps its own.
		if i == 0 || r.Batch != batch || r.Date != runs[i-1].Date || r.Commit != runs[i-1].Commit {
			batch, launchLine, file = r.Batch, "", r.File
			end.batches++
			fmt.Fprintf(bw, "\n%s%s%s%s%s\n", runPrefix, field("batch", r.Batch), optField("date", r.Date), optField("commit", r.Commit), optField("source", r.File))
		} else if r.File != file {
			// A run of another file in the block (a shard stored under the night's run id
			// after another, a directory's next log): it keeps its own source.
			file = r.File
			fmt.Fprintf(bw, "# perfgate %s\n", field("source", r.File))
		}
		if r.Args != nil || r.Formula != "" || launchLine != "" {
			if l := formatLaunch(r.Args, r.Formula); l != launchLine {
				launchLine = l
				fmt.Fprintln(bw, launchPrefix+l)
			}
		}
		key := r.ConfigKey()
		name, ok := benchNames[key]
		if !ok {
			name = r.BenchName()
			benchNames[key] = name
		}
		if r.Outcome != bench.OK {
			fmt.Fprintf(bw, "%s%s %s %s\n", failPrefix, r.Outcome, name, field("reason", r.Reason))
			end.runs++
			continue
		}
		if samples {
			writeSampleLines(bw, name, r.Metrics)
			continue
		}
		n := 0
		vals = vals[:0]
		for _, m := range r.Metrics {
			if len(m.Values) == 0 {
				continue
			}
			if c := m.Count(); c > n {
				n = c
			}
			c := bench.Center(m.Values)
			if math.IsNaN(c) || math.IsInf(c, 0) {
				return fmt.Errorf("%s: metric %q has no usable centre", r.Source, m.Name)
			}
			vals = append(vals, ' ')
			vals = strconv.AppendFloat(vals, c, 'g', 10, 64)
			vals = append(vals, ' ')
			vals = append(vals, m.Name...)
		}
		if n == 0 {
			continue
		}
		line = append(line[:0], name...)
		line = append(line, ' ')
		line = strconv.AppendInt(line, int64(n), 10)
		line = append(line, vals...)
		line = append(line, '\n')
		bw.Write(line)
		end.runs++
	}
	if !samples {
		end.window = window
		fmt.Fprintf(bw, "\n%s\n", end)
	}
	return bw.Flush()
}

// unitLines returns the store's 'Unit' metadata lines for the metrics of runs, sorted by
// metric name: "Unit NAME better=DIR", and " unit=UNIT" after it when the metric's unit is
// not its name (a JSON Lines metric such as peak-mem in GB). A result line names a metric
// by its name only, so the unit is kept here or lost; a metric whose unit is its name (every
// Go benchmark and trainer-log metric) has no unit= key, as in stores written before it.
// A metric in two units or with two directions is an error naming a run of each, and so, for
// a store (store set), are two metrics named by their units, one a scaling of the other
// (s/iter and ms/iter): Conform converts one to the other before anything is stored.
func unitLines(runs []bench.Run, store bool) ([]string, error) {
	type meta struct {
		better bench.Better
		unit   string
		source string
	}
	units := map[string]meta{}
	for i := range runs {
		for _, m := range runs[i].Metrics {
			u := m.Unit
			if u == m.Name {
				u = ""
			}
			have, ok := units[m.Name]
			if ok && have.unit != u {
				return nil, fmt.Errorf("%s: metric %q is in unit %q here but %q at %s; one metric has one unit in a store", runs[i].Source, m.Name, orName(u, m.Name), orName(have.unit, m.Name), have.source)
			}
			if ok && have.better != m.Better {
				return nil, fmt.Errorf("%s: metric %q is %s-is-better here but %s-is-better at %s; one metric has one direction in a store", runs[i].Source, m.Name, m.Better, have.better, have.source)
			}
			if ok {
				continue
			}
			if store && u == "" {
				for n, o := range units {
					if _, scaled := bench.ScaleOf(m.Name, n); scaled && o.unit == "" && n != m.Name {
						return nil, fmt.Errorf("%s: metric %q is a scaling of metric %q at %s; a store keeps each metric in one unit", runs[i].Source, m.Name, n, o.source)
					}
				}
			}
			if strings.IndexFunc(u, unicode.IsSpace) >= 0 {
				return nil, fmt.Errorf("%s: metric %q: unit %q contains a space", runs[i].Source, m.Name, u)
			}
			units[m.Name] = meta{m.Better, u, runs[i].Source}
		}
	}
	names := make([]string, 0, len(units))
	for n := range units {
		names = append(names, n)
	}
	sort.Strings(names)
	lines := make([]string, len(names))
	for i, n := range names {
		lines[i] = fmt.Sprintf("Unit %s better=%s", n, units[n].better)
		if u := units[n].unit; u != "" {
			lines[i] += " unit=" + u
		}
	}
	return lines, nil
}

func orName(unit, name string) string {
	if unit == "" {
		return name
	}
	return unit
}

// writeSampleLines writes the i-th sample of every metric that has one on line i.
func writeSampleLines(w io.Writer, name string, ms []bench.Metric) {
	for i := 0; ; i++ {
		var vals strings.Builder
		for _, m := range ms {
			if i < len(m.Values) {
				fmt.Fprintf(&vals, " %s %s", strconv.FormatFloat(m.Values[i], 'g', -1, 64), m.Name)
			}
		}
		if vals.Len() == 0 {
			return
		}
		fmt.Fprintf(w, "%s 1%s\n", name, vals.String())
	}
}

// A source is a '# perfgate source=' line: the source file of the runs after it in its block.
type source struct {
	line int
	file string
}

// A launch is a '# perfgate launch' line: the fingerprint and formula of the runs after it.
type launch struct {
	line    int
	args    map[string]string
	formula string
}

// parseLaunch parses the fields of a launch line: "formula=NAME" and "arg.NAME=VALUE".
func parseLaunch(s string) (launch, error) {
	kv, err := gobench.ParseFields(s)
	if err != nil {
		return launch{}, err
	}
	var ln launch
	for k, v := range kv {
		switch {
		case k == "formula":
			ln.formula = v
		case strings.HasPrefix(k, "arg.") && len(k) > len("arg."):
			if ln.args == nil {
				ln.args = map[string]string{}
			}
			ln.args[strings.TrimPrefix(k, "arg.")] = v
		default:
			return launch{}, fmt.Errorf("unknown field %q (want formula= or arg.NAME=)", k)
		}
	}
	return ln, nil
}

// formatLaunch returns the fields of the launch line for args and formula, each after a
// space, sorted; "" when there are none.
func formatLaunch(args map[string]string, formula string) string {
	var b strings.Builder
	if formula != "" {
		b.WriteString(" " + field("formula", formula))
	}
	keys := make([]string, 0, len(args))
	for k := range args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString(" " + field("arg."+k, args[k]))
	}
	return b.String()
}
