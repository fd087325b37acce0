package ingest

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/bench"
)

var updateLogs = flag.Bool("updateLogs", false, "rewrite the generated trainer-log fixtures and the .golden files under testdata/logs")

const logsDir = "../testdata/logs"

// forcedDir holds real logs that no reader detects by itself (an out-of-memory error printed
// by NCCL before any trainer line): TestForcedFormat reads them with --input-format.
const forcedDir = "forced-format"

// TestLogFixtures checks that the committed generated fixtures are what the generators in
// loggen_test.go produce, and rewrites them with -updateLogs.
func TestLogFixtures(t *testing.T) {
	for name, want := range logFixtures() {
		path := filepath.Join(logsDir, filepath.FromSlash(name))
		if *updateLogs {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%v (run go test ./ingest -run TestLogFixtures -updateLogs)", err)
			continue
		}
		if string(got) != want {
			t.Errorf("%s differs from its generator; run go test ./ingest -run TestLogFixtures -updateLogs", path)
		}
	}
}

// TestLogGolden reads every fixture under testdata/logs, a file or a directory at a time,
// and compares the runs, rendered as text, with <name>.golden beside it.
func TestLogGolden(t *testing.T) {
	entries, err := os.ReadDir(logsDir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		name := e.Name()
		path := filepath.Join(logsDir, name)
		if strings.HasSuffix(name, ".golden") || strings.HasSuffix(name, ".md") || strings.HasPrefix(name, ".") || name == forcedDir || (!e.IsDir() && isSidecar(path)) {
			continue
		}
		n++
		t.Run(name, func(t *testing.T) {
			opts := &Options{SkipIters: -1}
			in, err := ReadAll([]string{path}, opts)
			var got string
			// A fixture whose config does not tell its runs apart is refused; the golden
			// file keeps the refusal and, read again with AllowNoConfig, what the reader read.
			var nc *noConfigError
			if errors.As(err, &nc) {
				got = "refused: " + strings.ReplaceAll(err.Error(), logsDir+string(filepath.Separator), "") + "\n"
				in, err = ReadAll([]string{path}, &Options{SkipIters: -1, AllowNoConfig: true})
			}
			if err != nil {
				got += "error: " + strings.ReplaceAll(err.Error(), logsDir+string(filepath.Separator), "") + "\n"
			} else {
				got += renderRuns(in.Runs)
				for _, s := range in.Skipped {
					got += fmt.Sprintf("skipped: %s: %s\n", strings.TrimPrefix(filepath.ToSlash(s.File), logsDir+"/"), s.Reason)
				}
			}
			checkLogGolden(t, name, path+".golden", got, "TestLogGolden")
		})
	}
	if n < 6 {
		t.Fatalf("found only %d fixtures in %s", n, logsDir)
	}
}

// renderRuns renders runs as stable text for golden files.
func renderRuns(runs []bench.Run) string {
	var b strings.Builder
	for i, r := range runs {
		fmt.Fprintf(&b, "run %d: %s\n", i+1, filepath.ToSlash(strings.TrimPrefix(r.Source, logsDir+string(filepath.Separator))))
		fmt.Fprintf(&b, "  config:  %s\n", r.Config.Key())
		if r.File != filepath.Base(r.File) {
			fmt.Fprintf(&b, "  file:    %s\n", r.File)
		}
		if r.Args != nil {
			fmt.Fprintf(&b, "  args:    %d in the fingerprint", len(r.Args))
			for _, k := range []string{"sequence_parallel", "transformer_impl", "bf16", "use_flash_attn"} {
				if v, ok := r.Args[k]; ok {
					fmt.Fprintf(&b, ", %s=%s", k, v)
				}
			}
			b.WriteString("\n")
		}
		if r.Formula != "" {
			fmt.Fprintf(&b, "  formula: %s\n", r.Formula)
		}
		fmt.Fprintf(&b, "  outcome: %s\n", r.Outcome)
		if r.Reason != "" {
			fmt.Fprintf(&b, "  reason:  %s\n", r.Reason)
		}
		for _, m := range r.Metrics {
			fmt.Fprintf(&b, "  metric:  %s (%s, %s-is-better) n=%d median=%s\n", m.Name, m.Unit, m.Better, len(m.Values), fmtG(median(m.Values)))
			fmt.Fprintf(&b, "           %s\n", fmtValues(m.Values))
		}
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "  note:    %s\n", n)
		}
	}
	return b.String()
}

func fmtG(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

func fmtValues(vs []float64) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = fmtG(v)
	}
	return "[" + strings.Join(s, " ") + "]"
}

func median(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	s := append([]float64(nil), vs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// lineDiff shows the first lines where want and got differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 10; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  want %s\n  got  %s\n", i+1, wl, gl)
			shown++
		}
	}
	return b.String()
}

// TestForcedFormat reads the logs in testdata/logs/forced-format as Megatron-LM logs, as
// "perfgate check --input-format megatron" does: an out-of-memory error reported by NCCL or
// cuBLAS is an oom run whose reason quotes the proving line.
func TestForcedFormat(t *testing.T) {
	dir := filepath.Join(logsDir, forcedDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".log") {
			continue
		}
		n++
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			in, err := ReadAll([]string{path}, &Options{SkipIters: -1, Format: "megatron", Set: bench.Config{"issue": strings.TrimSuffix(name, ".log")}})
			var got string
			if err != nil {
				got += "error: " + err.Error() + "\n"
			} else {
				got += renderRuns(in.Runs)
			}
			checkLogGolden(t, name, path+".golden", got, "TestForcedFormat")
		})
	}
	if n < 2 {
		t.Fatalf("found only %d logs in %s", n, dir)
	}
}

// checkLogGolden compares got with the golden file, or rewrites it under -updateLogs; test
// names the test to run with -updateLogs.
func checkLogGolden(t *testing.T, name, golden, got, test string) {
	t.Helper()
	if *updateLogs {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./ingest -run %s -updateLogs)", err, test)
	}
	if got != string(want) {
		t.Errorf("%s: runs differ from %s (run with -updateLogs to accept):\n%s", name, golden, lineDiff(string(want), got))
	}
}
