package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/check"
)

func TestLookupFormat(t *testing.T) {
	for _, name := range []string{"text", "markdown", "json"} {
		if f, err := LookupFormat(name); err != nil || f.Name != name || f.Render == nil {
			t.Errorf("LookupFormat(%q) = %v, %v", name, f, err)
		}
	}
	for _, bad := range []string{"", "md", "JSON", "html "} {
		if _, err := LookupFormat(bad); err == nil || !strings.Contains(err.Error(), "must be text, markdown or json") {
			t.Errorf("LookupFormat(%q): %v", bad, err)
		}
	}
	if _, err := LookupDescribeFormat("markdown"); err == nil || !strings.Contains(err.Error(), "must be text or json") {
		t.Errorf("LookupDescribeFormat(markdown): %v", err)
	}
	if f, err := LookupDescribeFormat("json"); err != nil || f.Describe == nil {
		t.Errorf("LookupDescribeFormat(json) = %v, %v", f, err)
	}
}

// TestFormatsRender renders the fixture with every registered format through the one
// renderer signature, and checks each output is what the format's own function writes.
func TestFormatsRender(t *testing.T) {
	rep := fixture(t)
	for _, f := range Formats {
		var b bytes.Buffer
		if err := f.Render(&b, rep, Options{}); err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if !strings.Contains(b.String(), "FAIL") && f.Name != "json" || f.Name == "json" && !strings.Contains(b.String(), `"verdict": "fail"`) {
			t.Errorf("%s: no verdict in %.200q", f.Name, b.String())
		}
	}
}

// TestMethodSummary checks that the method paragraph report writes names the correction.
func TestMethodSummary(t *testing.T) {
	for c, word := range map[check.Correction]string{check.Holm: "Holm–Bonferroni", check.BH: "Benjamini–Hochberg", check.NoCorrection: "no multiple-comparison correction"} {
		m := check.Method{Alpha: 0.05, Correction: c, Comparisons: 3, MinEffectPct: 3, TolerancePct: 5, MinHistoryRuns: 3}
		if s := MethodSummary(m); !strings.Contains(s, word) || !strings.Contains(s, "over the 3 comparison(s)") {
			t.Errorf("%s: %q", c, s)
		}
		m.Summary = "recorded"
		if s := MethodSummary(m); s != "recorded" {
			t.Errorf("recorded summary replaced by %q", s)
		}
	}
}
