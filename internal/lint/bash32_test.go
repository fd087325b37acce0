package lint

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// bash4Only are constructs that bash 3.2, the bash of macOS runners, does not have (or
// treats differently). The action's scripts must avoid them; GitHub Actions cannot run
// here, so this check and the --posix runs stand in for a real bash 3.2.
var bash4Only = []struct {
	re   *regexp.Regexp
	what string
}{
	{regexp.MustCompile(`\bglobstar\b`), "globstar (bash 4.0)"},
	{regexp.MustCompile(`\$\{[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?(,,?|\^\^?)\}`), "case modification ${v,,} / ${v^^} (bash 4.0)"},
	{regexp.MustCompile(`\b(mapfile|readarray|coproc)\b`), "mapfile, readarray or coproc (bash 4.0)"},
	{regexp.MustCompile(`\b(declare|local|typeset)\s+-[a-zA-Z]*[An]`), "associative arrays or namerefs (bash 4.0/4.3)"},
	{regexp.MustCompile(`\|&|&>>`), "|& or &>> (bash 4.0)"},
	{regexp.MustCompile(`;;&|;&`), "case fall-through ;& or ;;& (bash 4.0)"},
	{regexp.MustCompile(`(\[\[|\[|\btest)\s+-v\s`), "-v VAR tests (bash 4.2)"},
	{regexp.MustCompile(`\$\{[^}]*@[QEPAaKkUuL]\}`), "${v@Q} transformations (bash 4.4)"},
	{regexp.MustCompile(`\$\{[A-Za-z_][A-Za-z0-9_]*\[-[0-9]+\]\}`), "negative array index (bash 4.3)"},
	{regexp.MustCompile(`\bwait\s+-n\b`), "wait -n (bash 4.3)"},
	{regexp.MustCompile(`\b(EPOCHSECONDS|EPOCHREALTIME|SRANDOM|BASH_ARGV0)\b`), "bash 5 variables"},
	{regexp.MustCompile(`printf\s+(-v\s+\S+\s+)?['"]?[^'"]*%\(`), "printf %(...)T (bash 4.2)"},
	{regexp.MustCompile(`\{[0-9]+\.\.[0-9]+\.\.[0-9]+\}`), "brace expansion with a step (bash 4.0)"},
	{regexp.MustCompile(`\bshopt\s+-s\s+(lastpipe|inherit_errexit|globasciiranges|autocd|dirspell|checkjobs)\b`), "shopt options added in bash 4"},
	{regexp.MustCompile(`\$\{[A-Za-z_][A-Za-z0-9_]*//?[^}/]*/['"]`), "quoted replacement in ${v//x/'y'} (bash 3.2 keeps the quotes)"},
	{regexp.MustCompile(`<\(|>\(`), "process substitution (not in bash --posix before 5.1)"},
}

// nonEmptyArrays are arrays the scripts expand unguarded, as "${a[@]}", because they are
// never empty at that point. Any other array must be expanded as ${a[@]+"${a[@]}"}: with
// set -u, bash before 4.4 calls an empty array unbound.
var nonEmptyArrays = map[string]string{
	"results": "checked non-empty just before (usage exits otherwise)",
	"matches": "added only after checking ${#matches[@]} -gt 0",
	"what":    "always one element",
}

// shellScripts returns the action's shell code: action.yml's run: scripts and action/*.sh.
func shellScripts(t *testing.T) []script {
	t.Helper()
	root := repoRoot(t)
	scripts := runScripts(t, filepath.Join(root, "action.yml"))
	files, err := filepath.Glob(filepath.Join(root, "action", "*.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no action/*.sh")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		scripts = append(scripts, script{path: f, line: 1, text: string(b)})
	}
	return scripts
}

func TestActionScriptsBash32(t *testing.T) {
	root := repoRoot(t)
	unguarded := regexp.MustCompile(`(.)?"\$\{([A-Za-z_][A-Za-z0-9_]*)\[@\]\}"`)
	for _, s := range shellScripts(t) {
		rel, _ := filepath.Rel(root, s.path)
		for i, line := range strings.Split(s.text, "\n") {
			code := line
			if strings.HasPrefix(strings.TrimSpace(code), "#") {
				continue
			}
			where := fmt.Sprintf("%s:%d", filepath.ToSlash(rel), s.line+i)
			for _, c := range bash4Only {
				if c.re.MatchString(code) {
					t.Errorf("%s: %s: %s", where, c.what, strings.TrimSpace(line))
				}
			}
			for _, m := range unguarded.FindAllStringSubmatch(code, -1) {
				if m[1] == "+" {
					continue // ${a[@]+"${a[@]}"}
				}
				if _, ok := nonEmptyArrays[m[2]]; !ok {
					t.Errorf("%s: \"${%s[@]}\" fails on an empty array under set -u in bash < 4.4; write ${%s[@]+\"${%s[@]}\"}", where, m[2], m[2], m[2])
				}
			}
		}
	}
}

// TestBash32Catches makes sure the patterns above match what they are meant to.
func TestBash32Catches(t *testing.T) {
	for _, bad := range []string{
		"shopt -s globstar", `x=${v,,}`, `x=${v^^}`, "mapfile -t a < f", "declare -A m", "local -n r=x",
		"cmd |& tee", "cmd &>> log", "[[ -v FOO ]]", `echo "${v@Q}"`, `echo ${a[-1]}`, "wait -n",
		"echo $EPOCHSECONDS", `printf '%(%s)T'`, "echo {1..9..2}", "shopt -s lastpipe",
		`s=${s//'%'/'%25'}`, "diff <(a) <(b)", ";;&",
	} {
		hit := false
		for _, c := range bash4Only {
			hit = hit || c.re.MatchString(bad)
		}
		if !hit {
			t.Errorf("no bash-4 pattern matches %q", bad)
		}
	}
	for _, good := range []string{`s=${s//$pct/%25}`, `x=${v#origin/}`, `a+=("$x")`, `echo ${#a[@]}`, `read -r -d '' -a w <<<"$x"`, `case $x in a) ;; esac`} {
		for _, c := range bash4Only {
			if c.re.MatchString(good) {
				t.Errorf("%q flagged as %s", good, c.what)
			}
		}
	}
}

// TestActionScriptsParse parses every script with bash -n and bash --posix -n.
func TestActionScriptsParse(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not on PATH")
	}
	root := repoRoot(t)
	for _, s := range shellScripts(t) {
		for _, mode := range [][]string{{"-n"}, {"--posix", "-n"}} {
			cmd := exec.Command(bash, mode...)
			cmd.Stdin = strings.NewReader(s.text)
			if out, err := cmd.CombinedOutput(); err != nil {
				rel, _ := filepath.Rel(root, s.path)
				t.Errorf("%s:%d: bash %v: %v\n%s", filepath.ToSlash(rel), s.line, mode, err, out)
			}
		}
	}
}
