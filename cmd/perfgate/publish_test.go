package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"

	"github.com/perfgate/perfgate/github/githubtest"
)

const (
	pubHead  = "a1b2c3d4e5f60718293a4b5c6d7e8f90123456ab"
	pubToken = "ghs_SECRETtoken0123456789"
	pubFail  = `{"schema":1,"verdict":"fail","results":[{"config":{"tp":"8"},"key":"tp=8","metric":"TFLOPS/GPU","better":"higher","status":"regression","fails":true,"outcome":"ok","delta_pct":-5,"threshold_pct":3}],"method":{"summary":"test"}}`
)

// TestPublishExitCodes runs publish in-process against a fake GitHub and checks the exit
// code contract: 0 published (or only warned), 2 bad input, 3 could not publish.
func TestPublishExitCodes(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		stdin  string
		fault  *githubtest.Fault
		env    map[string]string
		want   int
		stderr string
	}{
		{name: "published", args: []string{"publish", "REPORT"}, want: ExitPass},
		{name: "stdin", args: []string{"publish", "-"}, stdin: pubFail, want: ExitPass},
		{name: "failing report still exits 0", args: []string{"publish", "--comment", "on-failure", "REPORT"}, want: ExitPass},
		{name: "read-only token warns", args: []string{"publish", "REPORT"}, want: ExitPass,
			fault:  &githubtest.Fault{Method: "POST", Path: "/repos/o/r/statuses/*", Status: 403, Body: githubtest.BodyNotAccessible},
			stderr: "pull-requests: write"},
		{name: "read-only token strict", args: []string{"publish", "--strict", "REPORT"}, want: ExitInternal,
			fault:  &githubtest.Fault{Method: "POST", Path: "/repos/o/r/statuses/*", Status: 403, Body: githubtest.BodyNotAccessible},
			stderr: "Resource not accessible by integration"},
		{name: "validation error", args: []string{"publish", "REPORT"}, want: ExitInternal,
			fault:  &githubtest.Fault{Method: "POST", Path: "/repos/o/r/issues/7/comments", Status: 422, Body: `{"message":"Validation Failed"}`},
			stderr: "could not create the perfgate comment on o/r#7"},
		{name: "unknown pr", args: []string{"publish", "--pr", "99", "REPORT"}, want: ExitInternal, stderr: "o/r#99"},
		{name: "bad json", args: []string{"publish", "-"}, stdin: "{", want: ExitInput, stderr: "<stdin>:1: the report ends early (a truncated file?)"},
		// Not cut silently and then called "not a perfgate JSON report".
		{name: "huge stdin", args: []string{"publish", "-"}, stdin: `{"schema":1,"notes":["` + strings.Repeat("x", 40<<20) + `"]}`, want: ExitInput, stderr: "<stdin>: the report is larger than 40 MiB"},
		{name: "bad mode", args: []string{"publish", "--comment", "x", "REPORT"}, want: ExitInput, stderr: "--comment"},
		{name: "bad repo", args: []string{"publish", "--repo", "o", "REPORT"}, want: ExitInput, stderr: `repository "o" is not of the form owner/name`},
		{name: "bad id", args: []string{"publish", "--id", "x-->y", "REPORT"}, want: ExitInput, stderr: "gate id"},
		{name: "no token", args: []string{"publish", "REPORT"}, env: map[string]string{"GITHUB_TOKEN": ""}, want: ExitInput, stderr: "no GitHub token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := githubtest.New("o/r", func(msg string) { t.Error(msg) })
			defer srv.Close()
			srv.Token = pubToken
			srv.AddPR(7, pubHead)
			if tt.fault != nil {
				srv.AddFault(*tt.fault)
			}
			dir := t.TempDir()
			report := filepath.Join(dir, "report.json")
			os.WriteFile(report, []byte(pubFail), 0o644)
			event := filepath.Join(dir, "event.json")
			os.WriteFile(event, []byte(`{"pull_request":{"number":7,"head":{"sha":"`+pubHead+`","repo":{"full_name":"o/r"}},"base":{"repo":{"full_name":"o/r"}}}}`), 0o644)
			env := map[string]string{
				"GITHUB_REPOSITORY": "o/r", "GITHUB_TOKEN": pubToken, "GITHUB_API_URL": srv.APIURL(),
				"GITHUB_EVENT_PATH": event,
			}
			for k, v := range tt.env {
				env[k] = v
			}
			var stdout, stderr bytes.Buffer
			s := &Streams{In: strings.NewReader(tt.stdin), Out: &stdout, ErrOut: &stderr, Getenv: func(k string) string { return env[k] }}
			args := append([]string(nil), tt.args...)
			for i, a := range args {
				if a == "REPORT" {
					args[i] = report
				}
			}
			if got := Main(args, s); got != tt.want {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", got, tt.want, &stdout, &stderr)
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, &stderr)
			}
			if strings.Contains(stdout.String()+stderr.String(), pubToken) {
				t.Error("the token was printed")
			}
		})
	}
}

// TestDocumentedPublishStepsHaveToken checks the workflows the README and docs/workflows
// show: a run: step that publishes (perfgate publish, except --prepare, or perfgate check
// --publish) must put GITHUB_TOKEN in its environment. Actions does not export the token to
// run: steps by itself; without it publishing only warns "no GitHub token", so the comment
// and status never appear.
func TestDocumentedPublishStepsHaveToken(t *testing.T) {
	type source struct{ name, text string }
	var sources []source
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(readme), "```yaml\n")
	for i, b := range blocks[1:] {
		text, _, _ := strings.Cut(b, "```")
		sources = append(sources, source{fmt.Sprintf("README.md yaml block %d", i+1), text})
	}
	files, _ := filepath.Glob("../../docs/workflows/*.yml")
	more, _ := filepath.Glob("../../.github/workflows/*.yml")
	for _, f := range append(files, more...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, source{f, string(data)})
	}
	if len(sources) < 8 {
		t.Fatalf("found only %d workflow sources", len(sources))
	}
	publishes := regexp.MustCompile(`(?m)^[^#\n]*\bperfgate (publish\b|check\b.*--publish\b)`)
	checked := 0
	for _, src := range sources {
		var doc any
		if err := yaml.Unmarshal([]byte(src.text), &doc); err != nil {
			t.Errorf("%s: %v", src.name, err)
			continue
		}
		var walk func(v any, token bool)
		walk = func(v any, token bool) {
			switch v := v.(type) {
			case map[string]any:
				if env, ok := v["env"].(map[string]any); ok && env["GITHUB_TOKEN"] != nil {
					token = true
				}
				if run, ok := v["run"].(string); ok {
					if m := publishes.FindString(run); m != "" && !strings.Contains(run, "--prepare") {
						checked++
						if !token {
							t.Errorf("%s: the step running %q does not set GITHUB_TOKEN in env:", src.name, strings.TrimSpace(m))
						}
					}
				}
				for _, x := range v {
					walk(x, token)
				}
			case []any:
				for _, x := range v {
					walk(x, token)
				}
			}
		}
		walk(doc, false)
	}
	if checked < 3 {
		t.Errorf("checked %d publishing steps; the README and the fork workflows have more", checked)
	}
}

// TestStrictHelpHonestUnderCheck: check --publish never changes its exit code for a
// publishing failure, so its --strict help must not promise exit 3.
func TestStrictHelpHonestUnderCheck(t *testing.T) {
	for _, cmd := range []string{"check", "publish"} {
		var out bytes.Buffer
		s := &Streams{In: strings.NewReader(""), Out: &out, ErrOut: &out, Getenv: func(string) string { return "" }}
		Main([]string{cmd, "--help"}, s)
		help := strings.Join(strings.Fields(out.String()), " ")
		i := strings.Index(help, "--strict ")
		if i < 0 {
			t.Fatalf("%s --help has no --strict:\n%s", cmd, out.String())
		}
		line, _, _ := strings.Cut(help[i:], " --token-env")
		if !strings.Contains(line, "check --publish only warns") {
			t.Errorf("%s --help: %q does not say that check --publish only warns", cmd, line)
		}
	}
}

// TestPrepareTooLargeStillSummarizes: a report too large for the artifact fails --prepare
// (exit 2), but the job summary and annotations of that run still show the verdict.
func TestPrepareTooLargeStillSummarizes(t *testing.T) {
	dir := t.TempDir()
	summary := filepath.Join(dir, "summary.md")
	env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary}
	var rows []string
	for i := 0; i < 5000; i++ {
		rows = append(rows, fmt.Sprintf(`{"config":{"tp":"8","gbs":"%d"},"key":"tp=8/gbs=%d","metric":"TFLOPS/GPU","better":"higher","status":"regression","fails":true,"outcome":"ok","delta_pct":-5,"threshold_pct":3,"reason":"%s"}`, i, i, strings.Repeat("y", 7000)))
	}
	big := `{"schema":1,"verdict":"fail","results":[` + strings.Join(rows, ",") + `],"method":{"summary":"test"}}`
	var stdout, stderr bytes.Buffer
	s := &Streams{In: strings.NewReader(big), Out: &stdout, ErrOut: &stderr, Getenv: func(k string) string { return env[k] }}
	art := filepath.Join(dir, "artifact")
	if got := Main([]string{"publish", "--prepare", art, "--pr", "7", "--sha", pubHead, "-"}, s); got != ExitInput {
		t.Fatalf("exit %d, want %d\n%s", got, ExitInput, &stderr)
	}
	if !strings.Contains(stderr.String(), "MiB that 'publish --from' reads") {
		t.Errorf("stderr:\n%s", &stderr)
	}
	if data, _ := os.ReadFile(summary); !bytes.Contains(data, []byte("tp=8")) {
		t.Errorf("no job summary with the failing config:\n%.300s", data)
	}
	if !strings.Contains(stdout.String(), "::error ") {
		t.Errorf("no annotation:\n%.300s", stdout.String())
	}
}
