package lint

import (
	"strings"
	"testing"
)

type lifecycleWorkflow struct {
	Jobs map[string]struct {
		If     string `yaml:"if"`
		RunsOn any    `yaml:"runs-on"`
		Steps  []struct {
			Name string            `yaml:"name"`
			ID   string            `yaml:"id"`
			If   string            `yaml:"if"`
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func readLifecycle(t *testing.T, name string) lifecycleWorkflow {
	t.Helper()
	var w lifecycleWorkflow
	readYAML(t, name, &w)
	return w
}

// TestPerfGateLifecycle pins the shape the issue asked for in the documented PR workflow:
// never skipped for forks (a skipped job passes a required check), pending first, the
// error path only when the gate decided nothing, and ids and artifacts per suite.
func TestPerfGateLifecycle(t *testing.T) {
	w := readLifecycle(t, "docs/workflows/perf-gate.yml")
	j, ok := w.Jobs["perf"]
	if !ok {
		t.Fatal("perf-gate.yml has no job perf")
	}
	if j.If != "" {
		t.Errorf("job perf has a job-level if (%q): fork PRs would be skipped, which a required check counts as success", j.If)
	}
	var modes []string
	for i, s := range j.Steps {
		if s.Name == "Pull requests from forks" && (!strings.Contains(s.Run, "exit 1") || s.If != "env.SAME_REPO != 'true'") {
			t.Errorf("the fork step must fail the job for fork PRs: if %q, run %q", s.If, s.Run)
		}
		if !strings.HasPrefix(s.Uses, "perfgate/perfgate@") {
			if strings.HasPrefix(s.Uses, "actions/upload-artifact") && !strings.Contains(s.With["name"], "${{ matrix.suite }}") {
				t.Errorf("artifact %q does not carry the suite: a matrix would collide", s.With["name"])
			}
			continue
		}
		mode := s.With["mode"]
		if mode == "" {
			mode = "gate"
		}
		modes = append(modes, mode)
		if s.With["id"] != "${{ matrix.suite }}" {
			t.Errorf("step %d (%s): id %q, want the suite", i, s.Name, s.With["id"])
		}
		if mode == "error" {
			for _, want := range []string{"failure() || cancelled()", "steps.gate.outputs.verdict != 'pass'", "steps.gate.outputs.verdict != 'fail'"} {
				if !strings.Contains(s.If, want) {
					t.Errorf("error step if %q lacks %q", s.If, want)
				}
			}
		}
	}
	if strings.Join(modes, ",") != "pending,gate,error" {
		t.Errorf("perfgate steps in order: %v, want pending, gate, error", modes)
	}
}

// TestForkStagesSafe pins the fork pair: stage 1 never runs git fetch (it fails on
// private repositories after persist-credentials: false) and uploads per suite; stage 2
// downloads per suite and takes the gate id from its own matrix, not from the artifact.
func TestForkStagesSafe(t *testing.T) {
	s1 := readLifecycle(t, "docs/workflows/perf-gate-fork-stage1.yml")
	checkouts := 0
	prepareID := ""
	for _, s := range s1.Jobs["perf"].Steps {
		if strings.Contains(s.Run, "git fetch") {
			t.Errorf("stage 1 step %q runs git fetch", s.Name)
		}
		if strings.HasPrefix(s.Uses, "actions/checkout") {
			checkouts++
			if s.With["persist-credentials"] != "false" {
				t.Errorf("stage 1 checkout %q persists credentials", s.Name)
			}
		}
		if strings.HasPrefix(s.Uses, "actions/upload-artifact") && s.With["name"] != "perfgate-${{ matrix.suite }}" {
			t.Errorf("stage 1 artifact name %q, want perfgate-${{ matrix.suite }}", s.With["name"])
		}
		if strings.Contains(s.Run, "--prepare") && !strings.Contains(s.Run, `--id "$SUITE"`) {
			t.Errorf("stage 1 prepare %q does not record the suite id", s.Run)
		}
		// A check that exited 2 or 3 (or was killed) may still have written a report, and
		// the action's report output names it; stage 2 would publish that report's verdict
		// (a pass, perhaps) for a gate that decided nothing. Only a pass or a fail is
		// prepared and uploaded; without an artifact stage 2 marks the gate error.
		if strings.Contains(s.Run, "--prepare") {
			for _, want := range []string{"steps.gate.outputs.verdict == 'pass'", "steps.gate.outputs.verdict == 'fail'"} {
				if !strings.Contains(s.If, want) {
					t.Errorf("stage 1 step %q: if %q lacks %q", s.Name, s.If, want)
				}
			}
			prepareID = s.ID
		}
		if strings.HasPrefix(s.Uses, "actions/upload-artifact") {
			if want := "always() && steps." + prepareID + ".outcome == 'success'"; prepareID == "" || s.If != want {
				t.Errorf("stage 1 upload: if %q, want %q (only what was prepared)", s.If, want)
			}
		}
	}
	if checkouts != 2 {
		t.Errorf("stage 1 has %d checkouts, want 2 (the PR, and the base's baseline)", checkouts)
	}
	s2 := readLifecycle(t, "docs/workflows/perf-gate-fork-stage2.yml")
	var published, marked bool
	for _, s := range s2.Jobs["publish"].Steps {
		if strings.HasPrefix(s.Uses, "actions/download-artifact") && s.With["name"] != "perfgate-${{ matrix.suite }}" {
			t.Errorf("stage 2 downloads %q, want perfgate-${{ matrix.suite }}", s.With["name"])
		}
		if strings.Contains(s.Run, "publish --from") {
			published = strings.Contains(s.Run, `--id "$SUITE"`)
		}
		if strings.Contains(s.Run, "publish --error") {
			marked = s.If == "steps.download.outcome != 'success'"
		}
	}
	if !published || !marked {
		t.Errorf("stage 2: publish --from with the suite's id %v, publish --error when there is no report %v", published, marked)
	}
}
