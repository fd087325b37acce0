package ingest

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/bench"
)

func TestSniffTrainerLogs(t *testing.T) {
	tests := []struct {
		file, head string
		want       *Format
	}{
		{"train.log", argDump(nil), MegatronFormat},
		{"train.log", "junk\n0: " + realIterLine + "\n", MegatronFormat},
		{"bridge.log", "Step Time : 12.78s GPU utilization: 528.1 TFLOP/s/GPU\n" + realIterLine + "\n", MegatronBridgeFormat},
		{"bridge.log", "Step Time : 3.41s GPU utilization: 402.7MODEL_TFLOP/s/GPU\n", MegatronBridgeFormat},
		{"nemo.log", "Training epoch 0, iteration 120/149 | lr: 3e-05 | consumed_samples: 121 | global_batch_size: 1 | global_step: 120 | reduced_train_loss: 1.233 | train_step_timing in s: 0.03146 | val_loss: 4.106\n", NeMoFormat},
		{"titan.log", "[titan] 2026-02-24 19:46:17,508 - root - INFO - step:  4  loss:  7.62585  grad_norm: 26.6250  memory: 66.91GiB(37.51%)  tps: 10,050  tflops: 314.71  mfu: 13.99%\n", TorchtitanFormat},
		{"titan.log", "[rank0]:[titan] 2025-07-21 15:57:42,774 - root - INFO - \x1b[31mstep:  3  \x1b[32mloss:  4.9925  \x1b[33mgrad_norm:  2.6422  \x1b[36mmemory:  0.00GiB(0.00%)  \x1b[34mtps: 30,768  \x1b[36mtflops: 3.15  \x1b[35mmfu: 0.32%\x1b[39m\n", TorchtitanFormat},
		{"golden_values_dev_dgx_h100.json", "{\n  \"lm loss\": {}}", GoldenFormat},
		{"values.json", `{"iteration-time": {"start_step": 1, "end_step": 2, "step_interval": 1, "values": {"1": 1.0}}}`, GoldenFormat},
		{"sweep.txt", "tp | pp | mbs | gbs | time | TFLOPS\n8 | 4 | 1 | 1024 | 49.9 | 137.63\n", TableFormat},
	}
	for _, tt := range tests {
		f, err := Detect(tt.file, []byte(tt.head))
		if f != tt.want {
			name := "<nil>"
			if f != nil {
				name = f.Name
			}
			t.Errorf("Detect(%q, %.40q) = %s, %v; want %s", tt.file, tt.head, name, err, tt.want.Name)
		}
	}
	// Text that merely mentions the keywords is none of the log formats.
	for _, head := range []string{
		"the elapsed time per iteration is shown below\n",
		"Step Time : 3s\n",
		"step: 4 tflops\n",
		"Training epoch 0, iteration 1/2\n",
		`{"config": {"tp": 8}}`,
	} {
		for _, f := range []*Format{MegatronFormat, MegatronBridgeFormat, NeMoFormat, TorchtitanFormat, GoldenFormat} {
			if f.Sniff("x.log", []byte(head)) {
				t.Errorf("%s sniffs %q", f.Name, head)
			}
		}
	}
}

func TestBridge(t *testing.T) {
	// The old format alone: each Step Time line is one iteration.
	var b strings.Builder
	for i := 0; i < 20; i++ {
		b.WriteString("Step Time : 12.78s GPU utilization: 528.1 TFLOP/s/GPU\n")
	}
	runs := readLog(t, MegatronBridgeFormat, b.String(), -1)
	if got := values(runs[0], bench.MetricTFLOPS); len(got) != 17 || got[0] != 528.1 {
		t.Errorf("old format TFLOPS = %v, want 17 × 528.1", got)
	}
	// The current format: the iteration line after a Step Time line gives the finer time.
	log := "Step Time : 3.41s GPU utilization: 402.7MODEL_TFLOP/s/GPU\n" + iterLine(1, 3, 3412.5, 0) + "\n" +
		"Step Time : 3.41s GPU utilization: 402.8MODEL_TFLOP/s/GPU\n" + iterLine(2, 3, 3408.5, 0) + "\n" +
		"Step Time : 3.42s GPU utilization: 401.9MODEL_TFLOP/s/GPU\n" + iterLine(3, 3, 3421.5, 0) + "\n" +
		"[Rank 0] (after 1 iterations) memory (GB) | mem-allocated-gigabytes: 31.4 | mem-max-allocated-gigabytes: 1.048576 | alloc-retries: 0\n"
	runs = readLog(t, MegatronBridgeFormat, log, 0)
	r := runs[0]
	if got := values(r, bench.MetricTime); len(got) != 2 || got[0] != 3.4085 || got[1] != 3.4215 {
		t.Errorf("s/iter = %v, want [3.4085 3.4215]", got)
	}
	if got := values(r, bench.MetricTFLOPS); len(got) != 2 || got[0] != 402.8 {
		t.Errorf("TFLOPS = %v", got)
	}
	if got := values(r, bench.MetricMaxAlloc); len(got) != 1 || math.Abs(got[0]-1000) > 1e-9 {
		t.Errorf("MB-max-allocated = %v, want [1000]", got)
	}
	// Failures count as for Megatron-LM.
	runs = readLog(t, MegatronBridgeFormat, log+"torch.OutOfMemoryError: CUDA out of memory.\n", -1)
	if runs[0].Outcome != bench.OOM {
		t.Errorf("bridge OOM: %s", renderRuns(runs))
	}
}

func TestNeMo(t *testing.T) {
	line := func(epoch, it, total int, timing string, extra string) string {
		return "Training epoch " + itoa(epoch) + ", iteration " + itoa(it) + "/" + itoa(total) + " | lr: 3e-05 | global_step: " + itoa(it) +
			" | reduced_train_loss: 1.233 | train_step_timing in s: " + timing + extra + "\n"
	}
	var b strings.Builder
	b.WriteString(line(0, 0, 4, "5.1", ""))
	for it := 1; it < 4; it++ {
		b.WriteString(line(0, it, 4, "0.03146", " | TFLOPS_per_GPU: 312.4"))
	}
	for it := 0; it < 4; it++ { // a second epoch restarts the iteration count
		b.WriteString(line(1, it, 4, "0.0315", " | TFLOPS_per_GPU: 311.9"))
	}
	runs := readLog(t, NeMoFormat, b.String(), 0)
	if got := values(runs[0], bench.MetricTime); len(got) != 7 || got[6] != 0.0315 {
		t.Errorf("s/iter = %v, want 7 samples", got)
	}
	if got := values(runs[0], bench.MetricTFLOPS); len(got) != 7 {
		t.Errorf("TFLOPS = %v", got)
	}
	// Iteration numbers that go back within an epoch are not a new epoch: a second job
	// appended to the log (with its slow first iteration) or lines printed again. They are
	// ignored with a note, as Megatron-LM's are, never taken as more samples of the run.
	var again strings.Builder
	again.WriteString(b.String())
	again.WriteString(line(1, 0, 4, "9.9", " | TFLOPS_per_GPU: 9.9")) // the second job's warm-up
	again.WriteString(line(1, 1, 4, "0.0315", " | TFLOPS_per_GPU: 311.9"))
	again.WriteString(line(1, 2, 4, "0.0315", " | TFLOPS_per_GPU: 311.9"))
	runs = readLog(t, NeMoFormat, again.String(), 0)
	if got := values(runs[0], bench.MetricTime); len(got) != 7 || slices.Contains(got, 9.9) {
		t.Errorf("s/iter with a second job appended = %v, want the 7 samples of the first", got)
	}
	if !slices.ContainsFunc(runs[0].Notes, func(n string) bool { return strings.HasPrefix(n, "3 lines that did not advance") }) {
		t.Errorf("notes = %q, want one on the 3 lines that did not advance", runs[0].Notes)
	}
	// "i/N" in a log of one epoch is the run's last iteration: the default warm-up is 10% of
	// the iterations to N, and a log that stops short says so. Over several epochs N may
	// count one epoch, so neither applies.
	if slices.ContainsFunc(runs[0].Notes, func(n string) bool { return strings.Contains(n, "cut off") }) {
		t.Errorf("two epochs of 0..4 read as cut off: notes %q", runs[0].Notes)
	}
	var cut strings.Builder
	for it := 0; it <= 5; it++ {
		cut.WriteString(line(0, it, 19, "0.0"+itoa(31+it), ""))
	}
	runs = readLog(t, NeMoFormat, cut.String(), -1)
	if got := values(runs[0], bench.MetricTime); !slices.Equal(got, []float64{0.034, 0.035, 0.036}) {
		t.Errorf("iterations 0..5 of 19: s/iter %v, want 3..5 (10%% of 20 iterations, 2, beyond the first)", got)
	}
	if !slices.Contains(runs[0].Notes, "log cut off at iteration 5 of 19; 3 steady iterations used") {
		t.Errorf("iterations 0..5 of 19: notes %q, want it named cut off", runs[0].Notes)
	}
	// Epochs of one iteration each: every epoch's line is a new iteration, not a repeat.
	var one strings.Builder
	for epoch := 0; epoch < 5; epoch++ {
		one.WriteString(line(epoch, 0, 1, "0.0315", " | TFLOPS_per_GPU: 311.9"))
	}
	runs = readLog(t, NeMoFormat, one.String(), 0)
	if got := values(runs[0], bench.MetricTime); len(got) != 4 {
		t.Errorf("s/iter of five one-iteration epochs = %v, want 4 samples (the first is warm-up); notes %q", got, runs[0].Notes)
	}
	runs = readLog(t, NeMoFormat, b.String()+"Traceback (most recent call last):\n", 0)
	if runs[0].Outcome != bench.Error || !strings.HasPrefix(runs[0].Reason, "train.log:9: Traceback") {
		t.Errorf("NeMo traceback: %s", renderRuns(runs))
	}
	runs = readLog(t, NeMoFormat, "nothing\n", 0)
	if runs[0].Outcome != bench.Error || !strings.Contains(runs[0].Reason, "no training iterations") {
		t.Errorf("empty NeMo log: %s", renderRuns(runs))
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestTorchtitan(t *testing.T) {
	step := func(rank string, n int, tps, tflops, mem string) string {
		return rank + "[titan] 2025-07-21 15:57:42,774 - root - INFO - \x1b[31mstep: " + itoa(n) + "  \x1b[32mloss:  4.9925  \x1b[36mmemory: " + mem +
			"(37.51%)  \x1b[34mtps: " + tps + "  \x1b[36mtflops: " + tflops + "  \x1b[35mmfu: N/A\x1b[39m\n"
	}
	var b strings.Builder
	b.WriteString("[rank0]:[titan] 2025-07-21 15:57:31,101 - root - INFO - Starting job: Llama 3 8B training\n")
	b.WriteString("[rank0]:[titan] 2025-07-21 15:57:40,002 - root - INFO - Training starts at step 1, with local batch size 1, global batch size 8, gradient accumulation steps 1, sequence length 8192, total steps 10 (warmup 2)\n")
	for n := 1; n <= 5; n++ {
		b.WriteString(step("[rank1]:", n, "1,000", "1,999.00", "99.00GiB"))
		b.WriteString(step("[rank0]:", n, "10,050", "1,314.71", "66.91GiB"))
	}
	b.WriteString("[rank0]:[titan] 2025-07-21 16:00:00,000 - root - INFO - Starting job: Llama 3 8B training\n")
	b.WriteString("[rank0]:[titan] 2025-07-21 16:00:00,000 - root - INFO - Training starts at step 1, with local batch size 1, global batch size 16, gradient accumulation steps 1, sequence length 4096, total steps 3 (warmup 2)\n")
	for n := 1; n <= 3; n++ {
		b.WriteString(step("[rank0]:", n, "9,000", "300.5", "512.5MiB"))
	}
	runs := readLog(t, TorchtitanFormat, b.String(), 0)
	if len(runs) != 2 {
		t.Fatalf("got %d runs, want 2:\n%s", len(runs), renderRuns(runs))
	}
	r := runs[0]
	if got := values(r, bench.MetricTFLOPS); len(got) != 4 || got[0] != 1999 {
		t.Errorf("run 1 TFLOPS = %v, want rank1's 4 × 1999 (the first rank seen)", got)
	}
	if got := values(r, MetricTokens); len(got) != 4 || got[0] != 1000 {
		t.Errorf("run 1 tokens/s = %v", got)
	}
	if got := values(r, MetricMaxReserved); len(got) != 1 || got[0] != 99*1024 {
		t.Errorf("run 1 MB-max-reserved = %v", got)
	}
	if r.Config.Key() != "gbs=8/sl=8192" || !strings.Contains(strings.Join(r.Notes, " "), "log cut off at iteration 5 of 10") {
		t.Errorf("run 1: %s", renderRuns(runs[:1]))
	}
	if got := values(runs[1], MetricMaxReserved); runs[1].Config["gbs"] != "16" || len(got) != 1 || got[0] != 512.5 {
		t.Errorf("run 2: %s", renderRuns(runs[1:]))
	}
}

func TestGolden(t *testing.T) {
	doc := `{
  "lm loss": {"start_step": 1, "end_step": 6, "step_interval": 1, "values": {"1": 10.0}},
  "iteration-time": {"start_step": 1, "end_step": 6, "step_interval": 1,
    "values": {"1": "nan", "2": 7.9, "3": "nan", "4": 1.25, "5": "NaN", "6": 1.5}},
  "throughput": {"start_step": 1, "end_step": 6, "step_interval": 1, "values": {"2": 50.0, "4": 400.0, "6": 410.0}},
  "mem-max-allocated-bytes": {"start_step": 1, "end_step": 6, "step_interval": 1, "values": {"1": 1048576.0, "6": 2097152.0}}
}`
	runs := readLog(t, GoldenFormat, doc, 0)
	r := runs[0]
	if r.Source != "train.log:3" {
		t.Errorf("source = %s, want the iteration-time line", r.Source)
	}
	if got := values(r, bench.MetricTime); len(got) != 2 || got[0] != 1.25 || got[1] != 1.5 {
		t.Errorf("s/iter = %v, want [1.25 1.5]", got)
	}
	if got := values(r, bench.MetricTFLOPS); len(got) != 2 || got[0] != 400 {
		t.Errorf("TFLOPS = %v", got)
	}
	if got := values(r, bench.MetricMaxAlloc); len(got) != 1 || got[0] != 2 {
		t.Errorf("MB-max-allocated = %v, want [2]", got)
	}
	for _, tt := range []struct{ doc, want string }{
		{`{"lm loss": {"start_step": 1, "end_step": 1, "step_interval": 1, "values": {"1": 1}}}`, `train.log:1: golden values have no "iteration-time" series (only "lm loss")`},
		{"{\n\"iteration-time\": {\"values\": {\"x\": 1}}}", `train.log:2: "iteration-time": step "x" is not a whole number`},
		{"{\n\"iteration-time\": {\"values\": {\"1\": true}}}", `train.log:2: "iteration-time": step 1: value true is not a number`},
		{"{\n\"iteration-time\": {\"values\": {\"1\": \"fast\"}}}", `train.log:2: "iteration-time": step 1: value "fast" is neither a number nor "nan"`},
		{"{\n\"iteration-time\": [1, 2]}", `train.log:2: "iteration-time": want {start_step, end_step, step_interval, values}`},
		{"{\n\"iteration-time\": {,}}", `train.log:2: not a golden values JSON object`},
	} {
		_, err := GoldenFormat.Read("train.log", strings.NewReader(tt.doc), nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Read(%q): err = %v, want %q", tt.doc, err, tt.want)
		}
	}
}

func TestNameConfig(t *testing.T) {
	tests := []struct{ name, want string }{
		{"tp=8_pp=4_mbs=1_gbs=1024_sl=4096_nodes=32.log", "tp=8/pp=4/mbs=1/gbs=1024/sl=4096/nodes=32"},
		{"dir/run_tp=08_flags=overlap-grad+dist-opt.run2.log", "tp=8/flags=dist-opt+overlap-grad"},
		{"llama_model=llama3-70b_tp=8.txt", "model=llama3-70b/tp=8"},
		{"tp=8_note=a_b.log", "tp=8/note=a_b"},
		{"tp=x_pp=2.log", "pp=2"},
		{"train.log", ""},
		{"lr=1.5e-4.log", "lr=1.5e-4"},
		{"=8_9x=1.log", ""},
	}
	for _, tt := range tests {
		if got := nameConfig(tt.name).Key(); got != tt.want {
			t.Errorf("nameConfig(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestSidecar(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// world_size 24: 3 nodes of 8 GPUs, the sidecar's nodes=3, so no gpus key (gpusKey).
	log := argDump(map[string]string{"tensor_model_parallel_size": "4", "world_size": "24"}) + iterLines(1, 10, 10, 1000, 400)
	a := write("tp=4_nodes=2_a.log", log)
	write("tp=4_nodes=2_a.log.json", `{"nodes": 3, "model": "llama3-70b", "flags": ["dist-opt", "overlap-grad"], "note": null}`)
	b := write("b.out", log)
	write("b.json", `{"nodes": 5.0}`)
	c := write("c.log", log)
	write("c.json", `{"config": {"tp": 8}}`)      // not a sidecar: nested
	results := write("results.json", `{"tp": 8}`) // no log beside it
	write("golden_values_x.json", `{"iteration-time": {"values": {"1": 1}}}`)

	for _, tt := range []struct {
		path string
		want bool
	}{
		{filepath.Join(dir, "tp=4_nodes=2_a.log.json"), true},
		{filepath.Join(dir, "b.json"), true},
		{filepath.Join(dir, "c.json"), false},
		{results, false},
		{filepath.Join(dir, "golden_values_x.json"), false},
		{a, false},
	} {
		if got := isSidecar(tt.path); got != tt.want {
			t.Errorf("isSidecar(%s) = %v, want %v", filepath.Base(tt.path), got, tt.want)
		}
	}

	opts := &Options{SkipIters: -1, Set: bench.Config{"gbs": "4096"}}
	runs, _, _, err := readFile(a, opts, false)
	if err != nil {
		t.Fatal(err)
	}
	// Log < file name < sidecar < --set.
	if got, want := runs[0].Config.Key(), "model=llama3-70b/tp=4/pp=4/mbs=1/gbs=4096/flags=dist-opt+overlap-grad/sl=4096/nodes=3"; got != want {
		t.Errorf("config = %s, want %s", got, want)
	}
	runs, _, _, err = readFile(b, &Options{SkipIters: -1}, false)
	if err != nil || runs[0].Config["nodes"] != "5" {
		t.Errorf("b.out: %v %v", err, runs)
	}
	// A JSON file beside a log that is not a flat object fails loudly when read as a sidecar.
	if _, _, _, err := readFile(c, &Options{SkipIters: -1}, false); err == nil || !strings.Contains(err.Error(), "c.json: sidecar key \"config\": nested objects") {
		t.Errorf("c.log: err = %v", err)
	}
	// Directory walks skip sidecars but not other JSON files.
	files, err := expand(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f.path))
	}
	sort.Strings(names)
	if got, want := strings.Join(names, " "), "b.out c.json c.log golden_values_x.json results.json tp=4_nodes=2_a.log"; got != want {
		t.Errorf("expand = %s, want %s", got, want)
	}
	for _, bad := range []string{`[1]`, `{"tp": "eight"}`, `{"x": {"y": 1}}`, `{"a": [1]}`, `{} {}`, `null`, `{"": 1}`} {
		if _, err := parseSidecar("s.json", []byte(bad)); err == nil {
			t.Errorf("parseSidecar(%s) succeeded", bad)
		}
	}
}

// TestSweepLogsMatchSeedTable checks that testdata/logs/megatron-sweep describes the seed
// table: every row's config has log runs with the same config key and outcome, and for OK
// rows one of them has medians within 1% of the row's time and TFLOPS.
func TestSweepLogsMatchSeedTable(t *testing.T) {
	table, _, _, err := readFile("../testdata/seed/sweep-70b-32nodes.txt", &Options{SkipIters: -1}, false)
	if err != nil {
		t.Fatal(err)
	}
	logs, err := ReadPaths([]string{filepath.Join(logsDir, "megatron-sweep")}, &Options{SkipIters: -1})
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string][]bench.Run{}
	for _, r := range logs {
		byKey[r.Config.Key()] = append(byKey[r.Config.Key()], r)
	}
	tableKeys := map[string]bool{}
	close := func(a, b float64) bool { return math.Abs(a/b-1) < 0.01 }
	for _, row := range table {
		key := row.Config.Key()
		tableKeys[key] = true
		runs := byKey[key]
		if len(runs) < 2 {
			t.Errorf("%s: %d log runs, want at least 2", key, len(runs))
			continue
		}
		matched := false
		for _, r := range runs {
			if r.Outcome != row.Outcome {
				t.Errorf("%s: log run %s is %s, table row %s is %s", key, r.Source, r.Outcome, row.Source, row.Outcome)
			}
			if row.Outcome == bench.OK && r.Outcome == bench.OK &&
				close(median(values(r, bench.MetricTime)), values(row, bench.MetricTime)[0]) &&
				close(median(values(r, bench.MetricTFLOPS)), values(row, bench.MetricTFLOPS)[0]) {
				matched = true
			}
		}
		if row.Outcome == bench.OK && !matched {
			t.Errorf("%s: no log run matches table row %s", key, row.Source)
		}
	}
	for key := range byKey {
		if !tableKeys[key] {
			t.Errorf("log config %s is not in the seed table", key)
		}
	}
}

// A logged throughput no run can measure (a garbled "tflops: 100001" is 100 PFLOP/s per GPU)
// leaves the metric out with a note, as a non-positive one does, in every trainer log; it
// used to reach the check, where Validate refused the whole input naming the run's first line
// rather than the garbled one. The fuzz tests found it (testdata/fuzz/Fuzz*/).
func TestImplausibleThroughputLeftOut(t *testing.T) {
	for _, tc := range []struct {
		f   *Format
		log string
	}{
		{NeMoFormat, "Training epoch 0, iteration 0/3 | train_step_timing in s: 5.1\n" +
			"Training epoch 0, iteration 1/3 | train_step_timing in s: 0.5 | TFLOPS_per_GPU: 312.4\n" +
			"Training epoch 0, iteration 2/3 | train_step_timing in s: 0.5 | TFLOPS_per_GPU: 100001\n"},
		{TorchtitanFormat, titanStep(1, "300.0") + titanStep(2, "300.0") + titanStep(3, "100001")},
		{MegatronFormat, iterLine(1, 3, 5000, 300) + "\n" + iterLine(2, 3, 5000, 300) + "\n" + iterLine(3, 3, 5000, 1e5+1) + "\n"},
	} {
		runs := readLog(t, tc.f, tc.log, 0)
		r := runs[0]
		if r.Outcome != bench.OK || r.Metric(bench.MetricTFLOPS) != nil {
			t.Errorf("%s: %s", tc.f.Name, renderRuns(runs))
			continue
		}
		if !slices.ContainsFunc(r.Notes, func(n string) bool { return strings.Contains(n, "beyond what a run can measure") }) {
			t.Errorf("%s: notes %q do not say why TFLOPS/GPU was left out", tc.f.Name, r.Notes)
		}
	}
}

func titanStep(n int, tflops string) string {
	return "[rank0]:[titan] 2025-07-21 15:57:42,774 - root - INFO - step: " + itoa(n) + "  loss:  4.9925  memory: 66.91GiB(37.51%)  tps: 10,050  tflops: " + tflops + "  mfu: N/A\n"
}

// On the real NeMo logs (testdata/logs/README.md gives their sources), two jobs' logs joined in
// one file (cat run1.log run2.log) are not one run with more samples: the second job's
// iteration count restarts within the same epoch, so its lines are left out with a note.
// TestBridgeRestartedRunLeftOut: the Megatron-LM rule for a count that starts again, on a
// Megatron-Bridge log, whose Step Time line comes before its iteration line: a second run
// appended without an argument dump (iterations 1..10, then 1..40 of the generated bridge.log;
// no real Bridge log with metrics is public, testdata/logs/README.md) is left out with a
// note, its Step Time lines too, rather than its iterations 11..40 taken as this run's.
func TestBridgeRestartedRunLeftOut(t *testing.T) {
	data, err := os.ReadFile("../testdata/logs/bridge.log")
	if err != nil {
		t.Fatal(err)
	}
	var first []string // the log up to iteration 10
	for _, l := range strings.SplitAfter(string(data), "\n") {
		first = append(first, l)
		if strings.Contains(l, "iteration       10/") {
			break
		}
	}
	runA := strings.Join(first, "")
	once := readLog(t, MegatronBridgeFormat, runA, -1)
	both := readLog(t, MegatronBridgeFormat, runA+string(data), -1)
	for _, m := range []string{bench.MetricTime, bench.MetricTFLOPS} {
		if got, want := values(both[0], m), values(once[0], m); !slices.Equal(got, want) {
			t.Errorf("second run appended: %s %v, want the first run's %v", m, got, want)
		}
	}
	if !slices.ContainsFunc(both[0].Notes, func(n string) bool { return strings.Contains(n, "iteration 1 after iteration 10") }) {
		t.Errorf("second run appended: notes %q, want the restart named", both[0].Notes)
	}
}

// TestNeMoRestartedJobLeftOut: a second job appended to a log whose iteration count starts
// again and runs past the first job's last iteration is another run's: its lines are left out
// with a note, not taken as the first job's later samples (the first job logged 45..47 here,
// the second 45..49, of the real log).
func TestNeMoRestartedJobLeftOut(t *testing.T) {
	data, err := os.ReadFile("../testdata/logs/nemo-experiments/model=llama3-8b_tp=1_pp=1_mbs=2_sl=8192_nodes=1.log")
	if err != nil {
		t.Fatal(err)
	}
	var first []string // the log up to iteration 47
	for _, l := range strings.SplitAfter(string(data), "\n") {
		first = append(first, l)
		if strings.Contains(l, "Training epoch 0, iteration 47/99") {
			break
		}
	}
	jobA := strings.Join(first, "")
	once := readLog(t, NeMoFormat, jobA, -1)
	both := readLog(t, NeMoFormat, jobA+string(data), -1)
	if got, want := values(both[0], bench.MetricTime), values(once[0], bench.MetricTime); !slices.Equal(got, want) {
		t.Errorf("second job appended: samples %v, want the first job's %v", got, want)
	}
	restart := "iteration 45 after iteration 47"
	if !slices.ContainsFunc(both[0].Notes, func(n string) bool { return strings.Contains(n, restart) && strings.Contains(n, "left out") }) {
		t.Errorf("second job appended: notes %q, want one naming %q and the line", both[0].Notes, restart)
	}
}

func TestNeMoRealLogConcatenated(t *testing.T) {
	for _, f := range []string{
		"../testdata/logs/nemo-experiments/model=llama3-8b_tp=1_pp=1_mbs=2_sl=8192_nodes=1.log",
		"../testdata/logs/nemo-experiments/model=qwen3-30b-a3b_sl=4096_nodes=1.log",
	} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		once := readLog(t, NeMoFormat, string(data), -1)
		twice := readLog(t, NeMoFormat, string(data)+string(data), -1)
		if got, want := values(twice[0], bench.MetricTime), values(once[0], bench.MetricTime); !slices.Equal(got, want) {
			t.Errorf("%s joined with itself: %d samples, want the %d of one run", f, len(got), len(want))
		}
		if !slices.ContainsFunc(twice[0].Notes, func(n string) bool { return strings.Contains(n, "did not advance") }) {
			t.Errorf("%s joined with itself: notes %q, want the repeated lines named", f, twice[0].Notes)
		}
	}
}

// TestBridgeNewJobWithoutDumpRefused: Megatron-Bridge logs go through the Megatron-LM parser,
// so another job's start banner after a run's iterations, followed by iteration lines that do
// not go back, is refused as in TestMegatronNewJobWithoutDumpRefused; so are Step Time lines
// with no iteration lines, whose steps nothing numbers. (No real Bridge log with metrics is
// public, testdata/logs/README.md; the generated bridge.log stands in.)
func TestBridgeNewJobWithoutDumpRefused(t *testing.T) {
	data := string(must(os.ReadFile("../testdata/logs/bridge.log")))
	cut := strings.Index(data, "iteration       11/")
	cut = strings.LastIndex(data[:cut], "Step Time :") // the Step Time line of iteration 11
	const banner = "[before the start of training step] datetime: 2025-09-30 12:00:00 \n"
	head, tail := data[:cut], data[cut:]
	_, err := MegatronBridgeFormat.Read("b.log", strings.NewReader(head+banner+tail), &Options{SkipIters: -1})
	bannerLine := strings.Count(head, "\n") + 1
	want := fmt.Sprintf("b.log:%d: iteration 11 (not below iteration 10, where this run stopped) follows another job's start at line %d", bannerLine+2, bannerLine)
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("iterations go on after a banner: error %v, want prefix %q", err, want)
	}

	step := "Step Time : 13.96s GPU utilization: 98.4MODEL_TFLOP/s/GPU\n"
	_, err = MegatronBridgeFormat.Read("b.log", strings.NewReader(strings.Repeat(step, 5)+banner+strings.Repeat(step, 5)), &Options{SkipIters: -1})
	if want := "b.log:7: a Step Time line (with no iteration line to tell its step) follows another job's start at line 6"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Step Time lines only: error %v, want prefix %q", err, want)
	}
}

// TestNeMoNewJobAfterBannerRefused: the real llama3-8b NeMo log up to iteration 47, then
// Lightning's start banner (its rank-zero "GPU available: …" line, as every NeMo 2.0 job
// prints it before training; the fixtures were pasted without it), then the real qwen3 log,
// whose iterations 527..529 go on past 47. Before this test the qwen3 job's samples were read
// as the llama3 run's, with no word; now the log is refused at qwen3's first iteration,
// naming the banner. Without the banner nothing tells a second job that goes on from the
// first's, and the log still reads as one run.
func TestNeMoNewJobAfterBannerRefused(t *testing.T) {
	llama := string(must(os.ReadFile("../testdata/logs/nemo-experiments/model=llama3-8b_tp=1_pp=1_mbs=2_sl=8192_nodes=1.log")))
	qwen := string(must(os.ReadFile("../testdata/logs/nemo-experiments/model=qwen3-30b-a3b_sl=4096_nodes=1.log")))
	jobA := llama[:strings.Index(llama, "Training epoch 0, iteration 48/99")]
	const banner = "GPU available: True (cuda), used: True\n"
	log := jobA + banner + qwen
	_, err := NeMoFormat.Read("n.log", strings.NewReader(log), &Options{SkipIters: -1})
	bannerLine := strings.Count(jobA, "\n") + 1
	qwenFirst := bannerLine + strings.Count(qwen[:strings.Index(qwen, "Training epoch 0, iteration 527/")], "\n") + 1
	want := fmt.Sprintf("n.log:%d: iteration 527 of epoch 0 follows another job's start at line %d (GPU available: True (cuda), used: True) after iteration 47", qwenFirst, bannerLine)
	var se *bench.SyntaxError
	if !errors.As(err, &se) || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %v (%T), want a *bench.SyntaxError with prefix %q", err, err, want)
	}
	// A banner after the run's last iteration with no iterations after it (an evaluation
	// trainer, say) changes nothing.
	once := readLog(t, NeMoFormat, jobA, -1)
	tail := readLog(t, NeMoFormat, jobA+banner, -1)
	if renderRuns(once) != renderRuns(tail) {
		t.Errorf("banner at the end: got\n%s\nwant\n%s", renderRuns(tail), renderRuns(once))
	}
}

// TestNameContradictsLog: a file name or sidecar that gives a Megatron log another tp, pp or
// batch size than its own argument dump is an error naming both (audit: a pp=8 run named
// pp=4 was gated as the pp=4 config, without a word). A torchtitan or NeMo log's sizes are
// derived from what it prints: there the name's value is used, with a note.
func TestNameContradictsLog(t *testing.T) {
	dir := t.TempDir()
	log := argDump(nil) + iterLines(1, 10, 10, 1000, 400) // tp=8, pp=4, gbs=128
	p := filepath.Join(dir, "run_pp=8_flags=dist-opt.log")
	if err := os.WriteFile(p, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, _, err := readFile(p, &Options{SkipIters: -1}, false)
	if err == nil || !strings.Contains(err.Error(), "run_pp=8_flags=dist-opt.log: the file name gives pp=8, but the log's own arguments give pp=4") {
		t.Errorf("err = %v, want the contradiction named", err)
	}
	side := filepath.Join(dir, "run.log")
	if err := os.WriteFile(side, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "run.json"), []byte(`{"gbs": 256}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := readFile(side, &Options{SkipIters: -1}, false); err == nil || !strings.Contains(err.Error(), "the sidecar run.json gives gbs=256, but the log's own arguments give gbs=128") {
		t.Errorf("sidecar: err = %v, want the contradiction named", err)
	}
	// Keys that agree, or that the log does not state (nodes, flags, model), are the name's.
	ok := filepath.Join(dir, "tp=8_pp=4_nodes=3_model=x.log")
	if err := os.WriteFile(ok, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	if runs, _, _, err := readFile(ok, &Options{SkipIters: -1}, false); err != nil || runs[0].Config["nodes"] != "3" || runs[0].Config["model"] != "x" {
		t.Errorf("agreeing name: %v %v", err, runs)
	}
}
