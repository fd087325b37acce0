package check

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/perfgate/perfgate/bench"
)

func writeConfig(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), ConfigFileName)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadConfigErrors(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // error after "PATH:"
	}{
		{"syntax", "{\n  \"alpha\": 0.05,\n  \"correction\": ,\n}\n", "3: invalid character ','"},
		{"trailing comma", "{\n  \"alpha\": 0.05,\n}\n", "3: invalid character '}'"},
		{"unknown field", "{\n  \"alpha\": 0.05,\n  \"tolerance\": 5\n}\n", `3: unknown field "tolerance"`},
		{"wrong type", "{\n  \"alpha\": \"high\"\n}\n", `2: field "alpha": cannot use JSON string here`},
		{"bad correction", "{\n  \"alpha\": 0.05,\n  \"correction\": \"bonferroni\"\n}\n", "3: correction \"bonferroni\": want holm, bh or none"},
		{"alpha out of range", "{\n\n  \"alpha\": 1.5\n}\n", "3: alpha must be in (0, 1)"},
		{"min effect out of range", "{\n  \"min_effect_pct\": -1\n}\n", "2: min_effect_pct must be a finite percentage ≥ 0, not -1"},
		{"min history", "{\n  \"min_history_runs\": 1\n}\n", "2: min_history_runs must be at least 2"},
		{"window", "{\n  \"window\": 0\n}\n", "2: window must be at least 1"},
		{"better", "{\n  \"better\": {\n    \"tok/s\": \"up\"\n  }\n}\n", `3: better "up" for "tok/s": want higher or lower`},
		{"bad match", "{\n  \"rules\": [\n    {\"match\": \"/tp:8\", \"min_effect_pct\": 5},\n    {\"match\": \"/tp:(8 OR\"}\n  ]\n}\n", `4: rule 2: match "/tp:(8 OR": `},
		{"empty match", "{\n  \"rules\": [\n    {\"min_effect_pct\": 5}\n  ]\n}\n", "3: rule 1 has no match"},
		{"bad until", "{\n  \"rules\": [\n    {\"match\": \"*\", \"ignore\": true, \"reason\": \"r\",\n     \"until\": \"2026-13-01\"}\n  ]\n}\n", `4: rule 1: until "2026-13-01": want a date like 2026-12-31`},
		{"until not a date", "{\n  \"rules\": [\n    {\"match\": \"*\", \"until\": \"next week\"}\n  ]\n}\n", `3: rule 1: until "next week"`},
		{"ignore without reason", "{\n  \"rules\": [\n    {\"match\": \"/tp:4\",\n     \"ignore\": true}\n  ]\n}\n", "3: rule 1: an ignore rule needs a reason"},
		{"ignore blank reason", "{\n  \"rules\": [\n    {\"match\": \"/tp:4\", \"ignore\": true, \"reason\": \"  \"}\n  ]\n}\n", "3: rule 1: an ignore rule needs a reason"},
		{"rule percentage", "{\n  \"rules\": [\n    {\"match\": \"/tp:4\", \"tolerance_pct\": -5}\n  ]\n}\n", "3: rule 1: percentages must be a finite percentage ≥ 0, not -5"},
		{"duplicate key", "{\n  \"tolerance_pct\": 5,\n  \"tolerance_pct\": 50\n}\n", `3: key "tolerance_pct" appears twice (also on line 2)`},
		{"duplicate key other case", "{\n  \"alpha\": 0.01,\n  \"Alpha\": 0.5\n}\n", `3: key "Alpha" appears twice (also on line 2)`},
		{"duplicate key in a rule", "{\n  \"rules\": [\n    {\"match\": \"*\", \"min_effect_pct\": 5,\n     \"min_effect_pct\": 50}\n  ]\n}\n", `4: key "min_effect_pct" appears twice (also on line 3)`},
		{"duplicate metric in better", "{\"better\": {\"tok/s\": \"higher\", \"tok/s\": \"lower\"}}\n", `1: key "tok/s" appears twice`},
		{"second object", "{\"alpha\": 0.01}\n{\"tolerance_pct\": 50}\n", "2: unexpected data after the config object"},
		{"trailing garbage", "{\"alpha\": 0.01} x\n", "1: "},
		{"empty", "", " the file holds no JSON object"},
		// A rule's error names that rule's line, not the first line that holds the same text.
		{"second rule without reason", "{\n  \"rules\": [\n    {\"match\": \"*\", \"ignore\": true, \"reason\": \"x\"},\n    {\"match\": \"*\", \"ignore\": true}\n  ]\n}\n", "4: rule 2: an ignore rule needs a reason"},
		{"second rule bad until", "{\n  \"rules\": [\n    {\"match\": \"/tp:8\", \"until\": \"2026-13-01\", \"min_effect_pct\": 5},\n    {\"match\": \"/tp:4\",\n     \"until\": \"2026-13-01\"}\n  ]\n}\n", "3: rule 1: until"},
		{"second rule percentage", "{\n  \"rules\": [\n    {\"match\": \"/tp:4\", \"tolerance_pct\": 5},\n    {\"match\": \"/tp:4\",\n     \"tolerance_pct\": 500}\n  ]\n}\n", "5: rule 2: percentages must be below 100"},
		{"second rule no match", "{\n  \"rules\": [\n    {\"match\": \"*\", \"tolerance_pct\": 5},\n    {\"min_effect_pct\": 5}\n  ]\n}\n", "4: rule 2 has no match"},
		{"better after metrics", "{\n  \"metrics\": [\"tok/s\"],\n  \"better\": {\n    \"tok/s\": \"up\"\n  }\n}\n", `4: better "up" for "tok/s"`},
		// A rule that neither ignores nor sets a threshold (its "ignore": true forgotten).
		{"rule does nothing", "{\n  \"rules\": [\n    {\"match\": \"/flags:dist-opt\",\n     \"reason\": \"flaky\", \"until\": \"2027-01-31\"}\n  ]\n}\n", `3: rule 1 does nothing: give it "ignore": true, "min_effect_pct" or "tolerance_pct"`},
		// The zero date would read as no expiry at all.
		{"until year 1", "{\n  \"rules\": [\n    {\"match\": \"*\", \"ignore\": true, \"reason\": \"x\",\n     \"until\": \"0001-01-01\"}\n  ]\n}\n", `4: rule 1: until "0001-01-01": want a date from 2000 on`},
		// An alpha no few runs can reach makes a gate that cannot fail.
		{"alpha tiny", "{\n  \"alpha\": 1e-20\n}\n", "2: alpha must be at least 0.0001"},
		// encoding/json folds "metricſ" (long s) to "metrics", past the duplicate check.
		{"non-ASCII key", "{\n  \"metrics\": [\"TFLOPS/GPU\"],\n  \"metric\u017f\": [\"s/iter\"]\n}\n", `3: key "metricſ" holds a character outside ASCII; perfgate's keys are ASCII (metrics)`},
		{"rule unknown field", "{\n  \"rules\": [\n    {\"match\": \"/tp:4\",\n     \"ignored\": true}\n  ]\n}\n", `4: unknown field "ignored"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.in)
			_, err := LoadConfig(path)
			if err == nil {
				t.Fatalf("no error, want %s:%s", path, tt.want)
			}
			if want := path + ":" + tt.want; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("got  %v\nwant prefix %s", err, want)
			}
		})
	}
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "nope.json")); err == nil {
		t.Errorf("missing file: no error")
	}
}

func TestConfigApply(t *testing.T) {
	const in = `{
  "alpha": 0.01, "correction": "bh", "min_effect_pct": 4, "tolerance_pct": 7,
  "min_history_runs": 4, "window": 20, "metrics": ["TFLOPS/GPU"],
  "speed_metrics": ["s/iter", "TFLOPS/GPU"],
  "better": {"tokens/s/GPU": "higher", "MB-max-allocated": "lower"},
  "rules": [
    {"match": "/tp:4", "min_effect_pct": 5},
    {"match": "/flags:dist-opt", "metric": "s/iter", "ignore": true,
     "until": "2026-12-31", "reason": "flaky until the NCCL upgrade, #123"}
  ]
}
`
	path := writeConfig(t, in)
	cf, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if cf.Window == nil || *cf.Window != 20 {
		t.Errorf("window = %v", cf.Window)
	}
	o := DefaultOptions
	o.Rules = []Rule{{Match: func(bench.Config) bool { return true }, Reason: "from flags"}}
	better, err := cf.Apply(&o, path)
	if err != nil {
		t.Fatal(err)
	}
	if o.Alpha != 0.01 || o.Correction != "bh" || o.MinEffectPct != 4 || o.TolerancePct != 7 || o.MinHistoryRuns != 4 {
		t.Errorf("options %+v", o)
	}
	if diff := cmp.Diff([]string{"TFLOPS/GPU"}, o.Metrics); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"s/iter", "TFLOPS/GPU"}, o.SpeedMetrics); diff != "" {
		t.Errorf("speed metrics (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]bench.Better{"tokens/s/GPU": bench.Higher, "MB-max-allocated": bench.Lower}, better); diff != "" {
		t.Errorf("better (-want +got):\n%s", diff)
	}
	if len(o.Rules) != 3 || o.Rules[0].Reason != "from flags" {
		t.Fatalf("rules %d, want the existing one followed by the file's two", len(o.Rules))
	}
	r1, r2 := o.Rules[1], o.Rules[2]
	if r1.MinEffectPct == nil || *r1.MinEffectPct != 5 || r1.TolerancePct != nil || r1.Ignore || r1.Source != path {
		t.Errorf("rule 1 = %+v", r1)
	}
	if !r1.Match(bench.Config{"tp": "4", "pp": "8"}) || r1.Match(bench.Config{"tp": "8", "pp": "4"}) {
		t.Errorf("rule 1 does not match /tp:4")
	}
	if !r2.Ignore || r2.Metric != "s/iter" || r2.Reason != "flaky until the NCCL upgrade, #123" ||
		!r2.Until.Equal(time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("rule 2 = %+v", r2)
	}
	if !r2.Match(bench.Config{"tp": "8", "flags": "dist-opt"}) || r2.Match(bench.Config{"tp": "8", "flags": "dist-opt+overlap-grad"}) {
		t.Errorf("rule 2 does not match exactly /flags:dist-opt")
	}

	// An empty file leaves the options alone.
	cf, err = LoadConfig(writeConfig(t, "{}\n"))
	if err != nil {
		t.Fatal(err)
	}
	o = DefaultOptions
	if _, err := cf.Apply(&o, "x"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(DefaultOptions, o, cmp.Comparer(func(a, b Rule) bool { return false })); diff != "" {
		t.Errorf("empty config changed the options (-want +got):\n%s", diff)
	}
}

func TestNewMatcher(t *testing.T) {
	cfgs := []bench.Config{
		{"tp": "8", "pp": "4", "gbs": "1024", "nodes": "32", "flags": "none"},
		{"tp": "8", "pp": "8", "gbs": "64", "nodes": "32", "flags": "dist-opt"},
		{"tp": "4", "pp": "8", "gbs": "1024", "nodes": "32", "flags": "dist-opt+overlap-grad"},
		{"tp": "16", "pp": "2", "gbs": "1024", "nodes": "64", "flags": "none"},
		{"tp": "18", "pp": "2", "gbs": "1024", "nodes": "64", "flags": "none"}, // tp ends in 8
		{"pp": "8", "gbs": "1024"}, // no tp at all
	}
	tests := []struct {
		query string
		want  []bool
	}{
		{"/tp:8", []bool{true, true, false, false, false, false}},
		{"/tp:4", []bool{false, false, true, false, false, false}},
		{"/tp:8 AND /gbs:1024", []bool{true, false, false, false, false, false}},
		{"/nodes:64 OR /flags:dist-opt", []bool{false, true, false, true, true, false}},
		{"/flags:(dist-opt OR none)", []bool{true, true, false, true, true, false}},
		{"-/tp:8", []bool{false, false, true, true, true, true}},
		{"*", []bool{true, true, true, true, true, true}},
	}
	for _, tt := range tests {
		m, err := NewMatcher(tt.query)
		if err != nil {
			t.Errorf("%s: %v", tt.query, err)
			continue
		}
		for i, c := range cfgs {
			if got := m(c); got != tt.want[i] {
				t.Errorf("NewMatcher(%q)(%s) = %v, want %v", tt.query, c, got, tt.want[i])
			}
		}
	}
	for _, bad := range []string{"/tp:(8", "(", "/tp:8)"} {
		if _, err := NewMatcher(bad); err == nil {
			t.Errorf("NewMatcher(%q): no error", bad)
		}
	}
}
