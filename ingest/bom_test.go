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
