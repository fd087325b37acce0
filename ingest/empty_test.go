package ingest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/bench"
)

// goodBench is one run in the Go benchmark format.
const goodBench = "BenchmarkTrain/tp=8/pp=4 1 44.6 s/iter 154 TFLOPS/GPU\n"

// TestEmptyResultsFileInDirectory: an empty or blank file below a results directory whose
// name says it holds results (what a benchmark that crashed before writing leaves) was
// skipped as "no reader recognises its format", and the gate passed on the other files. It
// is an input error naming the file; other empty files (README.md, a Slurm script) are
// still skipped, with a note.
func TestEmptyResultsFileInDirectory(t *testing.T) {
	for _, tt := range []struct {
		name, file, content string
		opts                *Options
		want                string
	}{
		{"empty jsonl", "empty.jsonl", "", nil, "an empty file, with no results"},
		{"empty bench", "run.bench", "", nil, "an empty file, with no results"},
		{"empty log", "tp=8_pp=4.log", "", nil, "an empty file, with no results"},
		{"empty csv", "results.CSV", "", nil, "an empty file, with no results"},
		{"empty slurm output", "slurm-4242.out", "", nil, "an empty file, with no results"},
		{"blank txt", "results.txt", "\n \r\n\t\n", nil, "a file of blank lines only, with no results"},
		{"byte-order mark only", "results.txt", "\ufeff", nil, "an empty file, with no results"},
		{"empty golden values", "golden_values_dev_dgx_h100.json", "", nil, "an empty file, with no results"},
		// A forced format skipped a log in which it found no line; an empty log is a crash.
		{"empty log, forced format", "run.log", "", &Options{Format: "megatron", SkipIters: -1}, "an empty file, with no results"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeCore(t, dir, "good.bench", goodBench)
			bad := writeCore(t, dir, tt.file, tt.content)
			in, err := ReadAll([]string{dir}, tt.opts)
			if err == nil {
				t.Fatalf("no error; runs %d, skipped %+v", len(in.Runs), in.Skipped)
			}
			if want := bad + ": " + tt.want; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("got  %v\nwant prefix %s", err, want)
			}
		})
	}
}

// TestEmptyOtherFilesInDirectory keeps the rule for files that are not results by name:
// empty or not, they are skipped with a note, and the results beside them are read.
func TestEmptyOtherFilesInDirectory(t *testing.T) {
	dir := t.TempDir()
	writeCore(t, dir, "good.bench", goodBench)
	writeCore(t, dir, "README.md", "")
	writeCore(t, dir, "run.slurm", "  \n")
	writeCore(t, dir, "model_config.yaml", "")
	writeCore(t, dir, "notes.md", "# notes\n")
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeCore(t, filepath.Join(dir, "sub"), "params.json", "")
	in, err := ReadAll([]string{dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Runs) != 1 {
		t.Errorf("%d runs, want 1", len(in.Runs))
	}
	var got []string
	for _, s := range in.Skipped {
		got = append(got, filepath.Base(s.File)+": "+s.Reason)
	}
	want := "README.md: empty, and its name is not a results file's; " +
		"model_config.yaml: empty, and its name is not a results file's; " +
		"notes.md: no reader recognises its format; " +
		"run.slurm: empty, and its name is not a results file's; " +
		"params.json: empty, and its name is not a results file's"
	if g := strings.Join(got, "; "); g != want {
		t.Errorf("skipped\n%s\nwant\n%s", g, want)
	}
	// Named on the command line, any empty file is an error: the user said it holds results.
	if _, err := ReadAll([]string{filepath.Join(dir, "README.md")}, nil); err == nil || !strings.Contains(err.Error(), "README.md: an empty file, with no results") {
		t.Errorf("README.md named: err = %v, want an empty-file error", err)
	}
}

// TestCrashLogBesideItsRun: Slurm's job.err beside job.out. The stdout logged steady
// iterations, the stderr the OOM: the run is failed, the stderr read as its failure, not an
// error that blocks the gate (review).
func TestCrashLogBesideItsRun(t *testing.T) {
	dir := t.TempDir()
	writeCore(t, dir, "tp=8_pp=4.out", argDump(nil)+iterLines(1, 12, 20, 1000, 400))
	writeCore(t, dir, "tp=8_pp=4.err", "Traceback (most recent call last):\n  File \"pretrain_gpt.py\", line 12\ntorch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB.\n")
	in, err := ReadAll([]string{dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Runs) != 1 || in.Runs[0].Outcome != bench.OOM || !strings.Contains(in.Runs[0].Reason, "tp=8_pp=4.err:3: torch.OutOfMemoryError") || len(in.Runs[0].Metrics) != 0 {
		t.Errorf("runs %+v; want one OOM run, its reason the .err's line 3, no metrics", in.Runs)
	}
	if len(in.Skipped) != 1 || !strings.HasSuffix(in.Skipped[0].File, "tp=8_pp=4.err") {
		t.Errorf("skipped %+v; want the .err, read as the run's failure", in.Skipped)
	}
}

// TestCrashLogBesideASweep: one OOM in sweep.err beside a sweep of many runs in sweep.out
// must not fail every config and throw their measurements away (review): with a companion of
// several runs, the crash log is an error naming its line.
func TestCrashLogBesideASweep(t *testing.T) {
	dir := t.TempDir()
	writeCore(t, dir, "sweep.out", goodBench+"BenchmarkTrain/tp=4/pp=8 1 51.1 s/iter 131 TFLOPS/GPU\n")
	writeCore(t, dir, "sweep.err", "torch.OutOfMemoryError: CUDA out of memory.\n")
	if _, err := ReadAll([]string{dir}, nil); err == nil || !strings.Contains(err.Error(), "sweep.err:1: no reader recognises this log, but it shows a failed run") {
		t.Errorf("err = %v, want the crash log's error", err)
	}
}

// TestUnclaimedPastScanLimit: a log read to the scan limit without a trainer line or a failure
// is skipped with a reason that says so, not as any file no reader claims.
func TestUnclaimedPastScanLimit(t *testing.T) {
	dir := t.TempDir()
	writeCore(t, dir, "good.bench", goodBench)
	writeCore(t, dir, "nccl-rank3.log", strings.Repeat("NCCL INFO Channel 00/32 : 0[0] -> 1[1] via P2P/IPC\n", scanLimit/50+10))
	in, err := ReadAll([]string{dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Skipped) != 1 || !strings.Contains(in.Skipped[0].Reason, "its first 16 MiB hold no trainer line and no failure") {
		t.Errorf("skipped %+v; want the log, read to 16 MiB", in.Skipped)
	}
}

// TestUnclaimedResultsInDirectory: a file below a results directory that no reader claims
// from its head was skipped as "not results", and the gate passed on the other files (audit):
// a crashed run's log, a log whose iterations begin past a long launcher preamble, a CSV.
// Now the log past its preamble is read, a crash is an error at its line, and a file of a
// structured results extension is an error; other files (README.txt, notes) are still
// skipped with a note.
func TestUnclaimedResultsInDirectory(t *testing.T) {
	preamble := strings.Repeat("NCCL INFO Channel 00/32 : 0[0] -> 1[1] via P2P/IPC/read nid0001:12345 [0] NCCL INFO comm 0x55 rank 0 nranks 64\n", 1000)
	megatron := "[2025-06-01 10:00:00] iteration        5/      20 | consumed samples: 5120 | elapsed time per iteration (ms): 46300.0 | throughput per GPU (TFLOP/s/GPU): 148.6 | global batch size:  1024 |\n"
	for _, tt := range []struct {
		name, file, content string
		want                string // substring of the error; "" for no error
		skipped             bool   // the file is skipped with a note
	}{
		{"crash log", "tp=8_pp=4.log", "Traceback (most recent call last):\n  File \"pretrain_gpt.py\", line 12\nImportError: cannot import name GPTModel\n",
			`tp=8_pp=4.log:1: no reader recognises this log, but it shows a failed run: "Traceback (most recent call last):"`, false},
		{"killed job output", "slurm-4242.out", "starting\nsrun: error: nid001234: task 17: Killed\n", "slurm-4242.out:2: no reader recognises this log, but it shows a failed run", false},
		{"host oom", "job.err", "slurmstepd: error: Detected 1 oom_kill event in StepId=4242.0.\n", "job.err:1: no reader recognises this log, but it shows a failed run", false},
		// A CSV is no format of perfgate's: GPU telemetry beside the results is skipped (review).
		{"csv", "results.csv", "tp,pp,tflops\n8,4,150\n", "", true},
		// A file of perfgate's own formats that no reader reads is broken results (review).
		{"jsonl", "results.jsonl", "{\"step\": 1, \"loss\": 2.3}\n", "results.jsonl: named as results (.jsonl), but no reader recognises its format", false},
		{"bench", "run.bench", "goos: linux\ngoarch: amd64\n", "run.bench: named as results (.bench), but no reader recognises its format", false},
		{"late megatron", "tp=8_pp=4.log", preamble + megatron + strings.Replace(megatron, "iteration        5/", "iteration        6/", 1), "", false},
		{"notes", "notes.txt", "Traceback (most recent call last): pasted from the issue\n", "", true},
		{"readme", "README.log", "how to run the sweep\n", "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeCore(t, dir, "good.bench", goodBench)
			writeCore(t, dir, tt.file, tt.content)
			in, err := ReadAll([]string{dir}, nil)
			switch {
			case tt.want != "":
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("err = %v, want one containing %q", err, tt.want)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			skipped := len(in.Skipped) == 1 && strings.HasSuffix(in.Skipped[0].File, tt.file)
			if skipped != tt.skipped {
				t.Errorf("skipped %v, want skipped %v", in.Skipped, tt.skipped)
			}
			if !tt.skipped && len(in.Runs) != 2 {
				t.Errorf("read %d runs, want 2 (good.bench and %s)", len(in.Runs), tt.file)
			}
		})
	}
}
