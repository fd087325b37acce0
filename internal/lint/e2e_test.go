package lint

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// exprRE matches the ${{ ... }} values action.yml passes to env: and outputs: one operand or
// operands joined by ||.
var exprRE = regexp.MustCompile(`^\$\{\{\s*(.*?)\s*\}\}$`)

// actionRun is a miniature runner for action.yml: it runs the run: steps of the composite
// in order, with env: values evaluated from inputs, github.* and earlier steps' outputs, and
// each step's $GITHUB_OUTPUT parsed for the next. It knows only the expression forms
// action.yml uses, and fails the test on any other.
type actionRun struct {
	t       *testing.T
	meta    *actionMeta
	inputs  map[string]string
	github  map[string]string
	outputs map[string]map[string]string // step id → outputs
	env     []string                     // the runner's environment
	dir     string                       // working directory (the workspace)
	temp    string
	ghPath  string
	posix   bool
}

func (a *actionRun) eval(expr string) string {
	a.t.Helper()
	m := exprRE.FindStringSubmatch(expr)
	if m == nil {
		return expr
	}
	for _, operand := range strings.Split(m[1], "||") {
		operand = strings.TrimSpace(operand)
		var v string
		switch parts := strings.Split(operand, "."); {
		case len(parts) == 2 && parts[0] == "inputs":
			var ok bool
			if v, ok = a.inputs[parts[1]]; !ok {
				in := a.meta.Inputs[parts[1]]
				if in.Default == nil {
					a.t.Fatalf("input %s has no value and no default", parts[1])
				}
				v = *in.Default
			}
		case len(parts) == 2 && parts[0] == "github":
			v = a.github[parts[1]]
		case len(parts) == 4 && parts[0] == "steps" && parts[2] == "outputs":
			v = a.outputs[parts[1]][parts[3]]
		default:
			a.t.Fatalf("the miniature runner cannot evaluate %q", operand)
		}
		if v != "" {
			return v
		}
	}
	return ""
}

// step runs the named step and returns its exit code and output.
func (a *actionRun) step(name string) (int, string) {
	t := a.t
	t.Helper()
	s := a.meta.step(t, name)
	script := filepath.Join(a.temp, "step.sh")
	if err := os.WriteFile(script, []byte(s.Run.Value), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(a.temp, "output-"+s.ID)
	os.Remove(out)
	args := []string{"--noprofile", "--norc", "-eo", "pipefail", script}
	if a.posix {
		args = append([]string{"--posix"}, args...)
	}
	cmd := exec.Command("bash", args...)
	cmd.Dir = a.dir
	cmd.Env = append(append([]string{}, a.env...), "GITHUB_OUTPUT="+out, "GITHUB_PATH="+a.ghPath)
	for k, v := range s.Env {
		cmd.Env = append(cmd.Env, k+"="+a.eval(v))
	}
	stdout, code := runCombined(t, cmd)
	if s.ID != "" {
		a.outputs[s.ID] = readOutputs(out)
	}
	return code, stdout
}

// runCombined runs cmd with its stdout and stderr captured together and returns them and
// its exit code; it fails the test when cmd cannot be run at all.
func runCombined(t *testing.T, cmd *exec.Cmd) (string, int) {
	t.Helper()
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return buf.String(), ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return buf.String(), 0
}

// readOutputs reads a $GITHUB_OUTPUT file of name=value lines; a missing file holds none.
func readOutputs(file string) map[string]string {
	outs := map[string]string{}
	if b, err := os.ReadFile(file); err == nil {
		for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			k, v, _ := strings.Cut(line, "=")
			outs[k] = v
		}
	}
	return outs
}

func (a *actionRun) output(name string) string {
	return a.eval(a.meta.Outputs[name].Value)
}

// TestActionEndToEnd runs the action as CI's action-matrix job does, with the real
// perfgate built by the action from this checkout: install mode, then a gate on the clean
// example (pass) and on the regressed one (fail), under bash and bash --posix, with
// GOTOOLCHAIN=local and nothing fetched (GOPROXY=off).
func TestActionEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds perfgate: skipped in -short mode")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH")
	}
	meta := readAction(t)
	root := repoRoot(t)
	for _, posix := range []bool{false, true} {
		t.Run(fmt.Sprintf("posix=%v", posix), func(t *testing.T) {
			temp := t.TempDir()
			base := []string{
				"PATH=" + os.Getenv("PATH"), "HOME=" + temp, "LC_ALL=C",
				"GITHUB_ACTION_PATH=" + root, "GITHUB_WORKSPACE=" + root,
				"RUNNER_TEMP=" + temp, "RUNNER_OS=Linux", "RUNNER_ARCH=X64", "RUNNER_TOOL_CACHE=" + filepath.Join(temp, "toolcache"),
				"GOTOOLCHAIN=local", "GOPROXY=off", "GOFLAGS=",
				"GOCACHE=" + goEnv(t, "GOCACHE"), "GOMODCACHE=" + goEnv(t, "GOMODCACHE"),
			}
			newRun := func(inputs map[string]string) *actionRun {
				return &actionRun{t: t, meta: meta, inputs: inputs, github: map[string]string{"server_url": "https://github.example"},
					outputs: map[string]map[string]string{}, env: base, dir: root, temp: temp, ghPath: filepath.Join(temp, "github_path"), posix: posix}
			}

			// mode: install. The host's go is new enough: no setup-go, a source build.
			a := newRun(map[string]string{"mode": "install"})
			if code, out := a.step("Install perfgate"); code != 0 {
				t.Fatalf("install: exit %d\n%s", code, out)
			}
			if a.outputs["install"]["setup-go"] != "" || a.outputs["install"]["go"] != goBin {
				t.Fatalf("install outputs %v: want the go on PATH (%s)", a.outputs["install"], goBin)
			}
			if code, out := a.step("Build perfgate"); code != 0 {
				t.Fatalf("build: exit %d\n%s", code, out)
			}
			perfgate := a.output("perfgate")
			if perfgate != filepath.Join(temp, "perfgate", "bin", "perfgate") {
				t.Fatalf("output perfgate = %q", perfgate)
			}

			for _, tc := range []struct {
				results     string
				verdict     string
				code, gated int
			}{
				{"testdata/**/pr-clean.txt", "pass", 0, 0},
				{"testdata/example/pr-sweep.txt", "fail", 1, 1},
			} {
				a := newRun(map[string]string{"id": tc.verdict, "baseline": "testdata/example/baseline", "results": tc.results, "publish": "false"})
				// The second use in the job reuses the binary: no build.
				if code, out := a.step("Install perfgate"); code != 0 || a.outputs["install"]["method"] != "reused" {
					t.Fatalf("install again: exit %d, outputs %v\n%s", code, a.outputs["install"], out)
				}
				code, out := a.step("Check")
				if code != 0 {
					t.Fatalf("check: exit %d\n%s", code, out)
				}
				if got := a.output("verdict"); got != tc.verdict {
					t.Errorf("%s: verdict %q, want %q\n%s", tc.results, got, tc.verdict, out)
				}
				if got := a.output("exit-code"); got != fmt.Sprint(tc.code) {
					t.Errorf("%s: exit-code %q, want %d", tc.results, got, tc.code)
				}
				if _, err := os.Stat(a.output("report")); err != nil {
					t.Errorf("%s: report: %v", tc.results, err)
				}
				if code, out := a.step("Gate"); code != tc.gated {
					t.Errorf("%s: gate step exit %d, want %d\n%s", tc.results, code, tc.gated, out)
				}
			}
		})
	}
}
