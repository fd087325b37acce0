package check

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/perfgate/perfgate/bench"
)

// FuzzLoadConfig: any bytes as a config file load or are refused with an error that names
// the file and, when it gives a line, one the file has (file:N: ...), never a panic; a file
// that loads applies to the defaults, and each of its rules' match compiles and runs on a
// config.
func FuzzLoadConfig(f *testing.F) {
	for _, s := range []string{
		"{}\n",
		"{\n  \"alpha\": 0.01,\n  \"min_effect_pct\": 3,\n  \"metrics\": [\"TFLOPS/GPU\"]\n}\n",
		"{\n  \"better\": {\"tokens/s/GPU\": \"higher\"},\n  \"speed_metrics\": [\"TFLOPS/GPU\", \"s/iter\"]\n}\n",
		"{\n  \"rules\": [\n    {\"match\": \"/tp:8 AND /pp:4\", \"tolerance_pct\": 6, \"reason\": \"noisy\", \"until\": \"2027-01-31\"},\n    {\"match\": \"*\", \"metric\": \"s/iter\", \"ignore\": true, \"reason\": \"x\"}\n  ]\n}\n",
		"{\n  \"key_args\": [\"sequence_parallel\"],\n  \"window\": 14,\n  \"confirm_runs\": 3\n}\n",
		"{\"alpha\": 0.01, \"alpha\": 0.05}",
		"{\"rules\": [{\"match\": \"/flags:(dist-opt OR\"}]}",
		"[1, 2]",
		"{} {}",
	} {
		f.Add([]byte(s))
	}
	named := regexp.MustCompile(`^[^\n]*` + regexp.QuoteMeta(ConfigFileName) + `:(?:([0-9]+):)? `)
	cfg := bench.Config{"tp": "8", "pp": "4", "flags": "dist-opt", "nodes": "32"}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), ConfigFileName)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		cf, err := LoadConfig(path)
		if err != nil {
			m := named.FindStringSubmatch(err.Error())
			if m == nil {
				t.Fatalf("error without the file's name: %v", err)
			}
			if m[1] != "" {
				if n, _ := strconv.Atoi(m[1]); n < 1 || n > bytes.Count(data, []byte("\n"))+1 {
					t.Fatalf("error names line %s of a file of %d line(s): %v", m[1], bytes.Count(data, []byte("\n"))+1, err)
				}
			}
			return
		}
		opts := DefaultOptions
		if _, err := cf.Apply(&opts, path); err != nil {
			return // a rule the defaults refuse: an error, not a panic
		}
		for _, r := range cf.Rules {
			match, err := NewMatcher(r.Match)
			if err != nil {
				t.Fatalf("rule %q loaded but its match does not compile: %v", r.Match, err)
			}
			match(cfg)
		}
	})
}
