package lint

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/perfgate/perfgate/"

// layers is the pipeline's import rule: a package may import only the perfgate packages
// listed for it. Tests may also use fixtures from elsewhere (ingest's readers, eval's
// simulator) and are not checked. bench is
// the leaf data model; ingest, baseline and check are siblings above it; report words what
// check decided; github publishes what report renders.
var layers = map[string][]string{
	"bench":               {},
	"flops":               {},
	"internal/atomicfile": {},
	"internal/gobench":    {"bench"},
	"ingest":              {"bench", "flops", "internal/gobench"},
	"baseline":            {"bench", "internal/atomicfile", "internal/gobench", "ingest"},
	"check":               {"bench", "flops", "baseline"},
	"history":             {"bench", "baseline", "check", "internal/atomicfile"},
	"report":              {"bench", "check", "history"},
	"github":              {"bench", "check", "report", "github/githubtest"},
}

// TestImportLayers fails on an import that runs against the pipeline, such as baseline
// importing check or report importing ingest.
func TestImportLayers(t *testing.T) {
	root := repoRoot(t)
	for pkg, allowed := range layers {
		files, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(pkg), "*.go"))
		if err != nil || len(files) == 0 {
			t.Errorf("%s: no Go files (%v)", pkg, err)
			continue
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range af.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				dep, ok := strings.CutPrefix(path, module)
				if !ok || dep == pkg {
					continue
				}
				if !slices.Contains(allowed, dep) {
					rel, _ := filepath.Rel(root, f)
					t.Errorf("%s imports %s: %s may import only %v", rel, dep, pkg, allowed)
				}
			}
		}
	}
	// Every package of the pipeline is covered.
	for _, dir := range []string{"bench", "ingest", "baseline", "check", "report", "github", "history", "flops"} {
		if _, err := os.Stat(filepath.Join(root, dir)); err != nil {
			t.Errorf("%s: %v", dir, err)
		}
	}
}
