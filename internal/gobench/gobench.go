// Package gobench is the one reader of the Go benchmark format (golang.org/x/perf/benchfmt)
// that ingest (results files) and baseline (the store) share, and the one rule for turning a
// benchmark name into a config, the inverse of bench.Config.BenchName.
//
// benchfmt parses every line; this package adds what both callers need on top of it, once:
// results in file order with the unit and value as written, positioned errors, and configs
// interned per distinct (file configuration, name), so that a file of many result lines per
// config costs one config map and one key string per config, not per line.
package gobench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/perf/benchfmt"

	"github.com/perfgate/perfgate/bench"
)

// A Value is one measurement of a result line: the unit and value as written, and the unit as
// benchfmt tidies it (under which unit metadata may be filed).
type Value struct {
	Unit  string
	Value float64
	Tidy  string
}

// A Result is one result line. Everything in it is reused by the next line.
type Result struct {
	Line int
	// Name is the benchmark name without its "Benchmark" prefix, as benchfmt reports it.
	Name benchfmt.Name
	// FileConfig is the file configuration in effect ("key: value" lines above the result).
	FileConfig []benchfmt.Config
	// Units is the unit metadata read so far.
	Units  benchfmt.UnitMetadataMap
	Values []Value
	// Iters is the line's iteration count field (a perfgate store: the run's sample count).
	Iters int
}

// Read calls fn for every result line of r, in file order, and returns the file's unit
// metadata. A malformed line is a *bench.SyntaxError naming file and line; an error from fn
// stops the read and is returned as is.
//
// benchfmt does the parsing. A fast path of perfgate's own for plain ASCII lines was tried
// (with a differential fuzz test against benchfmt) and measured no faster: benchfmt already
// parses a line without allocating, and the time goes to splitting fields and parsing floats,
// which any reader must do.
//
// benchfmt reads lines of at most maxLine bytes. A longer line that benchfmt ignores (a
// store's failure line quoting a long log line, a test's log output) is read as blank; a
// longer result, unit or configuration line is a *bench.SyntaxError naming it, not an I/O
// error naming the line before.
func Read(file string, r io.Reader, fn func(*Result) error) (benchfmt.UnitMetadataMap, error) {
	return ReadFailures(file, r, fn, nil)
}

// FailPrefix starts a failed run's line, as perfgate's store and "perfgate convert" write it:
// "# perfgate fail OUTCOME NAME reason=…". benchfmt reads it as a comment.
const FailPrefix = "# perfgate fail "

// ReadFailures is Read, and also calls failed, when it is not nil, with the line number and
// text (without its end of line) of every failure line of up to MaxFailureLine bytes, before
// the result lines that follow it; a longer failure line is a *bench.SyntaxError naming it. An
// error from failed stops the read and is returned as is.
func ReadFailures(file string, r io.Reader, fn func(*Result) error, failed func(line int, text string) error) (benchfmt.UnitMetadataMap, error) {
	guard := &lineGuard{r: bufio.NewReaderSize(r, maxLine), file: file, failed: failed}
	br := benchfmt.NewReader(guard, file)
	var res Result
	for br.Scan() {
		switch x := br.Result().(type) {
		case *benchfmt.SyntaxError:
			return nil, &bench.SyntaxError{File: file, Line: x.Line, Msg: x.Msg}
		case *benchfmt.Result:
			_, res.Line = x.Pos()
			res.Name = x.Name
			res.FileConfig = x.Config
			res.Units = br.Units()
			res.Iters = x.Iters
			res.Values = res.Values[:0]
			for _, v := range x.Values {
				// Units as written: the tidied form would turn perfgate's own
				// MB-max-allocated into B-max-allocated ×1e6.
				if v.OrigUnit != "" {
					res.Values = append(res.Values, Value{Unit: v.OrigUnit, Value: v.OrigValue, Tidy: v.Unit})
				} else {
					res.Values = append(res.Values, Value{Unit: v.Unit, Value: v.Value, Tidy: v.Unit})
				}
			}
			if err := fn(&res); err != nil {
				return nil, err
			}
		}
	}
	if guard.long != nil {
		return nil, guard.long
	}
	if err := br.Err(); err != nil {
		return nil, err
	}
	return br.Units(), nil
}

// maxLine is the longest line, with its end of line, that benchfmt's line scanner accepts.
const maxLine = bufio.MaxScanTokenSize

// MaxFailureLine is the longest failure line, with its end of line, that ReadFailures reads;
// a longer one is a *bench.SyntaxError naming it, read no further. perfgate writes reasons of
// a few hundred bytes; the bound is far above that and keeps a line without end (a damaged or
// hostile file) from taking all memory.
const MaxFailureLine = 1 << 20

// A lineGuard passes its reader's lines on to benchfmt, replacing a line longer than maxLine
// that benchfmt ignores by a blank line (keeping the line numbers) and ending the input at
// any other such line, with a positioned error in long.
type lineGuard struct {
	r       *bufio.Reader
	file    string
	line    int    // lines read so far
	pending []byte // the rest of the current line, not yet passed on
	err     error  // the reader's error (io.EOF at its end), returned once pending is passed on
	long    error  // a line too long for benchfmt, or failed's error: the read ends with it
	// failed, when set, is called with every failure line (FailPrefix).
	failed func(line int, text string) error
	text   []byte // the failure line being read, reused
}

func (g *lineGuard) Read(p []byte) (int, error) {
	for len(g.pending) == 0 {
		if g.err != nil {
			return 0, g.err
		}
		line, err := g.r.ReadSlice('\n')
		if len(line) > 0 {
			g.line++
		}
		if g.failed != nil && bytes.HasPrefix(line, []byte(FailPrefix)) {
			g.text = append(g.text[:0], line...)
			for errors.Is(err, bufio.ErrBufferFull) { // a reason quoting a long log line
				line, err = g.r.ReadSlice('\n')
				g.text = append(g.text, line...)
				if len(g.text) > MaxFailureLine {
					// Not read to its end: a line without end would take all memory.
					g.long = &bench.SyntaxError{File: g.file, Line: g.line, Msg: fmt.Sprintf("failure line longer than %d bytes, the longest perfgate reads", MaxFailureLine)}
					g.err = io.EOF
					return 0, io.EOF
				}
			}
			if ferr := g.failed(g.line, strings.TrimRight(string(g.text), "\r\n")); ferr != nil {
				g.long, g.err = ferr, io.EOF
				return 0, io.EOF
			}
			line = []byte{'\n'} // benchfmt would skip it as a comment
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			if benchfmtReads(line) {
				g.long = &bench.SyntaxError{File: g.file, Line: g.line, Msg: fmt.Sprintf("line longer than %d bytes, the longest the Go benchmark format reader accepts", maxLine)}
				g.err = io.EOF
				return 0, io.EOF
			}
			for errors.Is(err, bufio.ErrBufferFull) { // skip the rest of the comment
				_, err = g.r.ReadSlice('\n')
			}
			line = []byte{'\n'}
		}
		g.pending, g.err = line, err
	}
	n := copy(p, g.pending)
	g.pending = g.pending[n:]
	return n, nil
}

// benchfmtReads reports whether benchfmt reads a line that starts with start (a line's first
// maxLine bytes): a result line, a unit line, or a "key: value" configuration line (a key
// begins with a lower-case letter and holds no space or upper-case letter). A start it cannot
// tell is read.
func benchfmtReads(start []byte) bool {
	if bytes.HasPrefix(start, []byte("Benchmark")) {
		return true
	}
	if f, _, _ := bytes.Cut(start, []byte(" ")); bytes.Equal(bytes.TrimRight(f, "\t\r\n"), []byte("Unit")) || bytes.HasPrefix(f, []byte("Unit\t")) {
		return true
	}
	for i := 0; i < len(start); {
		r, n := utf8.DecodeRune(start[i:])
		switch {
		case i == 0 && !unicode.IsLower(r), unicode.IsSpace(r), unicode.IsUpper(r):
			return false
		case i > 0 && r == ':':
			return true
		}
		i += n
	}
	return true
}

// trainBase is bench.TrainBenchmark as benchfmt reports names, without "Benchmark".
var trainBase = strings.TrimPrefix(bench.TrainBenchmark, "Benchmark")

// ConfigOf turns a benchmark name without its "Benchmark" prefix (as benchfmt reports names)
// into a config. It
// is the inverse of bench.Config.BenchName and the only such rule in perfgate:
//
//   - the base name "BenchmarkTrain" adds no key; any other base name is key "bench";
//   - each "/key=value" part is a key, with %-escapes undone;
//   - a "/part" without "=" is appended to "bench" with a "/";
//   - a final "-N" (GOMAXPROCS, as go test writes it) is key "procs".
//
// A key given twice is an error. strict, for perfgate's own store, also refuses what
// BenchName never writes: another base name, parts without "=", "-N" and bad %-escapes;
// otherwise a bad %-escape is kept as written.
func ConfigOf(name []byte, strict bool) (bench.Config, error) {
	n := benchfmt.Name(name)
	base, parts := n.Parts()
	cfg := make(bench.Config, len(parts))
	var bare []string
	if string(base) != trainBase {
		if strict {
			return nil, fmt.Errorf("benchmark name %q does not start with %s/", "Benchmark"+string(n), bench.TrainBenchmark)
		}
		bare = append(bare, string(base))
	}
	for _, p := range parts {
		if p[0] == '-' {
			if strict {
				return nil, fmt.Errorf("benchmark name %q ends in a GOMAXPROCS suffix %q, which perfgate never writes", "Benchmark"+string(n), p)
			}
			if _, dup := cfg["procs"]; dup {
				return nil, fmt.Errorf("config key %q appears twice", "procs")
			}
			cfg["procs"] = string(p[1:])
			continue
		}
		kv := string(p[1:])
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			if strict {
				return nil, fmt.Errorf("config part %q is not key=value", kv)
			}
			bare = append(bare, kv)
			continue
		}
		uk, err1 := url.PathUnescape(k)
		uv, err2 := url.PathUnescape(v)
		switch {
		case err1 == nil && err2 == nil:
			k, v = uk, uv
		case strict:
			return nil, fmt.Errorf("config part %q has a bad %%-escape", kv)
		case err1 == nil:
			k = uk
		case err2 == nil:
			v = uv
		}
		if _, dup := cfg[k]; dup {
			return nil, fmt.Errorf("config key %q appears twice", k)
		}
		cfg[k] = v
	}
	if len(bare) > 0 {
		if _, dup := cfg["bench"]; dup {
			return nil, fmt.Errorf("config key %q appears twice", "bench")
		}
		cfg["bench"] = strings.Join(bare, "/")
	}
	// Flags are read through the flag vocabulary, as tables and logs are, so that a store or
	// a result written before a spelling changed ("block+recompute", "distributed-optimizer")
	// still meets the configs read today ("recompute-block", "dist-opt").
	if f, ok := cfg["flags"]; ok {
		cfg["flags"] = bench.CanonicalFlags(f)
	}
	return cfg, nil
}

// An Entry is the interned config of a benchmark name under one file configuration.
type Entry struct {
	Config bench.Config
	Key    string // Config.Key()
	// Prov holds the file configuration keys the Interner was told are provenance. Entries
	// under one file configuration share it: do not modify.
	Prov map[string]string
	Err  error // the name's config error, if any
}

// An Interner maps result lines to interned configs: one Entry per distinct name and file
// configuration, one Config and key string per distinct config.
type Interner struct {
	// Strict selects ConfigOf's strict mode.
	Strict bool
	// Provenance lists file configuration keys that are not config (for example "commit").
	Provenance map[string]bool
	// Shared, when set (and Strict is not), also interns the configs of names read with no
	// file configuration across every Interner that shares it, such as the files of one read.
	Shared *Shared

	byName  map[string]*Entry
	byKey   map[string]bench.Config
	keys    []string // file configuration the byName cache is for
	vals    [][]byte
	withCfg bool              // the file configuration has config keys
	prov    map[string]string // its provenance keys
	// last is the entry of the last name asked for, lastName that name.
	last     *Entry
	lastName []byte
}

// Name returns the entry of a benchmark name (without "Benchmark") with no file configuration.
func (in *Interner) Name(name []byte) *Entry { return in.Of(&Result{Name: name}) }

// Of returns the entry of res's name under its file configuration.
func (in *Interner) Of(res *Result) *Entry {
	if in.byName == nil {
		in.byName = map[string]*Entry{}
		in.byKey = map[string]bench.Config{}
	}
	if !in.sameFileConfig(res.FileConfig) {
		clear(in.byName)
		in.last = nil
		in.keys, in.vals = in.keys[:0], in.vals[:0]
		in.withCfg, in.prov = false, nil
		for _, c := range res.FileConfig {
			in.keys = append(in.keys, c.Key)
			in.vals = append(in.vals, bytes.Clone(c.Value))
			if in.Provenance[c.Key] {
				if in.prov == nil {
					in.prov = map[string]string{}
				}
				in.prov[c.Key] = string(c.Value)
			} else {
				in.withCfg = true // a key of the config, not provenance
			}
		}
	}
	// A config's result lines tend to come one after another (an iteration a line): the
	// last name is checked before the map.
	if in.last != nil && bytes.Equal(res.Name, in.lastName) {
		return in.last
	}
	e := in.byName[string(res.Name)]
	in.lastName = append(in.lastName[:0], res.Name...)
	if e != nil {
		in.last = e
		return e
	}
	e = &Entry{Prov: in.prov}
	in.byName[string(res.Name)] = e
	in.last = e
	// Names under a file configuration of provenance only (or none) have the same config in
	// every file: those are what Shared holds.
	shared := in.Shared != nil && !in.Strict && !in.withCfg
	if shared {
		if v, ok := in.Shared.m.Load(string(res.Name)); ok {
			se := v.(*Entry)
			e.Config, e.Key = se.Config, se.Key
			in.byKey[e.Key] = e.Config
			return e
		}
	}
	cfg, err := ConfigOf(res.Name, in.Strict)
	if err != nil {
		e.Err = err
		return e
	}
	if in.withCfg {
		full := make(bench.Config, len(cfg)+len(res.FileConfig))
		for _, c := range res.FileConfig {
			if !in.Provenance[c.Key] {
				full[c.Key] = string(c.Value)
			}
		}
		for k, v := range cfg { // the name's keys override the file's
			full[k] = v
		}
		cfg = full
	}
	e.Key = cfg.Key()
	if known, ok := in.byKey[e.Key]; ok {
		cfg = known
	}
	if shared {
		// Files are read concurrently: two may miss the Load above for one name. The first
		// to store wins, and the other adopts its config, so every file shares one map.
		if v, loaded := in.Shared.m.LoadOrStore(string(res.Name), &Entry{Config: cfg, Key: e.Key}); loaded {
			cfg = v.(*Entry).Config
		}
	}
	in.byKey[e.Key] = cfg
	e.Config = cfg
	return e
}

// Shared interns configs across Interners; it is safe for concurrent use. The zero value is
// ready.
type Shared struct{ m sync.Map }

func (in *Interner) sameFileConfig(fc []benchfmt.Config) bool {
	if len(fc) != len(in.keys) || in.byName == nil {
		return false
	}
	for i, c := range fc {
		if c.Key != in.keys[i] || !bytes.Equal(c.Value, in.vals[i]) {
			return false
		}
	}
	return true
}

// A Failure is a failure line: FailPrefix OUTCOME NAME, then key=value fields (ParseFields),
// of which perfgate writes reason=.
type Failure struct {
	Outcome bench.Outcome // oom or error, never OK
	// Name is the benchmark name without its "Benchmark" prefix, as Interner.Name takes it;
	// Prefixed reports that it had the prefix.
	Name     string
	Prefixed bool
	Fields   map[string]string // the fields after the name, reason= among them
}

// Reason is the failure's reason= field, "" when it has none.
func (f *Failure) Reason() string { return f.Fields["reason"] }

// failureWant is what a failure line looks like, for errors.
const failureWant = "want '# perfgate fail OUTCOME NAME reason=\"…\"'"

// ParseFailure reads a failure line (FailPrefix OUTCOME NAME reason=…, as perfgate writes
// it), the one reader of the line for the store and for results. It is as lenient as the
// store has always been, so that every store a perfgate wrote still reads: the name may lack
// its "Benchmark" prefix, and any key=value fields may follow it. What a results file must
// hold besides is CheckResult's. Errors start with "failure line:"; the caller adds the
// file and line.
func ParseFailure(text string) (Failure, error) {
	rest, ok := strings.CutPrefix(text, FailPrefix)
	f := strings.Fields(rest)
	if !ok || len(f) < 2 {
		return Failure{}, errors.New("failure line: " + failureWant)
	}
	o, ok := bench.ParseOutcome(f[0])
	if !ok || o == bench.OK {
		return Failure{}, fmt.Errorf("failure line: outcome %q is not oom or error", f[0])
	}
	name, prefixed := strings.CutPrefix(f[1], "Benchmark")
	rest = strings.TrimSpace(rest)
	rest = strings.TrimSpace(strings.TrimPrefix(rest, f[0]))
	rest = strings.TrimSpace(strings.TrimPrefix(rest, f[1]))
	kv, err := ParseFields(rest)
	if err != nil {
		return Failure{}, fmt.Errorf("failure line: %v", err)
	}
	return Failure{Outcome: o, Name: name, Prefixed: prefixed, Fields: kv}, nil
}

// CheckResult refuses what a store's failure line may hold but a results file's may not: a
// name that is not a benchmark name, and a field other than reason=, which perfgate convert
// never writes and which would be dropped without a word.
func (f *Failure) CheckResult() error {
	if !f.Prefixed || f.Name == "" {
		written := f.Name
		if f.Prefixed {
			written = "Benchmark" + written
		}
		return fmt.Errorf("failure line: %q is not a benchmark name", written)
	}
	for k := range f.Fields {
		if k != "reason" {
			return errors.New("failure line: " + failureWant)
		}
	}
	return nil
}

// ParseFields parses space-separated key=value pairs whose values may be Go-quoted, as the
// '# perfgate' lines of a store and of perfgate convert's output hold them. A key appears
// at most once.
func ParseFields(s string) (map[string]string, error) {
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
