package bench

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// An Outcome says how a training run ended.
type Outcome string

// The outcomes of a run.
const (
	OK    Outcome = "ok"    // the run produced measurements
	OOM   Outcome = "oom"   // the run ran out of device memory
	Error Outcome = "error" // the run failed for another reason, or logged no iterations
)

// ParseOutcome parses "ok", "oom" or "error" (any case).
func ParseOutcome(s string) (Outcome, bool) {
	switch o := Outcome(strings.ToLower(strings.TrimSpace(s))); o {
	case OK, OOM, Error:
		return o, true
	}
	return "", false
}

// Better is the direction in which a metric improves.
type Better int

// The directions of a metric.
const (
	Unknown Better = 0
	Higher  Better = 1  // throughput-like: larger is better
	Lower   Better = -1 // time-like: smaller is better
)

func (b Better) String() string {
	switch b {
	case Higher:
		return "higher"
	case Lower:
		return "lower"
	}
	return "unknown"
}

// ParseBetter parses "higher" or "lower".
func ParseBetter(s string) (Better, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "higher":
		return Higher, true
	case "lower":
		return Lower, true
	}
	return Unknown, false
}

// Canonical metric names. Every trainer format reports its numbers under these names so that
// a table baseline and a log-based PR run compare.
const (
	MetricTime     = "s/iter"           // seconds per iteration, lower is better
	MetricTFLOPS   = "TFLOPS/GPU"       // model TFLOP/s per GPU, higher is better
	MetricMaxAlloc = "MB-max-allocated" // peak allocated device memory, lower is better
)

// A Metric is one measured quantity of a run, with every sample the run produced for it.
type Metric struct {
	// Name identifies the metric across runs, for example "TFLOPS/GPU" or "sec/op".
	Name string
	// Unit is the unit the values are in. It is usually equal to Name.
	Unit string
	// Better is the metric's direction; Unknown means it was not given and not inferable.
	Better Better
	// Values are the samples in the order they were measured (for example one per
	// iteration, after warm-up was dropped). A table row has one value.
	Values []float64
	// Samples, when positive, is the number of samples Values stands for after Compact
	// replaced them by their median.
	Samples int
}

// Count returns the number of samples the metric holds or stands for.
func (m *Metric) Count() int {
	if m.Samples > 0 {
		return m.Samples
	}
	return len(m.Values)
}

// A Run is the result of one training job for one config: its outcome and its metrics.
// The run, not the iteration, is the statistical sampling unit of perfgate.
type Run struct {
	// Config identifies what was run: tp, pp, mbs, gbs, flags, sl, nodes and any other keys.
	Config Config
	// Key caches Config.Key(). Readers set it once per distinct config (they intern configs,
	// so runs of one config share one Config map and one key string); it is empty when not
	// known. Use ConfigKey, never Key directly. Code that changes Config must clear Key.
	Key string
	// SetFrom is the config as its input gave it, before --set (ingest Options.Set) overrode
	// or added keys; nil when no --set was given. Reading several files, two runs that --set
	// makes one config must not have given a key it sets two values.
	SetFrom Config
	// Outcome is how the run ended. Runs that did not end OK usually carry no metrics.
	Outcome Outcome
	// Reason explains a failed outcome, quoting the input that proves it.
	Reason string
	// Metrics are the run's measurements.
	Metrics []Metric
	// Source is where the run was read, as "file:line".
	Source string
	// File is the base name of the results file the run was first read from. Unlike Source
	// it survives a round trip through the baseline store, as provenance.
	File string
	// Batch identifies the ingest the run came from: one results file or one sweep. Several
	// runs of one config may share a batch (the seed table lists a config twice).
	Batch string
	// Date and Commit record provenance when the input knows them (RFC 3339 date, git SHA).
	Date, Commit string
	// Notes are caveats from ingest that the report should show, such as a log cut off by a
	// time limit.
	Notes []string
	// Args fingerprint how the run was launched: the launch arguments its input recorded
	// (a Megatron-LM argument dump) that are not part of Config, by name, without per-run
	// noise such as paths, seeds and ports. Nil when the input records none. A flipped
	// argument between baseline and new runs of one config is args drift, not a new config.
	Args map[string]string
	// Formula is the FLOPs formula (a flops.Formula name) that the run's logged TFLOPS/GPU
	// match, when ingest could tell from the logged time and model shape; "" otherwise.
	Formula string
}

// ConfigKey returns the canonical key of the run's config, computing it only when no reader
// cached it.
func (r *Run) ConfigKey() string {
	if r.Key != "" {
		return r.Key
	}
	return r.Config.Key()
}

// Metric returns the run's metric called name, or nil.
func (r *Run) Metric(name string) *Metric {
	for i := range r.Metrics {
		if r.Metrics[i].Name == name {
			return &r.Metrics[i]
		}
	}
	return nil
}

// A Config is the set of keys that identify a benchmarked configuration.
type Config map[string]string

// KeyOrder is the order in which well-known config keys are shown. Other keys follow, sorted.
var KeyOrder = []string{"model", "tp", "pp", "vpp", "cp", "ep", "mbs", "gbs", "flags", "sl", "nodes", "gpus"}

// Keys returns c's keys in display order: KeyOrder first, then the rest sorted.
func (c Config) Keys() []string {
	keys := make([]string, 0, len(c))
	for _, k := range KeyOrder {
		if _, ok := c[k]; ok {
			keys = append(keys, k)
		}
	}
	if len(keys) == len(c) {
		return keys
	}
	known := len(keys)
	for k := range c {
		if _, ok := keyRank[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys[known:])
	return keys
}

// keyRank indexes KeyOrder.
var keyRank = func() map[string]int {
	m := map[string]int{}
	for i, k := range KeyOrder {
		m[k] = i
	}
	return m
}()

// Key returns the canonical identity of c: "k=v" pairs in display order joined by "/", with
// "/", "=", "%" and white space in keys and values percent-encoded. Two configs are the same config if
// and only if their keys are equal.
func (c Config) Key() string {
	var b strings.Builder
	for i, k := range c.Keys() {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(escape(k))
		b.WriteByte('=')
		b.WriteString(escape(c[k]))
	}
	return b.String()
}

// String returns the config as "tp=8 pp=4 …" for people.
func (c Config) String() string {
	parts := make([]string, 0, len(c))
	for _, k := range c.Keys() {
		parts = append(parts, k+"="+c[k])
	}
	return strings.Join(parts, " ")
}

// Clone returns a copy of c.
func (c Config) Clone() Config {
	d := make(Config, len(c))
	for k, v := range c {
		d[k] = v
	}
	return d
}

// ParseKey is the inverse of Config.Key.
func ParseKey(key string) (Config, error) {
	c := Config{}
	if key == "" {
		return c, nil
	}
	for _, part := range strings.Split(key, "/") {
		k, v, ok := strings.Cut(part, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("config part %q is not key=value", part)
		}
		uk, err1 := unescape(k)
		uv, err2 := unescape(v)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("config part %q has a bad %%-escape", part)
		}
		if _, dup := c[uk]; dup {
			return nil, fmt.Errorf("config key %q appears twice", uk)
		}
		c[uk] = uv
	}
	return c, nil
}

func escape(s string) string {
	if !strings.ContainsFunc(s, needsEscape) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if needsEscape(r) && r != utf8.RuneError {
			for _, ch := range []byte(s[i : i+n]) {
				fmt.Fprintf(&b, "%%%02X", ch)
			}
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// needsEscape reports whether r cannot stand in a Go benchmark name part: a separator of
// the name or any white space (benchfmt splits a line at every Unicode space).
func needsEscape(r rune) bool {
	return r == '/' || r == '=' || r == '%' || unicode.IsSpace(r)
}

// unescape undoes escape.
func unescape(s string) (string, error) { return url.PathUnescape(s) }

// CanonicalFlags turns a free-form flag list into perfgate's canonical form: lower-case tokens,
// sorted, de-duplicated, joined with "+", or "none" when there are none. Tokens are separated by
// commas, "+", ";" or white space; "a-b/c" expands to "a-b" and "a-c", so
// "dist-opt, overlap-grad/param" is "dist-opt+overlap-grad+overlap-param". The token "none"
// (any case) is dropped. Tokens are then put into the flag vocabulary (see FlagVocabulary):
// aliases such as "distributed-optimizer" become "dist-opt", and "recompute, block" becomes
// "recompute-block", the token a Megatron-LM log with full block recomputation yields.
func CanonicalFlags(s string) string {
	fields := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return r == ',' || r == '+' || r == ';' || r == ' ' || r == '\t'
	})
	seen := map[string]bool{}
	var out []string
	add := func(t string) {
		t = strings.Trim(t, "-_")
		if t == "" || noFlags[t] || seen[t] {
			return
		}
		seen[t] = true
		out = append(out, t)
	}
	for _, f := range fields {
		if noFlags[f] {
			continue // before the "/" shorthand, which would make "n/a" the flags a+n
		}
		if !strings.Contains(f, "/") {
			add(f)
			continue
		}
		parts := strings.Split(f, "/")
		head := parts[0]
		add(head)
		prefix := ""
		if i := strings.LastIndexByte(head, '-'); i >= 0 {
			prefix = head[:i+1]
		}
		for _, p := range parts[1:] {
			if p == "" {
				continue
			}
			if strings.Contains(p, "-") || prefix == "" {
				add(p)
			} else {
				add(prefix + p)
			}
		}
	}
	out = vocabulary(out)
	if len(out) == 0 {
		return "none"
	}
	sort.Strings(out)
	return strings.Join(out, "+")
}

// DirectionOf infers a metric's direction from its unit: throughput-like units (anything per
// second, FLOP, TFLOPS, tokens/s, MFU, B/s) are higher-is-better, time-like units (s, ms,
// sec/op, s/iter, ns/op) and memory (B, MB, GiB, bytes, allocated) are lower-is-better.
// It returns Unknown when the unit says nothing.
func DirectionOf(unit string) Better {
	u := strings.ToLower(strings.TrimSpace(unit))
	switch {
	case u == "":
		return Unknown
	case strings.Contains(u, "flop"), strings.Contains(u, "mfu"), strings.Contains(u, "throughput"),
		strings.HasSuffix(u, "/s"), strings.HasSuffix(u, "/sec"), strings.HasSuffix(u, "per-s"),
		strings.HasSuffix(u, "/second"):
		return Higher
	case strings.Contains(u, "time"), strings.Contains(u, "latency"), strings.HasPrefix(u, "ttft"), strings.HasPrefix(u, "tpot"):
		// A time that names tokens or samples is still a time: time_to_first_token.
		return Lower
	case strings.Contains(u, "tok"), strings.Contains(u, "samples"):
		return Higher
	}
	first, _, _ := strings.Cut(u, "/")
	switch first {
	case "s", "sec", "secs", "second", "seconds", "ms", "us", "µs", "ns", "min", "h":
		return Lower
	case "b", "kb", "mb", "gb", "kib", "mib", "gib", "bytes", "allocs":
		return Lower
	}
	if strings.Contains(u, "alloc") || strings.Contains(u, "mem") || strings.Contains(u, "time") ||
		strings.Contains(u, "latency") {
		return Lower
	}
	return Unknown
}

// CheckValue reports what is wrong with a measured value of a metric in unit, or "" when it
// is usable: NaN and ±Inf are never usable, nor is a negative value, nor zero (but for Go's
// allocation counters), a subnormal, or a value beyond what a run can measure in its unit
// (more than 1e6 s per iteration, 1e17 FLOP/s per GPU, a petabyte).
func CheckValue(v float64, unit string, better Better) string {
	switch {
	case math.IsNaN(v):
		return "value is NaN"
	case math.IsInf(v, 0):
		return "value is infinite"
	case better == Higher && v <= 0:
		return fmt.Sprintf("throughput %v is not positive", v)
	case v < 0:
		return fmt.Sprintf("value %v is negative", v)
	case v == 0:
		if canBeZero(unit) {
			return ""
		}
		return "value is zero: no run takes no time or does no work"
	}
	return plausible(v, unit)
}

// A SyntaxError is a problem with one line of an input file.
type SyntaxError struct {
	File string // file name as given
	Line int    // 1-based; 0 when the problem is with the file as a whole
	Msg  string
}

func (e *SyntaxError) Error() string {
	if e.Line <= 0 {
		return e.File + ": " + e.Msg
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// LineAt returns the 1-based line of byte offset off in data, or 0 when off is outside it.
func LineAt(data []byte, off int64) int {
	if off < 0 || off > int64(len(data)) {
		return 0
	}
	return 1 + bytes.Count(data[:off], []byte("\n"))
}

// JSONErrorLine returns the line of data that an encoding/json syntax or type error points
// at, or 0 when the error carries no position.
func JSONErrorLine(data []byte, err error) int {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return LineAt(data, se.Offset)
	case errors.As(err, &te):
		return LineAt(data, te.Offset)
	}
	return 0
}

// Errorf returns a *SyntaxError for file:line.
func Errorf(file string, line int, format string, args ...any) error {
	return &SyntaxError{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// TrainBenchmark is the base name perfgate gives every config in Go benchmark format.
const TrainBenchmark = "BenchmarkTrain"

// ShortCommit abbreviates a commit SHA to its first 12 characters for display; shorter
// strings are returned as they are.
func ShortCommit(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// MetricNames returns the names of the metrics the runs of runSets report.
func MetricNames(runSets ...[]Run) map[string]bool {
	names := map[string]bool{}
	for _, runs := range runSets {
		for i := range runs {
			for _, m := range runs[i].Metrics {
				names[m.Name] = true
			}
		}
	}
	return names
}
