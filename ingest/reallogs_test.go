package ingest

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/bench"
)

// The real public logs under testdata/logs (testdata/logs/README.md names their sources),
// checked against numbers worked out by hand from the logs themselves rather than against
// golden files the reader wrote.

// wantMetric is one metric of a run: its number of steady samples and their median.
type wantMetric struct {
	n      int
	median float64
}

func TestRealLogsByHand(t *testing.T) {
	for _, tc := range []struct {
		path    string
		config  string
		metrics map[string]wantMetric
		notes   []string // substrings of notes the run must carry
	}{{
		// Megatron-LM core_r0.8.0, --log-interval 10, 500000 planned iterations: iteration 10
		// (its average includes start-up and ten fp16 loss-scale skips) is warm-up; 20..100
		// are the nine steady samples. Sorted times (ms): 12036.3 12056.1 12068.8 12072.4
		// [12090.5] 12099.3 12099.4 12104.3 12137.8; TFLOPS: 872.5 875.0 875.3 875.3 [876.0]
		// 877.3 877.5 878.5 879.9.
		path:   "megatron-lm-mdk-7b/nodes=1.log",
		config: "nodes=1",
		metrics: map[string]wantMetric{
			bench.MetricTime:     {9, 12.0905},
			bench.MetricTFLOPS:   {9, 876.0},
			bench.MetricMaxAlloc: {1, 75078.4326171875},
		},
		notes: []string{"log cut off at iteration 100 of 500000; 9 steady samples used"},
	}, {
		// The same job on 16 GPUs: sorted times (ms) 14099.7 14124.1 14176.3 14182.6
		// [14197.6] 14200.2 14212.7 14234.7 14351.0; TFLOPS 793.1 799.6 800.9 801.6 [801.7]
		// 802.6 802.9 805.9 807.3.
		path:   "megatron-lm-mdk-7b/nodes=2.log",
		config: "nodes=2",
		metrics: map[string]wantMetric{
			bench.MetricTime:     {9, 14.1976},
			bench.MetricTFLOPS:   {9, 801.7},
			bench.MetricMaxAlloc: {1, 70522.5751953125},
		},
	}, {
		// torchtitan logging every 10 steps with no start line: steps 1..100 logged, so the
		// warm-up is step 1 and 10 steps beyond it; steps 20..100 are steady. Sorted tflops
		// 205.80 206.09 207.87 208.27 [208.28] 208.71 209.52 209.53 210.05; tps 11366 11382
		// 11481 11503 [11503] 11527 11572 11572 11601; memory 52.53 GiB.
		path:   "torchtitan-2025-10-interval10_model=16b.log",
		config: "model=16b",
		metrics: map[string]wantMetric{
			bench.MetricTFLOPS: {9, 208.28},
			MetricTokens:       {9, 11503},
			MetricMaxReserved:  {1, 52.53 * 1024},
		},
	}, {
		// torchtitan on Intel XPU, no rank prefix, indented, WARNING lines between steps, the
		// paste clipped before step 1: steps 2..19, warm-up 2..3, steady 4..19 (16 samples).
		// Middle two sorted tflops 56.32 and 56.33; tps 5935 and 5936.
		path:   "torchtitan-2026-02-xpu-no-rank_model=agpt-2b_nodes=2.log",
		config: "model=agpt-2b/nodes=2",
		metrics: map[string]wantMetric{
			bench.MetricTFLOPS: {16, 56.325},
			MetricTokens:       {16, 5935.5},
			MetricMaxReserved:  {1, 19.45 * 1024},
		},
	}, {
		// NeMo 2.0 (BioNeMo ESM2) under srun -l: every line but the first behind " 0: ".
		// Iterations 28..34 of a run to 99 (one epoch, so "/99" is the run's last
		// iteration): 10% of 28..99 is 7 beyond 28, which covers every logged one, so only
		// 28 is dropped and 29..34 are the six samples, with a note, and the log was cut off.
		// Sorted times 0.1893 0.1894 0.1902 | 0.1903 0.1915 0.1921: median
		// (0.1902+0.1903)/2.
		path:    "nemo-bionemo-esm2-srun_model=esm2.log",
		config:  "model=esm2/gbs=32",
		metrics: map[string]wantMetric{bench.MetricTime: {6, 0.19025}},
		notes:   []string{"log cut off at iteration 34 of 99; 6 steady iterations used"},
	}, {
		// Megatron-LM with multi-token prediction ("mtp_1 loss", "z_loss" between the
		// fields): iterations 1..10 of 2000; 1 is warm-up, 2..10 the nine samples. Sorted
		// times (ms) 10720.6 10727.4 10758.5 10765.6 [10767.4] 10827.5 10840.4 10883.5
		// 11182.0; TFLOPS 128.2 131.7 132.2 132.4 [133.1] 133.1 133.2 133.6 133.7.
		path:   "megatron-lm-2025-09-mtp_model=ling-v2.log",
		config: "model=ling-v2",
		metrics: map[string]wantMetric{
			bench.MetricTime:     {9, 10.7674},
			bench.MetricTFLOPS:   {9, 133.1},
			bench.MetricMaxAlloc: {1, 63359.77001953125},
		},
		notes: []string{"log cut off at iteration 10 of 2000; 9 steady iterations used"},
	}} {
		t.Run(tc.path, func(t *testing.T) {
			in, err := ReadAll([]string{filepath.Join(logsDir, filepath.FromSlash(tc.path))}, &Options{SkipIters: -1})
			if err != nil {
				t.Fatal(err)
			}
			if len(in.Runs) != 1 {
				t.Fatalf("got %d runs, want 1", len(in.Runs))
			}
			r := in.Runs[0]
			if r.Outcome != bench.OK {
				t.Fatalf("outcome %s (%s), want ok", r.Outcome, r.Reason)
			}
			if got := r.Config.Key(); got != tc.config {
				t.Errorf("config %s, want %s", got, tc.config)
			}
			if len(r.Metrics) != len(tc.metrics) {
				t.Errorf("got %d metrics, want %d", len(r.Metrics), len(tc.metrics))
			}
			for _, m := range r.Metrics {
				want, ok := tc.metrics[m.Name]
				if !ok {
					t.Errorf("unexpected metric %s", m.Name)
					continue
				}
				if len(m.Values) != want.n {
					t.Errorf("%s: %d samples, want %d", m.Name, len(m.Values), want.n)
				}
				if got := median(m.Values); math.Abs(got-want.median) > 1e-9*want.median {
					t.Errorf("%s: median %v, want %v", m.Name, got, want.median)
				}
			}
			for _, n := range tc.notes {
				if !strings.Contains(strings.Join(r.Notes, "\n"), n) {
					t.Errorf("no note %q in %q", n, r.Notes)
				}
			}
		})
	}
}

// joinedLog writes the named real logs, one after the other, to a file called name in a
// temporary directory, as "cat a.log b.log > name" would, and returns its path.
func joinedLog(t *testing.T, name string, logs ...string) string {
	t.Helper()
	var data []byte
	for _, l := range logs {
		b, err := os.ReadFile(filepath.Join(logsDir, filepath.FromSlash(l)))
		if err != nil {
			t.Fatal(err)
		}
		data = append(data, b...)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTitanRestartedStepsLeftOut: two real torchtitan logs pasted one after the other, with
// no "Starting job:" line between them (the debug model's steps 1..10, then a 16B MoE
// model's steps 1..100), must not read as one run. Before this test the 16B model's steps
// 1 and 10 were ignored as repeats and its steps 20..100 kept as the debug model's steady
// steps, so the run named by the file carried another model's numbers, with no error.
func TestTitanRestartedStepsLeftOut(t *testing.T) {
	path := joinedLog(t, "pasted_model=debugmodel.log", "torchtitan-2025-10-debug_model=debugmodel.log", "torchtitan-2025-10-interval10_model=16b.log")
	in, err := ReadAll([]string{path}, &Options{SkipIters: -1})
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Runs) != 1 {
		t.Fatalf("got %d runs, want 1", len(in.Runs))
	}
	r := in.Runs[0]
	// The debug model's steady steps 3..10 alone (see its golden file); its memory peak is
	// 2.49 GiB, not the 16B model's 52.53 GiB.
	want := map[string]wantMetric{bench.MetricTFLOPS: {8, 102.27}, MetricTokens: {8, 188362}, MetricMaxReserved: {1, 2.49 * 1024}}
	for _, m := range r.Metrics {
		if w := want[m.Name]; len(m.Values) != w.n || math.Abs(median(m.Values)-w.median) > 1e-9*w.median {
			t.Errorf("%s: %d samples, median %v; want %d, %v", m.Name, len(m.Values), median(m.Values), w.n, w.median)
		}
	}
	// Line 12 is the 16B log's "step:  1" after the debug model's step 10.
	if !strings.Contains(strings.Join(r.Notes, "\n"), "pasted_model=debugmodel.log:12: step 1 after step 10: the count starts again") {
		t.Errorf("notes %q do not name the line where the count starts again", r.Notes)
	}
}

// TestMegatronRestartedIterationsLeftOut: the real 2020 Megatron-LM log (iterations 5..15 of a
// tp=2 run, cut off) followed by the 2024 one (iterations 10..100 of a 7B run), neither with an
// argument dump. Iteration 10 of the second is below the first's last iteration, 15, so it
// and everything after it are the second run's: before this test its iterations 20..100
// were taken as the tp=2 run's samples (nine samples of 12 s beside two of 2 s).
func TestMegatronRestartedIterationsLeftOut(t *testing.T) {
	path := joinedLog(t, "joined_tp=2.log", "megatron-lm-2020_tp=2.log", "megatron-lm-mdk-7b/nodes=1.log")
	in, err := ReadAll([]string{path}, &Options{SkipIters: -1})
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Runs) != 1 {
		t.Fatalf("got %d runs, want 1", len(in.Runs))
	}
	r := in.Runs[0]
	var times []float64
	for _, m := range r.Metrics {
		if m.Name == bench.MetricTime {
			times = m.Values
		}
	}
	if fmtFloats(times) != "[1.9939 1.9781]" {
		t.Errorf("s/iter %v, want the 2020 run's [1.9939 1.9781]", times)
	}
	lines := strings.Count(string(must(os.ReadFile(filepath.Join(logsDir, "megatron-lm-2020_tp=2.log")))), "\n")
	note := fmt.Sprintf("joined_tp=2.log:%d: iteration 10 after iteration 15: the count starts again", lines+3)
	if !strings.Contains(strings.Join(r.Notes, "\n"), note) {
		t.Errorf("notes %q; want one with %q", r.Notes, note)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestPrimusCurrentOverRunningMean: AMD's Primus prints Megatron-LM's iteration line with
// pairs "elapsed time per iteration (ms): 13100.0/13240.9", "throughput per GPU
// (TFLOP/s/GPU): 579.4/573.6" and "tokens per GPU (tokens/s/GPU): 10005.5/9903.7". Its
// trainer (primus/modules/trainer/megatron/trainer.py, training_log) formats them as
// "{:.1f}/{:.1f}" of this logging interval's value and statistics.mean of the recent ones
// (reset every log_avg_reset_interval), so the first number is the sample and the second a
// running mean that would smooth slow iterations away. No multi-line Primus log is public;
// these two lines of one 5000-iteration job (2025-12-02, rank-7/8, global batch 128) are
// quoted byte for byte in AMD-AGI/Primus-SaFE's log-pattern tests (stored file ids
// 17459474500, iteration 4273 as "logV2" with its colour codes as stored, and 17640160469,
// iteration 4408 as the cleaned "expected" line).
func TestPrimusCurrentOverRunningMean(t *testing.T) {
	const primus = "0[[32m20251202 06:26:45[0m][[36mrank-7/8[0m][[1mINFO [0m] [1m[--------trainer.py:2560] : iteration 4273/ 5000 | consumed samples: 546944 | elapsed time per iteration (ms): 13107.0/13341.7 | hip mem usage/free/total/usage_ratio: 153.81GB/102.17GB/255.98GB/60.09% | throughput per GPU (TFLOP/s/GPU): 579.1/569.3 | tokens per GPU (tokens/s/GPU): 10000.2/9831.0 | learning rate: 5.130331E-07 | global batch size: 128 | lm loss: 4.092303E-03 | loss scale: 1.0 | grad norm: 0.003 | number of skipped iterations: 0 | number of nan iterations: 0 |[0m\n" +
		"[20251202 06:56:28][rank-7/8][INFO ] [--------trainer.py:2560] : iteration 4408/ 5000 | consumed samples: 564224 | elapsed time per iteration (ms): 13100.0/13240.9 | hip mem usage/free/total/usage_ratio: 153.81GB/102.17GB/255.98GB/60.09% | throughput per GPU (TFLOP/s/GPU): 579.4/573.6 | tokens per GPU (tokens/s/GPU): 10005.5/9903.7 | learning rate: 3.421949E-07 | global batch size: 128 | lm loss: 4.142716E-03 | loss scale: 1.0 | grad norm: 0.003 | number of skipped iterations: 0 | number of nan iterations: 0 |\n"
	path := filepath.Join(t.TempDir(), "primus_model=primus-job.log")
	if err := os.WriteFile(path, []byte(primus), 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := ReadAll([]string{path}, &Options{SkipIters: -1})
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Runs) != 1 || in.Runs[0].Outcome != bench.OK {
		t.Fatalf("runs %+v, want one ok run", in.Runs)
	}
	// Iteration 4273 is the first logged, warm-up; 4408 is beyond the 72 iterations after it
	// (10% of 4273..5000), so its current values are the one steady sample of each metric.
	want := map[string]float64{bench.MetricTime: 13.1, bench.MetricTFLOPS: 579.4, MetricTokens: 10005.5}
	got := map[string][]float64{}
	for _, m := range in.Runs[0].Metrics {
		got[m.Name] = m.Values
	}
	for name, w := range want {
		if len(got[name]) != 1 || got[name][0] != w {
			t.Errorf("%s: %v, want [%v] (the interval's value, not the running mean)", name, got[name], w)
		}
	}
}

// TestTitanTorchFTReplicasAreStreams: torchft launches torchtitan as replica groups whose
// launcher prefixes every line with "[trainer<replica>|<rank>]:" (pytorch/torchtitan PR
// #1690), so the replicas' step lines interleave in one log. Each prefix must be a stream of
// its own, as "[rank7]:" is: only the first step line's stream is read. No public torchft
// log with several replicas was found, so two real logs stand in for two replicas, their
// "[rank0]:" prefixes renamed and their lines interleaved one for one. Before the prefix was
// recognised every line read as one stream: the second replica's step 10 after the first's
// step 2, then the first's step 3, made the count go back, and the first replica's steps
// 3..10 were left out as another run's.
func TestTitanTorchFTReplicasAreStreams(t *testing.T) {
	readsFirstStreamOnly(t, "torchft_model=debugmodel.log", "[trainer0|0]:", "[trainer1|0]:")
}

// readsFirstStreamOnly interleaves two real torchtitan logs line for line, their "[rank0]:"
// prefixes renamed p0 and p1, as two streams of one log (file), and checks that only the
// first stream's steady steps 3..10 are read, as in its golden file, with no note.
func readsFirstStreamOnly(t *testing.T, file, p0, p1 string) {
	t.Helper()
	lines := func(name, prefix string) []string {
		b := must(os.ReadFile(filepath.Join(logsDir, name)))
		out := strings.SplitAfter(string(b), "\n")
		for i, l := range out {
			out[i] = strings.Replace(l, "[rank0]:", prefix, 1)
		}
		return out
	}
	r0 := lines("torchtitan-2025-10-debug_model=debugmodel.log", p0)
	r1 := lines("torchtitan-2025-10-interval10_model=16b.log", p1)
	var b strings.Builder
	for i := 0; i < max(len(r0), len(r1)); i++ {
		if i < len(r0) {
			b.WriteString(r0[i])
		}
		if i < len(r1) {
			b.WriteString(r1[i])
		}
	}
	path := filepath.Join(t.TempDir(), file)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := ReadAll([]string{path}, &Options{SkipIters: -1})
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Runs) != 1 {
		t.Fatalf("got %d runs, want 1", len(in.Runs))
	}
	r := in.Runs[0]
	want := map[string]wantMetric{bench.MetricTFLOPS: {8, 102.27}, MetricTokens: {8, 188362}, MetricMaxReserved: {1, 2.49 * 1024}}
	if len(r.Metrics) != len(want) {
		t.Errorf("got %d metrics, want %d", len(r.Metrics), len(want))
	}
	for _, m := range r.Metrics {
		if w := want[m.Name]; len(m.Values) != w.n || math.Abs(median(m.Values)-w.median) > 1e-9*w.median {
			t.Errorf("%s: %d samples, median %v; want %d, %v", m.Name, len(m.Values), median(m.Values), w.n, w.median)
		}
	}
	if len(r.Notes) != 0 {
		t.Errorf("notes %q, want none", r.Notes)
	}
}

// TestTitanPaddedSrunPrefixesAreStreams: under "srun -l" with ten or more tasks every line
// starts with the task number padded to two columns (" 0: ", " 1: ", … "15: "). Each task is a
// stream of its own, as in TestTitanTorchFTReplicasAreStreams: only the first step line's is
// read. The same two real logs stand in for two tasks (no public multi-task srun torchtitan
// log was found), interleaved line for line behind " 0: [rank0]:" and " 1: [rank1]:". Before
// a prefix after spaces was recognised, neither line had a prefix, both tasks read as one
// stream, and the second's step 10 after the first's step 2 made the first's steps 3..10 read
// as another run's, left out.
func TestTitanPaddedSrunPrefixesAreStreams(t *testing.T) {
	readsFirstStreamOnly(t, "srun_model=debugmodel.log", " 0: [rank0]:", " 1: [rank1]:")
}

// TestMegatronNewJobWithoutDumpRefused: the real Ling-V2 log (iterations 1..10, no argument
// dump) followed by the real core_r0.8.0 7B log (its "[before the start of training step]"
// banner, then iterations 10..100 of another model). The second job's count does not go back,
// so the restart rule did not see it: before this test its iterations 20..100 (12 s each)
// were read as the Ling-V2 run's steady samples beside its own (about 1 s), with no word.
// Without an argument dump nothing tells the second job's config (a resumed run and another
// job look alike), so the log is refused where the second job's iterations start, naming its
// banner.
func TestMegatronNewJobWithoutDumpRefused(t *testing.T) {
	path := joinedLog(t, "joined_model=ling-v2.log", "megatron-lm-2025-09-mtp_model=ling-v2.log", "megatron-lm-mdk-7b/nodes=1.log")
	_, err := ReadAll([]string{path}, &Options{SkipIters: -1})
	// Ling-V2's 11 lines, then the 7B log's "$ mpirun" line, its banner and iteration 10.
	want := filepath.Base(path) + ":14: iteration 10 (not below iteration 10, where this run stopped) follows another job's start at line 13 ([before the start of training step] datetime: 2024-09-03 15:52:43) after the 10 logged iterations of the run at line 1"
	var se *bench.SyntaxError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v (%T); want a *bench.SyntaxError containing %q", err, err, want)
	}

	// With an argument dump of its own the second job is a run of its own, as before: the
	// generated no-throughput log (dump, banners, iterations, "[after training is done]")
	// twice is two runs with the same samples.
	path = joinedLog(t, "twice.log", "megatron-no-throughput.log", "megatron-no-throughput.log")
	in, err := ReadAll([]string{path}, &Options{SkipIters: -1, AllowNoConfig: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Runs) != 2 || !slices.Equal(values(in.Runs[0], bench.MetricTime), values(in.Runs[1], bench.MetricTime)) {
		t.Errorf("no-throughput log twice: %d runs, want 2 alike", len(in.Runs))
	}
}

// TestTitanStartLineStartsRun: a torchtitan start line ("Training starts at step …", "Trainer
// is initialized with …") after the steps of the stream read is another job's, with its own
// batch size, sequence length and planned steps: it starts a new run, as "Starting job:" does.
// The real debug-model log (steps 1..10, no start line) followed by the real 2025-02 log (its
// "Training starts at step 1, with … global batch size 8, … sequence length 8192, total steps
// 100" line, then steps 1..100 every 10): before this test the debug model's run took the
// second job's gbs=8/sl=8192 as its config and its 100 planned steps as its own (a warm-up of
// 10 steps, a cut-off note), and the second job's steps were left out as a restart.
func TestTitanStartLineStartsRun(t *testing.T) {
	path := joinedLog(t, "pasted_model=debugmodel.log", "torchtitan-2025-10-debug_model=debugmodel.log", "torchtitan-2025-02-tps-only.log")
	in, err := ReadAll([]string{path}, &Options{SkipIters: -1})
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		key, source string
		metrics     map[string]wantMetric
	}
	wants := []want{
		// The debug model's steady steps 3..10, as in its golden file.
		{"model=debugmodel", "pasted_model=debugmodel.log:1", map[string]wantMetric{bench.MetricTFLOPS: {8, 102.27}, MetricTokens: {8, 188362}, MetricMaxReserved: {1, 2.49 * 1024}}},
		// The 2025-02 log's steps 20..100 (warm-up: step 1 and 10 of 100 beyond), as in its
		// golden file; line 19 is its start line.
		{"model=debugmodel/gbs=8/sl=8192", "pasted_model=debugmodel.log:19", map[string]wantMetric{MetricTokens: {9, 7051}, MetricMaxReserved: {1, 49.59 * 1024}}},
	}
	if len(in.Runs) != len(wants) {
		t.Fatalf("got %d runs, want %d", len(in.Runs), len(wants))
	}
	for i, w := range wants {
		r := in.Runs[i]
		if r.Config.Key() != w.key || filepath.Base(r.Source) != w.source || len(r.Notes) != 0 {
			t.Errorf("run %d: %s at %s, notes %q; want %s at %s, no notes", i, r.Config.Key(), filepath.Base(r.Source), r.Notes, w.key, w.source)
		}
		if len(r.Metrics) != len(w.metrics) {
			t.Errorf("run %d: %d metrics, want %d", i, len(r.Metrics), len(w.metrics))
		}
		for _, m := range r.Metrics {
			if wm := w.metrics[m.Name]; len(m.Values) != wm.n || math.Abs(median(m.Values)-wm.median) > 1e-9*wm.median {
				t.Errorf("run %d: %s: %d samples, median %v; want %d, %v", i, m.Name, len(m.Values), median(m.Values), wm.n, wm.median)
			}
		}
	}

	// A resumed run prints its start line again and goes on from its checkpoint: its steps do
	// not go back, so only the start line tells it apart. No public torchtitan log of a
	// resumed run was found; these lines follow the 2025-11 format of
	// torchtitan-2025-11-trainer-initialized.log.
	var b strings.Builder
	start := "[rank0]:[titan] 2025-11-25 19:44:58,838 - root - INFO - Trainer is initialized with local batch size 8, global batch size 64, gradient accumulation steps 1, sequence length 2048, total steps 20 (warmup 2)\n"
	for i := 1; i <= 20; i++ {
		if i == 1 || i == 11 {
			b.WriteString(start)
		}
		fmt.Fprintf(&b, "[rank0]:[titan] 2025-11-25 19:45:01,441 - root - INFO - step: %2d  loss:  8.0277  grad_norm:  1.4604  memory:  1.21GiB(0.86%%)  tps: %d  tflops: 0.41  mfu: 0.04%%\n", i, 5000+i)
	}
	runs, err := TorchtitanFormat.Read("t.log", strings.NewReader(b.String()), &Options{SkipIters: -1})
	if err != nil {
		t.Fatal(err)
	}
	// Warm-up is each run's first logged step and 10% of the steps from it to the planned
	// 20th beyond it: steps 1..3, then 11..12. The first run stopped at step 10 of 20 and
	// says so.
	if len(runs) != 2 || fmtFloats(values(runs[0], MetricTokens)) != "[5004 5005 5006 5007 5008 5009 5010]" ||
		fmtFloats(values(runs[1], MetricTokens)) != "[5013 5014 5015 5016 5017 5018 5019 5020]" ||
		!slices.ContainsFunc(runs[0].Notes, func(n string) bool { return strings.HasPrefix(n, "log cut off at iteration 10 of 20") }) {
		for _, r := range runs {
			t.Logf("%s: %v %q", r.Source, values(r, MetricTokens), r.Notes)
		}
		t.Errorf("resumed run: got %d runs, want 2, each with its own steady steps", len(runs))
	}
}

// TestALCFTokensPerGPUWithoutSpace: the ALCF fork of Megatron-DeepSpeed
// (argonne-lcf/Megatron-DeepSpeed@ffa3456d, ALCF/notes/deprecated.md) prints
// "tokens per gpu per second(tgs): 1613.503", without the space the microsoft fork has.
// Before both spellings were read, tokens/s/GPU was dropped from these runs without a word.
// Each log has iterations 1 and 2 of 317892: only iteration 1 is warm-up (with a note).
func TestALCFTokensPerGPUWithoutSpace(t *testing.T) {
	for file, want := range map[string]float64{
		"alcf-mds-polaris-tgs-nospace_tp=2_pp=1_mbs=8_gbs=32_sl=4096_nodes=2.log": 1613.503,
		"alcf-mds-sunspot-tgs-nospace_tp=1_pp=1_mbs=4_gbs=96_sl=4096_nodes=2.log": 807.159,
	} {
		in, err := ReadAll([]string{filepath.Join(logsDir, file)}, &Options{SkipIters: -1})
		if err != nil {
			t.Fatal(err)
		}
		if len(in.Runs) != 1 {
			t.Fatalf("%s: %d runs, want 1", file, len(in.Runs))
		}
		var got []float64
		for _, m := range in.Runs[0].Metrics {
			if m.Name == MetricTokens {
				got = m.Values
			}
		}
		if len(got) != 1 || got[0] != want {
			t.Errorf("%s: tokens/s/GPU %v, want [%v]", file, got, want)
		}
	}
}

// TestPrimusComputeLabel: AMD Primus's training_log patch (AMD-AGI/Primus@fd1eeabb,
// primus/backends/megatron/patches/training_log/print_rank_last_patches.py) leaves
// Megatron-LM's "throughput per GPU (TFLOP/s/GPU): X" on the iterations before it averages
// (log_avg_skip_iterations, 2 in its example configs) and then writes "compute per GPU
// (TFLOP/s/GPU): X (avg Y)  | tokens/s/GPU inst/harmonic mean: X/Y". Before "compute per
// GPU" was read, such a log lost TFLOPS/GPU ("only some iteration lines log a throughput")
// and tokens/s/GPU. Between Primus PRs #820 and #926 the TFLOPS kept the older label with a
// pair, "throughput per GPU (TFLOP/s/GPU): X/Y", before the same tokens: its tokens must be
// read too. The instantaneous values are the samples, not the running means.
func TestPrimusComputeLabel(t *testing.T) {
	metrics := func(t *testing.T, path string) map[string][]float64 {
		t.Helper()
		in, err := ReadAll([]string{path}, &Options{SkipIters: -1})
		if err != nil {
			t.Fatal(err)
		}
		if len(in.Runs) != 1 || in.Runs[0].Outcome != bench.OK {
			t.Fatalf("runs %+v, want one ok run", in.Runs)
		}
		got := map[string][]float64{}
		for _, m := range in.Runs[0].Metrics {
			got[m.Name] = m.Values
		}
		return got
	}
	t.Run("fixture", func(t *testing.T) {
		// 20 iterations: 1..3 are warm-up, 4..20 the 17 steady samples, all in the new
		// spelling; iteration 4 logs 615.5 (avg 613.6) and 11941.7/11905.2.
		got := metrics(t, filepath.Join(logsDir, "primus-constructed-compute-label_model=llama3.1-8b_tp=1_pp=1_mbs=2_gbs=16_sl=8192_nodes=1.log"))
		for name, first := range map[string]float64{bench.MetricTime: 1.372, bench.MetricTFLOPS: 615.5, MetricTokens: 11941.7} {
			if len(got[name]) != 17 || got[name][0] != first {
				t.Errorf("%s: %v, want 17 samples from %v", name, got[name], first)
			}
		}
	})
	t.Run("throughput pair", func(t *testing.T) {
		var b strings.Builder
		for i := 1; i <= 12; i++ {
			fmt.Fprintf(&b, "[2026-07-30 11:00:%02d.000000] iteration %8d/%8d | consumed samples: %12d | elapsed time per iteration (ms): 1310.2/1455.6 | throughput per GPU (TFLOP/s/GPU): 1290.3/1162.8  | tokens/s/GPU inst/harmonic mean: 25032.8/22288.1 | learning rate: 1.000000E-05 | global batch size:    16 | lm loss: 7.300000E+00 | loss scale: 1.0 | grad norm: 1.950 | number of skipped iterations:   0 | number of nan iterations:   0 | hip mem usage/free/total/usage_ratio: 58.49GB/133.49GB/191.98GB/30.47%%\n", i, i, 12, 16*i)
		}
		path := filepath.Join(t.TempDir(), "primus_model=primus-pr820.log")
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		got := metrics(t, path)
		// 12 iterations: warm-up is iteration 1 and one beyond it, 3..12 are steady.
		for name, v := range map[string]float64{bench.MetricTime: 1.3102, bench.MetricTFLOPS: 1290.3, MetricTokens: 25032.8} {
			if len(got[name]) != 10 || got[name][0] != v {
				t.Errorf("%s: %v, want 10 samples of %v", name, got[name], v)
			}
		}
	})
}
