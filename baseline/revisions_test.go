package baseline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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

// revBatches returns the batches of the runs of revs, in order.
func revBatches(revs ...Revision) []string {
	var batches []string
	for _, rev := range revs {
		for _, run := range rev.Runs {
			batches = append(batches, run.Batch)
		}
	}
	return batches
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
	recent, _, err := RecentRevisions(context.Background(), dir, "", 2)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, rev := range recent {
		got = append(got, bench.ShortCommit(rev.Commit)+":"+strings.Join(revBatches(rev), ","))
	}
	want := []string{bench.ShortCommit(commits[3]) + ":nightly-03,nightly-04", bench.ShortCommit(commits[4]) + ":nightly-05", ":nightly-06"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("last 2 commits: %v, want %v", got, want)
	}

	// At a ref: its history only, without the work tree's uncommitted night.
	atRef, _, err := RecentRevisions(context.Background(), dir, commits[2], 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(atRef) != 3 || atRef[2].Commit != commits[2] {
		t.Errorf("history at night 3's commit: %d revisions %+v, want nights 1-3", len(atRef), atRef)
	}
	for _, bad := range []string{"no-such-ref", "--all"} {
		if _, _, err := RecentRevisions(context.Background(), dir, bad, 0); err == nil {
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
	batches := revBatches(revs...)
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
	// The current version is checked whole: the run line appended after the closing line is
	// named first, before its bad value.
	lines := strings.Count(bad, "\n")
	want := fmt.Sprintf("b/baseline.txt@%s:%d: content after the closing line", c[:12], lines-1)
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name %s", err, want)
	}
}

// damagedThenFixed commits nights 1 and 2, then night 3 with a merge-conflict marker, then
// night 4 that removes it; it returns the repository, the store's directory, the store and
// the damaged commit, and the line of its marker.
func damagedThenFixed(t *testing.T) (r *gitRepo, dir string, s *Store, bad string, line int) {
	t.Helper()
	r, dir, s = oneNight(t)
	s.Merge([]bench.Run{nightRun(2, 100)}, 10)
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	r.commit("night 2")
	s.Merge([]bench.Run{nightRun(3, 100)}, 10)
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(s.Path())
	head, _, _ := strings.Cut(string(data), "\n")
	damaged := head + "\n<<<<<<< HEAD\n" + strings.TrimPrefix(string(data), head+"\n")
	if err := os.WriteFile(s.Path(), []byte(damaged), 0o644); err != nil {
		t.Fatal(err)
	}
	bad = r.commit("night 3, with a conflict marker")
	s.Merge([]bench.Run{nightRun(4, 100)}, 10)
	if err := s.Save(); err != nil { // writes the store whole, without the marker
		t.Fatal(err)
	}
	r.commit("night 4, repaired")
	return r, dir, s, bad, 2
}

// TestRecentRevisionsSkipsDamagedVersion: a damaged older version is left out, named, and the
// history goes on from the versions after it, which still hold its night; Revisions stays
// strict.
func TestRecentRevisionsSkipsDamagedVersion(t *testing.T) {
	_, dir, _, bad, line := damagedThenFixed(t)
	revs, skipped, err := RecentRevisions(context.Background(), dir, "", 0)
	if err != nil {
		t.Fatalf("a damaged older version broke the history: %v", err)
	}
	var batches []string
	for _, rev := range revs {
		if rev.Commit == bad {
			t.Errorf("the damaged commit %s is in the history", bad[:12])
		}
		for _, r := range rev.Runs {
			batches = append(batches, r.Batch)
		}
	}
	if got := strings.Join(batches, " "); got != "nightly-01 nightly-02 nightly-03 nightly-04" {
		t.Errorf("batches %s, want nights 1-4 (night 3 from the repaired version)", got)
	}
	if len(skipped.Versions) != 1 {
		t.Fatalf("skipped %+v, want the damaged version", skipped)
	}
	d := skipped.Versions[0]
	want := fmt.Sprintf("b/baseline.txt@%s:%d: git merge-conflict marker", bad[:12], line)
	if d.Commit != bad || !strings.HasPrefix(d.String(), want) || strings.Contains(d.String(), "\n") {
		t.Errorf("skipped version %q (commit %s), want one line starting %q", d, d.Commit, want)
	}
	if d.Lost {
		t.Error("the damaged version's nights are all in the repaired one, but it is reported lost")
	}
	if d.Newer != 2 || skipped.OlderRead != 2 || skipped.All() {
		t.Errorf("newer %d, older read %d, all %v; want 2 (nights 3 and 4), 2 (nights 1 and 2), false", d.Newer, skipped.OlderRead, skipped.All())
	}
	if _, err := Revisions(context.Background(), dir); err == nil || !strings.Contains(err.Error(), bad[:12]) {
		t.Errorf("Revisions: err = %v, want the damaged version named", err)
	}
}

// TestRecentRevisionsLostNight: a damaged version whose night no later version holds is
// reported lost, with the number of nights recorded after it.
func TestRecentRevisionsLostNight(t *testing.T) {
	r, dir, s := oneNight(t)
	data, _ := os.ReadFile(s.Path())
	bad := string(data) + "# perfgate run batch=nightly-02\nBenchmarkTrain/tp=8 1 oops TFLOPS/GPU\n"
	if err := os.WriteFile(s.Path(), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	r.commit("night 2, damaged")
	s.Merge([]bench.Run{nightRun(3, 100)}, 10)
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	r.commit("night 3")
	_, skipped, err := RecentRevisions(context.Background(), dir, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped.Versions) != 1 || !skipped.Versions[0].Lost || skipped.Versions[0].Newer != 1 {
		t.Errorf("skipped %+v, want one version, lost, with 1 night after it", skipped.Versions)
	}
}

// TestRecentRevisionsCurrentDamaged: the current store cannot be left out: the newest commit
// when the work tree holds it, the ref's version, and the work tree's own version.
func TestRecentRevisionsCurrentDamaged(t *testing.T) {
	r, dir, s, _, _ := damagedThenFixed(t)
	data, _ := os.ReadFile(s.Path())
	head, rest, _ := strings.Cut(string(data), "\n")
	damaged := head + "\n=======\n" + rest
	if err := os.WriteFile(s.Path(), []byte(damaged), 0o644); err != nil {
		t.Fatal(err)
	}
	// The work tree's version is the current store.
	if _, _, err := RecentRevisions(context.Background(), dir, "", 0); err == nil || !strings.Contains(err.Error(), "merge-conflict") {
		t.Errorf("damaged work tree: err = %v, want an error", err)
	}
	c := r.commit("night 4 damaged again")
	for _, ref := range []string{"", "HEAD"} {
		_, skipped, err := RecentRevisions(context.Background(), dir, ref, 0)
		if err == nil || !strings.Contains(err.Error(), c[:12]) {
			t.Errorf("ref %q: damaged newest commit: err = %v (skipped %v), want it named", ref, err, skipped.Versions)
		}
	}
	// Every older version damaged: said by All.
	r2 := newGitRepo(t)
	s2 := &Store{Dir: filepath.Join(r2.root, "b")}
	s2.Merge([]bench.Run{nightRun(1, 100)}, 10)
	if err := s2.Save(); err != nil {
		t.Fatal(err)
	}
	d2, _ := os.ReadFile(s2.Path())
	h2, rest2, _ := strings.Cut(string(d2), "\n")
	if err := os.WriteFile(s2.Path(), []byte(h2+"\n>>>>>>> theirs\n"+rest2), 0o644); err != nil {
		t.Fatal(err)
	}
	r2.commit("night 1, damaged")
	s2.Merge([]bench.Run{nightRun(2, 100)}, 10)
	if err := s2.Save(); err != nil {
		t.Fatal(err)
	}
	r2.commit("night 2")
	revs, sk, err := RecentRevisions(context.Background(), s2.Dir, "", 0)
	if err != nil || !sk.All() || len(revs) != 1 || len(revs[0].Runs) != 2 {
		t.Errorf("first version damaged: err %v, all %v, %d revisions; want no error, all, the current one with both nights", err, sk.All(), len(revs))
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

// TestRevisionsFollowMoves: a store moved (git mv) keeps its history. Nights 1-3 are committed
// under "perf/old *[x]" (a path with pattern characters), the store is moved twice, to
// "perf/mid" and then to "perf/store", with nights committed between, and the listing reaches
// back to night 1, each version read at the path it had in its commit. The -n limit counts
// commits across the moves.
func TestRevisionsFollowMoves(t *testing.T) {
	r := newGitRepo(t)
	paths := []string{"perf/old *[x]", "perf/mid", "perf/store"}
	// A store at a path that looks like old's pattern, which :(literal) must not match.
	decoy := &Store{Dir: filepath.Join(r.root, "perf", "old a[x]")}
	decoy.Merge([]bench.Run{nightRun(20, 1)}, 3)
	if err := decoy.Save(); err != nil {
		t.Fatal(err)
	}
	night := 0
	for k, p := range paths {
		if k > 0 {
			r.git("mv", paths[k-1], p)
			r.commit("move the store to " + p)
		}
		s := &Store{Dir: filepath.Join(r.root, filepath.FromSlash(p))}
		if k > 0 {
			var err error
			if s, err = Open(s.Dir); err != nil {
				t.Fatal(err)
			}
		}
		for j := 0; j < 3; j++ {
			night++
			s.Merge([]bench.Run{nightRun(night, 100+float64(night))}, 2)
			if err := s.Save(); err != nil {
				t.Fatal(err)
			}
			r.commit(fmt.Sprintf("night %d", night))
		}
	}
	dir := filepath.Join(r.root, "perf", "store")
	revs, err := Revisions(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	batches := revBatches(revs...)
	if len(batches) != 9 || batches[0] != "nightly-01" || batches[8] != "nightly-09" {
		t.Fatalf("history of the moved store: batches %v, want nightly-01 … nightly-09", batches)
	}
	if len(revs) != 11 || revs[0].Path != paths[0]+"/"+FileName || revs[3].Path != paths[1]+"/"+FileName || revs[10].Path != paths[2]+"/"+FileName {
		var got []string
		for _, rev := range revs {
			got = append(got, rev.Path)
		}
		t.Errorf("paths of the %d versions: %q, want 9 nights and 2 moves at their paths", len(revs), got)
	}
	// The last 6 commits: nights 5-9 and the second move; the oldest, night 5's, under mid.
	recent, skipped, err := RecentRevisions(context.Background(), dir, "", 6)
	if err != nil || len(skipped.Versions) > 0 {
		t.Fatal(err, skipped)
	}
	if len(recent) != 6 || recent[0].Path != paths[1]+"/"+FileName {
		t.Fatalf("last 6 commits: got %d versions, oldest at %q, want 6, the oldest under %s", len(recent), recent[0].Path, paths[1])
	}
	if got := recent[0].Runs; len(got) != 2 || got[0].Batch != "nightly-04" || got[1].Batch != "nightly-05" {
		t.Errorf("the oldest recent version, read whole: %v, want nights 4 and 5", got)
	}
}

// TestRevisionsDeletedAndRecreated: a store deleted and re-created at the same path keeps the
// nights committed before the deletion (the listing is the path's, not a move's).
func TestRevisionsDeletedAndRecreated(t *testing.T) {
	r, dir, s := oneNight(t)
	r.git("rm", "-q", "b/"+FileName)
	r.commit("drop the store")
	s = &Store{Dir: dir}
	s.Merge([]bench.Run{nightRun(2, 102)}, 2)
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	r.commit("a new store")
	revs, err := Revisions(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	batches := revBatches(revs...)
	if len(batches) != 2 || batches[0] != "nightly-01" || batches[1] != "nightly-02" {
		t.Errorf("a re-created store's history: %v, want nightly-01 and nightly-02", batches)
	}
}

// TestRevisionsReusedRunID: a batch id reused every night (--run-id nightly) replaces the
// stored run each night. The history keeps each night's run, the replaced ones as
// "nightly@DATE", and a re-ingest on the same date replaces the values it had: what the store
// holds now is what the history shows for it, in full and in the last commits alike.
func TestRevisionsReusedRunID(t *testing.T) {
	r := newGitRepo(t)
	dir := filepath.Join(r.root, "b")
	s := &Store{Dir: dir}
	night := func(day int, v float64) {
		run := nightRun(day, v)
		run.Batch = "nightly"
		s.Merge([]bench.Run{run}, 3)
		if err := s.Save(); err != nil {
			t.Fatal(err)
		}
		r.commit(fmt.Sprintf("night %d: %v", day, v))
	}
	night(1, 150)
	night(2, 140)
	night(3, 131)
	night(3, 130) // the third night re-ingested: its values are corrected
	if len(s.Runs) != 1 || s.Runs[0].Metrics[0].Values[0] != 130 {
		t.Fatalf("the store holds %v, want the one run of value 130", s.Runs)
	}
	type point struct {
		batch string
		value float64
	}
	want := []point{{"nightly@2026-11-01T03:00:00Z", 150}, {"nightly@2026-11-02T03:00:00Z", 140}, {"nightly", 130}}
	for _, n := range []int{0, 3} {
		revs, _, err := RecentRevisions(context.Background(), dir, "", n)
		if err != nil {
			t.Fatal(err)
		}
		var got []point
		for _, rev := range revs {
			for _, run := range rev.Runs {
				got = append(got, point{run.Batch, run.Metrics[0].Values[0]})
			}
		}
		if n == 3 {
			// The oldest of the last 3 commits is night 2's: night 1 is beyond them.
			if len(got) != 2 || got[0] != want[1] || got[1] != want[2] {
				t.Errorf("last 3 commits: runs %v, want %v", got, want[1:])
			}
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("runs %v, want %v", got, want)
		}
	}
}

// TestRevisionsCurrentStoreCheckedWhole: the history reads each version through a filtered
// copy that its closing line cannot count, so the current store (the work tree's, or the
// newest commit's) is checked whole first: cut at a line's end, or stripped of a run line, it
// is an error, as Open makes it, not a smaller history.
func TestRevisionsCurrentStoreCheckedWhole(t *testing.T) {
	r, dir, s := oneNight(t)
	s.Merge([]bench.Run{nightRun(2, 100)}, 10)
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	r.commit("night 2")
	data, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	cut := string(data[:bytes.LastIndex(data, []byte("\nBenchmarkTrain"))+1]) // without the last result and the closing line
	first := bytes.Index(data, []byte("\nBenchmarkTrain")) + 1                // the first result line
	stripped := string(data[:first]) + string(data[first+bytes.IndexByte(data[first:], '\n')+1:])
	for _, c := range []struct {
		name, data, want string
		commit           bool
	}{
		{"work tree cut at a line's end", cut, "without its closing '# perfgate end' line", false},
		{"work tree stripped of a run", stripped, "runs were removed", false},
		{"newest commit cut at a line's end", cut, "without its closing '# perfgate end' line", true},
	} {
		if err := os.WriteFile(s.Path(), []byte(c.data), 0o644); err != nil {
			t.Fatal(err)
		}
		if c.commit {
			r.commit(c.name)
		}
		_, _, err := RecentRevisions(context.Background(), dir, "", 0)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want an error containing %q", c.name, err, c.want)
		}
		if !c.commit {
			if err := os.WriteFile(s.Path(), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestRevisionsWindowDropsOneOfTwice: a sweep that lists a config twice records two runs of
// it in one batch; when the window later drops one of them, the version that holds only the
// other is the same run written again, not a re-ingest: the history keeps both runs with
// their own values, and the first version's median for the night does not change.
func TestRevisionsWindowDropsOneOfTwice(t *testing.T) {
	r := newGitRepo(t)
	dir := filepath.Join(r.root, "b")
	s := &Store{Dir: dir}
	seed := func(v float64) bench.Run {
		run := nightRun(1, v)
		run.Batch = "seed"
		return run
	}
	commit := func(runs ...bench.Run) {
		s.Merge(runs, 3)
		if err := s.Save(); err != nil {
			t.Fatal(err)
		}
		r.commit("night")
	}
	commit(seed(49.9), seed(46.3))
	commit(nightRun(2, 48))
	commit(nightRun(3, 47))
	commit(nightRun(4, 45))
	if len(s.Runs) != 3 {
		t.Fatalf("the store holds %d runs, want the window of 3", len(s.Runs))
	}
	revs, err := Revisions(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, rev := range revs {
		for _, run := range rev.Runs {
			got = append(got, fmt.Sprintf("%s=%v", run.Batch, run.Metrics[0].Values[0]))
		}
	}
	want := []string{"seed=49.9", "seed=46.3", "nightly-02=48", "nightly-03=47", "nightly-04=45"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("runs %v, want %v", got, want)
	}
}

// TestRevisionsReingestOneOfTwice: a re-ingest under the same run id and date that changes
// one of two runs of a config replaces that run's values and keeps the other's.
func TestRevisionsReingestOneOfTwice(t *testing.T) {
	r := newGitRepo(t)
	dir := filepath.Join(r.root, "b")
	s := &Store{Dir: dir}
	commit := func(vs ...float64) {
		var runs []bench.Run
		for _, v := range vs {
			run := nightRun(1, v)
			run.Batch = "seed"
			runs = append(runs, run)
		}
		s.Merge(runs, 5)
		if err := s.Save(); err != nil {
			t.Fatal(err)
		}
		r.commit("seed")
	}
	commit(100, 200)
	commit(200, 210)
	revs, err := Revisions(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []float64
	for _, rev := range revs {
		for _, run := range rev.Runs {
			if run.Batch != "seed" {
				t.Errorf("run of batch %s, want seed", run.Batch)
			}
			got = append(got, run.Metrics[0].Values[0])
		}
	}
	slices.Sort(got)
	if fmt.Sprint(got) != fmt.Sprint([]float64{200, 210}) {
		t.Errorf("runs %v, want the re-ingested 200 and 210", got)
	}
}

// TestRevisionsIgnoresUserLogConfig: a user's or repository's git config log.follow=true
// makes git log PATH follow renames itself, which stops at the store's move; the history of a
// moved store must not depend on it.
func TestRevisionsIgnoresUserLogConfig(t *testing.T) {
	r := newGitRepo(t)
	s := &Store{Dir: filepath.Join(r.root, "perf", "baseline")}
	for i := 1; i <= 4; i++ {
		s.Merge([]bench.Run{nightRun(i, 100+float64(i))}, 2)
		if err := s.Save(); err != nil {
			t.Fatal(err)
		}
		r.commit(fmt.Sprintf("night %d", i))
	}
	r.git("mv", "perf/baseline", "perf/store")
	r.commit("move the store")
	dir := filepath.Join(r.root, "perf", "store")
	global := filepath.Join(t.TempDir(), "gitconfig")
	if err := os.WriteFile(global, []byte("[log]\n\tfollow = true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GIT_CONFIG_GLOBAL", global)
	r.git("config", "log.follow", "true")
	revs, err := Revisions(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := revBatches(revs...); len(revs) != 5 || fmt.Sprint(got) != "[nightly-01 nightly-02 nightly-03 nightly-04]" {
		t.Errorf("with log.follow=true: %d versions, batches %v, want 5 versions and nights 1-4", len(revs), got)
	}
}
