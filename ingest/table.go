package ingest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/perfgate/perfgate/bench"
)

// TableFormat reads a pipe-separated sweep table as people write them by hand: a header row
// naming the columns (tp, pp, mbs, gbs, addtl args, sl, nodes, time, TFLOPS in any order),
// rows of dashes as separators, free text such as a title, OOM or Err in the time column
// with a placeholder (XXX, x) for TFLOPS. Each row is one run of one config; a config listed
// twice is two runs. Unknown columns become config keys, except those whose header names a measurement
// ("time (ms)", "MFU", "throughput"), which are errors. Markdown tables read the same way.
var TableFormat = &Format{
	Name:     "table",
	Doc:      "pipe-separated sweep table with a header row (tp | pp | … | time | TFLOPS)",
	Sniff:    sniffTable,
	Read:     readTable,
	UserKeys: true,
}

// A column role says what a table column holds.
type colRole int

const (
	colConfig colRole = iota
	colFlags
	colTime
	colTFLOPS
)

// tableColumn maps a header cell to its role and config key.
func tableColumn(header string) (colRole, string) {
	h := strings.ToLower(strings.Join(strings.Fields(header), " "))
	switch h {
	case "time", "time (s)", "time(s)", "time (sec)", "s/iter", "sec/iter", "s/it", "sec/it", "time/iter",
		"step time", "step time (s)", "iter time", "iter time (s)", "iteration time", "iteration time (s)",
		"time per iteration", "time per iteration (s)", "seconds", "s":
		return colTime, ""
	case "tflops", "tflops/gpu", "tflop/s/gpu", "tflops per gpu", "tflop/s per gpu", "model tflops", "tflop/s":
		return colTFLOPS, ""
	case "addtl args", "additional args", "args", "extra args", "flags", "extra flags", "options":
		return colFlags, "flags"
	case "seq", "seqlen", "seq len", "seq_len", "seq length", "sequence length", "seq_length":
		return colConfig, "sl"
	case "node", "num nodes", "#nodes":
		return colConfig, "nodes"
	case "micro batch", "micro_batch_size", "micro batch size":
		return colConfig, "mbs"
	case "global batch", "global_batch_size", "global batch size":
		return colConfig, "gbs"
	}
	return colConfig, strings.ReplaceAll(h, " ", "_")
}

// measurementWords mark a header of a column that holds a measurement, not a config key.
var measurementWords = []string{"time", "tflop", "flops", "mfu", "throughput", "latency", "tokens/s", "tok/s", "samples/s", "it/s", "(s)", "(ms)", "sec/", "/sec", "/it", "/step"}

// timeWords and flopsWords mark a measurement header that gives the time per iteration or the
// FLOPS, in a unit other than the time and TFLOPS columns' ("ms/iter", "time (ms)", "GFLOPS").
var (
	timeWords  = []string{"time", "latency", "(s)", "(ms)", "sec/", "/sec", "/it", "/step"}
	flopsWords = []string{"flop"}
)

// measuredColumn says why column i of a header, which looks like a measurement, is an error:
// beside the time or TFLOPS column it is one metric in two units (time and "ms/iter"), of
// which perfgate would read one and make the other a config key; alone, a measurement
// perfgate does not read.
func measuredColumn(cells []string, roles []colRole, i int) string {
	h := strings.ToLower(cells[i])
	for j, role := range roles {
		var words []string
		var what string
		switch role {
		case colTime:
			words, what = timeWords, "the time per iteration (read in seconds)"
		case colTFLOPS:
			words, what = flopsWords, "the FLOP/s per GPU (read in TFLOP/s)"
		default:
			continue
		}
		if containsAnyString(h, words) {
			return fmt.Sprintf("one metric in two units: columns %q and %q both give %s; "+
				"perfgate reads the %q column and would make %q a config key, so remove one of them", cells[j], cells[i], what, cells[j], cells[i])
		}
	}
	return fmt.Sprintf("column %q looks like a measurement, but perfgate reads only a time column "+
		"(seconds per iteration: \"time\", \"s/iter\", \"step time (s)\" …) and a TFLOPS column; rename or remove it "+
		"(as a config key, its value would make every row a config of its own)", cells[i])
}

// measurementLike reports whether a header that is not a known column names a measurement
// ("time (ms)", "MFU", "throughput"): as a config key, its value, different in every row,
// would make each run a config of its own that no other run ever matches.
func measurementLike(header string) bool {
	return containsAnyString(strings.ToLower(header), measurementWords)
}

// containsAnyString reports whether s holds any of words.
func containsAnyString(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// integerKeys are config keys whose values must be whole numbers.
var integerKeys = map[string]bool{"tp": true, "pp": true, "vpp": true, "cp": true, "ep": true, "mbs": true, "gbs": true, "sl": true, "nodes": true, "gpus": true}

func splitCells(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimPrefix(line, "|")
	line = strings.TrimSuffix(line, "|")
	cells := strings.Split(line, "|")
	for i := range cells {
		cells[i] = strings.TrimSpace(cells[i])
	}
	return cells
}

// isRule reports whether line only draws a table rule: dashes, equals, plus, colons and pipes.
func isRule(line string) bool {
	line = strings.TrimSpace(line)
	if line == "" {
		return false
	}
	for _, r := range line {
		switch r {
		case '-', '=', '+', '|', ':', ' ', '\t':
		default:
			return false
		}
	}
	return true
}

// isHeader reports whether cells name table columns: one of tp/pp/gbs and a time or TFLOPS
// column.
func isHeader(cells []string) bool {
	var cfg, measure bool
	for _, c := range cells {
		role, key := tableColumn(c)
		switch {
		case role == colTime || role == colTFLOPS:
			measure = true
		case key == "tp" || key == "pp" || key == "gbs" || key == "mbs":
			cfg = true
		}
	}
	return cfg && measure
}

func sniffTable(file string, head []byte) bool {
	for len(head) > 0 {
		line, rest, _ := bytes.Cut(head, []byte("\n"))
		head = rest
		if bytes.Count(line, []byte("|")) >= 2 && isHeader(splitCells(string(line))) {
			return true
		}
	}
	return false
}

// placeholder reports whether a TFLOPS cell holds no number on purpose.
func placeholder(cell string) bool {
	c := strings.ToLower(cell)
	if c == "" || c == "-" || c == "—" || c == "n/a" || c == "na" || c == "?" || c == "oom" || c == "err" || c == "error" {
		return true
	}
	return strings.Trim(c, "x") == ""
}

// failureCell returns the outcome a time cell reports, if it reports a failure.
func failureCell(cell string) (bench.Outcome, bool) {
	switch c := strings.ToLower(cell); {
	case c == "oom" || strings.Contains(c, "out of memory"):
		return bench.OOM, true
	case c == "err" || c == "error" || c == "fail" || c == "failed" || c == "crash" || c == "timeout":
		return bench.Error, true
	}
	return "", false
}

func readTable(file string, r io.Reader, opts *Options) ([]bench.Run, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var (
		header []string
		roles  []colRole
		keys   []string
		runs   []bench.Run
		lineNo int
		base   = filepath.Base(file)
		// Each header row after data rows starts another table. A config in two tables of
		// one file is refused: the tables differ in what their titles say ("70B on 32 nodes",
		// "… 16 nodes"), which their columns do not, and merged they would be one config.
		tables    int
		rows      int                // data rows of the current table
		title     string             // the last line of free text, the current table's title
		titles    []string           // per table
		firstSeen = map[string]int{} // config key → the line of its first row, in table tables
		tableOf   = map[string]int{}
	)
	for sc.Scan() {
		lineNo++
		line := strings.TrimRight(sc.Text(), "\r")
		if !strings.Contains(line, "|") || isRule(line) {
			if t := strings.TrimSpace(line); t != "" && !isRule(line) {
				title = t
			}
			continue // title, notes, blank lines and rules
		}
		cells := splitCells(line)
		if header == nil || isHeader(cells) {
			if !isHeader(cells) {
				return nil, bench.Errorf(file, lineNo, "table row before a header row; the header must name tp, pp, mbs or gbs and a time or TFLOPS column")
			}
			if header == nil || rows > 0 {
				tables++
				titles = append(titles, title)
				rows = 0
			}
			header = cells
			roles = make([]colRole, len(cells))
			keys = make([]string, len(cells))
			seen := map[string]int{}
			measured := -1 // the first column that looks like a measurement perfgate does not read
			for i, c := range cells {
				roles[i], keys[i] = tableColumn(c)
				id := keys[i]
				if roles[i] == colTime {
					id = "time"
				} else if roles[i] == colTFLOPS {
					id = "tflops"
				}
				if id == "" {
					return nil, bench.Errorf(file, lineNo, "column %d has an empty name", i+1)
				}
				if measured < 0 && roles[i] == colConfig && !integerKeys[id] && measurementLike(c) {
					measured = i
				}
				if prev, dup := seen[id]; dup {
					return nil, bench.Errorf(file, lineNo, "columns %d and %d both hold %q", prev+1, i+1, id)
				}
				seen[id] = i
			}
			if measured >= 0 {
				return nil, bench.Errorf(file, lineNo, "%s", measuredColumn(cells, roles, measured))
			}
			continue
		}
		if len(cells) != len(header) {
			return nil, bench.Errorf(file, lineNo, "row has %d cells but the header has %d", len(cells), len(header))
		}
		rows++
		run := bench.Run{Config: bench.Config{}, Outcome: bench.OK, Source: file + ":" + strconv.Itoa(lineNo)}
		var metrics []bench.Metric
		for i, cell := range cells {
			switch roles[i] {
			case colFlags:
				run.Config["flags"] = bench.CanonicalFlags(cell)
			case colConfig:
				if cell == "" {
					return nil, bench.Errorf(file, lineNo, "column %q is empty", header[i])
				}
				v, err := configValue(keys[i], cell)
				if err != nil {
					return nil, bench.Errorf(file, lineNo, "column %q: %v", header[i], err)
				}
				run.Config[keys[i]] = v
			case colTime, colTFLOPS:
				name, better := bench.MetricTime, bench.Lower
				if roles[i] == colTFLOPS {
					name, better = bench.MetricTFLOPS, bench.Higher
				}
				if o, failed := failureCell(cell); failed {
					if run.Outcome == bench.OK || o == bench.OOM {
						run.Outcome = o
						run.Reason = base + ":" + strconv.Itoa(lineNo) + ": " + cell + " in the " + header[i] + " column"
					}
					continue
				}
				if roles[i] == colTFLOPS && placeholder(cell) {
					continue
				}
				v, err := strconv.ParseFloat(cell, 64)
				if err != nil {
					return nil, bench.Errorf(file, lineNo, "column %q: cannot read %q as a number (or OOM / Err)", header[i], cell)
				}
				if msg := bench.CheckValue(v, name, better); msg != "" || v == 0 {
					if msg == "" {
						msg = "value is zero"
					}
					return nil, bench.Errorf(file, lineNo, "column %q: %s", header[i], msg)
				}
				metrics = append(metrics, bench.Metric{Name: name, Unit: name, Better: better, Values: []float64{v}})
			}
		}
		key := run.Config.Key()
		if t, ok := tableOf[key]; !ok {
			tableOf[key], firstSeen[key] = tables, lineNo
		} else if t != tables {
			return nil, bench.Errorf(file, lineNo, "config %s is also in an earlier table of this file (line %d)%s: two tables of one file differ in something their columns do not say, and their rows would be gated as runs of one config; give the tables a column for it (nodes, model, …), or split the file and name each with --set; rows of repeated runs go in one table",
				key, firstSeen[key], titlesOf(titles[t-1], titles[tables-1]))
		}
		if run.Outcome == bench.OK {
			if len(metrics) == 0 {
				return nil, bench.Errorf(file, lineNo, "row has neither a time nor a TFLOPS value, nor OOM / Err")
			}
			run.Metrics = metrics
		}
		runs = append(runs, run)
	}
	if err := sc.Err(); err != nil {
		return nil, bench.Errorf(file, lineNo+1, "%v", err)
	}
	if header == nil {
		return nil, bench.Errorf(file, 0, "no table header row found")
	}
	return runs, nil
}

// titlesOf names the titles of two tables, when they have any: ", under \"A\" and \"B\"".
func titlesOf(a, b string) string {
	if a == "" && b == "" {
		return ""
	}
	return fmt.Sprintf(", under %q and %q", a, b)
}
