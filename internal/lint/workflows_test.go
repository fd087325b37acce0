package lint

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"go.yaml.in/yaml/v4"
)

type lifecycleWorkflow struct {
	Jobs map[string]struct {
		If     string            `yaml:"if"`
		RunsOn any               `yaml:"runs-on"`
		Env    map[string]string `yaml:"env"`
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
// the benchmark job skipped for forks, and for them a job on a hosted runner that fails
// unless the fork pair is installed (a skipped job passes a required check, so a fork PR
// must not get only skipped jobs when nothing reports on it), pending first, the error
// path only when the gate decided nothing, and ids and artifacts per suite.
func TestPerfGateLifecycle(t *testing.T) {
	w := readLifecycle(t, "docs/workflows/perf-gate.yml")
	j, ok := w.Jobs["perf"]
	if !ok {
		t.Fatal("perf-gate.yml has no job perf")
	}
	f, ok := w.Jobs["fork-prs"]
	if !ok {
		t.Fatal("perf-gate.yml has no job fork-prs")
	}
	const repo = "acme/trainer"
	for _, head := range []string{repo, "someone/trainer", ""} { // "": a deleted fork
		// Dependabot's pull requests, from a branch of the repository, get a read-only token
		// as a fork's do: the fork pair reports them too.
		for _, author := range []string{"someone", "dependabot[bot]"} {
			ctx := map[string]string{"github.repository": repo, "github.event.pull_request.head.repo.full_name": head,
				"github.event.pull_request.user.login": author}
			fork := head != repo || author == "dependabot[bot]"
			if got := evalIf(t, j.If, ctx); got == fork {
				t.Errorf("head %q, author %s: job perf runs %v, want %v (if %q)", head, author, got, !fork, j.If)
			}
			if got := evalIf(t, f.If, ctx); got != fork {
				t.Errorf("head %q, author %s: job fork-prs runs %v, want %v (if %q)", head, author, got, fork, f.If)
			}
		}
	}
	if f.RunsOn != "ubuntu-latest" {
		t.Errorf("job fork-prs runs on %v, want ubuntu-latest: a fork PR must not take a GPU runner", f.RunsOn)
	}
	checked := false
	for _, s := range f.Steps {
		if s.Name == "Pull requests from forks" {
			checked = strings.Contains(s.Run, "perf-gate-fork-stage2.yml") && strings.Contains(s.Run, "404)") && strings.Count(s.Run, "exit 1") >= 2
		}
	}
	if !checked {
		t.Error("job fork-prs must fail (exit 1) when the fork pair's stage 2 is not found (404) and when the check cannot tell")
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

// evalIf evaluates a workflow if: condition (or a ${{ }} value) with ctx, which maps a
// context path (github.repository, env.SAME_REPO) to its value; a path not in ctx is empty.
// It knows the operators the documented workflows use: == and != on strings (compared as
// GitHub does, ignoring case), &&, || and !. The status functions always(), failure() and
// cancelled() are true and success() is false: the question it answers is whether a step
// can run at all. Anything else fails the test.
func evalIf(t *testing.T, cond string, ctx map[string]string) bool {
	t.Helper()
	src := strings.TrimSpace(cond)
	src = strings.TrimSuffix(strings.TrimPrefix(src, "${{"), "}}")
	if strings.TrimSpace(src) == "" {
		return true // no if: the step or job runs
	}
	node, err := actionlint.NewExprParser().Parse(actionlint.NewExprLexer(src + "}}"))
	if err != nil {
		t.Fatalf("parsing %q: %v", cond, err)
	}
	// actionlint lower-cases names, as GitHub matches them regardless of case.
	lower := map[string]string{}
	for k, v := range ctx {
		lower[strings.ToLower(k)] = v
	}
	var path func(n actionlint.ExprNode) (string, bool)
	path = func(n actionlint.ExprNode) (string, bool) {
		switch n := n.(type) {
		case *actionlint.VariableNode:
			return n.Name, true
		case *actionlint.ObjectDerefNode:
			p, ok := path(n.Receiver)
			return p + "." + n.Property, ok
		}
		return "", false
	}
	var eval func(n actionlint.ExprNode) any
	eval = func(n actionlint.ExprNode) any {
		if p, ok := path(n); ok {
			return lower[strings.ToLower(p)]
		}
		switch n := n.(type) {
		case *actionlint.StringNode:
			return n.Value
		case *actionlint.BoolNode:
			return n.Value
		case *actionlint.NotOpNode:
			return !truthy(eval(n.Operand))
		case *actionlint.LogicalOpNode:
			l := eval(n.Left)
			if (n.Kind == actionlint.LogicalOpNodeKindAnd) != truthy(l) {
				return l
			}
			return eval(n.Right)
		case *actionlint.CompareOpNode:
			l, r := fmt.Sprint(eval(n.Left)), fmt.Sprint(eval(n.Right))
			switch n.Kind {
			case actionlint.CompareOpNodeKindEq:
				return strings.EqualFold(l, r)
			case actionlint.CompareOpNodeKindNotEq:
				return !strings.EqualFold(l, r)
			}
		case *actionlint.FuncCallNode:
			switch strings.ToLower(n.Callee) {
			case "always", "failure", "cancelled":
				return true
			case "success":
				return false
			}
		}
		t.Fatalf("evalIf cannot evaluate %T in %q", n, cond)
		return nil
	}
	return truthy(eval(node))
}

func truthy(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return v != ""
	}
	return v != nil
}

// TestForkPairPublishesOnce pins how perf-gate.yml and the fork pair share pull requests, so
// that a repository may copy all three: perf-gate.yml benchmarks and publishes same-repository
// pull requests, the pair only forks. Every stage-1 run for a fork that ends without a
// report (failed, cancelled, timed out, never started) still leaves a perfgate/<id> status
// on its commit, or a required check would wait for it forever; only a run that waits for a
// maintainer's approval (action_required) is left to GitHub's own notice.
func TestForkPairPublishesOnce(t *testing.T) {
	const repo = "acme/trainer"
	gate := readLifecycle(t, "docs/workflows/perf-gate.yml").Jobs["perf"]
	s1 := readLifecycle(t, "docs/workflows/perf-gate-fork-stage1.yml").Jobs["perf"]
	s2 := readLifecycle(t, "docs/workflows/perf-gate-fork-stage2.yml").Jobs["publish"]
	for _, hc := range [][2]string{{repo, "someone"}, {"someone/trainer", "someone"}, {repo, "dependabot[bot]"}} {
		head, author := hc[0], hc[1]
		// A fork's pull request, or Dependabot's (read-only token too), is the pair's.
		fork := head != repo || author == "dependabot[bot]"
		pr := map[string]string{
			"github.repository":                             repo,
			"github.event_name":                             "pull_request",
			"github.event.pull_request.head.repo.full_name": head,
			"github.event.pull_request.user.login":          author,
		}
		// perf-gate.yml: its perfgate steps are the ones that publish.
		ctx := map[string]string{}
		for k, v := range pr {
			ctx[k] = v
		}
		for k, v := range gate.Env {
			if evalIf(t, v, pr) {
				ctx["env."+k] = "true"
			} else {
				ctx["env."+k] = "false"
			}
		}
		for _, s := range gate.Steps {
			if strings.HasPrefix(s.Uses, "perfgate/perfgate@") && evalIf(t, s.If, ctx) == fork {
				t.Errorf("head %s: perf-gate.yml step %q runs %v, want %v", head, s.Name, fork, !fork)
			}
		}
		// Stage 1 spends a GPU runner only on forks.
		if got := evalIf(t, s1.If, pr); got != fork {
			t.Errorf("head %s: stage 1 runs %v, want %v (perf-gate.yml benchmarks same-repository PRs)", head, got, fork)
		}
		// Stage 2 publishes (a report or an error) whenever its job runs.
		for _, conclusion := range []string{"success", "failure", "cancelled", "timed_out", "startup_failure", "skipped", "neutral", "stale", "action_required"} {
			wr := map[string]string{
				"github.repository":                                   repo,
				"github.event_name":                                   "workflow_run",
				"github.event.workflow_run.event":                     "pull_request",
				"github.event.workflow_run.conclusion":                conclusion,
				"github.event.workflow_run.head_repository.full_name": head,
				"github.event.workflow_run.actor.login":               author,
			}
			want := fork && conclusion != "action_required"
			if got := evalIf(t, s2.If, wr); got != want {
				t.Errorf("head %s, stage 1 %s: stage 2 runs %v, want %v", head, conclusion, got, want)
			}
			// Stage 2 of a run that was not a pull request's never publishes.
			wr["github.event.workflow_run.event"] = "push"
			if evalIf(t, s2.If, wr) {
				t.Errorf("stage 2 runs for a stage-1 run of a push")
			}
		}
	}
	// Without a report stage 2 marks the commit stage 1 ran on (workflow_run.head_sha, the
	// default in a workflow_run), never the pull request's current head: --pr without --sha
	// would resolve the head and mark a newer push's commit, whose own run is under way.
	for _, s := range s2.Steps {
		if strings.Contains(s.Run, "publish --error") && (strings.Contains(s.Run, "--pr") || strings.Contains(s.Run, "--sha")) {
			t.Errorf("stage 2 step %q passes --pr or --sha to publish --error: %q", s.Name, s.Run)
		}
	}
}

// TestForkStage2PinHint pins that every action stage 2 runs with its write token is either
// pinned to a full commit SHA or shown pinned in the comment above it, as the README asks.
func TestForkStage2PinHint(t *testing.T) {
	var doc yaml.Node
	readYAML(t, "docs/workflows/perf-gate-fork-stage2.yml", &doc)
	sha := regexp.MustCompile(`@[0-9a-f]{40}$`)
	var walk func(n *yaml.Node, comments string)
	found := 0
	walk = func(n *yaml.Node, comments string) {
		comments += n.HeadComment
		for i := 0; i+1 < len(n.Content) && n.Kind == yaml.MappingNode; i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value != "uses" {
				continue
			}
			found++
			action, _, _ := strings.Cut(v.Value, "@")
			if sha.MatchString(v.Value) {
				continue
			}
			hint := regexp.MustCompile(`(?m)^#\s+uses: ` + regexp.QuoteMeta(action) + `@<[^>]*commit SHA[^>]*>`)
			if !hint.MatchString(comments + k.HeadComment) {
				t.Errorf("stage 2 uses %s, a movable ref, with no pinned form (uses: %s@<... commit SHA ...>) in the comment above it", v.Value, action)
			}
		}
		for _, c := range n.Content {
			walk(c, comments)
		}
	}
	walk(&doc, "")
	if found == 0 {
		t.Fatal("stage 2 has no uses:")
	}
}
