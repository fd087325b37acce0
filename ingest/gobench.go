package ingest

import (
	"bytes"
	"io"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"

	"github.com/perfgate/perfgate/bench"
)

// GoBenchFormat reads the Go benchmark format (golang.org/x/perf/benchfmt), the format of
// "go test -bench" and of perfgate's own baseline files. A file is one run. Each result line of
// a config is one sample of it (for example one iteration). The config is the file-level
// "key: value" lines plus the "/key=value" parts of the benchmark name, verbatim; the base name
// "BenchmarkTrain" adds no key, any other base name becomes key "bench". The file keys "commit",
// "date" and "run" are provenance, not config. "Unit … better=higher|lower" lines set metric
// directions; otherwise the unit decides (see DirectionOf).
var GoBenchFormat = &Format{
	Name:  "gobench",
	Doc:   "Go benchmark format (go test -bench, benchstat input, perfgate baselines)",
	Sniff: sniffGoBench,
	Read:  readGoBench,
}

func sniffGoBench(file string, head []byte) bool {
	for len(head) > 0 {
		line, rest, _ := bytes.Cut(head, []byte("\n"))
		head = rest
		if bytes.HasPrefix(line, []byte("Benchmark")) && len(line) > 9 {
			f := bytes.Fields(line)
			if len(f) >= 4 {
				if _, err := strconv.Atoi(string(f[1])); err == nil {
					return true
				}
			}
		}
	}
	return false
}

// fileConfigString returns the file configuration of a result as one string.
func fileConfigString(res *benchfmt.Result) string {
	if len(res.Config) == 0 {
		return ""
	}
	var b strings.Builder
	for _, c := range res.Config {
		b.WriteString(c.Key)
		b.WriteByte(0)
		b.Write(c.Value)
		b.WriteByte(0)
	}
	return b.String()
}

// provenanceKeys are file-level keys that describe a run rather than a config.
var provenanceKeys = map[string]bool{"commit": true, "date": true, "run": true}

func readGoBench(file string, r io.Reader, opts *Options) ([]bench.Run, error) {
	br := benchfmt.NewReader(r, file)
	type acc struct {
		run   *bench.Run
		index map[string]int // metric name → index in run.Metrics
		tidy  []string       // benchfmt's tidied unit of each metric
	}
	var (
		order []string
		byKey = map[string]*acc{}
		// byName caches the run of a benchmark name under the current file configuration,
		// which rarely changes, so that each line costs one map lookup.
		byName  = map[string]*acc{}
		fileCfg string
	)
	for br.Scan() {
		switch rec := br.Result().(type) {
		case *benchfmt.SyntaxError:
			return nil, &bench.SyntaxError{File: file, Line: rec.Line, Msg: rec.Msg}
		case *benchfmt.Result:
			if fc := fileConfigString(rec); fc != fileCfg {
				fileCfg = fc
				clear(byName)
			}
			a := byName[string(rec.Name)]
			if a == nil {
				cfg, prov := goBenchConfig(rec)
				key := cfg.Key()
				a = byKey[key]
				if a == nil {
					_, line := rec.Pos()
					a = &acc{run: &bench.Run{Config: cfg, Outcome: bench.OK, Source: file + ":" + strconv.Itoa(line),
						Batch: prov["run"], Date: prov["date"], Commit: prov["commit"]}, index: map[string]int{}}
					byKey[key] = a
					order = append(order, key)
				}
				byName[string(rec.Name)] = a
			}
			for _, v := range rec.Values {
				// Units as written: benchfmt's tidied form would turn perfgate's own
				// MB-max-allocated into B-max-allocated ×1e6.
				unit, value := v.OrigUnit, v.OrigValue
				if unit == "" {
					unit, value = v.Unit, v.Value
				}
				i, ok := a.index[unit]
				if !ok {
					i = len(a.run.Metrics)
					a.index[unit] = i
					a.run.Metrics = append(a.run.Metrics, bench.Metric{Name: unit, Unit: unit})
					a.tidy = append(a.tidy, v.Unit)
				}
				a.run.Metrics[i].Values = append(a.run.Metrics[i].Values, value)
			}
		}
	}
	if err := br.Err(); err != nil {
		return nil, err
	}
	units := br.Units()
	runs := make([]bench.Run, 0, len(order))
	for _, key := range order {
		a := byKey[key]
		run := a.run
		for i := range run.Metrics {
			m := &run.Metrics[i]
			m.Better = goBenchBetter(units, m.Unit, a.tidy[i])
		}
		runs = append(runs, *run)
	}
	return runs, nil
}

// goBenchBetter decides a unit's direction: explicit metadata, then perfgate's unit rules, then
// benchfmt's defaults.
// Metadata may be filed under the unit as written or as benchfmt tidied it.
func goBenchBetter(units benchfmt.UnitMetadataMap, unit, tidy string) bench.Better {
	for _, u := range []string{unit, tidy} {
		if md := units.Get(u, "better"); md != nil {
			if b, ok := bench.ParseBetter(md.Value); ok {
				return b
			}
		}
	}
	if b := bench.DirectionOf(unit); b != bench.Unknown {
		return b
	}
	return bench.Better(units.GetBetter(tidy))
}

// goBenchConfig returns the config of a result and its provenance keys.
func goBenchConfig(res *benchfmt.Result) (bench.Config, map[string]string) {
	cfg := bench.Config{}
	prov := map[string]string{}
	for _, c := range res.Config {
		if provenanceKeys[c.Key] {
			prov[c.Key] = string(c.Value)
			continue
		}
		cfg[c.Key] = string(c.Value)
	}
	base, parts := res.Name.Parts()
	var names []string
	if b := string(base); b != strings.TrimPrefix(bench.TrainBenchmark, "Benchmark") {
		names = append(names, b)
	}
	for _, p := range parts {
		switch {
		case strings.HasPrefix(string(p), "-"):
			cfg["procs"] = string(p[1:])
		default:
			kv := string(p[1:])
			if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
				// perfgate percent-encodes "/", "=", "%" and spaces in names it writes.
				if uk, err := url.PathUnescape(k); err == nil {
					k = uk
				}
				if uv, err := url.PathUnescape(v); err == nil {
					v = uv
				}
				cfg[k] = v
			} else {
				names = append(names, kv)
			}
		}
	}
	if len(names) > 0 {
		cfg["bench"] = strings.Join(names, "/")
	}
	return cfg, prov
}
