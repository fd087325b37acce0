package github

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/perfgate/perfgate/check"
	"github.com/perfgate/perfgate/report"
)

const testSHA = "a1b2c3d4e5f60718293a4b5c6d7e8f90123456ab"

func TestStickyRoundTrip(t *testing.T) {
	for _, c := range []stickyComment{
		{report: "### ✅ perfgate: ok\n\n| a | b |", state: commentState{Phase: "final", Verdict: "pass", SHA: testSHA}},
		{banner: "> ⏳ running\n", report: "### ❌ fail", state: commentState{Phase: "pending", Verdict: "fail", SHA: testSHA, Run: 42}},
		{banner: "> stale", report: "x", state: commentState{Phase: "stale", Run: 7}},
	} {
		body := c.render("llama")
		if !strings.HasSuffix(body, Marker("llama")+"\n") {
			t.Errorf("body does not end with the marker:\n%s", body)
		}
		got := parseSticky(body, "llama")
		c.banner = strings.TrimRight(c.banner, "\n")
		if diff := cmp.Diff(c, got, cmp.AllowUnexported(stickyComment{})); diff != "" {
			t.Errorf("round trip (-want +got):\n%s\nbody:\n%s", diff, body)
		}
		// Rendering what was parsed gives the same body: marking twice is a no-op edit.
		if again := got.render("llama"); again != body {
			t.Errorf("render(parse(body)) differs:\n%s\n---\n%s", again, body)
		}
	}
}

func TestParseStickyOldAndForged(t *testing.T) {
	// A comment from before state lines: all of it is the report, the state is unknown.
	old := "### ✅ perfgate: ok\n\n| a |\n\n" + Marker("perfgate") + "\n"
	c := parseSticky(old, "perfgate")
	if c.report != "### ✅ perfgate: ok\n\n| a |" || c.state != (commentState{}) {
		t.Errorf("old comment parsed as %+v", c)
	}
	// A state line that does not match the strict form is report text, not state.
	forged := "r\n\n<!-- perfgate-state phase=final verdict=pass sha=X; run= -->\n" + Marker("perfgate") + "\n"
	if c := parseSticky(forged, "perfgate"); c.state.Phase != "" {
		t.Errorf("forged state accepted: %+v", c.state)
	}
}

func TestFlipsToFail(t *testing.T) {
	body := func(phase, verdict string) string {
		return stickyComment{report: "r", state: commentState{Phase: phase, Verdict: verdict, SHA: testSHA}}.render("g")
	}
	oldFormat := "r\n\n" + Marker("g") + "\n"
	for _, tc := range []struct {
		old, new string
		want     bool
	}{
		{body("final", "pass"), body("final", "fail"), true},
		{body("pending", "pass"), body("final", "fail"), true},
		{body("stale", "pass"), body("final", "fail"), true},
		{body("final", "fail"), body("final", "fail"), false},
		{body("final", "pass"), body("final", "pass"), false},
		{body("final", "fail"), body("final", "pass"), false},
		{oldFormat, body("final", "fail"), false}, // unknown: an edit, as before
	} {
		if got := flipsToFail(tc.old, tc.new, "g"); got != tc.want {
			t.Errorf("flipsToFail(%q, %q) = %v, want %v", tc.old, tc.new, got, tc.want)
		}
	}
}

// A report rendered to the largest size Publish allows still fits under the comment limit
// once the longest banner is put above it.
func TestBannerFits(t *testing.T) {
	id := strings.Repeat("g", 100)
	rep := &check.Report{Schema: check.Schema, Verdict: check.Fail}
	md := strings.Repeat("é", maxReportBytes(id)/2)
	body := reportBody(md, rep, testSHA, id, 0)
	c := parseSticky(body, id)
	run := "https://" + strings.Repeat("h", 200) + ".example/o/r/actions/runs/123456789012/attempts/3"
	for _, banner := range []string{report.PendingBanner(testSHA, testSHA[:39]+"0", run), report.StaleBanner(testSHA, testSHA[:39]+"0", run)} {
		c.banner = banner
		c.state.Phase, c.state.Run = "stale", 1<<62
		if n := len(c.render(id)); n > MaxCommentBytes {
			t.Errorf("marked comment is %d bytes, over %d", n, MaxCommentBytes)
		}
	}
}

func TestValidRunURL(t *testing.T) {
	for u, ok := range map[string]bool{
		"https://github.com/o/r/actions/runs/123":            true,
		"https://github.com/o/r/actions/runs/123/attempts/2": true,
		"http://ghes.local:8080/o/r.x/actions/runs/1":        true,
		"https://github.com/o/r/actions/runs/":               false,
		"https://github.com/o/r/actions/runs/1)[x](y":        false,
		"javascript:alert(1)//actions/runs/1":                false,
		"https://github.com/o/r/actions/runs/1 x":            false,
		"https://github.com/o/r/pull/1":                      false,
		"":                                                   false,
	} {
		if err := ValidRunURL(u); (err == nil) != ok {
			t.Errorf("ValidRunURL(%q) = %v, want ok=%v", u, err, ok)
		}
	}
}

func TestMarkPhaseValidated(t *testing.T) {
	_, err := Mark(t.Context(), Phase("done"), Options{})
	if !IsInputError(err) {
		t.Errorf("Mark with an unknown phase: %v, want an input error", err)
	}
}
