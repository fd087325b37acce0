// Package lint holds the tests that keep the repository's GitHub Actions files honest: actionlint
// (as a library, with the repository's .github/actionlint.yaml and, when it is on PATH,
// shellcheck) over every workflow in .github/workflows and docs/workflows, and structural and
// behavioural tests of the composite action in action.yml, which actionlint does not check.
//
// The package has no non-test code; `go test ./internal/lint` runs it. The same actionlint is
// available from the shell, pinned by go.mod's tool directive:
//
//	go tool actionlint .github/workflows/*.yml docs/workflows/*.yml
package lint
