package baseline

import (
	"fmt"
	"slices"

	"github.com/perfgate/perfgate/bench"
)

// A CopyError says that an incoming batch is a copy of a stored one: every run it measured
// equals a run of the stored batch, value for value. Folded in, the same runs would count
// twice, as two nights that agree exactly: a noise of zero, on which every change is
// significant.
type CopyError struct {
	Batch, Of string // the incoming batch and the stored batch it copies
	Runs      int    // the equal runs
}

func (e *CopyError) Error() string {
	return fmt.Sprintf("the incoming runs (batch %s) are batch %s's, already in the store: all %d measured run(s) equal its runs value for value, so they are the same results folded twice (a re-run job that fetched the same artifact, or a copied results file). To redo batch %s, pass --run-id %s", e.Batch, e.Of, e.Runs, e.Of, e.Of)
}

// CheckCopies returns a *CopyError when a batch of incoming, not already stored under its
// own name (a retry under the same --run-id replaces its runs, which is fine), measured only
// runs that equal runs of one stored batch: the same config, outcome and values, sample
// counts included. Equal values are evidence of a copy only when a coincidence is out of the
// question: at least minEqualRuns equal runs.
//
// Both sides are runs as the store holds them, which the caller gives: the incoming runs
// through AsStored (a median of many iterations is written to 10 significant digits, and read
// back it is what a stored copy holds: review, a copy of a trainer log never equalled its
// stored self), after whatever the update applies before storing them (--recompute-tflops:
// a copy compared by its logged TFLOPS with its recomputed stored self slipped through).
func CheckCopies(stored, incoming []bench.Run) error {
	byBatch, storedOrder := byBatchOf(stored)
	in, order := byBatchOf(incoming)
	for _, b := range order {
		if _, retry := byBatch[b]; retry {
			continue
		}
		var measured []*bench.Run
		for _, r := range in[b] {
			if r.Outcome == bench.OK && len(r.Metrics) > 0 {
				measured = append(measured, r)
			}
		}
		if len(measured) == 0 {
			continue
		}
		for _, sb := range storedOrder {
			if copies(measured, byBatch[sb]) {
				return &CopyError{Batch: b, Of: sb, Runs: len(measured)}
			}
		}
	}
	return nil
}

// copies reports whether every run of measured equals a run of batch, sample counts included
// (sameMeasurement, sameCounts), and the equality cannot be a coincidence (see CheckCopies).
func copies(measured, batch []*bench.Run) bool {
	byKey := map[string][]*bench.Run{}
	for _, r := range batch {
		byKey[r.ConfigKey()] = append(byKey[r.ConfigKey()], r)
	}
	for _, r := range measured {
		if !slices.ContainsFunc(byKey[r.ConfigKey()], func(s *bench.Run) bool { return sameMeasurement(r, s) && sameCounts(r, s) }) {
			return false
		}
	}
	return len(measured) >= minEqualRuns
}

// sameCounts reports whether the metrics of a and b, the same metrics (sameMeasurement),
// stand for as many samples each.
func sameCounts(a, b *bench.Run) bool {
	return slices.EqualFunc(a.Metrics, b.Metrics, func(m, n bench.Metric) bool { return m.Count() == n.Count() })
}

// byBatchOf groups runs by batch, and returns the batches in order of first appearance.
func byBatchOf(runs []bench.Run) (map[string][]*bench.Run, []string) {
	by := map[string][]*bench.Run{}
	var order []string
	for i := range runs {
		b := runs[i].Batch
		if _, ok := by[b]; !ok {
			order = append(order, b)
		}
		by[b] = append(by[b], &runs[i])
	}
	return by, order
}

// minEqualRuns is the fewest equal runs that make a copy: two configs of a steady sweep,
// logged to three digits, can repeat a night exactly, and so can one trainer log, whose
// median of iteration times logged to four digits is one of them (review); three configs all
// at once do not.
const minEqualRuns = 3
