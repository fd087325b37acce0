package eval

import (
	"bytes"
	"context"
	"crypto/sha1"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/history"
)

// A Nightly describes a simulated nightly refresh: Configs configs benchmarked every night for
// Nights nights, each run's TFLOPS/GPU scattered log-normally by NoisePct around the config's
// level, with Steps injected, each night folded into a store with a window of Window runs per
// config and committed, one night per git commit.
type Nightly struct {
	Configs, Nights int
	NoisePct        float64
	Window          int
	Steps           []Step
	// OOMFrom maps a config index to the night it starts to run out of memory.
	OOMFrom map[int]int
}

// A Step multiplies a config's TFLOPS/GPU by 1+Pct/100 from night Night on.
type Step struct {
	Config, Night int
	Pct           float64
}

// NightlyConfig returns the i-th config of a simulated sweep: a 70B-style grid of tp, pp, mbs
// and flags at a few scales.
func NightlyConfig(i int) bench.Config {
	c := bench.Config{
		"model": "llama3-70b",
		"tp":    fmt.Sprint([]int{2, 4, 8}[i%3]),
		"pp":    fmt.Sprint([]int{1, 2, 4, 8}[i/3%4]),
		"mbs":   fmt.Sprint(1 + i/12%2),
		"gbs":   "1024",
		"flags": []string{"none", "dist-opt", "dist-opt+overlap-grad"}[i/24%3],
		"sl":    "4096",
		"nodes": fmt.Sprint([]int{32, 64, 16, 8}[i/72%4]),
	}
	if i >= 288 {
		c["seed"] = fmt.Sprint(i / 288) // keeps configs distinct beyond the grid
	}
	return c
}

// MeasuredCommit is the commit of the code night i measured: a made-up SHA-1.
func MeasuredCommit(night int) string {
	return fmt.Sprintf("%x", sha1.Sum([]byte(fmt.Sprintf("measured %d", night))))
}

// nightlyDate is the date of night i.
func nightlyDate(i int) time.Time {
	return time.Date(2026, 9, 1, 3, 0, 0, 0, time.UTC).Add(time.Duration(i) * 24 * time.Hour)
}

// WriteNightlyRepo creates a git repository in dir (which must not exist) whose
// perf/baseline store went through the nightly refreshes of n, one commit per night, written
// with git fast-import. It returns the baseline directory. The runs are the same as Nights
// returns for the same rng state.
func WriteNightlyRepo(ctx context.Context, dir string, n Nightly, rng *rand.Rand) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if err := runGit(ctx, dir, nil, "init", "-q"); err != nil {
		return "", err
	}
	if err := runGit(ctx, dir, nil, "symbolic-ref", "HEAD", "refs/heads/main"); err != nil {
		return "", err
	}
	var stream bytes.Buffer
	store := &baseline.Store{}
	var content bytes.Buffer
	for night, runs := range Nights(n, rng) {
		store.Merge(runs, n.Window)
		content.Reset()
		if err := baseline.Write(&content, store.Runs); err != nil {
			return "", err
		}
		t := nightlyDate(night).Add(time.Hour)
		msg := fmt.Sprintf("perf: nightly baseline refresh %d\n", night)
		fmt.Fprintf(&stream, "blob\nmark :%d\ndata %d\n", night+1, content.Len())
		stream.Write(content.Bytes())
		fmt.Fprintf(&stream, "\ncommit refs/heads/main\ncommitter perfgate-eval <eval@perfgate.invalid> %d +0000\ndata %d\n%s", t.Unix(), len(msg), msg)
		fmt.Fprintf(&stream, "M 100644 :%d perf/baseline/baseline.txt\n\n", night+1)
	}
	if err := runGit(ctx, dir, &stream, "fast-import", "--quiet"); err != nil {
		return "", err
	}
	if err := runGit(ctx, dir, nil, "checkout", "-q", "-f", "main"); err != nil {
		return "", err
	}
	return filepath.Join(dir, "perf", "baseline"), nil
}

// Nights returns the runs of every night of n, one batch per night.
func Nights(n Nightly, rng *rand.Rand) [][]bench.Run {
	level := make([]float64, n.Configs)
	cfgs := make([]bench.Config, n.Configs)
	for i := range level {
		level[i] = 120 + 60*rng.Float64()
		cfgs[i] = NightlyConfig(i)
	}
	sd := n.NoisePct / 100
	out := make([][]bench.Run, n.Nights)
	for night := range out {
		batch := fmt.Sprintf("nightly-%03d", night)
		date := nightlyDate(night).Format(time.RFC3339)
		measured := MeasuredCommit(night)
		runs := make([]bench.Run, 0, n.Configs)
		for c := range cfgs {
			r := bench.Run{Config: cfgs[c], Batch: batch, Date: date, Commit: measured, File: "sweep.txt"}
			noise := rng.NormFloat64() // drawn for every config and night, so steps do not shift the stream
			if from, ok := n.OOMFrom[c]; ok && night >= from {
				r.Outcome, r.Reason = bench.OOM, "sweep.txt: CUDA out of memory"
				runs = append(runs, r)
				continue
			}
			v := level[c] * math.Exp(sd*noise)
			for _, st := range n.Steps {
				if st.Config == c && night >= st.Night {
					v *= 1 + st.Pct/100
				}
			}
			r.Outcome = bench.OK
			r.Metrics = []bench.Metric{
				{Name: bench.MetricTFLOPS, Unit: bench.MetricTFLOPS, Better: bench.Higher, Values: []float64{round(v, 2)}},
				{Name: bench.MetricTime, Unit: bench.MetricTime, Better: bench.Lower, Values: []float64{round(flopsPerIter/v, 4)}},
			}
			runs = append(runs, r)
		}
		out[night] = runs
	}
	return out
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

// runGit runs git in dir, isolated from the user's configuration.
func runGit(ctx context.Context, dir string, stdin io.Reader, args ...string) error {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Stdin = stdin
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("git %s: %v: %s", args[0], err, strings.TrimSpace(string(out)))
	}
	return nil
}

// HistorySetup describes the change-point evaluation.
type HistorySetup struct {
	Seed  uint64
	Repos int
	// Nightly is each repository's refresh; its Steps are drawn per repository: for each of
	// StepPcts one config (distinct) gets that step at a night in [MinNight, Nights-MinNight).
	Nightly  Nightly
	StepPcts []float64
	MinNight int
	// Slack is how many nights off a found change may be and still count.
	Slack   int
	History history.Options
	// Dir holds the repositories; empty means a temporary directory, removed afterwards.
	Dir string
}

// DefaultHistorySetup is the setup: 200 repositories of 30 nightlies of 20 configs at
// 0.8% run-to-run noise, with steps of −3%, −5% and +5%, found within ±1 night.
func DefaultHistorySetup() HistorySetup {
	return HistorySetup{
		Seed: 1, Repos: 200,
		Nightly:  Nightly{Configs: 20, Nights: 30, NoisePct: 0.8, Window: baseline.DefaultWindow},
		StepPcts: []float64{-3, -5, 5}, MinNight: 5, Slack: 1,
		History: history.DefaultOptions(),
	}
}

// HistoryFigures are the measured accuracy of change-point detection.
type HistoryFigures struct {
	Repos int
	// Found[pct] of Trials[pct] injected steps had a change point within Slack nights, on
	// the TFLOPS/GPU series of their config.
	Found, Trials map[float64]int
	// FalseRepos is the number of repositories with any change point on a config that has
	// no step (either metric).
	FalseRepos int
	// FalseChanges counts those change points.
	FalseChanges int
	// Misplaced counts change points on stepped configs away from their step.
	Misplaced int
	// Elapsed is the time spent reading histories and detecting (not building repositories).
	Elapsed time.Duration
}

// Detection returns the share of steps of pct found.
func (f HistoryFigures) Detection(pct float64) float64 {
	if f.Trials[pct] == 0 {
		return 0
	}
	return float64(f.Found[pct]) / float64(f.Trials[pct])
}

// FalseRate returns the share of repositories with a change point on a config without a step.
func (f HistoryFigures) FalseRate() float64 { return float64(f.FalseRepos) / float64(f.Repos) }

// RunHistory builds the repositories and measures detection through the same path as
// "perfgate history": baseline.Revisions reads the git history, history.Build finds changes.
func RunHistory(ctx context.Context, s HistorySetup) (HistoryFigures, error) {
	f := HistoryFigures{Repos: s.Repos, Found: map[float64]int{}, Trials: map[float64]int{}}
	dir := s.Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "perfgate-history-eval-*")
		if err != nil {
			return f, err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	rng := rand.New(rand.NewPCG(s.Seed, 0x5eed))
	for r := 0; r < s.Repos; r++ {
		n := s.Nightly
		n.Steps = nil
		victims := rng.Perm(n.Configs)
		for i, pct := range s.StepPcts {
			night := s.MinNight + rng.IntN(n.Nights-2*s.MinNight)
			n.Steps = append(n.Steps, Step{Config: victims[i], Night: night, Pct: pct})
		}
		repo := filepath.Join(dir, fmt.Sprintf("repo-%03d", r))
		bdir, err := WriteNightlyRepo(ctx, repo, n, rand.New(rand.NewPCG(s.Seed, uint64(r))))
		if err != nil {
			return f, err
		}
		start := time.Now()
		revs, err := baseline.Revisions(ctx, bdir)
		if err != nil {
			return f, err
		}
		h := history.Build(revs, nil, history.FromGit, s.History)
		f.Elapsed += time.Since(start)
		if len(h.Batches) != n.Nights {
			return f, fmt.Errorf("repo %d: history has %d nights, want %d", r, len(h.Batches), n.Nights)
		}
		stepOf := map[string]Step{}
		for _, st := range n.Steps {
			stepOf[NightlyConfig(st.Config).Key()] = st
		}
		falseHere := false
		for _, ser := range h.Series {
			st, stepped := stepOf[ser.Key]
			if !stepped {
				f.FalseChanges += len(ser.ChangePoints)
				falseHere = falseHere || len(ser.ChangePoints) > 0
				continue
			}
			hit := false
			for _, cp := range ser.ChangePoints {
				bi := ser.Points[cp.Index].BatchIndex
				if abs(bi-st.Night) <= s.Slack {
					hit = true
				} else {
					f.Misplaced++
				}
			}
			if ser.Metric == bench.MetricTFLOPS {
				f.Trials[st.Pct]++
				if hit {
					f.Found[st.Pct]++
				}
			}
		}
		if falseHere {
			f.FalseRepos++
		}
		if s.Dir == "" {
			os.RemoveAll(repo)
		}
	}
	return f, nil
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Print writes the figures.
func (f HistoryFigures) Print(w io.Writer, s HistorySetup) {
	fmt.Fprintf(w, "perfgate history change points: %d repositories × %d configs × %d nightlies (one git commit each, window %d), %.1f%% run-to-run noise, seed %d\n",
		f.Repos, s.Nightly.Configs, s.Nightly.Nights, s.Nightly.Window, s.Nightly.NoisePct, s.Seed)
	fmt.Fprintf(w, "detection: E-divisive means, permutation test α=%g (%d permutations), min effect %g%%, min segment %d\n\n",
		s.History.Alpha, s.History.Permutations, s.History.MinEffectPct, s.History.MinSegment)
	fmt.Fprintf(w, "step     found within ±%d night(s)\n", s.Slack)
	for _, pct := range s.StepPcts {
		fmt.Fprintf(w, "%+4.0f%%    %5.1f%% (%d/%d)\n", pct, 100*f.Detection(pct), f.Found[pct], f.Trials[pct])
	}
	if f.Trials[-5]+f.Trials[5] > 0 {
		fmt.Fprintf(w, "±5%%    %5.1f%% (%d/%d) both directions\n", 100*float64(f.Found[-5]+f.Found[5])/float64(f.Trials[-5]+f.Trials[5]), f.Found[-5]+f.Found[5], f.Trials[-5]+f.Trials[5])
	}
	fmt.Fprintf(w, "\nrepositories with a change point on a config without a step: %.1f%% (%d/%d; %d change points)\n",
		100*f.FalseRate(), f.FalseRepos, f.Repos, f.FalseChanges)
	fmt.Fprintf(w, "change points on stepped configs away from the step: %d\n", f.Misplaced)
	fmt.Fprintf(w, "time reading git histories and detecting: %s (%.0f ms per repository)\n", f.Elapsed.Round(time.Millisecond), float64(f.Elapsed.Milliseconds())/float64(f.Repos))
}
