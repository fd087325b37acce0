package report

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/perfgate/perfgate/check"
)

// ProvenanceParts says where a report's numbers come from, in short parts for one line:
// the head commit against the baseline's commit and age, the runs on each side, the
// hardware, the perfgate version and the options of the command. nil when p is nil.
func ProvenanceParts(p *check.Provenance) []string {
	if p == nil {
		return nil
	}
	var parts []string
	head := "head " + orUnknown(shortCommit(p.Head))
	base := "baseline " + orUnknown(shortCommit(p.Baseline))
	var about []string
	if p.BaselineRef != "" {
		about = append(about, "at "+p.BaselineRef)
	}
	if p.BaselineDate != "" {
		about = append(about, dateAndAge(p.BaselineDate, p.Date))
	}
	if len(about) > 0 {
		base += " (" + strings.Join(about, ", ") + ")"
	}
	parts = append(parts, head+" vs "+base)
	parts = append(parts, fmt.Sprintf("%s vs %s", plural(p.NewRuns, "new run"), plural(p.BaselineRuns, "baseline run")))
	if len(p.Hardware) > 0 {
		keys := make([]string, 0, len(p.Hardware))
		for k := range p.Hardware {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		hw := make([]string, len(keys))
		for i, k := range keys {
			hw[i] = k + "=" + p.Hardware[k]
		}
		parts = append(parts, "hardware "+strings.Join(hw, " "))
	}
	if p.Version != "" {
		parts = append(parts, "perfgate "+p.Version)
	}
	if len(p.Options) > 0 {
		parts = append(parts, "options "+strings.Join(p.Options, " "))
	}
	return parts
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// shortCommit shortens a full commit SHA to 12 hex digits; anything else is kept.
func shortCommit(c string) string {
	if len(c) >= 40 && strings.Trim(c, "0123456789abcdef") == "" {
		return c[:12]
	}
	return c
}

// dateAndAge gives the baseline's date and how much older it is than the check, e.g.
// "2026-11-22, 2 days old".
func dateAndAge(date, now string) string {
	d, err := time.Parse(time.RFC3339, date)
	if err != nil {
		return date
	}
	out := d.UTC().Format("2006-01-02 15:04 UTC")
	n, err := time.Parse(time.RFC3339, now)
	if err != nil {
		return out
	}
	return out + ", " + age(n.Sub(d)) + " old"
}

// age says a duration the way people say how old something is.
func age(d time.Duration) string {
	switch {
	case d < 0:
		return "0 min" // clock skew; the date says it all
	case d < 2*time.Hour:
		return strconv.Itoa(int(d.Minutes())) + " min"
	case d < 48*time.Hour:
		return plural(int(d.Hours()), "hour")
	default:
		return plural(int(d.Hours()/24), "day")
	}
}
