package baseline

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

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
// question: at least minEqualRuns equal runs, whose values carry at least minCopyDecades of
// evidence (copyEvidence). The metrics named in derived are computed from others (TFLOPS/GPU
// under --recompute-tflops, a function of the time): equal, they are no evidence of their own.
//
// Both sides are runs as the store holds them, which the caller gives: the incoming runs
// through AsStored (a median of many iterations is written to 10 significant digits, and read
// back it is what a stored copy holds: review, a copy of a trainer log never equalled its
// stored self), after whatever the update applies before storing them (--recompute-tflops:
// a copy compared by its logged TFLOPS with its recomputed stored self slipped through).
func CheckCopies(stored, incoming []bench.Run, derived ...string) error {
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
			if copies(measured, byBatch[sb], derived) {
				return &CopyError{Batch: b, Of: sb, Runs: len(measured)}
			}
		}
	}
	return nil
}

// copies reports whether every run of measured equals a run of batch, sample counts included
// (sameMeasurement, sameCounts), and the equality cannot be a coincidence (see CheckCopies).
func copies(measured, batch []*bench.Run, derived []string) bool {
	byKey := map[string][]*bench.Run{}
	for _, r := range batch {
		byKey[r.ConfigKey()] = append(byKey[r.ConfigKey()], r)
	}
	for _, r := range measured {
		if !slices.ContainsFunc(byKey[r.ConfigKey()], func(s *bench.Run) bool { return sameMeasurement(r, s) && sameCounts(r, s) }) {
			return false
		}
	}
	if len(measured) < minEqualRuns {
		return false
	}
	var decades float64
	for _, r := range measured {
		decades += copyEvidence(r, derived)
	}
	return decades >= minCopyDecades
}

// copyEvidence is how far, in decades of probability, the values of run r rule out that
// another night repeated them by chance: a value logged to d significant digits lies on a grid
// about 10^(1-d) of its size apart, and a run-to-run noise of about 0.5% lands on the same
// point of it with probability about 10^(2.5-d) (a third at three digits, 0.3% at five). Each
// value of a metric not in derived counts d − 2.5 decades, none below three digits. Values
// are read at the digits they carry (strconv's shortest form): trailing zeros a table wrote
// are lost, so the evidence is, if anything, understated.
func copyEvidence(r *bench.Run, derived []string) float64 {
	var e float64
	for _, m := range r.Metrics {
		if slices.Contains(derived, m.Name) {
			continue
		}
		for _, v := range m.Values {
			e += max(0, float64(sigDigits(v))-2.5)
		}
	}
	return e
}

// sigDigits returns the significant digits of v in its shortest decimal form.
func sigDigits(v float64) int {
	s := strconv.FormatFloat(math.Abs(v), 'e', -1, 64) // d.ddde±x
	mant, _, _ := strings.Cut(s, "e")
	return len(strings.Replace(mant, ".", "", 1))
}

// minCopyDecades is the evidence equal runs must carry to make a copy: a chance of one in a
// million that a night repeated a stored one. Three configs of a table logging its times to
// three digits (15.8 s) and nothing else can repeat a steady night, and did on review, under
// --recompute-tflops; the 16 configs of the seed sweep, times to two digits and TFLOPS to
// three, are 8 decades; three runs of a trainer log, medians to five digits of two metrics, 15.
const minCopyDecades = 6

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
