package ingest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/bench"
)

// TestJSONLNoConfig: a JSON Lines run without "config", or with an empty one, was an error
// even with --allow-no-config or --set, and a file without "config" was not even detected
// as JSON Lines. Such a run now takes its config as other readers' runs do: from --set or
// the directory's name, or none with --allow-no-config; otherwise it is the error naming
// file:line and how to give a config.
func TestJSONLNoConfig(t *testing.T) {
	const (
		empty   = `{"config":{},"metric":"s/iter","values":[1]}` + "\n"
		missing = `{"metric":"s/iter","values":[1]}` + "\n"
		nullCfg = `{"config":null,"metric":"s/iter","values":[1]}` + "\n"
		failed  = `{"metric":"TFLOPS/GPU","outcome":"oom","reason":"CUDA out of memory"}` + "\n"
	)
	for _, tt := range []struct {
		name, content string
		outcome       bench.Outcome
	}{
		{"empty config", empty, bench.OK},
		{"no config", missing, bench.OK},
		{"null config", nullCfg, bench.OK},
		{"failed run without config", failed, bench.OOM},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			file := writeCore(t, dir, "r.jsonl", tt.content)

			// Without a config from anywhere: the error names file:line and the ways out.
			_, err := ReadAll([]string{file}, nil)
			if err == nil {
				t.Fatal("no error, want a missing-config error")
			}
			for _, want := range []string{file + `:1: missing or empty "config"`, `{"config":{"tp":8`, "--set key=value", "nodes=32/results.jsonl", "--allow-no-config"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}

			check := func(name string, paths []string, opts *Options, wantKey string) {
				t.Helper()
				in, err := ReadAll(paths, opts)
				if err != nil {
					t.Errorf("%s: %v", name, err)
					return
				}
				if len(in.Runs) != 1 || in.Runs[0].ConfigKey() != wantKey || in.Runs[0].Outcome != tt.outcome {
					t.Errorf("%s: runs %+v, want one %s run of config %q", name, in.Runs, tt.outcome, wantKey)
				}
			}
			check("--allow-no-config", []string{file}, &Options{SkipIters: -1, AllowNoConfig: true}, "")
			check("--set tp=8", []string{file}, &Options{SkipIters: -1, Set: bench.Config{"tp": "8"}}, "tp=8")
			sub := filepath.Join(dir, "nodes=32")
			if err := os.Mkdir(sub, 0o755); err != nil {
				t.Fatal(err)
			}
			writeCore(t, sub, "r.jsonl", tt.content)
			check("directory nodes=32", []string{sub}, nil, "nodes=32")
		})
	}
}

// TestSniffJSONLWithoutConfig detects JSON Lines by its metric and values (or outcome) when
// the line has no "config", and still leaves other JSON alone.
func TestSniffJSONLWithoutConfig(t *testing.T) {
	for _, tt := range []struct {
		head string
		want bool
	}{
		{`{"metric":"s/iter","values":[1]}`, true},
		{"# c\n\n" + `{"values":[1,2],"metric":"TFLOPS/GPU","run":"r1"}`, true},
		{`{"metric":"TFLOPS/GPU","outcome":"oom"}`, true},
		{`{"config":{},"metric":"s/iter","values":[1]}`, true},
		{`{"metric":"s/iter"}`, false},
		{`{"values":[1]}`, false},
		{`{"lm loss":{"start_step":1,"end_step":100,"values":{"1":10.8}}}`, false},
		{`[{"metric":"s/iter","values":[1]}]`, false},
	} {
		if got := sniffJSONL("x", []byte(tt.head)); got != tt.want {
			t.Errorf("sniffJSONL(%s) = %v, want %v", tt.head, got, tt.want)
		}
	}
}
