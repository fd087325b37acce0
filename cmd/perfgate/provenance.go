package main

import (
	"context"
	"fmt"
	"maps"
	"os/exec"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/check"
	"github.com/perfgate/perfgate/github"
)

// hardwareKeys are the config keys that describe the hardware a run used.
var hardwareKeys = []string{"gpu", "gpu_type", "accelerator", "hardware", "system", "cluster", "machine", "nodes", "gpus", "gpus_per_node"}

// provenance says what the check compared: the head commit (the new runs' own, else the pull
// request's head from the event, else $GITHUB_SHA on events where it is the commit the event
// is about (push; not issue_comment, where it is the default branch's head), else the working
// directory's git HEAD), the newest baseline run's commit and date,
// the runs, the hardware keys of the new runs, perfgate's version and the flags given.
func provenance(ctx context.Context, s *Streams, fs *pflag.FlagSet, baselineRef string, base, cur []bench.Run, rep *check.Report) *check.Provenance {
	p := &check.Provenance{
		BaselineRef:  baselineRef,
		BaselineRuns: len(base),
		NewRuns:      len(cur),
		Version:      version(),
		Options:      givenFlags(fs),
		Date:         now(s).Format(time.RFC3339),
	}
	p.Head = sameCommit(cur)
	if p.Head == "" {
		if path := s.Getenv("GITHUB_EVENT_PATH"); path != "" {
			if ev, err := github.ReadEvent(path); err == nil {
				p.Head = ev.HeadSHA
			}
		}
	}
	if p.Head == "" && github.GitHubSHAIsHead(s.Getenv("GITHUB_EVENT_NAME")) {
		// On issue_comment (a "/benchmark" comment) $GITHUB_SHA is the default branch's
		// head, not the pull request's commit the workflow checked out and measured: that
		// one is the working directory's HEAD.
		p.Head = s.Getenv("GITHUB_SHA")
	}
	if p.Head == "" {
		p.Head = gitHead(ctx)
	}
	// The newest baseline run by the one reading of dates: a store holds dates an older
	// perfgate kept as written (a day alone, a timestamp with a space), not only RFC 3339.
	var newest time.Time
	for i := range base {
		d, err := bench.ParseDate(base[i].Date)
		if err == nil && !d.Before(newest) {
			newest, p.Baseline, p.BaselineDate = d, base[i].Commit, base[i].Date
		}
	}
	configs := map[string]bool{}
	for i := range rep.Results {
		configs[rep.Results[i].Key] = true
	}
	p.Configs = len(configs)
	hw := map[string]map[string]bool{}
	for i := range cur {
		for _, k := range hardwareKeys {
			if v, ok := cur[i].Config[k]; ok {
				if hw[k] == nil {
					hw[k] = map[string]bool{}
				}
				hw[k][v] = true
			}
		}
	}
	if len(hw) > 0 {
		p.Hardware = make(map[string]string, len(hw))
	}
	for k, vs := range hw {
		list := slices.Collect(maps.Keys(vs))
		sortValues(list)
		p.Hardware[k] = strings.Join(list, ",")
	}
	return p
}

// gitHead returns the commit checked out in the working directory, or "" when there is none
// (not a git repository, no git): the head of a local pre-merge check.
func gitHead(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "git", "rev-parse", "--verify", "--quiet", "HEAD").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// sortValues sorts numbers numerically and the rest as strings.
func sortValues(vs []string) {
	sort.Slice(vs, func(i, j int) bool {
		a, errA := strconv.ParseFloat(vs[i], 64)
		b, errB := strconv.ParseFloat(vs[j], 64)
		if errA == nil && errB == nil {
			return a < b
		}
		return vs[i] < vs[j]
	})
}

// sameCommit returns the commit every run records, or "" when they differ or none does.
func sameCommit(runs []bench.Run) string {
	c := ""
	for i := range runs {
		switch {
		case runs[i].Commit == "":
			return ""
		case c == "":
			c = runs[i].Commit
		case c != runs[i].Commit:
			return ""
		}
	}
	return c
}

// givenFlags lists the flags given on the command line, as --name=value, leaving out the
// publishing flags (where to publish is not how the gate decided).
func givenFlags(fs *pflag.FlagSet) []string {
	var out []string
	fs.Visit(func(f *pflag.Flag) {
		if groupOf(f) == groupPublishing {
			return
		}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			for _, v := range sv.GetSlice() {
				out = append(out, "--"+f.Name+"="+v)
			}
			return
		}
		out = append(out, "--"+f.Name+"="+f.Value.String())
	})
	return out
}

// now is the time of the check: $SOURCE_DATE_EPOCH when set (reproducible output, as the
// reproducible-builds convention has it), else the clock. The root command refuses a
// SOURCE_DATE_EPOCH that does not parse (checkSourceDate) before any command runs.
func now(s *Streams) time.Time {
	if t, ok, _ := sourceDate(s); ok {
		return t
	}
	return time.Now().UTC()
}

// sourceDate parses $SOURCE_DATE_EPOCH: seconds since 1970 as plain decimal digits, as the
// reproducible-builds specification has it, up to the year 9999. ok is false when it is unset.
func sourceDate(s *Streams) (t time.Time, ok bool, err error) {
	v := s.Getenv("SOURCE_DATE_EPOCH")
	if v == "" {
		return time.Time{}, false, nil
	}
	sec, err := strconv.ParseUint(v, 10, 64)
	if err != nil || strings.TrimLeft(v, "0123456789") != "" || sec > maxSourceDate {
		return time.Time{}, false, fmt.Errorf("SOURCE_DATE_EPOCH=%q: want seconds since 1970-01-01 as decimal digits (e.g. $(git log -1 --format=%%ct)); ignore rules expire, and reports are dated, by it", v)
	}
	return time.Unix(int64(sec), 0).UTC(), true, nil
}

// maxSourceDate is 9999-12-31T23:59:59Z, the last second a report's date can show.
const maxSourceDate = 253402300799

// checkSourceDate returns the error of a SOURCE_DATE_EPOCH that does not parse, or nil.
func checkSourceDate(s *Streams) error {
	_, _, err := sourceDate(s)
	return err
}

// version is perfgate's version from its build information: the module version when
// installed with go install, else "devel", with the commit, its date and "dirty" when the
// build recorded them.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	var rev, date string
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			date = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	var extra []string
	if rev != "" && !strings.Contains(v, rev) {
		extra = append(extra, rev)
	}
	if date != "" && v == "devel" {
		extra = append(extra, date)
	}
	if dirty && !strings.Contains(v, "dirty") {
		extra = append(extra, "dirty")
	}
	if len(extra) > 0 {
		v += " (" + strings.Join(extra, ", ") + ")"
	}
	return v
}
