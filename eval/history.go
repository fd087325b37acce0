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
	// NoiseFor maps a config index to its own run-to-run noise in percent, instead of
	// NoisePct.
	NoiseFor map[int]float64
}

// A Step multiplies a config's TFLOPS/GPU by 1+Pct/100 from night Night on, until night
// Until (exclusive; 0: for good). Steps of one config compound.
type Step struct {
	Config, Night int
	Pct           float64
	Until         int
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
			csd := sd
			if pct, ok := n.NoiseFor[c]; ok {
				csd = pct / 100
			}
			v := level[c] * math.Exp(csd*noise)
			for _, st := range n.Steps {
				if st.Config == c && night >= st.Night && (st.Until == 0 || night < st.Until) {
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
		revs, start, err := nightlyRevisions(ctx, repo, n, rand.New(rand.NewPCG(s.Seed, uint64(r))))
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

// The cases of the nightly alert evaluation, one config each; the configs after them are
// clean (steady at the default noise).
const (
	caseStep3     = iota // −3% step at night S
	caseStep5            // −5% step at S
	caseStep10           // −10% step at S
	caseGain5            // +5% step at S: better, must not alert
	caseSlowNight        // one night 10% slow (a slow node), at S
	caseSlowTwo          // two consecutive nights 10% slow, S and S+1
	caseRevert           // −5% at S, reverted at S+3
	caseDrift            // −0.5% a night for DriftNights nights, from S−DriftNights/2
	caseOOM              // out of memory from S on
	caseNoisy            // no change, but NoisyPct run-to-run noise
	caseRamp             // −1% a night from S−10 to the last night: longer than --recent
	alertCases
)

// rampBack is how many nights before S the ramp starts.
const rampBack = 10

var alertCaseNames = [alertCases]string{"step −3%", "step −5%", "step −10%", "step +5% (better)", "one slow night −10%",
	"two slow nights −10%", "−5% for 3 nights, reverted", "drift −0.5%/night", "OOM from S", "noisy config (clean)", "ramp −1%/night from S−10 on"}

// AlertSetup describes the evaluation of the nightly job: "perfgate history --fail-on" run
// every night, on the history as it was that night.
type AlertSetup struct {
	Seed  uint64
	Repos int
	// Nightly is each repository's refresh (Configs > the cases; the rest are clean).
	Nightly Nightly
	// From is the first night the job runs (earlier nights build up history).
	From int
	// The event night S of the cases is drawn per repository in [EventMin, EventMax].
	EventMin, EventMax int
	// DriftNights is how long the drift lasts, at 0.5% a night.
	DriftNights int
	NoisyPct    float64
	// ClusterPct, when not 0, replaces the cases: every config steps by it at night S, as
	// when the cluster got slower.
	ClusterPct float64
	Recent     int
	History    history.Options
}

// DefaultAlertSetup is 200 repositories of 45 nightlies of 20 configs at 0.8% noise; the
// job runs from night 10 with the CLI's default --recent 3.
func DefaultAlertSetup() AlertSetup {
	return AlertSetup{
		Seed: 1, Repos: 200,
		Nightly: Nightly{Configs: 20, Nights: 45, NoisePct: 0.8, Window: baseline.DefaultWindow},
		From:    10, EventMin: 20, EventMax: 25, DriftNights: 20, NoisyPct: 2.5,
		Recent: 3, History: history.DefaultOptions(),
	}
}

// maxLag is how many nights after the event the figures follow it.
const maxLag = 5

// AlertFigures are what the nightly job reported.
type AlertFigures struct {
	Repos int
	// Lag[c][L] counts repositories in which case c's config alerted on night S+L.
	Lag [alertCases][maxLag + 1]int
	// Any[c] counts repositories in which case c's config alerted on any night from S−1 on
	// (for the drift: from its start).
	Any [alertCases]int
	// Misplaced[c] counts alerts of case c on a change more than one night from S (for the
	// drift: outside it).
	Misplaced [alertCases]int
	// DriftNights[c] counts the nights case c's config alerted with a drift (history.Drift),
	// not a change point.
	DriftNights [alertCases]int
	// DriftFirst sums, over the repositories where the drift alerted, the nights from its
	// start to the first alert.
	DriftFirst int
	// RampAfter counts the ramp's job nights after its first alert, RampSilent those of them
	// on which it did not alert (a slide that still holds must alert every night), and
	// RampFirst sums the nights from its start to its first alert.
	RampAfter, RampSilent, RampFirst int
	// HeldOn[c] counts case c's job nights from S+Recent on (when a step is older than the
	// newest recent batches and alerts only while it holds) on which it alerted, of HeldOf;
	// Flaps[c] counts its alerts that stopped and started again (on, off, on) from S on: a
	// nightly issue closed and reopened.
	HeldOn, Flaps [alertCases]int
	HeldOf        int
	// NoisyNights counts the noisy config's alerting nights, of JobNights.
	NoisyNights int
	// CleanDrift counts the clean configs' config-nights alerting with a drift.
	CleanDrift int
	// CleanNights counts the clean configs' config-nights with an alert, of CleanTotal;
	// CleanChanges the distinct changes they alerted on.
	CleanNights, CleanTotal, CleanChanges int
	// JobNights is the number of nights the job ran, per config.
	JobNights int
	// Rows counts the alerts of every job night, one per measurement of a config (what
	// History.Alerts returns); SeriesRows the changes for the worse the job counted before,
	// one per series (config and metric: TFLOPS/GPU and s/iter of one slowdown twice).
	Rows, SeriesRows int
	// HeldRows counts the alerts among Rows on changes older than the newest recent batches
	// that still hold (history.Alert.Held), which SeriesRows does not count.
	HeldRows int
	// SeriesOnly counts config-nights on which a series of the config had a change for the
	// worse among the newest runs but the config had no alert (a speed metric that does not
	// decide changed and the deciding one did not).
	SeriesOnly int
	// EventNights counts the job nights that reported a cluster-wide event (history.Event),
	// EventAlerts the alerts in them.
	EventNights, EventAlerts int
	// Cluster*: with ClusterPct, per night from S, the configs that alerted (of
	// ClusterConfigs), the alert rows (per measurement, and per series as before), the
	// cluster-wide events reported and the alerts in them.
	ClusterAlerted    [maxLag + 1]int
	ClusterRows       [maxLag + 1]int
	ClusterSeriesRows [maxLag + 1]int
	ClusterEvents     [maxLag + 1]int
	ClusterInEvents   [maxLag + 1]int
	ClusterConfigs    int
	Elapsed           time.Duration
}

// seriesChanges returns, per config key, the changes for the worse among the newest recent
// batches counted one per series (Series.WorseFrom), as History.Alerts counted them before it
// made one alert per measurement.
func seriesChanges(h *history.History, recent int) map[string]int {
	cut := len(h.Batches) - recent
	out := map[string]int{}
	for i := range h.Series {
		if n := len(h.Series[i].WorseFrom(cut)); n > 0 {
			out[h.Series[i].Key] += n
		}
	}
	return out
}

// RunAlerts builds the repositories, reads each history through "perfgate history"'s code
// path once, and runs the nightly job's alerting (History.Alerts with Recent) on the history
// as it stood every night from From on: the store's versions up to that night.
func RunAlerts(ctx context.Context, s AlertSetup) (AlertFigures, error) {
	f := AlertFigures{Repos: s.Repos}
	tmp, err := os.MkdirTemp("", "perfgate-alert-eval-*")
	if err != nil {
		return f, err
	}
	defer os.RemoveAll(tmp)
	rng := rand.New(rand.NewPCG(s.Seed, 0xa1e7))
	for r := 0; r < s.Repos; r++ {
		n := s.Nightly
		S := s.EventMin + rng.IntN(s.EventMax-s.EventMin+1)
		drift0 := S - s.DriftNights/2
		n.Steps, n.OOMFrom, n.NoiseFor = nil, nil, nil
		if s.ClusterPct != 0 {
			for c := 0; c < n.Configs; c++ {
				n.Steps = append(n.Steps, Step{Config: c, Night: S, Pct: s.ClusterPct})
			}
		} else {
			n.Steps = []Step{
				{Config: caseStep3, Night: S, Pct: -3},
				{Config: caseStep5, Night: S, Pct: -5},
				{Config: caseStep10, Night: S, Pct: -10},
				{Config: caseGain5, Night: S, Pct: 5},
				{Config: caseSlowNight, Night: S, Pct: -10, Until: S + 1},
				{Config: caseSlowTwo, Night: S, Pct: -10, Until: S + 2},
				{Config: caseRevert, Night: S, Pct: -5, Until: S + 3},
			}
			for i := 0; i < s.DriftNights; i++ {
				n.Steps = append(n.Steps, Step{Config: caseDrift, Night: drift0 + i, Pct: -0.5})
			}
			for i := S - rampBack; i < n.Nights; i++ {
				n.Steps = append(n.Steps, Step{Config: caseRamp, Night: i, Pct: -1})
			}
			n.OOMFrom = map[int]int{caseOOM: S}
			n.NoiseFor = map[int]float64{caseNoisy: s.NoisyPct}
		}
		repo := filepath.Join(tmp, fmt.Sprintf("repo-%03d", r))
		revs, start, err := nightlyRevisions(ctx, repo, n, rand.New(rand.NewPCG(s.Seed, uint64(r))))
		if err != nil {
			return f, err
		}
		if len(revs) != n.Nights {
			return f, fmt.Errorf("repo %d: %d store versions, want %d", r, len(revs), n.Nights)
		}
		cfgIndex := map[string]int{}
		for c := 0; c < n.Configs; c++ {
			cfgIndex[NightlyConfig(c).Key()] = c
		}
		driftFirst, rampFirst := -1, -1
		var wasOn, wasOff [alertCases]bool // alerted from S on; then stopped
		var anyAlert [alertCases]bool
		cleanSeen := map[[2]int]bool{}
		for night := s.From; night < n.Nights; night++ {
			// The versions committed up to tonight: one per night. (Build only sets the
			// runs' keys, so the same runs serve every night.)
			h := history.Build(revs[:night+1], nil, history.FromGit, s.History)
			alerted := map[int]bool{}
			drifted := map[int]bool{}
			rows := 0
			alerts := h.Alerts(s.Recent)
			events := h.Events(alerts)
			inEvents := 0
			for _, e := range events {
				inEvents += e.Alerts
			}
			changed := seriesChanges(h, s.Recent)
			perSeries := 0
			for _, n := range changed {
				perSeries += n
			}
			f.Rows += len(alerts)
			f.SeriesRows += perSeries
			if len(events) > 0 {
				f.EventNights++
				f.EventAlerts += inEvents
			}
			for _, a := range alerts {
				if a.Held {
					f.HeldRows++
				}
				c := cfgIndex[h.Series[a.Series].Key]
				bi := a.Bad.BatchIndex
				rows++
				alerted[c] = true
				isDrift := a.Change.Kind == history.Drift
				if isDrift {
					drifted[c] = true
				}
				switch {
				case s.ClusterPct != 0:
				case c >= alertCases:
					if !cleanSeen[[2]int{c, bi}] {
						cleanSeen[[2]int{c, bi}] = true
						f.CleanChanges++
					}
				case isDrift && c != caseNoisy:
					// A drift names a range, from the reference window's last night to the
					// newest: it is misplaced when the change is not in it.
					first, last := S, S
					switch c {
					case caseDrift:
						first, last = drift0, drift0+s.DriftNights-1
					case caseRamp:
						first, last = S-rampBack, n.Nights-1
					}
					if a.Good.BatchIndex >= last || bi < first {
						f.Misplaced[c]++
					}
				case c == caseDrift:
					if bi < drift0-1 || bi > drift0+s.DriftNights {
						f.Misplaced[c]++
					}
				case c == caseRamp:
					if bi < S-rampBack-1 {
						f.Misplaced[c]++
					}
				case c != caseNoisy && abs(bi-S) > 1:
					f.Misplaced[c]++
				}
			}
			for k := range changed {
				if !alerted[cfgIndex[k]] {
					f.SeriesOnly++
				}
			}
			lag := night - S
			if s.ClusterPct != 0 {
				if lag >= 0 && lag <= maxLag {
					f.ClusterAlerted[lag] += len(alerted)
					f.ClusterRows[lag] += rows
					f.ClusterSeriesRows[lag] += perSeries
					f.ClusterEvents[lag] += len(events)
					f.ClusterInEvents[lag] += inEvents
				}
				continue
			}
			f.JobNights++
			for c := alertCases; c < n.Configs; c++ {
				f.CleanTotal++
				if alerted[c] {
					f.CleanNights++
				}
				if drifted[c] {
					f.CleanDrift++
				}
			}
			if alerted[caseNoisy] {
				f.NoisyNights++
			}
			if lag >= s.Recent {
				f.HeldOf++
			}
			for c := 0; c < alertCases; c++ {
				if lag >= s.Recent && alerted[c] {
					f.HeldOn[c]++
				}
				switch {
				case lag < 0:
				case alerted[c] && wasOff[c]:
					f.Flaps[c]++
					wasOff[c] = false
				case alerted[c]:
					wasOn[c] = true
				case wasOn[c]:
					wasOff[c] = true
				}
				if drifted[c] {
					f.DriftNights[c]++
				}
				if !alerted[c] {
					continue
				}
				if lag >= 0 && lag <= maxLag {
					f.Lag[c][lag]++
				}
				if c != caseDrift && c != caseRamp && lag >= -1 {
					anyAlert[c] = true
				}
			}
			if rampFirst >= 0 {
				f.RampAfter++
				if !alerted[caseRamp] {
					f.RampSilent++
				}
			} else if alerted[caseRamp] && night >= S-rampBack {
				rampFirst = night - (S - rampBack)
			}
			if alerted[caseDrift] && driftFirst < 0 && night >= drift0 {
				driftFirst = night - drift0
			}
		}
		f.Elapsed += time.Since(start)
		for c, a := range anyAlert {
			if a {
				f.Any[c]++
			}
		}
		if driftFirst >= 0 {
			f.Any[caseDrift]++
			f.DriftFirst += driftFirst
		}
		if rampFirst >= 0 {
			f.Any[caseRamp]++
			f.RampFirst += rampFirst
		}
		if s.ClusterPct != 0 {
			f.ClusterConfigs += n.Configs
		}
		os.RemoveAll(repo)
	}
	return f, nil
}

// Print writes the figures.
func (f AlertFigures) Print(w io.Writer, s AlertSetup) {
	fmt.Fprintf(w, "perfgate history --fail-on --recent %d, run every night from night %d on the history as it stood: %d repositories × %d configs × %d nightlies (window %d), %.1f%% run-to-run noise, seed %d\n",
		s.Recent, s.From, f.Repos, s.Nightly.Configs, s.Nightly.Nights, s.Nightly.Window, s.Nightly.NoisePct, s.Seed)
	fmt.Fprintf(w, "detection: E-divisive means, permutation test α=%g (%d permutations), min effect %g%%, min segment %d; drift: median of newest %d vs the window ending %d runs back, z ≥ %g; event night S in %d–%d\n\n",
		s.History.Alpha, s.History.Permutations, s.History.MinEffectPct, s.History.MinSegment, s.History.DriftRuns, s.History.Window, s.History.DriftZ, s.EventMin, s.EventMax)
	pct := func(k, n int) string {
		if n == 0 {
			return "-"
		}
		return fmt.Sprintf("%5.1f%%", 100*float64(k)/float64(n))
	}
	if s.ClusterPct != 0 {
		per := f.ClusterConfigs / max(f.Repos, 1)
		fmt.Fprintf(w, "every config %+g%% at night S (%d configs per repository); per repository: alerts (one per measurement), changes per series (the count before), cluster-wide events, alerts in them\n", s.ClusterPct, per)
		fmt.Fprintf(w, "night   configs alerting          alerts   per series   events   in events\n")
		for l := 0; l <= maxLag; l++ {
			r := float64(f.Repos)
			fmt.Fprintf(w, "S+%d     %s (%d/%d)   %6.1f   %10.1f   %6.2f   %9.1f\n", l, pct(f.ClusterAlerted[l], f.ClusterConfigs), f.ClusterAlerted[l], f.ClusterConfigs,
				float64(f.ClusterRows[l])/r, float64(f.ClusterSeriesRows[l])/r, float64(f.ClusterEvents[l])/r, float64(f.ClusterInEvents[l])/r)
		}
		fmt.Fprintf(w, "config-nights with a change of a speed metric that does not decide and no alert: %d\n", f.SeriesOnly)
		fmt.Fprintf(w, "time reading git histories and alerting: %s\n", f.Elapsed.Round(time.Millisecond))
		return
	}
	fmt.Fprintf(w, "case (one config each)            alerting on night S+0  S+1    S+2    S+3    S+4    S+5   | any night   off by >1 night   drift alerts (nights)\n")
	for c := 0; c < alertCases; c++ {
		if c == caseNoisy {
			continue
		}
		fmt.Fprintf(w, "%-34s", alertCaseNames[c])
		for l := 0; l <= maxLag; l++ {
			fmt.Fprintf(w, " %s", pct(f.Lag[c][l], f.Repos))
		}
		fmt.Fprintf(w, " | %s %9d %9d\n", pct(f.Any[c], f.Repos), f.Misplaced[c], f.DriftNights[c])
	}
	fmt.Fprintf(w, "\nheld: job nights from S+%d on alerting, of %d; flaps (alerting again after it stopped, from S on)\n", s.Recent, f.HeldOf)
	for _, c := range []int{caseStep3, caseStep5, caseStep10, caseRevert, caseOOM, caseNoisy} {
		fmt.Fprintf(w, "%-34s %s (%d)  flaps %d\n", alertCaseNames[c], pct(f.HeldOn[c], f.HeldOf), f.HeldOn[c], f.Flaps[c])
	}
	if f.Any[caseDrift] > 0 {
		fmt.Fprintf(w, "\ndrift (%d nights, S−%d to S+%d, −%.1f%% in all): alerted in %d/%d repositories, on average %.1f nights after it began\n",
			s.DriftNights, s.DriftNights/2, s.DriftNights-s.DriftNights/2-1, 100*(1-math.Pow(0.995, float64(s.DriftNights))), f.Any[caseDrift], f.Repos, float64(f.DriftFirst)/float64(f.Any[caseDrift]))
	} else {
		fmt.Fprintf(w, "\ndrift (%d nights): never alerted\n", s.DriftNights)
	}
	if f.Any[caseRamp] > 0 {
		fmt.Fprintf(w, "ramp (−1%%/night from S−%d to the last night, --recent %d): alerted in %d/%d repositories, first on average %.1f nights after it began; silent on %d of the %d job nights after its first alert (%s)\n",
			rampBack, s.Recent, f.Any[caseRamp], f.Repos, float64(f.RampFirst)/float64(f.Any[caseRamp]), f.RampSilent, f.RampAfter, pct(f.RampSilent, f.RampAfter))
	} else {
		fmt.Fprintf(w, "ramp: never alerted\n")
	}
	ci := func(k, n int) float64 {
		p := float64(k) / float64(n)
		return 100 * 1.96 * math.Sqrt(max(p*(1-p), 1/float64(n))/float64(n))
	}
	fmt.Fprintf(w, "\nclean configs: %d of %d config-nights alerting = %s ± %.2f points (95%%); %d distinct false changes\n",
		f.CleanNights, f.CleanTotal, pct(f.CleanNights, f.CleanTotal), ci(f.CleanNights, f.CleanTotal), f.CleanChanges)
	fmt.Fprintf(w, "clean configs alerting with a drift: %d config-nights\n", f.CleanDrift)
	fmt.Fprintf(w, "noisy config (%.1f%% noise, no change): %d of %d nights alerting = %s ± %.2f points (%d with a drift)\n",
		s.NoisyPct, f.NoisyNights, f.JobNights, pct(f.NoisyNights, f.JobNights), ci(f.NoisyNights, f.JobNights), f.DriftNights[caseNoisy])
	fmt.Fprintf(w, "\nalerts over all %d job nights of %d repositories: %d, one per measurement of a config, %d of them held (counted per series, config and metric, as before, without held: %d)\n",
		f.JobNights, f.Repos, f.Rows, f.HeldRows, f.SeriesRows)
	fmt.Fprintf(w, "config-nights with a change of a speed metric that does not decide and no alert: %d\n", f.SeriesOnly)
	fmt.Fprintf(w, "job nights reporting a cluster-wide event (≥ %d configs and ≥ %.0f%% of a night's): %d, with %d alerts\n", history.EventMinConfigs, 100*history.EventMinShare, f.EventNights, f.EventAlerts)
	fmt.Fprintf(w, "time reading git histories and alerting: %s (%.0f ms per repository)\n", f.Elapsed.Round(time.Millisecond), float64(f.Elapsed.Milliseconds())/float64(f.Repos))
}

// nightlyRevisions writes the nightly repository n at repo (WriteNightlyRepo) and reads its
// store's versions back, as perfgate history does. start is when the reading began: the
// harnesses time reading and detecting, not building repositories.
func nightlyRevisions(ctx context.Context, repo string, n Nightly, rng *rand.Rand) (revs []baseline.Revision, start time.Time, err error) {
	bdir, err := WriteNightlyRepo(ctx, repo, n, rng)
	if err != nil {
		return nil, time.Time{}, err
	}
	start = time.Now()
	revs, err = baseline.Revisions(ctx, bdir)
	return revs, start, err
}
