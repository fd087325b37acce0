package report

import (
	"fmt"
	"strings"
)

// This file words what the store's update found about the runs it was given rather than
// their comparison. The command line prints these words; it builds none of its own.

// RunIDReused warns that an update replaced earlier runs recorded on an earlier day (earlier
// of them, baseline.MergeStats.ReplacedEarlier) in the stored batches replaced, named by the
// run id: one reused night after night keeps one run per config, too few to learn the noise
// from, so the gate is left with its fixed tolerance. It is "" when the update replaced no
// earlier day's runs.
func RunIDReused(replaced []string, earlier int) string {
	if earlier == 0 {
		return ""
	}
	return fmt.Sprintf("run id %s replaced %d run(s) recorded on an earlier day: a run id names one night's runs (a re-run replaces them), so one reused every night keeps a single run per config and the gate falls back to its fixed tolerance; give each night its own, e.g. --run-id nightly-$GITHUB_RUN_ID",
		strings.Join(replaced, ", "), earlier)
}
