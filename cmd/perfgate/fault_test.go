//go:build unix

package main

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/perfgate/perfgate/baseline"
)

// The fault harness of issue 9: concurrent updates, kill -9 during an update, and every bad
// input, each against a real store through the perfgate binary (this test binary, which
// testscript.Main puts on PATH as "perfgate"). By default it runs a short smoke version; the
// full one runs with
//
//	go test ./cmd/perfgate -run TestFaults -faults -v
var (
	faults     = flag.Bool("faults", false, "run the full fault harness: 20 trials of 2 and of 4 concurrent updates, 50 kill -9s")
	faultsSeed = flag.Uint64("faults.seed", 1, "seed of the fault harness's kill times")
)

// sweep writes a Go benchmark format results file of n configs, starting at config first, with
// times scaled by f.
func sweep(t *testing.T, path string, first, n int, f float64) {
	t.Helper()
	var b strings.Builder
	b.WriteString("Unit s/iter better=lower\nUnit TFLOPS/GPU better=higher\n\n")
	for i := first; i < first+n; i++ {
		fmt.Fprintf(&b, "BenchmarkTrain/tp=8/pp=4/mbs=1/gbs=%d/flags=none/sl=4096/nodes=32 1 %.4g s/iter %.5g TFLOPS/GPU\n", 64*(i+1), f*(40+float64(i%97)/10), 150/f)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// perfgate runs the binary and returns its exit code and output.
func perfgate(t *testing.T, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command("perfgate", args...)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, ".*.tmp*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestFaults(t *testing.T) {
	if _, err := exec.LookPath("perfgate"); err != nil {
		t.Skip("perfgate is not on PATH:", err)
	}
	t.Run("concurrent", func(t *testing.T) {
		trials := 2
		if *faults {
			trials = 20
		}
		for _, n := range []int{2, 4} {
			lost, total := 0, 0
			for trial := range trials {
				l, tot := concurrentTrial(t, n, trial)
				lost += l
				total += tot
			}
			t.Logf("FAULTS concurrent: %d trials of %d concurrent updates with distinct batches: %d of %d runs lost", trials, n, lost, total)
			if lost != 0 {
				t.Errorf("%d runs lost", lost)
			}
		}
	})
	t.Run("kill", func(t *testing.T) {
		kills := 3
		if *faults {
			kills = 50
		}
		killTrials(t, kills)
	})
}

// concurrentTrial starts n updates of one store at once, each with a batch of its own, and
// returns how many of their runs the store lost, of how many.
func concurrentTrial(t *testing.T, n, trial int) (lost, total int) {
	dir := t.TempDir()
	store := filepath.Join(dir, "base")
	const perBatch = 400
	seed := filepath.Join(dir, "seed.txt")
	sweep(t, seed, 0, perBatch, 1)
	if code, out := perfgate(t, "baseline", "update", "--baseline", store, "--run-id", "seed", "--window", "100", seed); code != 0 {
		t.Fatalf("seeding: exit %d\n%s", code, out)
	}
	var wg sync.WaitGroup
	codes := make([]int, n)
	outs := make([]string, n)
	for i := range n {
		// Each update measures other values than the seed and the other updates: a batch equal
		// to a stored one is refused as its copy (baseline.CheckCopies).
		f := filepath.Join(dir, fmt.Sprintf("r%d.txt", i))
		sweep(t, f, 0, perBatch, 1+float64(i+1)/100)
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], outs[i] = perfgate(t, "baseline", "update", "--baseline", store, "--window", "100", "--run-id", fmt.Sprintf("t%d-u%d", trial, i), "--date", "2026-11-02T03:00:00Z", f)
		}()
	}
	wg.Wait()
	s, err := baseline.Open(store)
	if err != nil {
		t.Fatalf("trial %d: the store does not open after %d concurrent updates: %v", trial, n, err)
	}
	per := map[string]int{}
	for _, r := range s.Runs {
		per[r.Batch]++
	}
	for i := range n {
		if codes[i] != 0 {
			t.Errorf("trial %d: update %d exited %d:\n%s", trial, i, codes[i], outs[i])
		}
		total += perBatch
		lost += perBatch - per[fmt.Sprintf("t%d-u%d", trial, i)]
	}
	total += perBatch
	lost += perBatch - per["seed"]
	return lost, total
}

// killTrials kills a large update at seeded random points and checks that the store always
// holds the old content or the new, and that the next update leaves no temporary file.
func killTrials(t *testing.T, kills int) {
	dir := t.TempDir()
	configs := 3000
	if *faults {
		configs = 30000
	}
	old := filepath.Join(dir, "old")
	seedFile := filepath.Join(dir, "seed.txt")
	sweep(t, seedFile, 0, configs, 1)
	if code, out := perfgate(t, "baseline", "update", "--baseline", old, "--run-id", "seed", "--date", "2026-11-01T03:00:00Z", "--commit", "aaaaaaa", seedFile); code != 0 {
		t.Fatalf("seeding: exit %d\n%s", code, out)
	}
	oldData, err := os.ReadFile(filepath.Join(old, baseline.FileName))
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "night.txt")
	sweep(t, in, configs/2, configs, 1.01)
	args := func(store string) []string {
		return []string{"baseline", "update", "--baseline", store, "--run-id", "night", "--date", "2026-11-02T03:00:00Z", "--commit", "bbbbbbb", in}
	}
	// The new content, and how long an update takes.
	ref := filepath.Join(dir, "ref")
	copyStore(t, oldData, ref)
	start := time.Now()
	if code, out := perfgate(t, args(ref)...); code != 0 {
		t.Fatalf("reference update: exit %d\n%s", code, out)
	}
	took := time.Since(start)
	newData, err := os.ReadFile(filepath.Join(ref, baseline.FileName))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(*faultsSeed, 9))
	var sawOld, sawNew, leftTemps, tempsAfter, duringWrite int
	for k := range kills {
		store := filepath.Join(dir, fmt.Sprintf("k%d", k))
		copyStore(t, oldData, store)
		cmd := exec.Command("perfgate", args(store)...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if k%2 == 0 {
			// Anywhere in the update.
			time.Sleep(time.Duration(rng.Float64() * 1.2 * float64(took)))
		} else {
			// While the new store is being written: once its temporary file appears.
			deadline := time.Now().Add(2 * took)
			for len(tempFiles(t, store)) == 0 && time.Now().Before(deadline) {
				time.Sleep(200 * time.Microsecond)
			}
			if time.Now().Before(deadline) {
				duringWrite++
			}
			time.Sleep(time.Duration(rng.Float64() * float64(10*time.Millisecond)))
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		got, err := os.ReadFile(filepath.Join(store, baseline.FileName))
		if err != nil {
			t.Fatalf("kill %d: %v", k, err)
		}
		if _, err := baseline.Parse("baseline.txt", got); err != nil {
			t.Errorf("kill %d: the store does not parse: %v", k, err)
		}
		switch {
		case bytes.Equal(got, oldData):
			sawOld++
		case bytes.Equal(got, newData):
			sawNew++
		default:
			t.Errorf("kill %d: the store holds neither the old content nor the new", k)
		}
		if len(tempFiles(t, store)) > 0 {
			leftTemps++
		}
		// The next update (a small batch of its own, with values of its own: the seed's would be
		// refused as its copy) cleans up.
		next := filepath.Join(dir, "next.txt")
		sweep(t, next, 0, 10, 1.02)
		if code, out := perfgate(t, "baseline", "update", "--baseline", store, "--run-id", "next", next); code != 0 {
			t.Fatalf("kill %d: the next update: exit %d\n%s", k, code, out)
		}
		if tmp := tempFiles(t, store); len(tmp) > 0 {
			tempsAfter++
			t.Errorf("kill %d: temporary files left after the next update: %v", k, tmp)
		}
		os.RemoveAll(store)
	}
	t.Logf("FAULTS kill: %d kill -9s of an update of %d runs into %d (one update: %v; half at a random time, half within 10ms of the new file's creation, %d caught writing): store parsed %d/%d; old content %d, new content %d; temp files left by the kill %d, after the next update %d",
		kills, configs, configs, took.Round(time.Millisecond), duringWrite, sawOld+sawNew, kills, sawOld, sawNew, leftTemps, tempsAfter)
}

func copyStore(t *testing.T, data []byte, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, baseline.FileName), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestFaultsBadInput runs every bad input of issue 9 against a store: each exits 2 naming
// file:line where there is one, and the store stays byte-identical.
func TestFaultsBadInput(t *testing.T) {
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	example := filepath.Join(repo, "testdata/example")
	dir := t.TempDir()
	store := filepath.Join(dir, "base")
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	run := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := Main(args, &Streams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, Getenv: func(string) string { return "" }})
		return code, errOut.String()
	}
	if code, msg := run("baseline", "update", "--baseline", store, "--run-id", "seed", filepath.Join(example, "pr-clean.txt")); code != 0 {
		t.Fatalf("seeding: exit %d: %s", code, msg)
	}
	good, err := os.ReadFile(filepath.Join(store, baseline.FileName))
	if err != nil {
		t.Fatal(err)
	}
	// damaged returns a store directory holding content.
	damaged := func(name string, content []byte) string {
		d := filepath.Join(dir, name)
		copyStore(t, content, d)
		return d
	}
	cut := damaged("cut", good[:len(good)/2])
	conflict := damaged("conflict", []byte(strings.Replace(string(good), "\n# perfgate run", "\n<<<<<<< ours\n=======\n>>>>>>> theirs\n# perfgate run", 1)))
	stripped := damaged("stripped", []byte(regexp.MustCompile(`(?m)^.*flags=dist-opt/.*\n`).ReplaceAllString(string(good), "")))
	firstTime := regexp.MustCompile(` 1 [0-9.]+ s/iter`).FindString(string(good))
	zero := damaged("zero", []byte(strings.Replace(string(good), firstTime, " 1 0 s/iter", 1)))
	newer := damaged("newer", []byte(strings.Replace(string(good), "baseline v2", "baseline v7", 1)))
	sweepFile := filepath.Join(example, "pr-sweep.txt")
	huge := file("huge.txt", "tp | pp | mbs | gbs | addtl args | sl | nodes | time | TFLOPS\n8 | 4 | 1 | 64 | None | 4096 | 32 | 1e308 | 75\n")
	tiny := file("tiny.txt", "tp | pp | mbs | gbs | addtl args | sl | nodes | time | TFLOPS\n8 | 4 | 1 | 64 | None | 4096 | 32 | 1e-320 | 75\n")
	flipped := file("flipped.txt", "Unit s/iter better=higher\nBenchmarkTrain/tp=8/pp=4/mbs=1/gbs=64/flags=none/sl=4096/nodes=32 1 5.66 s/iter\n")
	typo := file("typo.json", `{"metrics": ["tflops"]}`)
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	var cases, exit2, identical int
	for _, c := range []struct {
		name  string
		args  []string
		store string // the store that must stay byte-identical
		want  string // regexp the error must match; file:line where there is one
	}{
		{"truncated store", []string{"check", "--baseline", cut, sweepFile}, cut, `cut/baseline.txt:\d+: the store ends here without its closing`},
		{"truncated store, update", []string{"baseline", "update", "--baseline", cut, sweepFile}, cut, `cut/baseline.txt:\d+: the store ends`},
		{"conflict markers", []string{"check", "--baseline", conflict, sweepFile}, conflict, `conflict/baseline.txt:\d+: git merge-conflict marker`},
		{"conflict markers, update", []string{"baseline", "update", "--baseline", conflict, sweepFile}, conflict, `conflict/baseline.txt:\d+: git merge-conflict marker`},
		{"runs stripped by hand", []string{"baseline", "update", "--baseline", stripped, sweepFile}, stripped, `stripped/baseline.txt:\d+: the closing line counts`},
		{"zero in the store", []string{"check", "--baseline", zero, sweepFile}, zero, `zero/baseline.txt:\d+: metric "s/iter": value is zero`},
		{"newer format", []string{"check", "--baseline", newer, sweepFile}, newer, `newer/baseline.txt:1: written by a newer perfgate \(format v7`},
		{"--set matches nothing", []string{"check", "--baseline", store, "--set", "nodes=64", sweepFile}, store, `no result matches any baseline config`},
		{"--metric typo", []string{"check", "--baseline", store, "--metric", "TFLOPs/GPU", sweepFile}, store, `metric "TFLOPs/GPU" .*matches nothing`},
		{"config-file metric typo", []string{"check", "--baseline", store, "--config", typo, sweepFile}, store, `metric "tflops" .*matches nothing`},
		{"--alpha NaN", []string{"check", "--baseline", store, "--alpha", "NaN", sweepFile}, store, `--alpha must be in`},
		{"--min-effect NaN", []string{"baseline", "update", "--baseline", store, "--min-effect", "NaN", sweepFile}, store, `--min-effect must be`},
		{"direction flipped", []string{"baseline", "update", "--baseline", store, flipped}, store, `flipped.txt:2: metric "s/iter" is higher-is-better here`},
		{"1e308", []string{"baseline", "update", "--baseline", store, huge}, store, `huge.txt:2: column "time": value 1e\+308`},
		{"1e-320", []string{"baseline", "update", "--baseline", store, tiny}, store, `tiny.txt:2: column "time": value 1e-320 is subnormal`},
		{"the store as input", []string{"baseline", "update", "--baseline", store, filepath.Join(store, baseline.FileName)}, store, `baseline.txt:1: a perfgate baseline store, not results`},
		{"a FIFO as input", []string{"check", "--baseline", store, fifo}, store, `pipe: no results found \(1 file\(s\) skipped, e.g. .*pipe: a FIFO, never opened\)`},
		{"-o a device", []string{"check", "--baseline", store, "-o", os.DevNull, sweepFile}, store, `is a character device, not a regular file`},
		{"--commit swallows a flag", []string{"baseline", "update", "--baseline", store, "--commit", "--fail-on-regression", sweepFile}, store, `--commit "--fail-on-regression": a flag`},
		{"--window 0", []string{"baseline", "update", "--baseline", store, "--window", "0", sweepFile}, store, `--window must be at least 1`},
	} {
		before, err := os.ReadFile(filepath.Join(c.store, baseline.FileName))
		if err != nil {
			t.Fatal(err)
		}
		code, msg := run(c.args...)
		cases++
		if code != ExitInput || !regexp.MustCompile(c.want).MatchString(msg) {
			t.Errorf("%s: exit %d, %q; want exit 2 matching %q", c.name, code, msg, c.want)
		} else {
			exit2++
		}
		after, _ := os.ReadFile(filepath.Join(c.store, baseline.FileName))
		if !bytes.Equal(before, after) {
			t.Errorf("%s: the store changed", c.name)
		} else {
			identical++
		}
	}
	t.Logf("FAULTS bad input: %d kinds; exit 2 with the expected message (file:line where there is one) %d; store byte-identical %d", cases, exit2, identical)
}
