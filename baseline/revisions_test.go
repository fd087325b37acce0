package baseline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/bench"
)

// nightRun is the run of config tp=8 on night i, with TFLOPS value v.
func nightRun(i int, v float64) bench.Run {
	return bench.Run{
		Config: bench.Config{"tp": "8"}, Outcome: bench.OK, Batch: fmt.Sprintf("nightly-%02d", i),
		Date:    fmt.Sprintf("2026-11-%02dT03:00:00Z", i),
		Metrics: []bench.Metric{{Name: bench.MetricTFLOPS, Unit: bench.MetricTFLOPS, Better: bench.Higher, Values: []float64{v}}},
	}
}

// TestRevisionsBeyondWindow commits five nightly refreshes of a store with a window of 2 and
// checks that the history has all five nights, each attributed to the commit that recorded it.
func TestRevisionsBeyondWindow(t *testing.T) {
	r := newGitRepo(t)
	dir := filepath.Join(r.root, "perf", "baseline")
	s := &Store{Dir: dir}
	var commits []string
	for i := 1; i <= 5; i++ {
		if i == 3 {
			r.write("", map[string]string{"README": "an unrelated commit\n"})
			r.commit("readme")
		}
		s.Merge([]bench.Run{nightRun(i, 100+float64(i))}, 2)
		if err := s.Save(); err != nil {
			t.Fatal(err)
		}
		commits = append(commits, r.commit(fmt.Sprintf("night %d", i)))
	}
	// An uncommitted sixth night counts too, with no commit.
	s.Merge([]bench.Run{nightRun(6, 106)}, 2)
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Runs); n != 2 {
		t.Fatalf("the store kept %d runs, want the window of 2", n)
	}
	revs, err := Revisions(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if Shallow(context.Background(), dir) {
		t.Error("a full repository reported as shallow")
	}
	if len(revs) != 6 {
		t.Fatalf("got %d revisions, want 5 commits and the work tree", len(revs))
	}
	for i, rev := range revs {
		if len(rev.Runs) != 1 {
			t.Fatalf("revision %d added %d runs, want 1", i, len(rev.Runs))
		}
		run := rev.Runs[0]
		if want := fmt.Sprintf("nightly-%02d", i+1); run.Batch != want {
			t.Errorf("revision %d added batch %s, want %s", i, run.Batch, want)
		}
		if got, want := run.Metrics[0].Values[0], 101+float64(i); got != want {
			t.Errorf("revision %d: value %v, want %v", i, got, want)
		}
		if i < 5 {
			if rev.Commit != commits[i] || rev.Date == "" {
				t.Errorf("revision %d: commit %q date %q, want %s", i, rev.Commit, rev.Date, commits[i])
			}
		} else if rev.Commit != "" {
			t.Errorf("the work tree's revision has commit %q", rev.Commit)
		}
	}

	// The last two commits: the older one is read whole (the window of nights 3 and 4), the
	// newer adds night 5, and the work tree night 6.
	recent, err := RecentRevisions(context.Background(), dir, "", 2)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, rev := range recent {
		var batches []string
		for _, run := range rev.Runs {
			batches = append(batches, run.Batch)
		}
		got = append(got, bench.ShortCommit(rev.Commit)+":"+strings.Join(batches, ","))
	}
	want := []string{bench.ShortCommit(commits[3]) + ":nightly-03,nightly-04", bench.ShortCommit(commits[4]) + ":nightly-05", ":nightly-06"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("last 2 commits: %v, want %v", got, want)
	}

	// At a ref: its history only, without the work tree's uncommitted night.
	atRef, err := RecentRevisions(context.Background(), dir, commits[2], 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(atRef) != 3 || atRef[2].Commit != commits[2] {
		t.Errorf("history at night 3's commit: %d revisions %+v, want nights 1-3", len(atRef), atRef)
	}
	for _, bad := range []string{"no-such-ref", "--all"} {
		if _, err := RecentRevisions(context.Background(), dir, bad, 0); err == nil {
			t.Errorf("ref %q: no error", bad)
		}
	}
}

// TestRevisionsShallow: a clone of depth 2 has the last two nights only, and says it is shallow.
func TestRevisionsShallow(t *testing.T) {
	r := newGitRepo(t)
	dir := filepath.Join(r.root, "b")
	s := &Store{Dir: dir}
	for i := 1; i <= 4; i++ {
		s.Merge([]bench.Run{nightRun(i, 100)}, 2)
		if err := s.Save(); err != nil {
			t.Fatal(err)
		}
		r.commit(fmt.Sprint("night ", i))
	}
	clone := filepath.Join(filepath.Dir(r.root), "clone")
	r.git("clone", "-q", "--depth", "2", "file://"+r.root, clone)
	cdir := filepath.Join(clone, "b")
	revs, err := Revisions(context.Background(), cdir)
	if err != nil {
		t.Fatal(err)
	}
	if !Shallow(context.Background(), cdir) {
		t.Error("a clone of depth 2 is not reported as shallow")
	}
	var batches []string
	for _, rev := range revs {
		for _, run := range rev.Runs {
			batches = append(batches, run.Batch)
		}
	}
	// The oldest version in the clone holds nights 2 and 3 (window 2); night 1 is lost.
	if got := strings.Join(batches, " "); got != "nightly-02 nightly-03 nightly-04" {
		t.Errorf("batches %s, want nightly-02 to 04", got)
	}
}

// oneNight returns a repository whose store in dir (b/) holds night 1, committed.
func oneNight(t *testing.T) (*gitRepo, string, *Store) {
	r := newGitRepo(t)
	dir := filepath.Join(r.root, "b")
	s := &Store{Dir: dir}
	s.Merge([]bench.Run{nightRun(1, 100)}, 10)
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	r.commit("night 1")
	return r, dir, s
}

// TestRevisionsDamagedVersion names the commit and line of a committed store that does not
// parse.
func TestRevisionsDamagedVersion(t *testing.T) {
	r, dir, s := oneNight(t)
	data, _ := os.ReadFile(s.Path())
	bad := string(data) + "\n# perfgate run batch=nightly-02\nBenchmarkTrain/tp=8 1 oops TFLOPS/GPU\n"
	if err := os.WriteFile(s.Path(), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	c := r.commit("night 2, damaged")
	_, err := Revisions(context.Background(), dir)
	if err == nil {
		t.Fatal("a damaged committed store was accepted")
	}
	lines := strings.Count(bad, "\n")
	want := fmt.Sprintf("b/baseline.txt@%s:%d", c[:12], lines)
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name %s", err, want)
	}
}

func TestRevisionsOutsideGit(t *testing.T) {
	t.Setenv("GIT_CEILING_DIRECTORIES", os.TempDir())
	dir := t.TempDir()
	_, err := Revisions(context.Background(), dir)
	if !errors.Is(err, ErrNotInGit) {
		t.Errorf("outside git: err = %v, want ErrNotInGit", err)
	}
}

// TestRevisionsEmptyAfterDeletion: the newest commit deleted the store and the work tree
// holds an empty one; it is damage to name, not a version already read.
func TestRevisionsEmptyAfterDeletion(t *testing.T) {
	r, dir, s := oneNight(t)
	r.git("rm", "-q", "b/"+FileName)
	r.commit("drop the store")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.Path(), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Revisions(context.Background(), dir); err == nil || !strings.Contains(err.Error(), "empty file") {
		t.Errorf("an empty store after its deletion: err = %v, want it named empty", err)
	}
}
