package ingest

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/perfgate/perfgate/bench"
)

// GoldenFormat reads the golden values of Megatron-LM's functional tests
// (tests/functional_tests/test_cases/<model>/<test>/golden_values_<env>_<platform>.json):
//
//	{"iteration-time": {"start_step": 1, "end_step": 25, "step_interval": 1,
//	                    "values": {"1": "nan", "2": 7.90648, "4": 1.16377, …}},
//	 "mem-max-allocated-bytes": {…}, "lm loss": {…}}
//
// The iteration-time series gives one s/iter sample per finite step after warm-up ("nan"
// entries are steps that were not logged); "throughput", when present, gives TFLOPS/GPU
// samples; the largest mem-max-allocated-bytes value gives MB-max-allocated. The file is
// one run. Megatron-LM names every such file golden_values_<env>_<platform>.json inside the
// directory of its test case, so the config of a file so named is test=<directory name>
// (gpt3_7b_tp4_pp1_memory_speed) and platform=<env>_<platform> (dev_dgx_h100); a file name
// with key=value parts, a sidecar JSON and --set add to or override it.
var GoldenFormat = &Format{
	Name:   "megatron-golden",
	Doc:    "Megatron-LM golden values JSON (golden_values_*.json with an \"iteration-time\" series)",
	Sniff:  sniffGolden,
	Read:   readGolden,
	Warmup: true,
}

// maxGolden bounds the size of a golden values file; real ones are a few hundred KB.
const maxGolden = 256 << 20

func sniffGolden(file string, head []byte) bool {
	t := bytes.TrimLeft(head, " \t\r\n\ufeff")
	if len(t) == 0 || t[0] != '{' {
		return false
	}
	if goldenName(file) {
		return true
	}
	return bytes.Contains(head, []byte(`"step_interval"`)) && bytes.Contains(head, []byte(`"values"`)) &&
		(bytes.Contains(head, []byte(`"iteration-time"`)) || bytes.Contains(head, []byte(`"lm loss"`)))
}

// goldenMetric is one series of a golden values file.
type goldenMetric struct {
	StartStep    int                        `json:"start_step"`
	EndStep      int                        `json:"end_step"`
	StepInterval int                        `json:"step_interval"`
	Values       map[string]json.RawMessage `json:"values"`
}

// goldenPoint is one step of a series; NaN for "nan" entries.
type goldenPoint struct {
	step int
	v    float64
}

func readGolden(file string, r io.Reader, opts *Options) ([]bench.Run, error) {
	if opts == nil {
		opts = &Options{SkipIters: -1}
	}
	data, err := io.ReadAll(io.LimitReader(r, maxGolden+1))
	if err != nil {
		return nil, bench.Errorf(file, 0, "%v", err)
	}
	if len(data) > maxGolden {
		return nil, bench.Errorf(file, 0, "golden values file is larger than %d MB", maxGolden>>20)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, bench.Errorf(file, max(1, bench.JSONErrorLine(data, err)), "not a golden values JSON object: %v", jsonErrorMsg(err))
	}
	readSeries := func(name string) ([]goldenPoint, int, error) {
		raw, ok := doc[name]
		if !ok {
			return nil, 0, nil
		}
		line := keyLine(data, name)
		var m goldenMetric
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, line, bench.Errorf(file, line, "%q: want {start_step, end_step, step_interval, values}: %v", name, jsonErrorMsg(err))
		}
		pts := make([]goldenPoint, 0, len(m.Values))
		for k, rv := range m.Values {
			step, err := strconv.Atoi(k)
			if err != nil || step < 0 {
				return nil, line, bench.Errorf(file, line, "%q: step %q is not a whole number", name, k)
			}
			v, err := goldenValue(rv)
			if err != nil {
				return nil, line, bench.Errorf(file, line, "%q: step %d: %v", name, step, err)
			}
			pts = append(pts, goldenPoint{step, v})
		}
		sort.Slice(pts, func(i, j int) bool { return pts[i].step < pts[j].step })
		return pts, line, nil
	}
	timePts, timeLine, err := readSeries("iteration-time")
	if err != nil {
		return nil, err
	}
	if timePts == nil {
		names := make([]string, 0, len(doc))
		for k := range doc {
			names = append(names, strconv.Quote(k))
		}
		sort.Strings(names)
		return nil, bench.Errorf(file, 1, "golden values have no \"iteration-time\" series (only %s); perfgate needs iteration times", strings.Join(names, ", "))
	}
	tputPts, _, err := readSeries("throughput")
	if err != nil {
		return nil, err
	}
	memPts, _, err := readSeries("mem-max-allocated-bytes")
	if err != nil {
		return nil, err
	}

	cfg, _, err := fileConfig(file, goldenConfig(file), false)
	if err != nil {
		return nil, err
	}
	run := bench.Run{Source: file + ":" + strconv.Itoa(timeLine), Config: cfg, Outcome: bench.OK}
	var times, tput series
	for _, p := range timePts {
		if finite(p.v) {
			times.add(p.step, p.v)
		}
	}
	for _, p := range tputPts {
		if finite(p.v) {
			tput.add(p.step, p.v)
		}
	}
	if len(times.iters) < 2 {
		run.Outcome = bench.Error
		run.Reason = reasonAt(file, timeLine, "iteration-time has "+strconv.Itoa(len(times.iters))+" finite values; the first is warm-up, so none is left")
		return []bench.Run{run}, nil
	}
	first, last := times.iters[0], times.iters[len(times.iters)-1]
	limit, note := warmupLimit(times.iters, skipOf(opts, first, last, 0))
	if note != "" {
		run.Notes = append(run.Notes, note)
	}
	if gaps := len(timePts) - len(times.iters); gaps > 0 {
		run.Notes = append(run.Notes, strconv.Itoa(gaps)+" iteration-time steps are \"nan\" (not logged) and were skipped")
	}
	run.Metrics = append(run.Metrics, bench.Metric{Name: bench.MetricTime, Unit: bench.MetricTime, Better: bench.Lower, Values: times.after(limit)})
	if vs := tput.after(limit); len(vs) > 0 && measurable(vs, bench.MetricTFLOPS) {
		run.Metrics = append(run.Metrics, bench.Metric{Name: bench.MetricTFLOPS, Unit: bench.MetricTFLOPS, Better: bench.Higher, Values: vs})
	}
	maxMem := math.Inf(-1)
	for _, p := range memPts {
		if finite(p.v) && p.v > maxMem {
			maxMem = p.v
		}
	}
	if maxMem >= 0 {
		run.Metrics = append(run.Metrics, bench.Metric{Name: bench.MetricMaxAlloc, Unit: bench.MetricMaxAlloc, Better: bench.Lower, Values: []float64{maxMem / (1 << 20)}})
	}
	return []bench.Run{run}, nil
}

// goldenValue reads one value of a series: a number, or "nan"/"inf" as a string (NaN).
func goldenValue(raw json.RawMessage) (float64, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, err
		}
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "nan", "inf", "-inf", "infinity", "-infinity":
			return math.NaN(), nil
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return 0, errString("value " + strconv.Quote(s) + " is neither a number nor \"nan\"")
		}
		return v, nil
	}
	var v float64
	if err := json.Unmarshal(raw, &v); err != nil {
		return 0, errString("value " + quoteLine(raw) + " is not a number")
	}
	return v, nil
}

type errString string

func (e errString) Error() string { return string(e) }

// keyLine returns the 1-based line of the first occurrence of the JSON key name in data.
func keyLine(data []byte, name string) int {
	key, _ := json.Marshal(name)
	i := bytes.Index(data, append(key, ':'))
	if i < 0 {
		i = bytes.Index(data, key)
	}
	if i < 0 {
		return 1
	}
	return 1 + bytes.Count(data[:i], []byte("\n"))
}

func jsonErrorMsg(err error) string {
	return strings.TrimPrefix(err.Error(), "json: ")
}

// goldenName reports whether file is named as Megatron-LM names its golden values files,
// golden_values*.json in any case.
func goldenName(file string) bool {
	base := strings.ToLower(filepath.Base(file))
	return strings.HasPrefix(base, "golden_values") && strings.HasSuffix(base, ".json")
}

// goldenConfig returns the test case and platform a golden values file's path names:
// tests/functional_tests/test_cases/gpt/gpt3_7b_tp4_pp1_memory_speed/golden_values_dev_dgx_h100.json
// is test=gpt3_7b_tp4_pp1_memory_speed platform=dev_dgx_h100. Other names give nothing.
func goldenConfig(file string) bench.Config {
	if !goldenName(file) {
		return nil
	}
	base := filepath.Base(file)
	c := bench.Config{}
	if p := strings.Trim(base[len("golden_values"):len(base)-len(".json")], "_-"); p != "" {
		c["platform"] = p
	}
	if dir := filepath.Base(filepath.Dir(file)); dir != "." && dir != string(filepath.Separator) && dir != "" {
		c["test"] = dir
	}
	return c
}
