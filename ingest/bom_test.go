package ingest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/perfgate/perfgate/bench"
)

// A UTF-8 byte-order mark at the start of a file (Notepad, Excel's "CSV UTF-8") is not
// content: each format reads the file with one exactly as without. Kept, it hid JSON Lines and
// Go benchmark files from detection, and turned a table whose header is the first line into
// runs keyed "\ufefftp=8", which a baseline update stored and no result ever matched.
func TestReadByteOrderMark(t *testing.T) {
	for name, content := range map[string]string{
		"table.txt":   "tp | pp | time | TFLOPS\n8 | 4 | 46.3 | 148.6\n8 | 2 | 47.0 | 146.0\n",
		"runs.jsonl":  `{"config":{"tp":8,"pp":4},"metric":"TFLOPS/GPU","values":[148.2,148.9],"run":"n1"}` + "\n",
		"go.txt":      "BenchmarkTrain/tp=8/pp=4 1 46.3 s/iter 148.6 TFLOPS/GPU\n",
		"sweep.jsonl": `{"config":{"tp":8},"metric":"s/iter","values":[46.3]}` + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			plain, bom := filepath.Join(dir, "plain", name), filepath.Join(dir, "bom", name)
			for p, c := range map[string]string{plain: content, bom: "\ufeff" + content} {
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := ReadPaths([]string{plain}, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ReadPaths([]string{bom}, nil)
			if err != nil {
				t.Fatalf("with a byte-order mark: %v", err)
			}
			type view struct{ Key, Metrics string }
			views := func(runs []bench.Run) (vs []view) {
				for _, r := range runs {
					vs = append(vs, view{r.ConfigKey(), fmt.Sprint(r.Metrics)})
				}
				return vs
			}
			if diff := cmp.Diff(views(want), views(got)); diff != "" {
				t.Errorf("runs with a byte-order mark differ (-without +with):\n%s", diff)
			}
		})
	}
}

// A sidecar saved by the same editors starts with a byte-order mark too. It is the sidecar of
// its log, read as without the mark: kept, it made the sidecar not JSON, so a directory walk
// took it for a results file and reading the log failed on it.
func TestSidecarByteOrderMark(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "run.log")
	if err := os.WriteFile(log, []byte(argDump(nil)+iterLines(1, 10, 10, 1000, 400)), 0o644); err != nil {
		t.Fatal(err)
	}
	sc := log + ".json"
	if err := os.WriteFile(sc, []byte("\ufeff"+`{"nodes": 3}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if !isSidecar(sc) {
		t.Errorf("isSidecar(%s) = false with a byte-order mark", filepath.Base(sc))
	}
	runs, err := ReadPaths([]string{dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Config["nodes"] != "3" {
		t.Errorf("runs = %v, want one run with nodes=3 from the sidecar", runs)
	}
}
