package history

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/check"
)

// gitIn runs git in dir with a configuration of its own (no user or system config, a fixed
// author), failing t when it fails.
func gitIn(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// TestOlderSkipsDamagedVersion: a damaged older version of the store (a commit with a
// merge-conflict marker) is left out of the memory and named in the remark; the older runs of
// the other versions still give the check its memory. When the only older version is the
// damaged one, the remark says no older version could be read.
func TestOlderSkipsDamagedVersion(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not on PATH")
	}
	run := func(night int) bench.Run {
		return bench.Run{
			Config: bench.Config{"tp": "8"}, Outcome: bench.OK, Batch: fmt.Sprintf("nightly-%02d", night),
			Date:    fmt.Sprintf("2026-11-%02dT03:00:00Z", night),
			Metrics: []bench.Metric{{Name: bench.MetricTFLOPS, Unit: bench.MetricTFLOPS, Better: bench.Higher, Values: []float64{150}}},
		}
	}
	// repo commits nights first..last with a window of 2; the store of night damaged is
	// committed with a conflict marker on its line 2, and the next night repairs it.
	repo := func(first, last, damaged int) (*baseline.Store, string) {
		root := t.TempDir()
		gitIn(t, root, "init", "-q")
		s := &baseline.Store{Dir: filepath.Join(root, "perf")}
		var bad string
		for n := first; n <= last; n++ {
			s.Merge([]bench.Run{run(n)}, 2)
			if err := s.Save(); err != nil {
				t.Fatal(err)
			}
			if n == damaged {
				data, _ := os.ReadFile(s.Path())
				head, rest, _ := strings.Cut(string(data), "\n")
				if err := os.WriteFile(s.Path(), []byte(head+"\n<<<<<<< HEAD\n"+rest), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			gitIn(t, root, "add", "-A")
			gitIn(t, root, "commit", "-q", "-m", fmt.Sprint("night ", n))
			if n == damaged {
				out, _ := exec.Command("git", "-C", root, "rev-parse", "--short=12", "HEAD").Output()
				bad = strings.TrimSpace(string(out))
				if err := s.Save(); err != nil { // the repair, in the next commit
					t.Fatal(err)
				}
			}
		}
		return s, bad
	}

	s, bad := repo(1, 6, 3)
	older, remark := Older(context.Background(), s.Dir, "", s.Runs)
	used, ok := remark.(check.MemoryUsed)
	if !ok {
		t.Fatalf("remark %#v, want check.MemoryUsed", remark)
	}
	if len(older) != 4 || used.Runs != 4 || used.Commits != 5 {
		t.Errorf("%d older runs, remark %+v; want nights 1-4 from the 5 commits read", len(older), used)
	}
	want := "perf/baseline.txt@" + bad + ":2: git merge-conflict marker"
	if used.Damaged != 1 || !strings.HasPrefix(used.Skipped, want) {
		t.Errorf("skipped %q, want one version named %q", used.Skipped, want)
	}

	// The damaged version is the only older one: no older version could be read.
	s, bad = repo(1, 2, 1)
	older, remark = Older(context.Background(), s.Dir, "", s.Runs)
	un, ok := remark.(check.MemoryUnavailable)
	if !ok || len(older) != 0 || !un.AllSkipped || un.Damaged != 1 || !strings.Contains(un.Skipped, bad) {
		t.Errorf("only older version damaged: %d older runs, remark %#v; want none, MemoryUnavailable naming %s with AllSkipped", len(older), remark, bad)
	}
}

// TestOlderReadOnce: under a ReadOnce context, Older reads a store's versions once and
// learns each current's older runs from them exactly as a fresh read would (the nightly update
// learns for the store before its merge and for the merged one); a commit after the first read
// is not seen, which shows the versions were not read again.
func TestOlderReadOnce(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not on PATH")
	}
	run := func(night int, tp string) bench.Run {
		return bench.Run{
			Config: bench.Config{"tp": tp}, Outcome: bench.OK, Batch: fmt.Sprintf("nightly-%02d", night),
			Date:    fmt.Sprintf("2026-11-%02dT03:00:00Z", night),
			Metrics: []bench.Metric{{Name: bench.MetricTFLOPS, Unit: bench.MetricTFLOPS, Better: bench.Higher, Values: []float64{150 + float64(night)}}},
		}
	}
	root := t.TempDir()
	gitIn(t, root, "init", "-q")
	s := &baseline.Store{Dir: filepath.Join(root, "perf")}
	commit := func(night int) {
		s.Merge([]bench.Run{run(night, "8"), run(night, "4")}, 2)
		if err := s.Save(); err != nil {
			t.Fatal(err)
		}
		gitIn(t, root, "add", "-A")
		gitIn(t, root, "commit", "-q", "-m", fmt.Sprint("night ", night))
	}
	for n := 1; n <= 5; n++ {
		commit(n)
	}
	ctx := ReadOnce(context.Background())
	before := slices.Clone(s.Runs)
	s.Merge([]bench.Run{run(6, "8")}, 2) // merged, not written: the update's second learning
	for _, current := range [][]bench.Run{before, s.Runs} {
		fresh, freshRemark := Older(context.Background(), s.Dir, "", current)
		once, onceRemark := Older(ctx, s.Dir, "", current)
		if len(fresh) == 0 || !reflect.DeepEqual(once, fresh) || !reflect.DeepEqual(onceRemark, freshRemark) {
			t.Fatalf("read once: %d older runs, %+v; fresh read: %d, %+v", len(once), onceRemark, len(fresh), freshRemark)
		}
		if cap(once) < len(once)+len(current) {
			t.Errorf("older runs have capacity %d, want room for the %d current runs after the %d older", cap(once), len(current), len(once))
		}
	}
	s.Runs = before
	commit(7)
	_, onceRemark := Older(ctx, s.Dir, "", before)
	_, freshRemark := Older(context.Background(), s.Dir, "", before)
	if onceRemark.(check.MemoryUsed).Commits != 5 || freshRemark.(check.MemoryUsed).Commits != 6 {
		t.Errorf("after a sixth commit: read once %+v, fresh %+v; want the 5 commits read first, and 6", onceRemark, freshRemark)
	}
}
