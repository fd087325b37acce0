//go:build unix

package ingest

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Only results are read: the baseline directory, hidden files, FIFOs are skipped with a
// reason and never opened (opening a FIFO would hang), and a store given as RESULTS is refused.
func TestReadAllSkipsWhatIsNotResults(t *testing.T) {
	root := t.TempDir()
	table := "tp | pp | mbs | gbs | addtl args | sl | nodes | time | TFLOPS\n8 | 4 | 1 | 64 | None | 4096 | 32 | 5.66 | 75.99\n"
	for p, content := range map[string]string{
		"results/sweep.txt":          table,
		"results/.hidden.txt":        table,
		"perf/baseline/baseline.txt": "# perfgate baseline v2\n",
	} {
		p = filepath.Join(root, p)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fifo := filepath.Join(root, "results", "pipe")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no FIFOs:", err)
	}
	in, err := ReadAll([]string{root}, &Options{SkipIters: -1, Exclude: []string{filepath.Join(root, "perf", "baseline")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Runs) != 1 {
		t.Errorf("%d runs, want the sweep's 1", len(in.Runs))
	}
	var got []string
	for _, s := range in.Skipped {
		rel, _ := filepath.Rel(root, s.File)
		got = append(got, rel+": "+s.Reason)
	}
	want := "perf/baseline: the baseline directory; results/.hidden.txt: hidden; results/pipe: a FIFO, never opened"
	if strings.Join(got, "; ") != want {
		t.Errorf("skipped:\n%s\nwant:\n%s", strings.Join(got, "; "), want)
	}
	// Named on the command line, a FIFO is skipped too, and a store is refused.
	if _, err := ReadAll([]string{fifo}, nil); err == nil || !strings.Contains(err.Error(), "a FIFO, never opened") {
		t.Errorf("FIFO as RESULTS: %v", err)
	}
	if _, err := ReadAll([]string{filepath.Join(root, "perf/baseline/baseline.txt")}, nil); err == nil || !strings.Contains(err.Error(), "baseline.txt:1: a perfgate baseline store, not results") {
		t.Errorf("store as RESULTS: %v", err)
	}
}
