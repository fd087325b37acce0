//go:build unix

package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// interrupted is a context cancelled as a SIGINT cancels perfgate's.
func interrupted() context.Context {
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("interrupt signal received"))
	return ctx
}

// TestInterruptedWritesNothing: a command its context stopped (Ctrl-C, a cancelled CI job)
// exits 3 saying so ("context canceled" said nothing), and writes nothing: no report, no
// store. An interrupted --baseline-ref read was reported as a bad ref (exit 2), and the
// first update of a store, which reads no history, wrote it despite the interrupt.
func TestInterruptedWritesNothing(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("needs git")
	}
	dir := t.TempDir()
	store := filepath.Join(dir, "perf")
	results := filepath.Join(dir, "new.txt")
	sweep(t, results, 0, 20, 1)
	if code, out := perfgate(t, "baseline", "update", "--baseline", store, "--run-id", "seed", results); code != 0 {
		t.Fatalf("seeding the store: exit %d\n%s", code, out)
	}
	for _, args := range [][]string{{"init", "-q"}, {"add", "."}, {"-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "seed"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	sweep(t, results, 0, 20, 1.2) // a 20% regression: an uninterrupted update would store it
	before, err := os.ReadFile(filepath.Join(store, "baseline.txt"))
	if err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(dir, "report.json")
	for _, args := range [][]string{
		{"check", "--baseline", store, "--baseline-ref", "HEAD", "--format", "json", "-o", report, results},
		{"check", "--baseline", store, "-o", report, results},
		{"baseline", "update", "--baseline", store, "--run-id", "pr", results},
		{"baseline", "update", "--baseline", store, "--memory=false", "--run-id", "pr", results},
		{"history", "--baseline", store, "-o", report},
	} {
		var stdout, stderr bytes.Buffer
		s := &Streams{In: strings.NewReader(""), Out: &stdout, ErrOut: &stderr}
		if code := MainContext(interrupted(), args, s); code != ExitInternal {
			t.Errorf("%v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, code, ExitInternal, &stdout, &stderr)
		}
		if want := "perfgate: stopped before it finished: interrupt signal received\n"; stderr.String() != want {
			t.Errorf("%v: stderr %q, want %q", args, stderr.String(), want)
		}
		if _, err := os.Stat(report); err == nil {
			t.Errorf("%v: wrote %s", args, report)
			os.Remove(report)
		}
		after, err := os.ReadFile(filepath.Join(store, "baseline.txt"))
		if err != nil || !bytes.Equal(before, after) {
			t.Fatalf("%v: the store changed (%v)", args, err)
		}
	}
	fresh := filepath.Join(dir, "fresh")
	var stderr bytes.Buffer
	s := &Streams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &stderr}
	if code := MainContext(interrupted(), []string{"baseline", "update", "--baseline", fresh, results}, s); code != ExitInternal {
		t.Errorf("first update: exit %d, want %d\n%s", code, ExitInternal, &stderr)
	}
	if _, err := os.Stat(filepath.Join(fresh, "baseline.txt")); err == nil {
		t.Error("an interrupted first update wrote the store")
	}
}

// TestSIGINT sends a real SIGINT to a perfgate process that is waiting for GitHub: it stops
// waiting and exits 3 with the reason, instead of dying of the signal (exit status 130 in a
// shell, outside the exit-code contract) with nothing said.
func TestSIGINT(t *testing.T) {
	arrived, done := make(chan struct{}, 1), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		select { // hang until the client gives up, or the test ends
		case <-r.Context().Done():
		case <-done:
		}
	}))
	defer srv.Close()
	defer close(done) // before srv.Close, which waits for the handlers
	report := filepath.Join(t.TempDir(), "report.json")
	if err := os.WriteFile(report, []byte(pubFail), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("perfgate", "publish", "--repo", "o/r", "--pr", "7", "--sha", pubHead, "--api-url", srv.URL, report)
	cmd.Env = append(os.Environ(), "GITHUB_TOKEN="+pubToken, "GITHUB_EVENT_PATH=", "GITHUB_ACTIONS=", "GITHUB_STEP_SUMMARY=", "GITHUB_OUTPUT=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-arrived:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("publish never reached the server\nstderr:\n%s", &stderr)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode() // -1 when a signal killed it
	}
	if code != ExitInternal {
		t.Errorf("exit %d after SIGINT, want %d\nstderr:\n%s", code, ExitInternal, &stderr)
	}
	if !strings.Contains(stderr.String(), "perfgate: stopped before it finished: interrupt signal received") {
		t.Errorf("stderr does not say it was interrupted:\n%s", &stderr)
	}
}

// TestStdoutClosed runs perfgate with a stdout whose reader is gone (perfgate check | head -0):
// it exits with its verdict. The write used to raise SIGPIPE, which killed it (status 141 in
// a shell) before it exited with the verdict, and before --publish published.
func TestStdoutClosed(t *testing.T) {
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		results string
		want    int
	}{{"pr-sweep.txt", ExitFail}, {"pr-clean.txt", ExitPass}} {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		r.Close()
		cmd := exec.Command("perfgate", "check", "--baseline", filepath.Join(repo, "testdata/example/baseline"),
			filepath.Join(repo, "testdata/example", tt.results))
		cmd.Stdout = w
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err = cmd.Run()
		w.Close()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode() // -1 when a signal killed it
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tt.want || stderr.Len() > 0 {
			t.Errorf("%s with stdout closed: exit %d, want %d; stderr:\n%s", tt.results, code, tt.want, &stderr)
		}
	}
}
