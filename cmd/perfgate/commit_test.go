package main

import (
	"strings"
	"testing"
)

func TestCommitOf(t *testing.T) {
	sha := "0123456789abcdef0123456789abcdef01234567"
	for _, c := range []struct {
		flag  string
		given bool
		env   string
		want  string // the commit, or "error: " and a substring of the error
	}{
		{"", false, "", ""},
		{"", false, sha, sha},
		{"abc1234", true, sha, "abc1234"},
		{"", true, "", ""},   // --commit "$GITHUB_SHA" with the variable unset
		{"", true, sha, sha}, // an empty flag is no flag
		{"--fail-on-regression", true, "", `error: quote it: --commit "$GITHUB_SHA"`},
		{"main", true, "", "error: does not look like a commit"},
		{"", false, "refs/heads/main", "error: $GITHUB_SHA"},
	} {
		got, err := commitOf(c.flag, c.given, c.env)
		if want, ok := strings.CutPrefix(c.want, "error: "); ok {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("commitOf(%q, %v, %q) = %q, %v; want an error with %q", c.flag, c.given, c.env, got, err, want)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("commitOf(%q, %v, %q) = %q, %v; want %q", c.flag, c.given, c.env, got, err, c.want)
		}
	}
}
