package lint

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/perfgate/perfgate/check"
	"go.yaml.in/yaml/v4"
)

// actionMeta is the part of action.yml the tests read.
type actionMeta struct {
	Name        string                  `yaml:"name"`
	Description string                  `yaml:"description"`
	Inputs      map[string]actionInput  `yaml:"inputs"`
	Outputs     map[string]actionOutput `yaml:"outputs"`
	Runs        struct {
		Using string       `yaml:"using"`
		Steps []actionStep `yaml:"steps"`
	} `yaml:"runs"`
}

type actionInput struct {
	Description string  `yaml:"description"`
	Required    bool    `yaml:"required"`
	Default     *string `yaml:"default"`
}

type actionOutput struct {
	Description string `yaml:"description"`
	Value       string `yaml:"value"`
}

type actionStep struct {
	ID    string            `yaml:"id"`
	Name  string            `yaml:"name"`
	If    string            `yaml:"if"`
	Uses  string            `yaml:"uses"`
	Shell string            `yaml:"shell"`
	Run   yaml.Node         `yaml:"run"`
	Env   map[string]string `yaml:"env"`
	With  map[string]string `yaml:"with"`
}

func readAction(t *testing.T) *actionMeta {
	t.Helper()
	meta := new(actionMeta)
	readYAML(t, "action.yml", meta)
	return meta
}

// readYAML decodes the YAML file at rel, a slash-separated path from the repository root,
// into v.
func readYAML(t *testing.T, rel string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
}

// step returns the step with the given name.
func (m *actionMeta) step(t *testing.T, name string) actionStep {
	t.Helper()
	for _, s := range m.Runs.Steps {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("action.yml has no step named %q", name)
	return actionStep{}
}

func ptr(s string) *string { return &s }

func TestActionMetadata(t *testing.T) {
	meta := readAction(t)
	if meta.Name == "" || meta.Description == "" {
		t.Error("action.yml needs a name and a description")
	}
	if meta.Runs.Using != "composite" {
		t.Errorf("runs.using = %q, want composite", meta.Runs.Using)
	}

	type in struct {
		Required bool
		Default  *string
	}
	wantInputs := map[string]in{
		"mode":         {Default: ptr("gate")},
		"install":      {Default: ptr("auto")},
		"baseline":     {Default: ptr("")},
		"baseline-ref": {Default: ptr("")},
		"results":      {Default: ptr("")},
		"input-format": {Default: ptr("")},
		"id":           {Default: ptr("perfgate")},
		"comment":      {Default: ptr("always")},
		"fail-on":      {Default: ptr("any")},
		"args":         {Default: ptr("")},
		"publish":      {Default: ptr("true")},
		"publish-args": {Default: ptr("")},
		"github-token": {Default: ptr("${{ github.token }}")},
	}
	gotInputs := map[string]in{}
	for name, i := range meta.Inputs {
		gotInputs[name] = in{i.Required, i.Default}
		if strings.TrimSpace(i.Description) == "" {
			t.Errorf("input %s has no description", name)
		}
	}
	if diff := cmp.Diff(wantInputs, gotInputs); diff != "" {
		t.Errorf("inputs (-want +got):\n%s", diff)
	}

	wantOutputs := map[string]string{
		"verdict":       "${{ steps.check.outputs.verdict }}",
		"regressions":   "${{ steps.check.outputs.regressions }}",
		"suspects":      "${{ steps.check.outputs.suspects }}",
		"suspects-json": "${{ steps.check.outputs.suspects-json }}",
		"report":        "${{ steps.check.outputs.report }}",
		"exit-code":     "${{ steps.check.outputs.exit-code }}",
		"perfgate":      "${{ steps.install.outputs.path || steps.build.outputs.path }}",
	}
	gotOutputs := map[string]string{}
	for name, o := range meta.Outputs {
		gotOutputs[name] = o.Value
		if strings.TrimSpace(o.Description) == "" {
			t.Errorf("output %s has no description", name)
		}
	}
	if diff := cmp.Diff(wantOutputs, gotOutputs); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}

	// Inputs reach the scripts only through these environment variables. Only the publish
	// step sees the token.
	for _, tc := range []struct {
		step string
		env  map[string]string
	}{
		{"Check", map[string]string{
			"PG_PERFGATE":     "${{ steps.install.outputs.path || steps.build.outputs.path }}",
			"PG_BASELINE":     "${{ inputs.baseline }}",
			"PG_BASELINE_REF": "${{ inputs.baseline-ref }}",
			"PG_RESULTS":      "${{ inputs.results }}",
			"PG_INPUT_FORMAT": "${{ inputs.input-format }}",
			"PG_ID":           "${{ inputs.id }}",
			"PG_COMMENT":      "${{ inputs.comment }}",
			"PG_FAIL_ON":      "${{ inputs.fail-on }}",
			"PG_ARGS":         "${{ inputs.args }}",
		}},
		{"Publish", map[string]string{
			"PG_PERFGATE":     "${{ steps.install.outputs.path || steps.build.outputs.path }}",
			"PG_REPORT":       "${{ steps.check.outputs.report }}",
			"PG_VERDICT":      "${{ steps.check.outputs.verdict }}",
			"PG_ID":           "${{ inputs.id }}",
			"PG_COMMENT":      "${{ inputs.comment }}",
			"PG_PUBLISH_ARGS": "${{ inputs.publish-args }}",
			"GITHUB_TOKEN":    "${{ inputs.github-token }}",
		}},
		{"Install perfgate", map[string]string{
			"PG_MODE":         "${{ inputs.mode }}",
			"PG_INSTALL":      "${{ inputs.install }}",
			"PG_PUBLISH":      "${{ inputs.publish }}",
			"PG_PUBLISH_ARGS": "${{ inputs.publish-args }}",
			"PG_ACTION_REF":   "${{ github.action_ref }}",
			"PG_ACTION_REPO":  "${{ github.action_repository }}",
			"PG_SERVER_URL":   "${{ github.server_url }}",
		}},
		{"Build perfgate", map[string]string{
			"PG_GO":         "${{ steps.install.outputs.go }}",
			"PG_ACTION_REF": "${{ github.action_ref }}",
		}},
		{"Mark the gate", map[string]string{
			"PG_PERFGATE":     "${{ steps.install.outputs.path || steps.build.outputs.path }}",
			"PG_MODE":         "${{ inputs.mode }}",
			"PG_ID":           "${{ inputs.id }}",
			"PG_COMMENT":      "${{ inputs.comment }}",
			"PG_PUBLISH":      "${{ steps.install.outputs.publish }}",
			"PG_PUBLISH_ARGS": "${{ inputs.publish-args }}",
			"GITHUB_TOKEN":    "${{ inputs.github-token }}",
		}},
		{"Gate", map[string]string{
			"PG_CODE":        "${{ steps.check.outputs.exit-code }}",
			"PG_VERDICT":     "${{ steps.check.outputs.verdict }}",
			"PG_REGRESSIONS": "${{ steps.check.outputs.regressions }}",
		}},
	} {
		if diff := cmp.Diff(tc.env, meta.step(t, tc.step).Env); diff != "" {
			t.Errorf("step %s env (-want +got):\n%s", tc.step, diff)
		}
	}
	// The publish input is validated and normalised once, by the install step; the Publish
	// and Mark steps both read that output, so they cannot disagree on "TRUE".
	if !strings.Contains(meta.step(t, "Publish").If, "steps.install.outputs.publish == 'true'") {
		t.Errorf("step Publish if = %q, want it to honour the install step's publish output", meta.step(t, "Publish").If)
	}
	// Each mode runs its own steps; the install steps run in all of them.
	for step, want := range map[string]string{
		"Install perfgate": "always()",
		"Set up Go":        "always() && steps.install.outcome == 'success' && steps.install.outputs.setup-go == 'true'",
		"Build perfgate":   "always() && steps.install.outcome == 'success' && steps.setup-go.outcome != 'failure' && steps.install.outputs.path == ''",
		"Mark the gate":    "always() && (inputs.mode == 'pending' || inputs.mode == 'error') && steps.install.outcome == 'success' && steps.setup-go.outcome != 'failure' && steps.build.outcome != 'failure'",
		"Check":            "inputs.mode == 'gate'",
		"Publish":          "inputs.mode == 'gate' && steps.install.outputs.publish == 'true' && steps.check.outputs.verdict != ''",
		"Gate":             "inputs.mode == 'gate'",
	} {
		if got := meta.step(t, step).If; got != want {
			t.Errorf("step %s if = %q, want %q", step, got, want)
		}
	}

	// Every step that runs a script names its shell (composite actions require it), every
	// steps.<id> reference points at an earlier step, and every input is used.
	exprRef := regexp.MustCompile(`\b(steps|inputs)\.([A-Za-z_][A-Za-z0-9_-]*)`)
	seen := map[string]bool{}
	used := map[string]bool{}
	checkRefs := func(where, s string) {
		for _, m := range exprRef.FindAllStringSubmatch(s, -1) {
			switch m[1] {
			case "steps":
				if !seen[m[2]] {
					t.Errorf("%s refers to steps.%s, which is not an earlier step", where, m[2])
				}
			case "inputs":
				if _, ok := meta.Inputs[m[2]]; !ok {
					t.Errorf("%s refers to undeclared inputs.%s", where, m[2])
				}
				used[m[2]] = true
			}
		}
	}
	for i, s := range meta.Runs.Steps {
		where := fmt.Sprintf("step %d (%s)", i+1, s.Name)
		if s.Name == "" {
			t.Errorf("%s has no name", where)
		}
		if s.Run.Value != "" && s.Shell != "bash" {
			t.Errorf("%s: shell = %q, want bash", where, s.Shell)
		}
		if (s.Run.Value == "") == (s.Uses == "") {
			t.Errorf("%s needs exactly one of run and uses", where)
		}
		checkRefs(where+" if", s.If)
		for k, v := range s.Env {
			checkRefs(where+" env "+k, v)
		}
		for k, v := range s.With {
			checkRefs(where+" with "+k, v)
		}
		if s.ID != "" {
			seen[s.ID] = true
		}
	}
	for _, o := range meta.Outputs {
		checkRefs("outputs", o.Value)
	}
	for name := range meta.Inputs {
		if !used[name] {
			t.Errorf("input %s is declared but never used", name)
		}
	}
}

// runScripts returns every scalar `run:` value in the YAML document at path, with the line
// of its first script line.
func runScripts(t *testing.T, path string) []script {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []script
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if k.Value == "run" && v.Kind == yaml.ScalarNode {
					line := v.Line
					if v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
						line++ // the block starts on the line after "|"
					}
					out = append(out, script{path: path, line: line, text: v.Value})
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&doc)
	return out
}

type script struct {
	path string
	line int // line of the script's first line in path
	text string
}

// TestNoExpressionsInRun enforces the rule that keeps the action and the workflows free of
// script injection: values reach run: scripts through env:, never as ${{ ... }} text that
// the runner pastes into the script before bash parses it.
func TestNoExpressionsInRun(t *testing.T) {
	root := repoRoot(t)
	files := append([]string{filepath.Join(root, "action.yml")}, workflowFiles(t, root)...)
	n := 0
	for _, f := range files {
		for _, s := range runScripts(t, f) {
			n++
			for i, line := range strings.Split(s.text, "\n") {
				if strings.Contains(line, "${{") {
					rel, _ := filepath.Rel(root, s.path)
					t.Errorf("%s:%d: ${{ }} inside run:; pass the value through env: instead", filepath.ToSlash(rel), s.line+i)
				}
			}
		}
	}
	if n < 10 {
		t.Errorf("found only %d run: scripts; is the YAML walk broken?", n)
	}
}

// TestActionShellcheck runs shellcheck over action.yml's scripts, which actionlint skips
// (it does not lint the steps of composite actions), and over action/*.sh.
func TestActionShellcheck(t *testing.T) {
	sc, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Skip("shellcheck not on PATH")
	}
	root := repoRoot(t)
	scripts := shellScripts(t) // action.yml's run: scripts and action/*.sh
	for _, s := range scripts {
		rel, _ := filepath.Rel(root, s.path)
		rel = filepath.ToSlash(rel)
		// As actionlint does: variables come from env:, so "referenced but not assigned"
		// (SC2153, SC2154) is expected.
		cmd := exec.Command(sc, "--norc", "--shell=bash", "--format=gcc", "--exclude=SC1091,SC2153,SC2154", "-")
		cmd.Stdin = strings.NewReader(s.text)
		out, err := cmd.Output()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		// "-:LINE:COL: level: message [SCnnnn]"
		sca := bufio.NewScanner(bytes.NewReader(out))
		for sca.Scan() {
			var line, col int
			rest := sca.Text()
			if _, err := fmt.Sscanf(rest, "-:%d:%d:", &line, &col); err == nil {
				_, msg, _ := strings.Cut(strings.TrimPrefix(rest, "-:"), ": ")
				t.Errorf("%s:%d:%d: %s", rel, s.line+line-1, col, msg)
			} else {
				t.Errorf("%s:%d: shellcheck: %s", rel, s.line, rest)
			}
		}
		if err != nil && len(out) == 0 {
			t.Errorf("%s:%d: shellcheck failed: %v", rel, s.line, err)
		}
	}
}

// A stepRun is the outcome of running one of action.yml's scripts.
type stepRun struct {
	exit    int
	stdout  string
	outputs map[string]string // what the script appended to $GITHUB_OUTPUT
	args    []string          // the fake perfgate's arguments; nil if it did not run
}

// stepEnv is the environment of one scripted step run.
type stepEnv struct {
	t         *testing.T
	workspace string // the working directory, like $GITHUB_WORKSPACE
	temp      string // $RUNNER_TEMP
	path      string // $PATH
	perfgate  string // the fake perfgate
	argsFile  string
	posix     bool // run the step with bash --posix
}

// fakePerfgate is a stand-in for the perfgate binary: it records its arguments, copies
// $FAKE_REPORT to the file after --output, and exits with $FAKE_EXIT.
const fakePerfgate = `
printf '%s\n' "$@" >"$FAKE_ARGS"
out='' prev=''
for a in "$@"; do
  if [ "$prev" = --output ]; then out=$a; fi
  prev=$a
done
if [ -n "${FAKE_REPORT:-}" ] && [ -n "$out" ]; then cp "$FAKE_REPORT" "$out"; fi
exit "${FAKE_EXIT:-0}"
`

// newStepEnv prepares a workspace, a runner temp directory and a fake perfgate. With
// noJQ, PATH holds only the tools the scripts need, without jq, to test the grep fallback.
func newStepEnv(t *testing.T, noJQ bool) *stepEnv {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not on PATH")
	}
	dir := t.TempDir()
	e := &stepEnv{
		t:         t,
		workspace: filepath.Join(dir, "workspace"),
		temp:      filepath.Join(dir, "runner-temp"),
		path:      os.Getenv("PATH"),
		perfgate:  filepath.Join(dir, "fake", "perfgate"),
		argsFile:  filepath.Join(dir, "fake", "args"),
	}
	for _, d := range []string{e.workspace, e.temp, filepath.Dir(e.perfgate)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(e.perfgate, []byte("#!"+bash+"\n"+fakePerfgate), 0o755); err != nil {
		t.Fatal(err)
	}
	if noJQ {
		bin := filepath.Join(dir, "bin")
		if err := os.Mkdir(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, tool := range []string{"awk", "bash", "cp", "find", "git", "grep", "mkdir", "rm", "sort", "tr", "wc"} {
			p, err := exec.LookPath(tool)
			if err != nil {
				t.Skipf("%s not on PATH", tool)
			}
			if err := os.Symlink(p, filepath.Join(bin, tool)); err != nil {
				t.Fatal(err)
			}
		}
		e.path = bin
	}
	return e
}

// write creates files (slash-separated names) in the workspace.
func (e *stepEnv) write(files ...string) {
	for _, f := range files {
		p := filepath.Join(e.workspace, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			e.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x\n"), 0o644); err != nil {
			e.t.Fatal(err)
		}
	}
}

// run runs the named step's script as GitHub's `shell: bash` does (bash --noprofile --norc
// -eo pipefail), with env on top of a small fixed environment.
func (e *stepEnv) run(meta *actionMeta, stepName string, env map[string]string) stepRun {
	t := e.t
	t.Helper()
	s := meta.step(t, stepName)
	scriptFile := filepath.Join(e.temp, "step.sh")
	if err := os.WriteFile(scriptFile, []byte(s.Run.Value), 0o644); err != nil {
		t.Fatal(err)
	}
	outFile := filepath.Join(e.temp, "github_output")
	os.Remove(outFile)
	os.Remove(e.argsFile)
	bashArgs := []string{"--noprofile", "--norc", "-eo", "pipefail", scriptFile}
	if e.posix {
		bashArgs = append([]string{"--posix"}, bashArgs...)
	}
	cmd := exec.Command("bash", bashArgs...)
	cmd.Dir = e.workspace
	cmd.Env = []string{
		"PATH=" + e.path,
		"HOME=" + e.temp,
		"LC_ALL=C",
		"RUNNER_TEMP=" + e.temp,
		"GITHUB_OUTPUT=" + outFile,
		"GITHUB_PATH=" + filepath.Join(e.temp, "github_path"),
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=" + os.DevNull,
		"GIT_CEILING_DIRECTORIES=" + filepath.Dir(e.workspace),
		"GIT_TERMINAL_PROMPT=0",
		"FAKE_ARGS=" + e.argsFile,
		"PG_PERFGATE=" + e.perfgate,
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if lookPath(e.path, "bash") == "" {
		t.Fatal("bash not on the step's PATH")
	}
	cmd.Path = lookPath(e.path, "bash")
	stdout, exit := runCombined(t, cmd)
	r := stepRun{stdout: stdout, exit: exit, outputs: map[string]string{}}
	if b, err := os.ReadFile(outFile); err == nil {
		for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("malformed $GITHUB_OUTPUT line %q", line)
			}
			r.outputs[k] = v
		}
	}
	if b, err := os.ReadFile(e.argsFile); err == nil {
		r.args = strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	}
	return r
}

// lookPath finds name in the directories of path.
func lookPath(path, name string) string {
	for _, d := range filepath.SplitList(path) {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// writeReport writes a JSON report whose results have the given statuses and returns its path.
func writeReport(t *testing.T, dir string, requireAll bool, statuses ...check.Status) string {
	t.Helper()
	rep := check.Report{Schema: check.Schema, Verdict: check.Pass}
	for i, s := range statuses {
		fails := s.Fails(requireAll)
		if fails {
			rep.Verdict = check.Fail
		}
		cfg := map[string]string{"tp": fmt.Sprint(i + 1)}
		key := "tp=" + fmt.Sprint(i+1)
		if s == check.Suspect {
			rep.Suspects = append(rep.Suspects, key)
		}
		// One measurement, two metrics: the action counts the config once.
		for _, m := range []struct{ metric, decidedBy string }{{"TFLOPS/GPU", ""}, {"s/iter", "TFLOPS/GPU"}} {
			rep.Results = append(rep.Results, check.Result{
				Config: cfg, Metric: m.metric, Status: s, Fails: fails, Key: key,
				Measurement: "speed", DecidedBy: m.decidedBy,
				// Reasons that quote fields must not be counted by the fallback without jq.
				Reason: `"status": "regression", "fails": true,`,
			})
		}
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, fmt.Sprintf("report-%d-%t.json", len(statuses), requireAll))
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkEnv returns the Check step's environment with the action's defaults, overridden by kv
// pairs.
func checkEnv(kv ...string) map[string]string {
	env := map[string]string{
		"PG_BASELINE":     "perf/baseline",
		"PG_BASELINE_REF": "",
		"PG_RESULTS":      "results/a.txt",
		"PG_INPUT_FORMAT": "",
		"PG_ID":           "perfgate",
		"PG_COMMENT":      "always",
		"PG_FAIL_ON":      "regression",
		"PG_ARGS":         "",
	}
	for i := 0; i+1 < len(kv); i += 2 {
		env[kv[i]] = kv[i+1]
	}
	return env
}

func TestActionCheckStep(t *testing.T) {
	meta := readAction(t)
	for _, noJQ := range []bool{false, true} {
		name := "jq"
		if noJQ {
			name = "grep"
		} else if _, err := exec.LookPath("jq"); err != nil {
			t.Log("jq not on PATH: both variants use the grep fallback")
		}
		t.Run(name, func(t *testing.T) { testCheckStep(t, meta, noJQ) })
	}
}

func testCheckStep(t *testing.T, meta *actionMeta, noJQ bool) {
	e := newStepEnv(t, noJQ)
	e.write("results/a.txt", "results/b.txt", "sub/top.jsonl", "sub/x/y/z.jsonl")
	passing := writeReport(t, e.temp, false, check.Unchanged, check.Improvement, check.New, check.Suspect, check.Suspect)
	failing := writeReport(t, e.temp, false, check.Regression, check.Regression, check.NewlyFailing, check.Missing, check.StillFailing, check.Unchanged)
	failingAll := writeReport(t, e.temp, true, check.Regression, check.Regression, check.NewlyFailing, check.Missing, check.StillFailing, check.Unchanged)
	report := filepath.Join(e.temp, "perfgate", "perfgate", "report.json")
	checkArgs := func(report string, extra ...string) []string {
		return append([]string{"check", "--format", "json", "--output", report, "--baseline", "perf/baseline"}, extra...)
	}

	for _, tc := range []struct {
		name        string
		env         map[string]string
		fakeExit    string
		fakeReport  string
		wantExit    int
		wantOutputs map[string]string
		wantArgs    []string // nil: perfgate must not run
		wantStdout  []string
	}{
		{
			name:        "pass",
			env:         checkEnv(),
			fakeExit:    "0",
			fakeReport:  passing,
			wantOutputs: map[string]string{"verdict": "pass", "regressions": "0", "suspects": "tp=4 tp=5", "suspects-json": `["tp=4","tp=5"]`, "exit-code": "0", "report": report},
			wantArgs:    checkArgs(report, "--", "results/a.txt"),
			wantStdout:  []string{"perfgate: verdict pass, 0 failing config(s), exit code 0"},
		},
		{
			name:        "fail",
			env:         checkEnv(),
			fakeExit:    "1",
			fakeReport:  failing,
			wantOutputs: map[string]string{"verdict": "fail", "regressions": "3", "suspects": "", "suspects-json": "[]", "exit-code": "1", "report": report},
			wantArgs:    checkArgs(report, "--", "results/a.txt"),
		},
		{
			name:        "fail-on any",
			env:         checkEnv("PG_FAIL_ON", "any"),
			fakeExit:    "1",
			fakeReport:  failingAll,
			wantOutputs: map[string]string{"verdict": "fail", "regressions": "4", "suspects": "", "suspects-json": "[]", "exit-code": "1", "report": report},
			wantArgs:    checkArgs(report, "--require-all", "--", "results/a.txt"),
		},
		{
			name: "globs, format, args and id",
			env: checkEnv(
				"PG_RESULTS", "results/*.txt\n  sub/**/*.jsonl missing/*.csv\n",
				"PG_INPUT_FORMAT", "sweep",
				"PG_ARGS", "--min-effect 3\n--alpha 0.01",
				"PG_ID", "llama 70b/tp",
			),
			fakeExit:   "0",
			fakeReport: passing,
			wantOutputs: map[string]string{
				"verdict": "pass", "regressions": "0", "suspects": "tp=4 tp=5", "suspects-json": `["tp=4","tp=5"]`, "exit-code": "0",
				"report": filepath.Join(e.temp, "perfgate", "llama_70b_tp", "report.json"),
			},
			wantArgs: append(checkArgs(filepath.Join(e.temp, "perfgate", "llama_70b_tp", "report.json"),
				"--input-format", "sweep", "--min-effect", "3", "--alpha", "0.01", "--"),
				"results/a.txt", "results/b.txt", "sub/top.jsonl", "sub/x/y/z.jsonl", "missing/*.csv"),
		},
		{
			name:        "shell metacharacters stay data",
			env:         checkEnv("PG_RESULTS", "$(touch pwned) ;touch${IFS}pwned2 `touch pwned3`", "PG_ARGS", "--x=$(touch pwned4)"),
			fakeExit:    "2",
			wantOutputs: map[string]string{"verdict": "error", "regressions": "", "suspects": "", "suspects-json": "[]", "exit-code": "2", "report": ""},
			wantArgs:    checkArgs(report, "--x=$(touch", "pwned4)", "--", "$(touch", "pwned)", ";touch${IFS}pwned2", "`touch", "pwned3`"),
		},
		{
			name:        "perfgate input error",
			env:         checkEnv(),
			fakeExit:    "2",
			wantOutputs: map[string]string{"verdict": "error", "regressions": "", "suspects": "", "suspects-json": "[]", "exit-code": "2", "report": ""},
			wantArgs:    checkArgs(report, "--", "results/a.txt"),
		},
		{
			name:        "perfgate internal error with a report",
			env:         checkEnv(),
			fakeExit:    "3",
			fakeReport:  failing,
			wantOutputs: map[string]string{"verdict": "error", "regressions": "", "suspects": "", "suspects-json": "[]", "exit-code": "3", "report": report},
			wantArgs:    checkArgs(report, "--", "results/a.txt"),
		},
		{
			name:        "bad comment",
			env:         checkEnv("PG_COMMENT", "sometimes"),
			wantOutputs: map[string]string{"verdict": "error", "regressions": "", "suspects": "", "suspects-json": "[]", "exit-code": "2", "report": ""},
			wantStdout:  []string{`::error title=perfgate::input comment must be on-failure, always or never, not "sometimes"`},
		},
		// publish refuses an id it cannot mark, after the check: the job passed with nothing
		// published (audit).
		{
			name:        "bad id",
			env:         checkEnv("PG_ID", "llama--70b"),
			wantOutputs: map[string]string{"verdict": "error", "regressions": "", "suspects": "", "suspects-json": "[]", "exit-code": "2", "report": ""},
			wantStdout:  []string{`::error title=perfgate::input id must be 1 to 100 characters without <, >, -- or line breaks, not "llama--70b"`},
		},
		{
			name:        "long id",
			env:         checkEnv("PG_ID", strings.Repeat("é", 51)),
			wantOutputs: map[string]string{"verdict": "error", "regressions": "", "suspects": "", "suspects-json": "[]", "exit-code": "2", "report": ""},
			wantStdout:  []string{"::error title=perfgate::input id must be 1 to 100 characters"},
		},
		{
			name:        "bad fail-on",
			env:         checkEnv("PG_FAIL_ON", "improvement"),
			wantOutputs: map[string]string{"verdict": "error", "regressions": "", "suspects": "", "suspects-json": "[]", "exit-code": "2", "report": ""},
			wantStdout:  []string{"::error title=perfgate::input fail-on must be regression or any"},
		},
		{
			name:        "no results",
			env:         checkEnv("PG_RESULTS", " \n "),
			wantOutputs: map[string]string{"verdict": "error", "regressions": "", "suspects": "", "suspects-json": "[]", "exit-code": "2", "report": ""},
			wantStdout:  []string{"::error title=perfgate::input results is required"},
		},
		{
			name:        "no baseline",
			env:         checkEnv("PG_BASELINE", ""),
			wantOutputs: map[string]string{"verdict": "error", "regressions": "", "suspects": "", "suspects-json": "[]", "exit-code": "2", "report": ""},
		},
		{
			name:        "option as baseline-ref",
			env:         checkEnv("PG_BASELINE_REF", "--upload-pack=touch pwned"),
			wantOutputs: map[string]string{"verdict": "error", "regressions": "", "suspects": "", "suspects-json": "[]", "exit-code": "2", "report": ""},
			wantStdout:  []string{"::error title=perfgate::input baseline-ref must be a git ref"},
		},
		{
			name:        "multi-line error message is escaped",
			env:         checkEnv("PG_COMMENT", "x\n::warning::injected 100%"),
			wantOutputs: map[string]string{"verdict": "error", "regressions": "", "suspects": "", "suspects-json": "[]", "exit-code": "2", "report": ""},
			wantStdout:  []string{`not "x%0A::warning::injected 100%25"`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := tc.env
			env["FAKE_EXIT"] = tc.fakeExit
			env["FAKE_REPORT"] = tc.fakeReport
			r := e.run(meta, "Check", env)
			if r.exit != tc.wantExit {
				t.Errorf("exit %d, want %d\n%s", r.exit, tc.wantExit, r.stdout)
			}
			if diff := cmp.Diff(tc.wantOutputs, r.outputs); diff != "" {
				t.Errorf("outputs (-want +got):\n%s\nstdout:\n%s", diff, r.stdout)
			}
			if diff := cmp.Diff(tc.wantArgs, r.args); diff != "" {
				t.Errorf("perfgate arguments (-want +got):\n%s", diff)
			}
			for _, w := range tc.wantStdout {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("stdout does not contain %q:\n%s", w, r.stdout)
				}
			}
			if strings.Contains(r.stdout, "\n::warning::injected") {
				t.Errorf("an input started a workflow command:\n%s", r.stdout)
			}
			for _, f := range []string{"pwned", "pwned2", "pwned3", "pwned4"} {
				if _, err := os.Stat(filepath.Join(e.workspace, f)); err == nil {
					t.Fatalf("an input was executed: %s exists", f)
				}
			}
		})
	}
}

// TestActionCheckStepOwnedFlags pins the refusal of args that would undo a flag the action
// sets: args come last and pflag keeps a flag's last value, so --require-all=false would
// pass missing configs under fail-on: any, --format text or -o elsewhere would leave no JSON
// report (empty outputs, and publish --error over a real verdict). Every spelling is
// refused, as an input error before perfgate runs; look-alikes and other flags are not.
func TestActionCheckStepOwnedFlags(t *testing.T) {
	meta := readAction(t)
	e := newStepEnv(t, false)
	e.write("results/a.txt")
	report := filepath.Join(e.temp, "perfgate", "perfgate", "report.json")
	for _, tc := range []struct {
		args, flag string
	}{
		{"--require-all=false", "--require-all"},
		{"--require-all", "--require-all"},
		{"--require-all=true", "--require-all"},
		{"--min-effect 3 --format text", "--format"},
		{"--format=markdown", "--format"},
		{"-o /tmp/x.json", "-o"},
		{"-o/tmp/x.json", "-o"},
		{"-o=/tmp/x.json", "-o"},
		{"-ho /tmp/x.json", "-h"},
		{"--output /tmp/x.json", "--output"},
		{"--output=/tmp/x.json", "--output"},
		{"--baseline other/baseline", "--baseline"},
		{"--baseline=other/baseline", "--baseline"},
		{"--baseline-ref origin/main", "--baseline-ref"},
		{"--baseline-ref=HEAD~1", "--baseline-ref"},
		{"--input-format=sweep", "--input-format"},
		{"--publish", "--publish"},
		{"--publish=true", "--publish"},
		{"--id other", "--id"},
		{"--comment=never", "--comment"},
		{"--pr 7", "--pr"},
		{"--sha=abc", "--sha"},
		{"--repo o/r", "--repo"},
		{"--token-env=X", "--token-env"},
		{"--check-run", "--check-run"},
		{"--strict", "--strict"},
		{"--help", "--help"},
		{"-h", "-h"},
		{"--min-effect 3 -- --format", "--format"}, // after --, still refused: it cannot be meant as a path
	} {
		t.Run(tc.args, func(t *testing.T) {
			r := e.run(meta, "Check", checkEnv("PG_FAIL_ON", "any", "PG_ARGS", tc.args, "FAKE_EXIT", "0"))
			if r.exit != 0 {
				t.Errorf("exit %d, want 0 (the Gate step fails on exit-code 2)\n%s", r.exit, r.stdout)
			}
			want := map[string]string{"verdict": "error", "regressions": "", "suspects": "", "suspects-json": "[]", "exit-code": "2", "report": ""}
			if diff := cmp.Diff(want, r.outputs); diff != "" {
				t.Errorf("outputs (-want +got):\n%s\n%s", diff, r.stdout)
			}
			if r.args != nil {
				t.Errorf("perfgate ran with %q", r.args)
			}
			if w := "::error title=perfgate::input args must not hold " + tc.flag + ", which the action owns"; !strings.Contains(r.stdout, w) {
				t.Errorf("stdout does not contain %q:\n%s", w, r.stdout)
			}
		})
	}

	// Flags the action leaves to args, and look-alikes of the owned ones, pass through.
	for _, args := range []string{
		"--min-effect 3 --alpha=0.01 --config perf/strict.json --memory=false",
		"--set model=llama-70b --metric TFLOPS/GPU --memory-ref origin/main~30",
		"--confirm-runs 3 --allow-no-config --skip-iters=-1",
	} {
		t.Run(args, func(t *testing.T) {
			r := e.run(meta, "Check", checkEnv("PG_FAIL_ON", "any", "PG_ARGS", args, "FAKE_EXIT", "0"))
			if r.exit != 0 || r.outputs["verdict"] != "pass" {
				t.Fatalf("exit %d, verdict %q\n%s", r.exit, r.outputs["verdict"], r.stdout)
			}
			want := append([]string{"check", "--format", "json", "--output", report, "--baseline", "perf/baseline", "--require-all"},
				append(strings.Fields(args), "--", "results/a.txt")...)
			if diff := cmp.Diff(want, r.args); diff != "" {
				t.Errorf("perfgate arguments (-want +got):\n%s", diff)
			}
		})
	}
}

// TestActionCheckStepBaselineRef covers --baseline-ref and the on-demand fetch of
// origin/<branch> in a shallow checkout. The repository has no remote, so nothing leaves
// the machine: the fetch fails at once and must only warn.
func TestActionCheckStepBaselineRef(t *testing.T) {
	meta := readAction(t)
	e := newStepEnv(t, false)
	if lookPath(e.path, "git") == "" {
		t.Skip("git not on PATH")
	}
	e.write("results/a.txt")
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false"}, args...)...)
		cmd.Dir = e.workspace
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	git("add", "-A")
	git("commit", "-q", "-m", "init")
	report := filepath.Join(e.temp, "perfgate", "perfgate", "report.json")

	for _, tc := range []struct {
		ref         string
		wantFetch   bool
		wantWarning bool
	}{
		{ref: "HEAD"},
		{ref: "v9"}, // unknown, not origin/*: perfgate reports it
		{ref: "origin/main", wantFetch: true, wantWarning: true},
	} {
		t.Run(tc.ref, func(t *testing.T) {
			r := e.run(meta, "Check", checkEnv("PG_BASELINE_REF", tc.ref, "FAKE_EXIT", "0"))
			if r.exit != 0 {
				t.Fatalf("exit %d\n%s", r.exit, r.stdout)
			}
			want := []string{"check", "--format", "json", "--output", report, "--baseline", "perf/baseline",
				"--baseline-ref", tc.ref, "--", "results/a.txt"}
			if diff := cmp.Diff(want, r.args); diff != "" {
				t.Errorf("perfgate arguments (-want +got):\n%s", diff)
			}
			if got := strings.Contains(r.stdout, "perfgate: fetching "+tc.ref); got != tc.wantFetch {
				t.Errorf("fetched = %v, want %v\n%s", got, tc.wantFetch, r.stdout)
			}
			if got := strings.Contains(r.stdout, "::warning title=perfgate::could not fetch"); got != tc.wantWarning {
				t.Errorf("warned = %v, want %v\n%s", got, tc.wantWarning, r.stdout)
			}
		})
	}
}

func TestActionPublishStep(t *testing.T) {
	meta := readAction(t)
	e := newStepEnv(t, false)
	base := []string{"--id", "llama", "--comment", "on-failure"}
	for _, tc := range []struct {
		name, verdict, report, fakeExit, args string
		wantArgs                              []string
		wantWarning                           bool
	}{
		{"pass", "pass", "/r/report.json", "0", "", append([]string{"publish", "/r/report.json"}, base...), false},
		{"fail", "fail", "/r/report.json", "0", "", append([]string{"publish", "/r/report.json"}, base...), false},
		{"extra args", "pass", "/r/report.json", "0", "--check-run\n --strict", append(append([]string{"publish", "/r/report.json"}, base...), "--check-run", "--strict"), false},
		{"failure is a warning", "fail", "/r/report.json", "3", "", append([]string{"publish", "/r/report.json"}, base...), true},
		// No verdict: the status must not stay pending, nor show an earlier verdict.
		{"no verdict marks error", "error", "", "0", "", append([]string{"publish", "--error"}, base...), false},
		{"no verdict, a report", "error", "/r/report.json", "0", "", append([]string{"publish", "--error"}, base...), false},
		{"verdict without report", "pass", "", "0", "", append([]string{"publish", "--error"}, base...), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.run(meta, "Publish", map[string]string{
				"PG_REPORT":       tc.report,
				"PG_VERDICT":      tc.verdict,
				"PG_ID":           "llama",
				"PG_COMMENT":      "on-failure",
				"PG_PUBLISH_ARGS": tc.args,
				"FAKE_EXIT":       tc.fakeExit,
			})
			if r.exit != 0 {
				t.Errorf("exit %d, want 0: publishing never fails the action\n%s", r.exit, r.stdout)
			}
			if diff := cmp.Diff(tc.wantArgs, r.args); diff != "" {
				t.Errorf("perfgate arguments (-want +got):\n%s", diff)
			}
			warned := strings.Contains(r.stdout, "::warning title=perfgate::publishing the report failed (exit "+tc.fakeExit+")")
			if warned != tc.wantWarning {
				t.Errorf("warned = %v, want %v\n%s", warned, tc.wantWarning, r.stdout)
			}
		})
	}
}

func TestActionMarkStep(t *testing.T) {
	meta := readAction(t)
	e := newStepEnv(t, false)
	// publish-args reach the marks as they reach the gate's publish: split on whitespace,
	// never evaluated, so --pr/--sha/--repo/--token-env mark the gate where it publishes.
	const publishArgs = "--pr 7\n --sha=0123abc --repo o/r --token-env PG_T $(touch pwned) `touch pwned2`"
	withArgs := []string{"--pr", "7", "--sha=0123abc", "--repo", "o/r", "--token-env", "PG_T", "$(touch", "pwned)", "`touch", "pwned2`"}
	for _, tc := range []struct {
		mode, publish, fakeExit, publishArgs string
		wantArgs                             []string
		wantStdout                           string
	}{
		{"pending", "true", "0", "", []string{"publish", "--pending", "--id", "llama", "--comment", "always"}, ""},
		{"error", "true", "0", "", []string{"publish", "--error", "--id", "llama", "--comment", "always"}, ""},
		{"error", "true", "3", "", []string{"publish", "--error", "--id", "llama", "--comment", "always"}, "::warning title=perfgate::marking the gate error failed (exit 3)"},
		{"pending", "false", "0", "", nil, "perfgate: publish is false; not marking the gate pending"},
		{"pending", "true", "0", publishArgs, append([]string{"publish", "--pending", "--id", "llama", "--comment", "always"}, withArgs...), ""},
		{"error", "true", "0", publishArgs, append([]string{"publish", "--error", "--id", "llama", "--comment", "always"}, withArgs...), ""},
		{"error", "true", "0", " \n ", []string{"publish", "--error", "--id", "llama", "--comment", "always"}, ""},
	} {
		t.Run(fmt.Sprintf("%s/%s/%s/%q", tc.mode, tc.publish, tc.fakeExit, tc.publishArgs), func(t *testing.T) {
			r := e.run(meta, "Mark the gate", map[string]string{
				"PG_MODE": tc.mode, "PG_ID": "llama", "PG_COMMENT": "always", "PG_PUBLISH": tc.publish,
				"PG_PUBLISH_ARGS": tc.publishArgs, "FAKE_EXIT": tc.fakeExit,
			})
			for _, f := range []string{"pwned", "pwned2"} {
				if _, err := os.Stat(filepath.Join(e.workspace, f)); err == nil {
					t.Fatalf("publish-args were executed: %s exists", f)
				}
			}
			if r.exit != 0 {
				t.Errorf("exit %d, want 0: marking never fails the action\n%s", r.exit, r.stdout)
			}
			if diff := cmp.Diff(tc.wantArgs, r.args); diff != "" {
				t.Errorf("perfgate arguments (-want +got):\n%s", diff)
			}
			if !strings.Contains(r.stdout, tc.wantStdout) {
				t.Errorf("stdout does not contain %q:\n%s", tc.wantStdout, r.stdout)
			}
		})
	}
}

// TestActionInstallStepPublish pins the validation of input publish: true or false in any
// case, normalised to lower case in the install step's publish output, which the Publish
// step's if: and the Mark step both read (GitHub compares case-insensitively, bash does
// not, so "TRUE" used to publish the gate but skip its marks); anything else is an error,
// not a silent false.
func TestActionInstallStepPublish(t *testing.T) {
	meta := readAction(t)
	e := newStepEnv(t, false)
	actionPath, ran := installStandIn(t, e)
	for _, tc := range []struct {
		publish, want string // want "": refused
	}{
		{"true", "true"},
		{"false", "false"},
		{"TRUE", "true"},
		{"True", "true"},
		{"FALSE", "false"},
		{"yes", ""},
		{"flase", ""},
		{"", ""},
		{"1", ""},
		{" true", ""},
		{"true\n::warning::x", ""},
	} {
		t.Run(fmt.Sprintf("%q", tc.publish), func(t *testing.T) {
			os.Remove(ran)
			r := e.run(meta, "Install perfgate", map[string]string{
				"PG_MODE": "gate", "PG_INSTALL": "auto", "PG_PUBLISH": tc.publish,
				"GITHUB_ACTION_PATH": actionPath, "PG_RAN": ran,
			})
			_, err := os.Stat(ran)
			installed := err == nil
			if tc.want == "" {
				if r.exit != 2 || installed {
					t.Errorf("exit %d, install ran %v; want exit 2 before installing\n%s", r.exit, installed, r.stdout)
				}
				if w := "::error title=perfgate::input publish must be true or false"; !strings.Contains(r.stdout, w) {
					t.Errorf("stdout does not contain %q:\n%s", w, r.stdout)
				}
				if _, ok := r.outputs["publish"]; ok {
					t.Errorf("publish output %q for a refused input", r.outputs["publish"])
				}
				return
			}
			if r.exit != 0 || !installed {
				t.Fatalf("exit %d, install ran %v\n%s", r.exit, installed, r.stdout)
			}
			if got := r.outputs["publish"]; got != tc.want {
				t.Errorf("publish output = %q, want %q", got, tc.want)
			}
		})
	}
}

// installStandIn makes a stand-in for the action's checkout, whose install.sh only records
// that it ran (in ran), so that the Install step's checks run without installing anything.
func installStandIn(t *testing.T, e *stepEnv) (actionPath, ran string) {
	t.Helper()
	actionPath = filepath.Join(e.temp, "action-path")
	ran = filepath.Join(e.temp, "install-ran")
	if err := os.MkdirAll(filepath.Join(actionPath, "action"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(actionPath, "action", "install.sh"), []byte("echo \"$1\" >\"$PG_RAN\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return actionPath, ran
}

// publish-args come after the flags the Publish and Mark steps set, and the last value wins:
// --id or --comment would override their inputs, --pending, --error, --prepare or --from the
// mode. The Install step refuses them before anything is installed; other publish flags
// (--check-run, --pr, --token-env) pass.
func TestActionInstallStepPublishArgs(t *testing.T) {
	meta := readAction(t)
	e := newStepEnv(t, false)
	actionPath, ran := installStandIn(t, e)
	for _, tc := range []struct {
		args, refused string // refused "": accepted
	}{
		{"--check-run --pr 7", ""},
		{"--token-env PERF_TOKEN --strict", ""},
		{"--id other", "--id"},
		{"--comment=never", "--comment"},
		{"--check-run --error", "--error"},
		{"--pending", "--pending"},
		{"--from stage1", "--from"},
		{"--prepare out", "--prepare"},
		{"-h", "-h"},
	} {
		t.Run(tc.args, func(t *testing.T) {
			os.Remove(ran)
			r := e.run(meta, "Install perfgate", map[string]string{
				"PG_MODE": "gate", "PG_INSTALL": "auto", "PG_PUBLISH": "true", "PG_PUBLISH_ARGS": tc.args,
				"GITHUB_ACTION_PATH": actionPath, "PG_RAN": ran,
			})
			_, err := os.Stat(ran)
			installed := err == nil
			if tc.refused == "" {
				if r.exit != 0 || !installed {
					t.Errorf("exit %d, install ran %v; want accepted\n%s", r.exit, installed, r.stdout)
				}
				return
			}
			if r.exit != 2 || installed {
				t.Errorf("exit %d, install ran %v; want exit 2 before installing\n%s", r.exit, installed, r.stdout)
			}
			if w := "::error title=perfgate::input publish-args must not hold " + tc.refused + ","; !strings.Contains(r.stdout, w) {
				t.Errorf("stdout does not contain %q:\n%s", w, r.stdout)
			}
		})
	}
}

func TestActionGateStep(t *testing.T) {
	meta := readAction(t)
	e := newStepEnv(t, false)
	for _, tc := range []struct {
		code, verdict, regressions string
		wantExit                   int
		wantStdout                 string
	}{
		{"0", "pass", "0", 0, "perfgate: gate passed"},
		{"1", "fail", "3", 1, "::error title=perfgate::performance gate failed: 3 config(s) failing"},
		{"0", "fail", "1", 1, "::error title=perfgate::performance gate failed: 1 config(s) failing"},
		{"1", "fail", "", 1, "performance gate failed: some config(s) failing"},
		{"2", "error", "", 2, "::error title=perfgate::perfgate check could not decide (exit 2)"},
		{"3", "error", "", 3, "could not decide (exit 3)"},
		{"", "", "", 3, "unexpected exit code ''"},
		{"137", "error", "", 3, "unexpected exit code '137'"},
	} {
		t.Run(fmt.Sprintf("code=%q verdict=%q", tc.code, tc.verdict), func(t *testing.T) {
			r := e.run(meta, "Gate", map[string]string{
				"PG_CODE": tc.code, "PG_VERDICT": tc.verdict, "PG_REGRESSIONS": tc.regressions,
			})
			if r.exit != tc.wantExit {
				t.Errorf("exit %d, want %d\n%s", r.exit, tc.wantExit, r.stdout)
			}
			if !strings.Contains(r.stdout, tc.wantStdout) {
				t.Errorf("stdout does not contain %q:\n%s", tc.wantStdout, r.stdout)
			}
			if r.args != nil {
				t.Error("the gate step ran perfgate")
			}
		})
	}
}

// TestWorkflowPermissions pins the permissions the documented workflows ask for: the least
// that works, and write access only where the brief of each workflow needs it.
func TestWorkflowPermissions(t *testing.T) {
	type workflow struct {
		On          yaml.Node         `yaml:"on"`
		Permissions map[string]string `yaml:"permissions"`
		Jobs        map[string]struct {
			Permissions map[string]string `yaml:"permissions"`
			Steps       []struct {
				Uses string            `yaml:"uses"`
				With map[string]string `yaml:"with"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	read := func(name string) workflow {
		var w workflow
		readYAML(t, name, &w)
		return w
	}
	for _, tc := range []struct {
		file string
		top  map[string]string
		jobs map[string]map[string]string
	}{
		{".github/workflows/ci.yml", map[string]string{"contents": "read"},
			map[string]map[string]string{"test": nil, "action": {"contents": "read", "statuses": "write"}, "action-matrix": {"contents": "read"}}},
		{".github/workflows/release.yml", map[string]string{"contents": "read"},
			map[string]map[string]string{"build": nil, "checksums": nil, "publish": {"contents": "write"}}},
		{"docs/workflows/perf-gate.yml", map[string]string{"contents": "read", "pull-requests": "write", "statuses": "write"},
			map[string]map[string]string{"perf": nil, "fork-prs": {"contents": "read"}}},
		{"docs/workflows/nightly-baseline.yml", map[string]string{"contents": "write", "pull-requests": "write"},
			map[string]map[string]string{"refresh": nil}},
		{"docs/workflows/perf-gate-fork-stage1.yml", map[string]string{"contents": "read"},
			map[string]map[string]string{"perf": nil}},
		{"docs/workflows/perf-gate-fork-stage2.yml", map[string]string{},
			map[string]map[string]string{"publish": {"actions": "read", "pull-requests": "write", "statuses": "write"}}},
	} {
		w := read(tc.file)
		if w.Permissions == nil {
			w.Permissions = map[string]string{}
		}
		if diff := cmp.Diff(tc.top, w.Permissions); diff != "" {
			t.Errorf("%s: permissions (-want +got):\n%s", tc.file, diff)
		}
		got := map[string]map[string]string{}
		for name, j := range w.Jobs {
			got[name] = j.Permissions
		}
		if diff := cmp.Diff(tc.jobs, got); diff != "" {
			t.Errorf("%s: job permissions (-want +got):\n%s", tc.file, diff)
		}
		// pull_request_target with a checkout of the PR is the "pwn request" pattern.
		if strings.Contains(fmt.Sprint(nodeValues(&w.On)), "pull_request_target") {
			t.Errorf("%s: triggered by pull_request_target", tc.file)
		}
	}

	// Stage 2 must not check out anything: it handles data from an untrusted run.
	w := read("docs/workflows/perf-gate-fork-stage2.yml")
	for _, s := range w.Jobs["publish"].Steps {
		if strings.HasPrefix(s.Uses, "actions/checkout") {
			t.Errorf("perf-gate-fork-stage2.yml checks out code")
		}
	}
}

// nodeValues lists every scalar and key in n.
func nodeValues(n *yaml.Node) []string {
	var out []string
	if n.Value != "" {
		out = append(out, n.Value)
	}
	for _, c := range n.Content {
		out = append(out, nodeValues(c)...)
	}
	return slices.Compact(out)
}

// TestActionCheckStepGlobstar covers the ** expansion that replaces bash 4's globstar:
// directories in sorted order, hidden ones skipped, names with spaces kept whole, ** alone
// naming the directory, and a pattern that matches nothing passed on as is. It runs under
// bash --posix too, closer to the bash 3.2 of macOS runners.
func TestActionCheckStepGlobstar(t *testing.T) {
	meta := readAction(t)
	for _, posix := range []bool{false, true} {
		t.Run(fmt.Sprintf("posix=%v", posix), func(t *testing.T) {
			e := newStepEnv(t, false)
			e.posix = posix
			e.write("deep/c.jsonl", "deep/.hidden/h.jsonl", "deep/a b/c.jsonl", "deep/a b/x/d.jsonl", "deep/z/e.txt", "top.jsonl")
			r := e.run(meta, "Check", checkEnv("PG_RESULTS", "deep/**/*.jsonl deep/** **/e.txt nothing/**/*.csv", "FAKE_EXIT", "0"))
			if r.exit != 0 {
				t.Fatalf("exit %d\n%s", r.exit, r.stdout)
			}
			i := slices.Index(r.args, "--")
			if i < 0 {
				t.Fatalf("no -- in %q", r.args)
			}
			want := []string{"deep/c.jsonl", "deep/a b/c.jsonl", "deep/a b/x/d.jsonl", "deep", "deep/z/e.txt", "nothing/**/*.csv"}
			if diff := cmp.Diff(want, r.args[i+1:]); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
		})
	}
}

// TestActionCheckStepSuspects pins the suspects outputs, with jq and with the awk fallback
// alike: the keys as they are (JSON escapes such as \u0026 and \" decoded), space-separated,
// and as a JSON array for fromJSON in a matrix; [] when there are none, so the array is
// always valid JSON; and 500 of them.
func TestActionCheckStepSuspects(t *testing.T) {
	meta := readAction(t)
	many := make([]string, 500)
	for i := range many {
		many[i] = fmt.Sprintf("model=llama-70b/tp=%d/pp=8/mbs=1/gbs=1024/flags=dist-opt+overlap-grad/sl=4096/nodes=32", i)
	}
	for _, noJQ := range []bool{false, true} {
		t.Run(fmt.Sprintf("noJQ=%v", noJQ), func(t *testing.T) {
			e := newStepEnv(t, noJQ)
			e.write("results/a.txt")
			for _, tc := range []struct {
				name string
				keys []string
			}{
				{"none", nil},
				{"escaped", []string{`flags=a&b/tp=<8>`, `model="x"\y/sl=*`, `tp=\u0026`}},
				{"500", many},
			} {
				t.Run(tc.name, func(t *testing.T) {
					rep := check.Report{Schema: check.Schema, Verdict: check.Pass, Suspects: tc.keys}
					b, err := json.MarshalIndent(rep, "", "  ")
					if err != nil {
						t.Fatal(err)
					}
					p := filepath.Join(e.temp, "suspects.json")
					if err := os.WriteFile(p, b, 0o644); err != nil {
						t.Fatal(err)
					}
					r := e.run(meta, "Check", checkEnv("FAKE_EXIT", "0", "FAKE_REPORT", p))
					if r.exit != 0 {
						t.Fatalf("exit %d\n%s", r.exit, r.stdout)
					}
					if got, want := r.outputs["suspects"], strings.Join(tc.keys, " "); got != want {
						t.Errorf("suspects = %q, want %q", got, want)
					}
					var got []string
					if err := json.Unmarshal([]byte(r.outputs["suspects-json"]), &got); err != nil {
						t.Fatalf("suspects-json %q: %v", r.outputs["suspects-json"], err)
					}
					if tc.keys == nil && r.outputs["suspects-json"] != "[]" {
						t.Errorf("suspects-json = %q, want []", r.outputs["suspects-json"])
					}
					if diff := cmp.Diff(tc.keys, got, cmpopts.EquateEmpty()); diff != "" {
						t.Errorf("suspects-json (-want +got):\n%s", diff)
					}
				})
			}
		})
	}
}
