package ingest

import (
	"bytes"
	"io"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/internal/gobench"
)

// GoBenchFormat reads the Go benchmark format (golang.org/x/perf/benchfmt), the format of
// "go test -bench" and of perfgate's own baseline files. A file is one run. Each result line of
// a config is one sample of it (for example one iteration). The config is the file-level
// "key: value" lines plus the config of the benchmark name by gobench.ConfigOf (the rule the
// baseline store uses too: "/key=value" parts with %-escapes undone; the base name
// "BenchmarkTrain" adds no key, any other base name becomes key "bench"). The file keys "commit",
// "date" and "run" are provenance, not config. "Unit … better=higher|lower" lines set metric
// directions; otherwise the unit decides (see DirectionOf). A metric's unit is its name, unless
// its Unit line says "unit=UNIT" (as perfgate writes a JSON Lines metric such as peak-mem in GB).
var GoBenchFormat = &Format{
	Name:     "gobench",
	Doc:      "Go benchmark format (go test -bench, benchstat input, perfgate baselines)",
	Sniff:    sniffGoBench,
	Read:     readGoBench,
	UserKeys: true,
}

func sniffGoBench(file string, head []byte) bool {
	for len(head) > 0 {
		line, rest, _ := bytes.Cut(head, []byte("\n"))
		head = rest
		if isResultFailure(line) {
			return true // perfgate convert's output of runs that all failed
		}
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

// provenanceKeys are file-level keys that describe a run rather than a config.
var provenanceKeys = map[string]bool{"commit": true, "date": true, "run": true}

// isResultFailure reports whether line is a failure line a results file may hold
// (gobench.ParseFailure and CheckResult).
func isResultFailure(line []byte) bool {
	if !bytes.HasPrefix(line, []byte(gobench.FailPrefix)) {
		return false
	}
	f, err := gobench.ParseFailure(string(line))
	return err == nil && f.CheckResult() == nil
}

func readGoBench(file string, r io.Reader, opts *Options) ([]bench.Run, error) {
	type acc struct {
		run   *bench.Run
		index map[string]int // metric name → index in run.Metrics, once there are many
		tidy  []string       // benchfmt's tidied unit of each metric
		line  []int          // the line that first gave each metric
	}
	var (
		order []*acc
		byKey = map[string]*acc{}
		// byEntry finds the run of an interned name, so that each line costs one lookup.
		byEntry = map[*gobench.Entry]*acc{}
		in      = gobench.Interner{Provenance: provenanceKeys, Shared: opts.names}
		hint    = 1 // capacity of a new metric's Values
	)
	var lastE *gobench.Entry // the last line's entry and run: a config's lines come together
	var lastA *acc
	// Failed runs, as perfgate convert writes them ("# perfgate fail OUTCOME NAME
	// reason=…"): each is a run of its own. Left out, a converted PR's new OOM would read as a
	// config missing from the results, which passes.
	var failed []bench.Run
	onFailure := func(line int, text string) error {
		f, err := gobench.ParseFailure(text)
		if err == nil {
			err = f.CheckResult()
		}
		if err != nil {
			return bench.Errorf(file, line, "%v", err)
		}
		e := in.Name([]byte(f.Name))
		if e.Err != nil {
			return bench.Errorf(file, line, "failure line: %v", e.Err)
		}
		failed = append(failed, bench.Run{Config: e.Config, Key: e.Key, Outcome: f.Outcome, Reason: f.Reason(),
			Source: file + ":" + strconv.Itoa(line)})
		lastE, lastA = nil, nil // in.Name may have reset the interner's cache of entries
		return nil
	}
	// Where dates order batches (OrderDates), a date that cannot be read as a time is an
	// error at its "date:" line, which dates records as benchfmt reads past it.
	var dates *dateLines
	if opts != nil && opts.OrderDates {
		dates = &dateLines{r: r, line: 1}
		r = dates
	}
	units, err := gobench.ReadFailures(file, r, func(res *gobench.Result) error {
		e := in.Of(res)
		a := lastA
		if e != lastE {
			a = byEntry[e]
		}
		if a == nil {
			if e.Err != nil {
				return bench.Errorf(file, res.Line, "%v", e.Err)
			}
			a = byKey[e.Key]
			if a == nil {
				// A date bench.ParseDate reads is stored as RFC 3339; one it cannot is kept as
				// written, an error where dates order batches.
				date, ok := bench.NormalizeDate(e.Prov["date"])
				if !ok && dates != nil {
					_, err := bench.ParseDate(date)
					return bench.Errorf(file, dates.lineOf(date, res.Line), "%v", err)
				}
				a = &acc{run: &bench.Run{Config: e.Config, Key: e.Key, Outcome: bench.OK, Source: file + ":" + strconv.Itoa(res.Line),
					Batch: e.Prov["run"], Date: date, Commit: e.Prov["commit"]}}
				byKey[e.Key] = a
				order = append(order, a)
			}
			byEntry[e] = a
		}
		lastE, lastA = e, a
		for _, v := range res.Values {
			// A run has a few metrics: a scan finds one faster than a map, and a map per
			// run would cost more memory than its samples.
			i, ok := -1, false
			if a.index != nil {
				i, ok = a.index[v.Unit]
			} else {
				for j := range a.run.Metrics {
					if a.run.Metrics[j].Name == v.Unit {
						i, ok = j, true
						break
					}
				}
			}
			if !ok {
				// A metric new to the run may be one it has in another unit ("44.6 s/iter
				// 60000 ms/iter"): the check would convert one to the other's unit and keep
				// one of the two values, so the verdict would hang on their order.
				for j := range a.run.Metrics {
					if f, two := twoUnits(v.Unit, a.run.Metrics[j].Name); two {
						where := "on this line"
						if a.line[j] != res.Line {
							where = "at line " + strconv.Itoa(a.line[j]) + " for the same config"
						}
						return bench.Errorf(file, res.Line, "%s", twoUnitsMsg(v.Unit, a.run.Metrics[j].Name, where, f))
					}
				}
				i = len(a.run.Metrics)
				a.run.Metrics = append(a.run.Metrics, bench.Metric{Name: v.Unit, Unit: v.Unit})
				a.tidy = append(a.tidy, v.Tidy)
				a.line = append(a.line, res.Line)
				switch {
				case a.index != nil:
					a.index[v.Unit] = i
				case i >= 16:
					a.index = make(map[string]int, 2*i)
					for j := range a.run.Metrics {
						a.index[a.run.Metrics[j].Name] = j
					}
				}
			}
			m := &a.run.Metrics[i]
			if m.Values == nil {
				// Configs of one file tend to have as many samples as the last one had:
				// allocate that once rather than doubling up to it.
				m.Values = make([]float64, 0, hint)
			}
			m.Values = append(m.Values, v.Value)
			hint = max(hint, min(len(m.Values), 1<<12))
		}
		return nil
	}, onFailure)
	if err != nil {
		return nil, err
	}
	runs := make([]bench.Run, 0, len(order)+len(failed))
	for _, a := range order {
		run := a.run
		for i := range run.Metrics {
			m := &run.Metrics[i]
			m.Better = goBenchBetter(units, m.Unit, a.tidy[i])
			// "Unit NAME unit=UNIT", as perfgate's store and convert write it for a metric
			// whose unit is not its name (a JSON Lines peak-mem in GB).
			if m.Unit, _, err = gobench.MetricUnit(file, units, m.Name); err != nil {
				return nil, err
			}
		}
		runs = append(runs, *run)
	}
	return append(runs, failed...), nil
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

// dateLines passes a Go benchmark file through, recording the line and value of each "date:"
// file-configuration line, so that a date that cannot be read as a time is named at its line
// rather than at the result line it applies to.
type dateLines struct {
	r     io.Reader
	line  int    // the line the next byte is on
	cur   []byte // the current line's first bytes, while it may be a "date:" line
	skip  bool   // the current line is no "date:" line
	found []dateLine
}

type dateLine struct {
	line  int
	value string
}

func (d *dateLines) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	for _, c := range p[:n] {
		switch {
		case c == '\n':
			if v, ok := bytes.CutPrefix(d.cur, []byte("date:")); ok && !d.skip {
				d.found = append(d.found, dateLine{d.line, string(bytes.TrimSpace(v))})
			}
			d.cur, d.skip = d.cur[:0], false
			d.line++
		case d.skip:
		case len(d.cur) < 5 && c != "date:"[len(d.cur)], len(d.cur) >= 256:
			// Not a "date:" line, or no date: a date is short.
			d.skip = true
		default:
			d.cur = append(d.cur, c)
		}
	}
	return n, err
}

// lineOf returns the line of the last "date:" line before line that gives value, else line.
func (d *dateLines) lineOf(value string, line int) int {
	for i := len(d.found) - 1; i >= 0; i-- {
		if f := d.found[i]; f.line < line && f.value == strings.TrimSpace(value) {
			return f.line
		}
	}
	return line
}
