package ingest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"

	"github.com/perfgate/perfgate/bench"
)

// JSONLFormat reads JSON Lines, one object per line, so that any harness can feed perfgate:
//
//	{"config":{"tp":8,"pp":4,"gbs":1024},"metric":"TFLOPS/GPU","unit":"TFLOPS/GPU","better":"higher","values":[148.2,148.9],"outcome":"ok","run":"nightly-42"}
//	{"config":{"tp":8,"pp":8,"mbs":4,"gbs":1024},"metric":"TFLOPS/GPU","outcome":"oom","reason":"CUDA out of memory","run":"nightly-42"}
//
// Fields: config (object of strings or numbers; without it, or empty, a run needs --set, a
// key=value directory name or --allow-no-config; "flags" is canonicalised, and the integer keys
// tp, pp, vpp, cp, ep, mbs, gbs, sl, nodes, gpus must be positive whole numbers), metric (name),
// unit (defaults to metric), better ("higher"/"lower"; defaults from the unit), values
// (samples of one run, for example one per iteration), outcome ("ok", "oom", "error"; default
// "ok"), reason, run (run id), date (RFC 3339, or a day: its midnight UTC), commit. Lines with the same run and config make one run;
// without "run", all lines of a config in a file make one run. Blank lines and lines starting
// with "#" or "//" are skipped.
var JSONLFormat = &Format{
	Name:     "jsonl",
	Doc:      `JSON Lines: {"config":{…},"metric":…,"values":[…],"outcome":…,"run":…} per line`,
	Sniff:    sniffJSONL,
	Read:     readJSONL,
	UserKeys: true,
}

// A jsonlRecord is one line of the JSON Lines format.
type jsonlRecord struct {
	Config  map[string]json.RawMessage `json:"config"`
	Metric  string                     `json:"metric"`
	Unit    string                     `json:"unit"`
	Better  string                     `json:"better"`
	Values  []float64                  `json:"values"`
	Outcome string                     `json:"outcome"`
	Reason  string                     `json:"reason"`
	Run     string                     `json:"run"`
	Date    string                     `json:"date"`
	Commit  string                     `json:"commit"`
}

func sniffJSONL(file string, head []byte) bool {
	for len(head) > 0 {
		line, rest, _ := bytes.Cut(head, []byte("\n"))
		head = rest
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' || bytes.HasPrefix(line, []byte("//")) {
			continue
		}
		// A line without "config" is JSON Lines by its other fields: a metric and its values
		// (or a failed run's outcome). --allow-no-config or --set gives its config.
		return line[0] == '{' && (bytes.Contains(line, []byte(`"config"`)) ||
			bytes.Contains(line, []byte(`"metric"`)) && (bytes.Contains(line, []byte(`"values"`)) || bytes.Contains(line, []byte(`"outcome"`))))
	}
	return false
}

func readJSONL(file string, r io.Reader, opts *Options) ([]bench.Run, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	type acc struct {
		run   *bench.Run
		index map[string]int
		line  []int // the line that first gave each metric
	}
	var (
		order   []string
		byKey   = map[string]*acc{}
		configs = map[string]keyedConfig{}
		lineNo  int
	)
	for sc.Scan() {
		lineNo++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] == '#' || bytes.HasPrefix(line, []byte("//")) {
			continue
		}
		var rec jsonlRecord
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rec); err != nil {
			return nil, bench.Errorf(file, lineNo, "%s", jsonError(err))
		}
		if dec.More() {
			return nil, bench.Errorf(file, lineNo, "more than one JSON value on the line")
		}
		cfg, err := jsonlConfig(rec.Config)
		if err != nil {
			return nil, bench.Errorf(file, lineNo, "%v", err)
		}
		outcome := bench.OK
		if rec.Outcome != "" {
			o, ok := bench.ParseOutcome(rec.Outcome)
			if !ok {
				return nil, bench.Errorf(file, lineNo, "outcome %q: want ok, oom or error", rec.Outcome)
			}
			outcome = o
		}
		if rec.Metric == "" && outcome == bench.OK {
			return nil, bench.Errorf(file, lineNo, `missing "metric"`)
		}
		unit := rec.Unit
		if unit == "" {
			unit = rec.Metric
		}
		for _, f := range [...]struct{ name, v string }{{"metric", rec.Metric}, {"unit", unit}} {
			if strings.IndexFunc(f.v, unicode.IsSpace) >= 0 {
				// Go benchmark lines, and so the baseline store, separate fields by spaces.
				return nil, bench.Errorf(file, lineNo, "%s %q contains a space; a metric name or unit is one word, e.g. \"TFLOPS/GPU\"", f.name, f.v)
			}
		}
		better := bench.DirectionOf(unit)
		if rec.Better != "" {
			b, ok := bench.ParseBetter(rec.Better)
			if !ok {
				return nil, bench.Errorf(file, lineNo, "better %q: want higher or lower", rec.Better)
			}
			better = b
		}
		// The date orders the run's batch among the store's, which the window prunes from the
		// oldest: read as a time (bench.ParseDate), it is stored as RFC 3339 (a day alone as its
		// midnight UTC, a timestamp without an offset as UTC). One that cannot be read as a
		// time would leave the batches unordered (review: a backfill pruned a newer night):
		// an error where dates order batches (OrderDates), kept as written in check and
		// convert, which do not use it (review: Python's isoformat() was refused there).
		if rec.Date != "" {
			d, ok := bench.NormalizeDate(rec.Date)
			if !ok && opts != nil && opts.OrderDates {
				_, err := bench.ParseDate(rec.Date)
				return nil, bench.Errorf(file, lineNo, "%v", err)
			}
			rec.Date = d
		}
		if outcome == bench.OK && len(rec.Values) == 0 {
			return nil, bench.Errorf(file, lineNo, `outcome ok needs at least one of "values"`)
		}
		for _, v := range rec.Values {
			if msg := bench.CheckValue(v, unit, better); msg != "" {
				return nil, bench.Errorf(file, lineNo, "metric %q: %s", rec.Metric, msg)
			}
		}
		ck := cfg.Key()
		key := rec.Run + "\x00" + ck
		a := byKey[key]
		if a == nil {
			// Intern: runs of one config share one Config map and key string.
			if shared, ok := configs[ck]; ok {
				cfg, ck = shared.cfg, shared.key
			} else {
				configs[ck] = keyedConfig{cfg, ck}
			}
			a = &acc{run: &bench.Run{Config: cfg, Key: ck, Outcome: outcome, Reason: rec.Reason,
				Source: file + ":" + strconv.Itoa(lineNo), Batch: rec.Run, Date: rec.Date, Commit: rec.Commit},
				index: map[string]int{}}
			byKey[key] = a
			order = append(order, key)
		} else if a.run.Outcome != outcome {
			return nil, bench.Errorf(file, lineNo, "outcome %q contradicts %q given for the same run at %s", outcome, a.run.Outcome, a.run.Source)
		}
		if outcome != bench.OK {
			continue
		}
		i, ok := a.index[rec.Metric]
		if !ok {
			if unit == rec.Metric {
				// A metric named by its unit, new to the run, may be one the run has in
				// another unit (s/iter and ms/iter): the check would convert one to the
				// other's unit and compare one of the two.
				for j, m := range a.run.Metrics {
					if f, two := twoUnits(unit, m.Name); two && m.Unit == m.Name {
						where := "on line " + strconv.Itoa(a.line[j]) + " for the same run"
						return nil, bench.Errorf(file, lineNo, "%s", twoUnitsMsg(unit, m.Name, where, f))
					}
				}
			}
			i = len(a.run.Metrics)
			a.index[rec.Metric] = i
			a.run.Metrics = append(a.run.Metrics, bench.Metric{Name: rec.Metric, Unit: unit, Better: better})
			a.line = append(a.line, lineNo)
		}
		m := &a.run.Metrics[i]
		if m.Unit != unit {
			return nil, bench.Errorf(file, lineNo, "metric %q in unit %q, but in %q earlier in this run; mixed units for one metric", rec.Metric, unit, m.Unit)
		}
		if m.Better != better {
			return nil, bench.Errorf(file, lineNo, "metric %q is %s-is-better here but %s-is-better earlier in this run", rec.Metric, better, m.Better)
		}
		m.Values = append(m.Values, rec.Values...)
	}
	if err := sc.Err(); err != nil {
		return nil, bench.Errorf(file, lineNo+1, "%v", err)
	}
	runs := make([]bench.Run, 0, len(order))
	for _, k := range order {
		runs = append(runs, *byKey[k].run)
	}
	return runs, nil
}

// jsonlConfig reads a line's "config". A missing or empty one is an empty config, as a Go
// benchmark line named only BenchmarkTrain gives: --set, the directory's name or
// --allow-no-config decides whether the run may be gated (see requireConfig).
func jsonlConfig(raw map[string]json.RawMessage) (bench.Config, error) {
	cfg := bench.Config{}
	for k, v := range raw {
		var s string
		switch {
		case len(v) > 0 && (v[0] == '-' || (v[0] >= '0' && v[0] <= '9')):
			s = string(v) // a JSON number, already validated by the decoder: keep it as written
		case json.Unmarshal(v, &s) != nil:
			return nil, fmt.Errorf("config %q: want a string or a number, got %s", k, v)
		}
		if k == "" || strings.TrimSpace(s) == "" {
			return nil, fmt.Errorf("config %q: empty key or value", k)
		}
		// As in sidecars: canonical flags, and tp, pp, gbs … as plain positive integers, so
		// that a harness's 8.0 (Python's float, pandas' to_json) is the tp=8 of tables and
		// logs rather than a config of its own that matches nothing.
		s, err := configValue(k, s)
		if err != nil {
			return nil, fmt.Errorf("config %q: %v", k, err)
		}
		cfg[k] = s
	}
	return cfg, nil
}

// jsonError turns a decoding error into a message without Go type names.
func jsonError(err error) string {
	var te *json.UnmarshalTypeError
	if e, ok := err.(*json.UnmarshalTypeError); ok {
		te = e
		return fmt.Sprintf("field %q: cannot use JSON %s here", te.Field, te.Value)
	}
	if se, ok := err.(*json.SyntaxError); ok {
		return fmt.Sprintf("invalid JSON at column %d: %v", se.Offset, se)
	}
	return "invalid JSON: " + err.Error()
}
