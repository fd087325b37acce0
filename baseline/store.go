package baseline

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"

	"github.com/perfgate/perfgate/bench"
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
// in blocks, one per ingested batch, each opened by a provenance line, and failed runs are
// kept as lines benchstat ignores:
//
//	# perfgate run batch=nightly-1234 date=2026-11-24T03:00:00Z commit=abc123 source=sweep.txt
//	BenchmarkTrain/tp=8/pp=4/mbs=1/gbs=1024/flags=none/sl=4096/nodes=32 1 46.3 s/iter 148.59 TFLOPS/GPU
//	# perfgate fail oom BenchmarkTrain/tp=8/pp=8/mbs=4/gbs=1024/flags=none/sl=4096/nodes=32 reason="sweep.txt:11: OOM in the time column"
//
// Runs read from trainer logs may carry a launch fingerprint (bench.Run.Args) and the FLOPs
// formula their logged TFLOPS match (bench.Run.Formula). A '# perfgate launch' line holds
// them for the result and failure lines that follow it in its block, up to the next launch
// line; runs of a sweep share one:
//
//	# perfgate launch formula=megatron arg.sequence_parallel=True arg.transformer_impl=transformer_engine
type Store struct {
	// Dir is the baseline directory.
	Dir string
	// Runs are the stored runs, oldest first. Each OK run holds one value per metric.
	Runs []bench.Run
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
	runs, err := Parse(s.Path(), data)
	if err != nil {
		return nil, err
	}
	s.Runs = runs
	return s, nil
}

const (
	runPrefix    = "# perfgate run "
	failPrefix   = "# perfgate fail "
	launchPrefix = "# perfgate launch"
	fileHeader   = "# perfgate baseline v1"
)

// A block is one provenance line and the line numbers it covers.
type block struct {
	line                        int
	batch, date, commit, source string
}

// Parse reads a store file's content. file names it in errors.
func Parse(file string, data []byte) ([]bench.Run, error) {
	// First pass: provenance and failure lines, which benchfmt skips.
	var (
		blocks   []block
		launches []launch
		failures = map[int]bench.Run{}
		batches  = map[string]int{}
		sawHead  bool
	)
	lineNo := 0
	for rest := data; len(rest) > 0; {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte("\n"))
		lineNo++
		l := string(bytes.TrimRight(line, "\r"))
		switch {
		case lineNo == 1:
			if l != fileHeader {
				return nil, bench.Errorf(file, 1, "not a perfgate baseline: the first line must be %q", fileHeader)
			}
			sawHead = true
		case strings.HasPrefix(l, runPrefix):
			kv, err := parseFields(strings.TrimPrefix(l, runPrefix))
			if err != nil {
				return nil, bench.Errorf(file, lineNo, "run line: %v", err)
			}
			b := block{line: lineNo, batch: kv["batch"], date: kv["date"], commit: kv["commit"], source: kv["source"]}
			if b.batch == "" {
				return nil, bench.Errorf(file, lineNo, "run line has no batch=")
			}
			if prev, dup := batches[b.batch]; dup {
				return nil, bench.Errorf(file, lineNo, "batch %q already opened at line %d", b.batch, prev)
			}
			batches[b.batch] = lineNo
			blocks = append(blocks, b)
		case strings.HasPrefix(l, failPrefix):
			if len(blocks) == 0 {
				return nil, bench.Errorf(file, lineNo, "failure line before any '# perfgate run' line")
			}
			f := strings.Fields(strings.TrimPrefix(l, failPrefix))
			if len(f) < 2 {
				return nil, bench.Errorf(file, lineNo, "failure line: want '# perfgate fail OUTCOME NAME reason=\"…\"'")
			}
			o, ok := bench.ParseOutcome(f[0])
			if !ok || o == bench.OK {
				return nil, bench.Errorf(file, lineNo, "failure line: outcome %q is not oom or error", f[0])
			}
			cfg, err := configOf(f[1])
			if err != nil {
				return nil, bench.Errorf(file, lineNo, "failure line: %v", err)
			}
			rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(l, failPrefix), f[0]), " "))
			rest = strings.TrimSpace(strings.TrimPrefix(rest, f[1]))
			kv, err := parseFields(rest)
			if err != nil {
				return nil, bench.Errorf(file, lineNo, "failure line: %v", err)
			}
			failures[lineNo] = bench.Run{Config: cfg, Outcome: o, Reason: kv["reason"]}
		case l == launchPrefix || strings.HasPrefix(l, launchPrefix+" "):
			if len(blocks) == 0 {
				return nil, bench.Errorf(file, lineNo, "launch line before any '# perfgate run' line")
			}
			ln, err := parseLaunch(strings.TrimPrefix(l, launchPrefix))
			if err != nil {
				return nil, bench.Errorf(file, lineNo, "launch line: %v", err)
			}
			ln.line = lineNo
			launches = append(launches, ln)
		case strings.HasPrefix(l, "# perfgate"):
			// Comments of the format itself.
		}
	}
	if !sawHead {
		return nil, bench.Errorf(file, 1, "not a perfgate baseline: empty file")
	}
	blockAt := func(line int) *block {
		i := sort.Search(len(blocks), func(i int) bool { return blocks[i].line > line }) - 1
		if i < 0 {
			return nil
		}
		return &blocks[i]
	}
	prov := func(r *bench.Run, b *block, line int) {
		r.Batch, r.Date, r.Commit, r.File = b.batch, b.date, b.commit, b.source
		r.Source = file + ":" + strconv.Itoa(line)
		// The launch line in force: the last one before line, within its block.
		i := sort.Search(len(launches), func(i int) bool { return launches[i].line > line }) - 1
		if i >= 0 && launches[i].line > b.line {
			r.Args, r.Formula = launches[i].args, launches[i].formula
		}
	}

	// Second pass: results, with benchfmt.
	type rec struct {
		line int
		run  bench.Run
	}
	var recs []rec
	for line, r := range failures {
		prov(&r, blockAt(line), line)
		recs = append(recs, rec{line, r})
	}
	br := benchfmt.NewReader(bytes.NewReader(data), file)
	for br.Scan() {
		switch x := br.Result().(type) {
		case *benchfmt.SyntaxError:
			return nil, &bench.SyntaxError{File: file, Line: x.Line, Msg: x.Msg}
		case *benchfmt.Result:
			_, line := x.Pos()
			b := blockAt(line)
			if b == nil {
				return nil, bench.Errorf(file, line, "result line before any '# perfgate run' line")
			}
			if len(x.Config) > 0 {
				return nil, bench.Errorf(file, line, "unexpected file configuration %q: a baseline keeps provenance in '# perfgate run' lines", x.Config[0].Key)
			}
			cfg, err := configOf(x.Name.String())
			if err != nil {
				return nil, bench.Errorf(file, line, "%v", err)
			}
			run := bench.Run{Config: cfg, Outcome: bench.OK}
			prov(&run, b, line)
			seen := map[string]bool{}
			for _, v := range x.Values {
				unit, value := v.OrigUnit, v.OrigValue
				if unit == "" { // benchfmt left the unit as it was
					unit, value = v.Unit, v.Value
				}
				if seen[unit] {
					return nil, bench.Errorf(file, line, "metric %q appears twice", unit)
				}
				seen[unit] = true
				better := bench.Unknown
				if md := br.Units().Get(unit, "better"); md != nil {
					better, _ = bench.ParseBetter(md.Value)
				}
				if better == bench.Unknown {
					return nil, bench.Errorf(file, line, "metric %q has no 'Unit %s better=higher|lower' line", unit, unit)
				}
				if msg := bench.CheckValue(value, better); msg != "" {
					return nil, bench.Errorf(file, line, "metric %q: %s", unit, msg)
				}
				run.Metrics = append(run.Metrics, bench.Metric{Name: unit, Unit: unit, Better: better, Values: []float64{value}})
			}
			recs = append(recs, rec{line, run})
		}
	}
	if err := br.Err(); err != nil {
		return nil, err
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].line < recs[j].line })
	runs := make([]bench.Run, len(recs))
	for i, r := range recs {
		runs[i] = r.run
	}
	return runs, nil
}

// configOf parses a stored benchmark name back into its config.
// The name may omit the "Benchmark" prefix, as benchfmt reports names.
func configOf(name string) (bench.Config, error) {
	full := "Benchmark" + strings.TrimPrefix(name, "Benchmark")
	name = strings.TrimPrefix(full, bench.TrainBenchmark)
	if name == "" {
		return bench.Config{}, nil
	}
	if !strings.HasPrefix(name, "/") {
		return nil, fmt.Errorf("benchmark name %q does not start with %s/", full, bench.TrainBenchmark)
	}
	return bench.ParseKey(name[1:])
}

// parseFields parses space-separated key=value pairs whose values may be Go-quoted.
func parseFields(s string) (map[string]string, error) {
	kv := map[string]string{}
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		eq := strings.IndexByte(s, '=')
		if eq <= 0 || strings.ContainsAny(s[:eq], " \t") {
			return nil, fmt.Errorf("want key=value, got %q", s)
		}
		key := s[:eq]
		s = s[eq+1:]
		var val string
		if strings.HasPrefix(s, `"`) {
			q, err := strconv.QuotedPrefix(s)
			if err != nil {
				return nil, fmt.Errorf("%s: bad quoted value", key)
			}
			val, _ = strconv.Unquote(q)
			s = s[len(q):]
		} else {
			end := strings.IndexAny(s, " \t")
			if end < 0 {
				end = len(s)
			}
			val, s = s[:end], s[end:]
		}
		if _, dup := kv[key]; dup {
			return nil, fmt.Errorf("%s= appears twice", key)
		}
		kv[key] = val
	}
	return kv, nil
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
// each metric's samples.
func Write(w io.Writer, runs []bench.Run) error {
	return write(w, runs, false)
}

// WriteSamples writes runs in Go benchmark format with one line per sample rather than per
// run, for benchstat and other tools. Provenance and failed runs are kept as '# perfgate'
// lines, as in the store.
func WriteSamples(w io.Writer, runs []bench.Run) error {
	return write(w, runs, true)
}

func write(w io.Writer, runs []bench.Run, samples bool) error {
	bw := bufio.NewWriter(w)
	if samples {
		fmt.Fprintln(bw, "# Written by perfgate convert: one line per sample. '# perfgate' lines carry provenance and failed runs.")
	} else {
		fmt.Fprintln(bw, fileHeader)
		fmt.Fprintln(bw, "# One result line per run: the run's median per metric; the count is its number of samples.")
		fmt.Fprintln(bw, "# '# perfgate' lines carry provenance and failed runs. Read it with: benchstat baseline.txt")
	}
	// Unit metadata, sorted, so benchstat and perfgate know each metric's direction.
	units := map[string]bench.Better{}
	for _, r := range runs {
		for _, m := range r.Metrics {
			units[m.Name] = m.Better
		}
	}
	names := make([]string, 0, len(units))
	for n := range units {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(bw, "Unit %s better=%s\n", n, units[n])
	}
	var batch, launchLine string
	for i, r := range runs {
		if i == 0 || r.Batch != batch {
			batch, launchLine = r.Batch, ""
			fmt.Fprintf(bw, "\n%s%s%s%s%s\n", runPrefix, field("batch", r.Batch), optField("date", r.Date), optField("commit", r.Commit), optField("source", r.File))
		}
		if l := formatLaunch(r.Args, r.Formula); l != launchLine {
			launchLine = l
			fmt.Fprintln(bw, launchPrefix+l)
		}
		name := r.Config.BenchName()
		if r.Outcome != bench.OK {
			fmt.Fprintf(bw, "%s%s %s %s\n", failPrefix, r.Outcome, name, field("reason", r.Reason))
			continue
		}
		if samples {
			writeSampleLines(bw, name, r.Metrics)
			continue
		}
		n := 0
		var vals strings.Builder
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
			fmt.Fprintf(&vals, " %s %s", strconv.FormatFloat(c, 'g', 10, 64), m.Name)
		}
		if n == 0 {
			continue
		}
		fmt.Fprintf(bw, "%s %d%s\n", name, n, vals.String())
	}
	return bw.Flush()
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

// A launch is a '# perfgate launch' line: the fingerprint and formula of the runs after it.
type launch struct {
	line    int
	args    map[string]string
	formula string
}

// parseLaunch parses the fields of a launch line: "formula=NAME" and "arg.NAME=VALUE".
func parseLaunch(s string) (launch, error) {
	kv, err := parseFields(s)
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
