package github

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/perfgate/perfgate/check"
	"github.com/perfgate/perfgate/report"
)

func TestPrepareLoadArtifact(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "artifact")
	rep := testReport(2)
	if err := PrepareArtifact(dir, &Artifact{Report: rep, PR: 7, SHA: headSHA}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"pr": "7\n", "sha": headSHA + "\n"} {
		if data, _ := os.ReadFile(filepath.Join(dir, name)); string(data) != want {
			t.Errorf("%s = %q, want %q", name, data, want)
		}
	}
	a, err := LoadArtifact(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&Artifact{Report: rep, PR: 7, SHA: headSHA}, a); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestLoadArtifactRejects(t *testing.T) {
	good := func(t *testing.T) string {
		dir := t.TempDir()
		if err := PrepareArtifact(dir, &Artifact{Report: testReport(1), PR: 7, SHA: headSHA}); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	write := func(name, text string) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name   string
		mutate func(t *testing.T, dir string)
		want   string
	}{
		{"leading zero", write("pr", "07\n"), "not a positive decimal number"},
		{"negative", write("pr", "-7\n"), "not a positive decimal number"},
		{"two lines", write("pr", "7\n8\n"), "not a positive decimal number"},
		{"space", write("pr", " 7"), "not a positive decimal number"},
		{"huge", write("pr", "99999999999"), "not a positive decimal number"},
		{"short sha", write("sha", "abc123\n"), "not a full lower-case hex SHA"},
		{"upper sha", write("sha", strings.ToUpper(headSHA)), "not a full lower-case hex SHA"},
		{"sha with ref", write("sha", headSHA+" refs/heads/x"), "not a full lower-case hex SHA"},
		{"bad json", write("report.json", "{\"schema\":1,\n]"), "report.json:2: invalid JSON"},
		{"cut json", write("report.json", "{\"schema\":1,\n\"verdict\":"), "report.json:2: the report ends early (a truncated file?)"},
		{"array", write("report.json", "[]"), "report.json:1: a JSON array, not a perfgate JSON report (an object)"},
		{"empty json", write("report.json", ""), "report.json: empty file, not a perfgate JSON report"},
		{"trailing data", write("report.json", `{"schema":1,"verdict":"pass","results":[]} {}`), "unexpected data after the report"},
		{"future schema", write("report.json", `{"schema":99,"verdict":"pass"}`), "schema 99 is not supported"},
		{"bad verdict", write("report.json", `{"schema":1,"verdict":"maybe"}`), `verdict "maybe"`},
		{"bad status", write("report.json", `{"schema":1,"verdict":"fail","results":[{"status":"<b>"}]}`), `unknown status "<b>"`},
		{"pass of nothing", write("report.json", `{"schema":1,"verdict":"pass","results":[]}`), `verdict "pass" with no results: nothing was compared`},
		{"contradiction", write("report.json", `{"schema":1,"verdict":"pass","results":[{"key":"tp=8","status":"regression"}]}`), "contradicts"},
		{"no key", write("report.json", `{"schema":1,"verdict":"fail","results":[{"key":"tp=8","status":"unchanged"},{"status":"missing","fails":true}]}`), "results[1]: no key"},
		{"wrong type", write("report.json", "{\n\"schema\":\"1\"}"), ":2: schema: cannot use a JSON string"},
		{"too big", write("report.json", strings.Repeat(" ", MaxReportBytes+1)), "the limit is"},
		{"missing", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "sha")) }, "no such file"},
		{"symlink", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "pr"))
			if err := os.Symlink("/etc/hostname", filepath.Join(dir, "pr")); err != nil {
				t.Skip(err)
			}
		}, "not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := good(t)
			tt.mutate(t, dir)
			_, err := LoadArtifact(dir)
			if !IsInputError(err) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v; want an input error containing %q", err, tt.want)
			}
		})
	}
}

func TestPrepareRejects(t *testing.T) {
	dir := t.TempDir()
	if err := PrepareArtifact(dir, &Artifact{Report: testReport(1), PR: 0, SHA: headSHA}); err == nil {
		t.Error("no pull request accepted")
	}
	if err := PrepareArtifact(dir, &Artifact{Report: testReport(1), PR: 7, SHA: "HEAD"}); err == nil {
		t.Error("a ref accepted as SHA")
	}
	if err := PrepareArtifact(dir, &Artifact{Report: &check.Report{Schema: 1, Verdict: "?"}, PR: 7, SHA: headSHA}); err == nil {
		t.Error("invalid report accepted")
	}
	// A report that LoadArtifact would refuse as too large is refused here, in the first
	// stage, whose log people read, rather than silently in the second.
	big := testReport(1)
	big.Notes = []string{strings.Repeat("x", MaxReportBytes)}
	big2 := filepath.Join(t.TempDir(), "big")
	if err := PrepareArtifact(big2, &Artifact{Report: big, PR: 7, SHA: headSHA}); err == nil || !strings.Contains(err.Error(), "MiB that 'publish --from' reads") {
		t.Errorf("a report over MaxReportBytes: err = %v", err)
	}
	if _, err := os.Stat(big2); err == nil {
		t.Error("the too-large artifact directory was written")
	}
}

func TestDecodeReportLine(t *testing.T) {
	_, err := DecodeReport("r.json", []byte("{\n  \"schema\": 1,\n  \"verdict\": pass\n}"))
	if err == nil || !strings.HasPrefix(err.Error(), "r.json:3: invalid JSON") {
		t.Errorf("err = %v; want r.json:3: invalid JSON…", err)
	}
}

// FuzzDecodeReport feeds arbitrary bytes through the untrusted-artifact path: decoding must
// not panic, and whatever decodes must render without raw HTML or mentions from the input
// and within the size limit.
func FuzzDecodeReport(f *testing.F) {
	f.Add([]byte(`{"schema":1,"verdict":"fail","results":[{"config":{"flags":"<script>@org/team|x"},"metric":"TFLOPS/GPU","status":"regression","delta_pct":-5}]}`))
	f.Add([]byte(`{"schema":1,"verdict":"fail","results":[],"notes":["<img src=x onerror=alert(1)>"]}`))
	// Baseline runs spanning more than a float64 (a sparkline's range overflowed, then
	// indexed its bars with NaN: a panic in the second stage, on a fork's artifact).
	f.Add([]byte(`{"schema":1,"verdict":"fail","results":[{"status":"regression","fails":true,"baseline":{"history":[1e308,-1e308,0]},"new":{"center":1e308,"runs":1}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := DecodeReport("fuzz.json", data)
		if err != nil {
			return
		}
		for _, max := range []int{0, 2000, MaxCommentBytes} {
			body := report.Markdown(rep, report.MarkdownOptions{MaxBytes: max, RunURL: "https://x", Chart: true})
			if max > 0 && len(body) > max {
				t.Fatalf("body %d bytes > %d", len(body), max)
			}
			if strings.Contains(body, "<script") || strings.Contains(body, "<img") {
				t.Fatalf("raw HTML in body:\n%s", body)
			}
		}
	})
}
