package baseline

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/ingest"
)

func seedRuns(t *testing.T) []bench.Run {
	t.Helper()
	runs, err := ingest.ReadPaths([]string{"../testdata/seed/sweep-70b-32nodes.txt"}, &ingest.Options{Batch: "seed", SkipIters: -1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range runs {
		runs[i].Date = "2026-11-24T03:00:00Z"
	}
	return runs
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s := &Store{Dir: dir}
	st := s.Merge(seedRuns(t), DefaultWindow)
	if st.Added != 17 {
		t.Fatalf("added %d, want 17", st.Added)
	}
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	back, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Runs) != 17 {
		t.Fatalf("read back %d runs, want 17", len(back.Runs))
	}
	for i, r := range back.Runs {
		want := s.Runs[i]
		if r.Config.Key() != want.Config.Key() || r.Outcome != want.Outcome || r.Batch != "seed" {
			t.Errorf("run %d: got %s %s %s, want %s %s", i, r.Config.Key(), r.Outcome, r.Batch, want.Config.Key(), want.Outcome)
		}
		if diff := cmp.Diff(want.Metrics, r.Metrics); diff != "" {
			t.Errorf("run %d metrics (-want +got):\n%s", i, diff)
		}
	}
	if back.Runs[5].Reason != "sweep-70b-32nodes.txt:11: OOM in the time column" {
		t.Errorf("failure reason lost: %q", back.Runs[5].Reason)
	}
}

func TestMergeIdempotentAndWindow(t *testing.T) {
	dir := t.TempDir()
	s := &Store{Dir: dir}
	s.Merge(seedRuns(t), 3)
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(s.Path())
	st := s.Merge(seedRuns(t), 3)
	if st.Added != 0 || len(st.Replaced) != 1 {
		t.Errorf("second merge of the same batch: %+v", st)
	}
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(s.Path())
	if string(first) != string(second) {
		t.Errorf("merging the same batch twice changed the store:\n%s", cmp.Diff(string(first), string(second)))
	}
	// Four more batches: each config keeps its newest 3 runs.
	for _, b := range []string{"n1", "n2", "n3", "n4"} {
		runs := seedRuns(t)
		for i := range runs {
			runs[i].Batch = b
		}
		s.Merge(runs, 3)
	}
	count := map[string]int{}
	for _, r := range s.Runs {
		count[r.Config.Key()]++
		if r.Batch == "seed" || r.Batch == "n1" {
			// The duplicated seed config has two runs per batch, so n2 may survive only
			// partially; seed and n1 must be gone entirely.
			t.Errorf("run of batch %s survived a window of 3", r.Batch)
		}
	}
	for k, n := range count {
		if n != 3 {
			t.Errorf("%s: %d runs kept, want 3", k, n)
		}
	}
}

func TestParseErrors(t *testing.T) {
	const head = "# perfgate baseline v1\nUnit s/iter better=lower\n"
	tests := []struct {
		name, in, want string
	}{
		{"not a baseline", "hello\n", "b.txt:1: not a perfgate baseline"},
		{"result before run", head + "BenchmarkTrain/tp=8 1 5 s/iter\n", "b.txt:3: result line before any '# perfgate run' line"},
		{"unknown unit", head + "# perfgate run batch=a\nBenchmarkTrain/tp=8 1 5 TFLOPS\n", `b.txt:4: metric "TFLOPS" has no 'Unit TFLOPS better=higher|lower' line`},
		{"bad number", head + "# perfgate run batch=a\nBenchmarkTrain/tp=8 1 x5 s/iter\n", "b.txt:4: parsing measurement"},
		{"NaN", head + "# perfgate run batch=a\nBenchmarkTrain/tp=8 1 NaN s/iter\n", `b.txt:4: metric "s/iter": value is NaN`},
		{"negative", head + "# perfgate run batch=a\nBenchmarkTrain/tp=8 1 -3 s/iter\n", `b.txt:4: metric "s/iter": value -3 is negative`},
		{"dup batch", head + "# perfgate run batch=a\n# perfgate run batch=b\n# perfgate run batch=a\n", `b.txt:5: batch "a" already opened at line 3`},
		{"bad fail", head + "# perfgate run batch=a\n# perfgate fail ok BenchmarkTrain/tp=8\n", `b.txt:4: failure line: outcome "ok" is not oom or error`},
		{"bad key", head + "# perfgate run batch=a\nBenchmarkTrain/tp 1 5 s/iter\n", `b.txt:4: config part "tp" is not key=value`},
		{"bad quote", head + "# perfgate run batch=\"a\n", `b.txt:3: run line: batch: bad quoted value`},
		{"file config", head + "goos: linux\n# perfgate run batch=a\nBenchmarkTrain/tp=8 1 5 s/iter\n", `b.txt:5: unexpected file configuration "goos"`},
		{"source before run", head + "# perfgate source=x.txt\n", "b.txt:3: source line before any '# perfgate run' line"},
		{"source extra field", head + "# perfgate run batch=a\n# perfgate source=x.txt y=1\n", "b.txt:4: source line: want only source=FILE"},
		{"source bad quote", head + "# perfgate run batch=a\n# perfgate source=\"x\n", "b.txt:4: source line: source: bad quoted value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("b.txt", []byte(tt.in))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("got error %v, want prefix %q", err, tt.want)
			}
		})
	}
}

// TestParseFailureLenient: the store reads its failure lines with gobench.ParseFailure, as
// leniently as it always has, so that no store that read before is refused: a name without
// "Benchmark", fields besides reason= (ignored), and no reason at all.
func TestParseFailureLenient(t *testing.T) {
	in := "# perfgate baseline v1\nUnit s/iter better=lower\n# perfgate run batch=a\n" +
		"BenchmarkTrain/tp=1 1 5 s/iter\n" +
		"# perfgate fail oom Train/tp=2 reason=x\n" +
		"# perfgate fail error BenchmarkTrain/tp=4 why=later reason=\"a b\"\n" +
		"# perfgate fail oom BenchmarkTrain/tp=8\r\n"
	runs, err := Parse("b.txt", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range runs {
		got = append(got, fmt.Sprintf("%s %s %q %s", r.Outcome, r.ConfigKey(), r.Reason, r.Source))
	}
	want := []string{`ok tp=1 "" b.txt:4`, `oom tp=2 "x" b.txt:5`, `error tp=4 "a b" b.txt:6`, `oom tp=8 "" b.txt:7`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
	for _, tt := range []struct{ line, want string }{
		{"# perfgate fail oom", `b.txt:5: failure line: want '# perfgate fail OUTCOME NAME reason="…"'`},
		{"# perfgate fail oom BenchmarkTrain/tp=2 reason=\"x", "b.txt:5: failure line: reason: bad quoted value"},
		{"# perfgate fail oom BenchmarkTrain/tp=2/tp=4", `b.txt:5: failure line: config key "tp" appears twice`},
	} {
		bad := "# perfgate baseline v1\nUnit s/iter better=lower\n# perfgate run batch=a\nBenchmarkTrain/tp=1 1 5 s/iter\n" + tt.line + "\n"
		if _, err := Parse("b.txt", []byte(bad)); err == nil || err.Error() != tt.want {
			t.Errorf("%q: err = %v, want %q", tt.line, err, tt.want)
		}
	}
}

func TestOpenMissing(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "nope"))
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("got %v", err)
	}
}

// TestBenchstatReads checks the promise that stock benchstat reads a store without error.
// benchstat is a tool dependency in go.mod, so "go tool benchstat" runs the pinned version
// wherever the tests run (it is built from the module cache on first use).
func TestBenchstatReads(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to run the pinned benchstat (go tool benchstat): %v", err)
	}
	dir := t.TempDir()
	s := &Store{Dir: dir}
	s.Merge(seedRuns(t), DefaultWindow)
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(goBin, "tool", "benchstat", s.Path()).CombinedOutput()
	if err != nil || strings.Contains(string(out), "baseline.txt:") {
		t.Fatalf("benchstat: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "TFLOPS/GPU") {
		t.Errorf("benchstat output lacks the TFLOPS table:\n%s", out)
	}
}

// TestLongReasonRoundTrips: a failure's reason quotes the input that proves it, and a log line
// can be longer than the 64 KiB lines benchfmt reads. Such a store was refused on its
// read-back (exit 3, "token too long" at the line before), so one long OOM line stopped every
// nightly update; it is written and read back whole, and the runs after it keep their lines.
func TestLongReasonRoundTrips(t *testing.T) {
	runs := seedRuns(t)
	long := "train.log:7: " + strings.Repeat("CUDA out of memory. ", 5000)
	for i := range runs {
		if runs[i].Outcome == bench.OOM {
			runs[i].Reason = long
			break
		}
	}
	dir := t.TempDir()
	s := &Store{Dir: dir}
	s.Merge(runs, DefaultWindow)
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	back, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Runs) != len(runs) {
		t.Fatalf("read back %d runs, want %d", len(back.Runs), len(runs))
	}
	found := false
	for i, r := range back.Runs {
		found = found || r.Reason == long
		if diff := cmp.Diff(s.Runs[i].Metrics, r.Metrics); diff != "" {
			t.Errorf("run %d (%s) metrics (-want +got):\n%s", i, r.Source, diff)
		}
	}
	if !found {
		t.Error("the long reason was not read back whole")
	}
}

// TestMergeBackfillByDate: the window keeps each config's newest runs by date. A batch
// ingested late with an older --date (a backfill, a re-run of an old night) went after the
// stored batches and so counted as the newest: it pushed a newer night out of the window and
// stayed in it, where the merge driver, which orders batches by date, would have dropped it.
func TestMergeBackfillByDate(t *testing.T) {
	night := func(day int) []bench.Run {
		runs := seedRuns(t)
		for i := range runs {
			runs[i].Batch = fmt.Sprintf("n%d", day)
			runs[i].Date = fmt.Sprintf("2026-11-%02dT03:00:00Z", day)
		}
		return runs
	}
	batches := func(s *Store) []string {
		var bs []string
		for _, r := range s.Runs {
			if len(bs) == 0 || bs[len(bs)-1] != r.Batch {
				bs = append(bs, r.Batch)
			}
		}
		return bs
	}
	s := &Store{Dir: t.TempDir()}
	for _, day := range []int{5, 6, 7} {
		s.Merge(night(day), 3)
	}
	s.Merge(night(1), 3)
	if got, want := batches(s), []string{"n5", "n6", "n7"}; !slices.Equal(got, want) {
		t.Errorf("after a backfill of night 1, a window of 3 keeps %v, want %v", got, want)
	}
	s.Merge(night(6), 3) // a re-ingest stays where it is
	s.Merge(night(4), 0) // without a window, the backfill is kept in its place
	if got, want := batches(s), []string{"n4", "n5", "n6", "n7"}; !slices.Equal(got, want) {
		t.Errorf("batches %v, want %v", got, want)
	}
	// A store whose batches are not all dated orders the dated ones, each undated batch right
	// after the batch it followed: one undated batch kept the whole store in the order of
	// ingest, and a backfill went after every night (review).
	u := &Store{Dir: t.TempDir()}
	undated := night(9)
	for i := range undated {
		undated[i].Date = ""
	}
	u.Merge(night(5), 3)
	u.Merge(undated, 3)
	u.Merge(night(1), 3)
	if got, want := batches(u), []string{"n1", "n5", "n9"}; !slices.Equal(got, want) {
		t.Errorf("a store with an undated batch: batches %v, want %v", got, want)
	}
}

// Matrix shards that share one --run-id each add their configs to the night's batch, and a
// re-run of one shard replaces just its configs' runs: replacing the whole batch kept only
// the last shard's runs.
func TestMergeShardsShareRunID(t *testing.T) {
	runs := seedRuns(t)
	var first []string // the first shard's configs
	for _, r := range runs {
		if k := r.ConfigKey(); len(first) < 4 && !slices.Contains(first, k) {
			first = append(first, k)
		}
	}
	var shard1, shard2 []bench.Run
	for _, r := range runs {
		r.Batch = "nightly-77"
		if slices.Contains(first, r.ConfigKey()) {
			shard1 = append(shard1, r)
		} else {
			shard2 = append(shard2, r)
		}
	}
	s := &Store{Dir: t.TempDir()}
	s.Merge(shard1, DefaultWindow)
	st := s.Merge(shard2, DefaultWindow)
	if len(s.Runs) != len(runs) || st.Added != len(shard2) || st.ReplacedRuns != 0 {
		t.Fatalf("second shard: %d runs stored, want %d; stats %+v", len(s.Runs), len(runs), st)
	}
	// The first shard again (a re-run under the same id): its runs are replaced, the second
	// shard's stay.
	again := slices.Clone(shard1)
	for i := range again {
		again[i].Commit = "rerun"
	}
	st = s.Merge(again, DefaultWindow)
	if len(s.Runs) != len(runs) || st.Added != 0 || st.ReplacedRuns != len(shard1) || !slices.Equal(st.Replaced, []string{"nightly-77"}) {
		t.Fatalf("re-run of the first shard: %d runs stored, want %d; stats %+v", len(s.Runs), len(runs), st)
	}
	var rerun int
	for _, r := range s.Runs {
		if r.Commit == "rerun" {
			rerun++
		}
	}
	if rerun != len(shard1) {
		t.Errorf("%d runs of the re-run stored, want %d", rerun, len(shard1))
	}
	// Saved and read back, each run keeps its own commit and date: the re-run's block
	// continues the batch in a block of its own.
	for i := range s.Runs {
		if s.Runs[i].Commit != "rerun" {
			s.Runs[i].Date = "2026-11-24T02:00:00Z"
		}
	}
	want := slices.Clone(s.Runs)
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	back, err := Open(s.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Runs) != len(want) {
		t.Fatalf("read back %d runs, want %d", len(back.Runs), len(want))
	}
	for i := range want {
		if g, w := back.Runs[i], want[i]; g.Batch != w.Batch || g.Date != w.Date || g.Commit != w.Commit {
			t.Errorf("run %d read back as %s/%s/%s, want %s/%s/%s", i, g.Batch, g.Date, g.Commit, w.Batch, w.Date, w.Commit)
		}
	}
}

// Shards stored one after the other under one run id, with the night's date and commit (as
// 'baseline update' gives a shard without a --date of its own), each keep their source file:
// the second shard's runs are not recorded as the first's.
func TestShardsKeepTheirSource(t *testing.T) {
	runs := seedRuns(t)
	for i := range runs {
		runs[i].Batch, runs[i].Commit = "nightly-7", "abc123"
		runs[i].File = "shardA.txt"
		if i >= 5 {
			runs[i].File = "shardB.txt"
		}
		if i >= 12 {
			runs[i].File = "" // a run of unknown source is not the previous shard's either
		}
	}
	s := &Store{Dir: t.TempDir()}
	s.Merge(runs[:5], DefaultWindow)
	s.Merge(runs[5:], DefaultWindow)
	want := slices.Clone(s.Runs)
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "\n"+runPrefix); n != 1 {
		t.Errorf("%d run lines, want 1 (one batch, one date and commit):\n%s", n, data)
	}
	back, err := Open(s.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Runs) != len(want) {
		t.Fatalf("read back %d runs, want %d", len(back.Runs), len(want))
	}
	files := map[string]int{}
	for i, r := range back.Runs {
		files[r.File]++
		if r.File != want[i].File {
			t.Errorf("run %d (%s) read back from source %q, want %q", i, r.Source, r.File, want[i].File)
		}
	}
	if len(files) != 3 {
		t.Errorf("read back runs of sources %v, want shardA.txt, shardB.txt and none", files)
	}
	// Rewritten, the store is the same bytes.
	if err := back.Save(); err != nil {
		t.Fatal(err)
	}
	again, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(data) {
		t.Errorf("rewrite changed the store:\n%s\nwas:\n%s", again, data)
	}
}

// A shard re-run days later under its night's run id keeps the night's place: the window
// then still drops that night first, not a newer night of the other shard's configs.
func TestMergeShardRerunKeepsPlace(t *testing.T) {
	runs := seedRuns(t)
	first := runs[0].ConfigKey()
	night := func(id, date string, only func(string) bool) []bench.Run {
		var out []bench.Run
		for _, r := range runs {
			if only(r.ConfigKey()) {
				r.Batch, r.Date = id, date
				out = append(out, r)
			}
		}
		return out
	}
	all := func(string) bool { return true }
	s := &Store{Dir: t.TempDir()}
	s.Merge(night("n5", "2026-11-05T03:00:00Z", all), 3)
	s.Merge(night("n6", "2026-11-06T03:00:00Z", all), 3)
	s.Merge(night("n7", "2026-11-07T03:00:00Z", all), 3)
	s.Merge(night("n5", "2026-11-08T09:00:00Z", func(k string) bool { return k == first }), 3) // the re-run
	s.Merge(night("n8", "2026-11-08T03:00:00Z", all), 3)
	for _, r := range s.Runs {
		if r.ConfigKey() != first && r.Batch == "n5" {
			t.Fatalf("config %s kept night n5 and dropped a newer night: %v", r.ConfigKey(), batchesOf(s.Runs, r.ConfigKey()))
		}
	}
	if got := batchesOf(s.Runs, first); !slices.Equal(got, []string{"n6", "n7", "n8"}) {
		t.Errorf("re-run config keeps %v, want n6 n7 n8", got)
	}
}

func batchesOf(runs []bench.Run, key string) []string {
	var out []string
	for _, r := range runs {
		if r.ConfigKey() == key && !slices.Contains(out, r.Batch) {
			out = append(out, r.Batch)
		}
	}
	return out
}

// A conflicted version read from git's history (path@commit) gets a hint that works for a
// merge committed unresolved, not "git checkout -m -- path@commit", which is no path.
func TestConflictInCommittedVersion(t *testing.T) {
	data := "# perfgate baseline v2\n<<<<<<< ours\n=======\n>>>>>>> theirs\n"
	_, err := Parse("perf/baseline/baseline.txt@57c154b28a69", []byte(data))
	if err == nil || !strings.Contains(err.Error(), "commit 57c154b28a69 recorded the store with an unresolved merge") ||
		!strings.Contains(err.Error(), "git show 57c154b28a69^1:perf/baseline/baseline.txt > ours.txt") ||
		strings.Contains(err.Error(), "checkout -m") {
		t.Errorf("conflict in a committed version: %v", err)
	}
	_, err = Parse("perf/baseline/baseline.txt", []byte(data))
	if err == nil || !strings.Contains(err.Error(), "git checkout -m -- perf/baseline/baseline.txt") {
		t.Errorf("conflict in the work tree: %v", err)
	}
}

// A rewrite of the store keeps each run's count field, the samples its median summarises
// (it became 1 on the first rewrite).
func TestRewriteKeepsSampleCount(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	s.Merge(seedRuns(t), DefaultWindow)
	s.Runs[0].Metrics[0].Values = []float64{46.3, 46.4, 46.2}
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // read back and rewrite twice
		back, err := Open(s.Dir)
		if err != nil {
			t.Fatal(err)
		}
		if got := back.Runs[0].Metrics[0].Count(); got != 3 {
			t.Fatalf("rewrite %d: count %d, want 3", i, got)
		}
		if err := back.Save(); err != nil {
			t.Fatal(err)
		}
	}
}
