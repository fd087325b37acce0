package check

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchproc"

	"github.com/perfgate/perfgate/bench"
)

// ConfigFileName is the config file perfgate looks for in the baseline directory.
const ConfigFileName = "perfgate.json"

// A ConfigFile is perfgate's per-repository configuration, kept next to the baseline so that
// a change of threshold is reviewed like a change of baseline. Every field is optional;
// command-line flags override it.
//
//	{
//	  "alpha": 0.014, "correction": "holm", "test": "mixture", "min_effect_pct": 3, "tolerance_pct": 5,
//	  "min_history_runs": 3, "confirm_runs": 3, "window": 10, "metrics": ["TFLOPS/GPU", "s/iter"],
//	  "speed_metrics": ["TFLOPS/GPU", "tokens/s/GPU", "samples/s", "s/iter"],
//	  "better": {"tokens/s/GPU": "higher"}, "key_args": ["sequence_parallel"],
//	  "rules": [
//	    {"match": "/tp:4", "min_effect_pct": 5},
//	    {"match": "/flags:dist-opt", "metric": "s/iter", "ignore": true,
//	     "until": "2026-12-31", "reason": "flaky until the NCCL upgrade, #123"}
//	  ]
//	}
//
// A rule's match is a golang.org/x/perf/benchproc filter over the config, whose keys are the
// benchmark name's /key=value parts: "/tp:8", "/nodes:32 AND /gbs:1024",
// "/flags:(dist-opt OR none)", "*" for all.
type ConfigFile struct {
	Alpha          *float64 `json:"alpha"`
	Correction     *string  `json:"correction"`
	Test           *string  `json:"test"`
	MinEffectPct   *float64 `json:"min_effect_pct"`
	TolerancePct   *float64 `json:"tolerance_pct"`
	MinHistoryRuns *int     `json:"min_history_runs"`
	ConfirmRuns    *int     `json:"confirm_runs"`
	Window         *int     `json:"window"`
	Metrics        []string `json:"metrics"`
	// SpeedMetrics replaces Options.SpeedMetrics: the metrics that are one measurement,
	// the deciding one first; [] makes every metric decide on its own.
	SpeedMetrics []string          `json:"speed_metrics"`
	Better       map[string]string `json:"better"`
	Rules        []RuleSpec        `json:"rules"`
	// KeyArgs are launch arguments of trainer logs that belong in the config key (see
	// ingest.Options.KeyArgs), e.g. ["sequence_parallel"] for a sweep that varies it.
	KeyArgs []string `json:"key_args"`
}

// A RuleSpec is a rule as written in the config file.
type RuleSpec struct {
	Match        string   `json:"match"`
	Metric       string   `json:"metric"`
	MinEffectPct *float64 `json:"min_effect_pct"`
	TolerancePct *float64 `json:"tolerance_pct"`
	Ignore       bool     `json:"ignore"`
	Until        string   `json:"until"`
	Reason       string   `json:"reason"`
}

// LoadConfig reads a config file. Errors name the file and line.
func LoadConfig(path string) (*ConfigFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cf ConfigFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cf); err != nil {
		line := bench.JSONErrorLine(data, err)
		var te *json.UnmarshalTypeError
		switch {
		case err == io.EOF:
			err = errors.New("the file holds no JSON object (an empty config is {})")
		case errors.As(err, &te):
			err = fmt.Errorf("field %q: cannot use JSON %s here", te.Field, te.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name := strings.TrimPrefix(err.Error(), "json: unknown field ")
			line = lineOf(data, strings.Trim(name, `"`))
			err = fmt.Errorf("unknown field %s", name)
		}
		return nil, bench.Errorf(path, line, "%v", err)
	}
	// encoding/json keeps the last of two equal keys and stops after the first value: a
	// threshold written twice (a merge of two edits) or a second object would take effect,
	// or not, silently.
	if _, err := dec.Token(); err != io.EOF {
		return nil, bench.Errorf(path, bench.LineAt(data, dec.InputOffset()), "unexpected data after the config object")
	}
	if err := duplicateKeys(path, data); err != nil {
		return nil, err
	}
	if err := cf.validate(path, data); err != nil {
		return nil, err
	}
	return &cf, nil
}

// duplicateKeys reports, naming its line, a key that an object of the config file data
// holds twice. The keys of perfgate's own objects (the file, a rule) are compared as
// encoding/json matches them to fields, ignoring case; those of "better" (metric names)
// exactly. data is valid JSON.
func duplicateKeys(path string, data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	var walk func(fold bool, key string) error
	walk = func(fold bool, key string) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]int{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				k := kt.(string)
				line := bench.LineAt(data, dec.InputOffset())
				if fold && !isASCII(k) {
					// encoding/json matches field names under Unicode case folding: "metricſ"
					// (U+017F) would set metrics, past the duplicate check below.
					return bench.Errorf(path, line, "key %q holds a character outside ASCII; perfgate's keys are ASCII (%s)", k, strings.ToLower(strings.Map(asciiOnly, k)))
				}
				norm := k
				if fold {
					norm = strings.ToLower(k)
				}
				if first, ok := seen[norm]; ok {
					return bench.Errorf(path, line, "key %q appears twice (also on line %d); only the last would count, so remove one", k, first)
				}
				seen[norm] = line
				// Only the file's own object and a rule's have fields; "better" is a map.
				if err := walk(fold && key == "" && k != "better", strings.ToLower(k)); err != nil {
					return err
				}
			}
		case json.Delim('['):
			for dec.More() {
				// The elements of "rules" are rules, objects with fields.
				if err := walk(key == "rules", "[]"); err != nil {
					return err
				}
			}
		default:
			return nil
		}
		_, err = dec.Token() // the closing delimiter
		return err
	}
	return walk(true, "")
}

// isASCII reports whether s holds only ASCII characters.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// asciiOnly maps the characters that fold to ASCII letters to them, and drops the others, to
// suggest the key meant: "metricſ" → "metrics".
func asciiOnly(r rune) rune {
	switch {
	case r < 0x80:
		return r
	case r == 0x017f: // ſ, long s
		return 's'
	case r == 0x212a: // K, Kelvin sign
		return 'k'
	}
	return -1
}

// lineOf returns the line of the first occurrence of s in data, for messages.
func lineOf(data []byte, s string) int {
	if s == "" {
		return 0
	}
	return bench.LineAt(data, int64(bytes.Index(data, []byte(s))))
}

// fieldSpans returns where, in the config file data (valid JSON), the value of each field of
// the top-level object but "rules" begins and ends, by the field's lower-cased name
// (encoding/json matches names ignoring case), and each element of "rules": an error about one rule or one
// field then names its line, not the first line elsewhere that holds the same text.
func fieldSpans(data []byte) (fields map[string][2]int64, rules [][2]int64) {
	fields = map[string][2]int64{}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return fields, nil
	}
	value := func() ([2]int64, bool) {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return [2]int64{}, false
		}
		end := dec.InputOffset()
		return [2]int64{end - int64(len(raw)), end}, true
	}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			break
		}
		k, _ := kt.(string)
		k = strings.ToLower(k)
		if k != "rules" {
			sp, ok := value()
			if !ok {
				break
			}
			fields[k] = sp
			continue
		}
		if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
			break // null: no rules
		}
		for dec.More() {
			sp, ok := value()
			if !ok {
				break
			}
			rules = append(rules, sp)
		}
		dec.Token() // ]
	}
	return fields, rules
}

// lineIn returns the line of the first occurrence of s within span of data, else of the
// span's start; 0 for an empty span.
func lineIn(data []byte, span [2]int64, s string) int {
	if span[1] <= span[0] {
		return 0
	}
	if i := bytes.Index(data[span[0]:span[1]], []byte(s)); s != "" && i >= 0 {
		return bench.LineAt(data, span[0]+int64(i))
	}
	// The span starts after the whitespace before the value.
	return bench.LineAt(data, span[0]+int64(len(data[span[0]:span[1]])-len(bytes.TrimLeft(data[span[0]:span[1]], " \t\r\n"))))
}

func (cf *ConfigFile) validate(path string, data []byte) error {
	bad := func(near, format string, args ...any) error {
		return bench.Errorf(path, lineOf(data, near), format, args...)
	}
	fields, spans := fieldSpans(data)
	// inRule names the line of s within rule i, else the rule's first line.
	inRule := func(i int, s string, format string, args ...any) error {
		line := lineOf(data, `"rules"`)
		if i < len(spans) {
			line = lineIn(data, spans[i], s)
		}
		return bench.Errorf(path, line, format, args...)
	}
	if cf.Alpha != nil {
		if err := CheckAlpha(*cf.Alpha); err != nil {
			return bad(`"alpha"`, "alpha %v", err)
		}
	}
	if cf.Correction != nil {
		if _, err := ParseCorrection(*cf.Correction); err != nil {
			return bad(`"correction"`, "%v", err)
		}
	}
	if cf.Test != nil {
		if _, err := LookupTest(*cf.Test); err != nil {
			return bad(`"test"`, "%v", err)
		}
	}
	for _, p := range []struct {
		v    *float64
		name string
	}{{cf.MinEffectPct, "min_effect_pct"}, {cf.TolerancePct, "tolerance_pct"}} {
		if p.v != nil {
			if err := CheckPercent(*p.v); err != nil {
				return bad(`"`+p.name+`"`, "%s %v", p.name, err)
			}
		}
	}
	if cf.MinHistoryRuns != nil {
		if err := CheckMinHistory(*cf.MinHistoryRuns); err != nil {
			return bad(`"min_history_runs"`, "min_history_runs %v", err)
		}
	}
	if cf.ConfirmRuns != nil {
		if err := CheckConfirmRuns(*cf.ConfirmRuns); err != nil {
			return bad(`"confirm_runs"`, "confirm_runs %v", err)
		}
	}
	if cf.Window != nil && *cf.Window < 1 {
		return bad(`"window"`, "window must be at least 1")
	}
	for _, m := range slices.Sorted(maps.Keys(cf.Better)) { // the same error for the same file
		if b := cf.Better[m]; !isBetter(b) {
			return bench.Errorf(path, lineIn(data, fields["better"], `"`+m+`"`), "better %q for %q: want higher or lower", b, m)
		}
	}
	for i, r := range cf.Rules {
		if r.Match == "" {
			return inRule(i, "", "rule %d has no match (use \"*\" for every config)", i+1)
		}
		if _, err := NewMatcher(r.Match); err != nil {
			return inRule(i, r.Match, "rule %d: match %q: %v", i+1, r.Match, err)
		}
		if r.Until != "" {
			t, err := time.Parse("2006-01-02", r.Until)
			if err != nil {
				return inRule(i, r.Until, "rule %d: until %q: want a date like 2026-12-31", i+1, r.Until)
			}
			if t.Year() < 2000 {
				// The zero date, 0001-01-01, would read as no expiry at all.
				return inRule(i, r.Until, "rule %d: until %q: want a date from 2000 on", i+1, r.Until)
			}
		}
		if r.Ignore && strings.TrimSpace(r.Reason) == "" {
			return inRule(i, r.Match, "rule %d: an ignore rule needs a reason", i+1)
		}
		if !r.Ignore && r.MinEffectPct == nil && r.TolerancePct == nil {
			// A rule whose "ignore": true was forgotten would do nothing, without a word.
			return inRule(i, r.Match, "rule %d does nothing: give it \"ignore\": true, \"min_effect_pct\" or \"tolerance_pct\"", i+1)
		}
		for _, p := range []struct {
			v    *float64
			name string
		}{{r.MinEffectPct, "min_effect_pct"}, {r.TolerancePct, "tolerance_pct"}} {
			if p.v != nil {
				if err := CheckPercent(*p.v); err != nil {
					return inRule(i, `"`+p.name+`"`, "rule %d: percentages %v", i+1, err)
				}
			}
		}
	}
	return nil
}

// Apply overlays the file's settings on opts, and returns its metric directions.
func (cf *ConfigFile) Apply(opts *Options, source string) (map[string]bench.Better, error) {
	if cf.Alpha != nil {
		opts.Alpha = *cf.Alpha
	}
	if cf.Correction != nil {
		opts.Correction = Correction(*cf.Correction) // validated by LoadConfig
	}
	if cf.Test != nil {
		opts.Test = *cf.Test
	}
	if cf.MinEffectPct != nil {
		opts.MinEffectPct = *cf.MinEffectPct
	}
	if cf.TolerancePct != nil {
		opts.TolerancePct = *cf.TolerancePct
	}
	if cf.MinHistoryRuns != nil {
		opts.MinHistoryRuns = *cf.MinHistoryRuns
	}
	if cf.ConfirmRuns != nil {
		opts.ConfirmRuns = *cf.ConfirmRuns
	}
	if len(cf.Metrics) > 0 {
		opts.Metrics = cf.Metrics
	}
	if cf.SpeedMetrics != nil {
		opts.SpeedMetrics = cf.SpeedMetrics
	}
	for i, rs := range cf.Rules {
		match, err := NewMatcher(rs.Match)
		if err != nil {
			return nil, err
		}
		r := Rule{Match: match, Metric: rs.Metric, MinEffectPct: rs.MinEffectPct, TolerancePct: rs.TolerancePct,
			Ignore: rs.Ignore, Reason: rs.Reason, Source: source, Query: rs.Match, Index: i + 1}
		if rs.Until != "" {
			r.Until, _ = time.Parse("2006-01-02", rs.Until)
		}
		opts.Rules = append(opts.Rules, r)
	}
	better := map[string]bench.Better{}
	for m, b := range cf.Better {
		better[m], _ = bench.ParseBetter(b)
	}
	return better, nil
}

// NewMatcher compiles a benchproc filter query into a config predicate. The config is seen as
// the benchmark BenchmarkTrain/k1=v1/k2=v2…, so "/tp:8" matches configs with tp=8.
func NewMatcher(query string) (func(bench.Config) bool, error) {
	f, err := benchproc.NewFilter(query)
	if err != nil {
		return nil, err
	}
	return func(c bench.Config) bool {
		res := &benchfmt.Result{Name: benchfmt.Name(strings.TrimPrefix(c.BenchName(), "Benchmark")), Iters: 1}
		ok, _ := f.Apply(res)
		return ok
	}, nil
}

// isBetter reports whether s names a direction, higher or lower.
func isBetter(s string) bool {
	_, ok := bench.ParseBetter(s)
	return ok
}
