package baseline

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/perfgate/perfgate/bench"
)

// A CopyError says that incoming runs are a stored batch's: each equals a run of the stored
// batch, value for value. Folded in, the same runs would count twice, as two nights that
// agree exactly: a noise of zero, on which every change is significant. They may be the whole
// incoming batch (the same results ingested again under another name) or part of it (a stale
// copy of last night's results file beside tonight's: stored, its runs would also pull
// tonight's comparison towards last night's and hide a regression).
type CopyError struct {
	Batch, Of string // the incoming batch and the stored batch it copies
	Runs      int    // the equal runs
	Measured  int    // the runs the incoming batch measured (Runs of them equal Of's)
	// Files says where the equal runs were read: per incoming file, in order, its name, the
	// line of its first equal run, and how many of its runs are equal and measured.
	Files []CopyFile
}

// A CopyFile is an incoming file of which runs equal a stored batch's.
type CopyFile struct {
	Name string
	// File is the results file the runs were read from, as the store records it, when Name
	// is another file (a store the runs were read from, in the merge driver); else "".
	File            string
	Line            int // of its first equal run; 0 when not known
	Equal, Measured int
}

func (e *CopyError) Error() string {
	var files []string
	for _, f := range e.Files {
		at := f.Name
		if f.Line > 0 {
			at = fmt.Sprintf("%s:%d", f.Name, f.Line)
		}
		if f.File != "" {
			at += " (source=" + f.File + ")"
		}
		if f.Equal == f.Measured {
			files = append(files, fmt.Sprintf("%s (all its %d measured run(s))", at, f.Measured))
		} else {
			files = append(files, fmt.Sprintf("%s (%d of its %d measured run(s))", at, f.Equal, f.Measured))
		}
	}
	from := ""
	if len(files) > 0 {
		from = "; they were read from " + strings.Join(files, ", ")
	}
	if e.Of == e.Batch {
		return fmt.Sprintf("%d of the %d measured incoming run(s) of batch %s equal runs the batch already holds from other files, value for value, so they are the same results folded twice (the night's results renamed, or a stale copy among them)%s. Nothing was stored: a re-ingest under --run-id %s replaces the runs of the files it gives again, by name; give the results their stored name, or remove the copy", e.Runs, e.Measured, e.Batch, from, e.Batch)
	}
	if e.Runs == e.Measured {
		return fmt.Sprintf("the incoming runs (batch %s) are batch %s's, already in the store: all %d measured run(s) equal its runs value for value, so they are the same results folded twice (a re-run job that fetched the same artifact, or a copied results file)%s. Nothing was stored. To redo batch %s, pass --run-id %s", e.Batch, e.Of, e.Runs, from, e.Of, e.Of)
	}
	return fmt.Sprintf("%d of the %d measured incoming run(s) (batch %s) are batch %s's, already in the store: they equal its runs value for value, so they are the same results folded twice (a stale copy of an earlier night's results file beside tonight's, or a re-run job that fetched an old artifact)%s. Nothing was stored: remove the copied file(s) from the results and update again (to redo batch %s itself, pass --run-id %s with its results only)", e.Runs, e.Measured, e.Batch, e.Of, from, e.Of, e.Of)
}

// CheckCopies returns a *CopyError when the runs an incoming batch measured, or those it
// measured in one of its files (fileKey: Run.Source's file and Run.File), all equal runs of one stored batch that they do
// not replace (Replaced: a retry under the same --run-id replaces its own runs, which is fine;
// the batch's runs of other files, or of other configs, it does not): the same config, outcome
// and values, sample counts included, each incoming run matched with a run of its own. So a
// stale copy of last night's results file among tonight's is refused, in a new batch or in a
// shard joining the night's, and so are the night's results renamed. Equal values are evidence of a copy only when
// a coincidence is out of the question: at least minEqualRuns equal runs, whose values carry
// at least minCopyDecades of evidence (copyEvidence: of the speed metrics only, since memory
// and other deterministic metrics repeat every night). The metrics named in derived are
// computed from others (TFLOPS/GPU under --recompute-tflops, a function of the time): equal,
// they are no evidence of their own.
//
// Both sides are runs as the store holds them, which the caller gives: the incoming runs
// through AsStored (a median of many iterations is written to 10 significant digits, and read
// back it is what a stored copy holds: review, a copy of a trainer log never equalled its
// stored self), after whatever the update applies before storing them (--recompute-tflops:
// a copy compared by its logged TFLOPS with its recomputed stored self slipped through). The
// incoming runs' Source ("file:line") names them in the error.
func CheckCopies(stored, incoming []bench.Run, derived ...string) error {
	return CheckCopiesReplacing(stored, incoming, false, derived...)
}

// CheckCopiesReplacing is CheckCopies; with whole (--replace-batch), the stored runs the
// incoming ones replace are all their batch's runs of their configs (ReplacedBy).
func CheckCopiesReplacing(stored, incoming []bench.Run, whole bool, derived ...string) error {
	return checkCopies(stored, incoming, whole, func(_ *bench.Run, metric string) bool { return slices.Contains(derived, metric) })
}

// checkCopies is CheckCopiesReplacing with the derived metrics told per run: isDerived(r, m)
// reports whether metric m of run r is computed from r's other metrics.
func checkCopies(stored, incoming []bench.Run, whole bool, isDerived func(r *bench.Run, metric string) bool) error {
	rep := ReplacedBy(stored, incoming, whole)
	kept := make([]bench.Run, 0, len(stored))
	for i := range stored {
		if !rep[i] {
			kept = append(kept, stored[i])
		}
	}
	byBatch, storedOrder := byBatchOf(kept)
	in, order := byBatchOf(incoming)
	for _, b := range order {
		var measured []*bench.Run
		byFile := map[string][]*bench.Run{}
		var files []string
		for _, r := range in[b] {
			if r.Outcome == bench.OK && len(r.Metrics) > 0 {
				measured = append(measured, r)
				f := fileKey(r)
				if _, ok := byFile[f]; !ok {
					files = append(files, f)
				}
				byFile[f] = append(byFile[f], r)
			}
		}
		if len(measured) == 0 {
			continue
		}
		// The whole batch, then each of its files: a stale copy of last night's results
		// file among tonight's is a copy of its own (review: it hid a regression and was
		// stored twice), while a file with one value of its own is a night of its own.
		units := [][]*bench.Run{measured}
		if len(files) > 1 {
			for _, f := range files {
				units = append(units, byFile[f])
			}
		}
		for _, unit := range units {
			for _, sb := range storedOrder {
				if copies(unit, byBatch[sb], isDerived) {
					return &CopyError{Batch: b, Of: sb, Runs: len(unit), Measured: len(measured), Files: copyFiles(measured, unit)}
				}
			}
		}
	}
	return nil
}

// copies reports whether every run of measured equals a run of batch, sample counts included
// (sameMeasurement, sameCounts), no two the same stored run, and the equality cannot be a
// coincidence (see CheckCopies).
func copies(measured, batch []*bench.Run, isDerived func(*bench.Run, string) bool) bool {
	if len(measured) < minEqualRuns {
		return false
	}
	byKey := map[string][]*bench.Run{}
	for _, r := range batch {
		if r.Outcome == bench.OK && len(r.Metrics) > 0 {
			byKey[r.ConfigKey()] = append(byKey[r.ConfigKey()], r)
		}
	}
	for _, r := range measured {
		k := r.ConfigKey()
		// Equality is an equivalence, so matching greedily pairs as many runs as can be.
		i := slices.IndexFunc(byKey[k], func(s *bench.Run) bool { return sameMeasurement(r, s) && sameCounts(r, s) })
		if i < 0 {
			return false
		}
		byKey[k] = slices.Delete(slices.Clone(byKey[k]), i, i+1)
	}
	var decades float64
	for _, r := range measured {
		decades += copyEvidence(r, isDerived)
	}
	return decades >= minCopyDecades
}

// copyFiles returns the files of the equal runs, in order of first appearance, with the line
// of the first equal run of each, and how many of the measured runs read from it are equal.
func copyFiles(measured, equal []*bench.Run) []CopyFile {
	isEqual := map[*bench.Run]bool{}
	for _, r := range equal {
		isEqual[r] = true
	}
	var files []CopyFile
	at := map[string]int{}
	for _, r := range measured {
		name, line := splitSource(r.Source)
		recorded := ""
		if name == "" {
			name = r.File
		} else if r.File != "" && !sameFile(name, r.File) {
			recorded = r.File // read from a store: the file the store says the run came from
		}
		k := fileKey(r)
		i, ok := at[k]
		if !ok {
			i = len(files)
			at[k] = i
			files = append(files, CopyFile{Name: name, File: recorded})
		}
		f := &files[i]
		f.Measured++
		if isEqual[r] {
			if f.Equal == 0 {
				f.Line = line
			}
			f.Equal++
		}
	}
	out := files[:0]
	for _, f := range files {
		if f.Equal > 0 && f.Name != "" {
			out = append(out, f)
		}
	}
	return out
}

// fileKey is the results file a run was read from, for the per-file copy check: the file it
// names in its Source and the file it records (Run.File). For runs read from results they are
// one file; for runs read from a store (the merge driver's), Source names the store and File
// the results file the update read them from, the file the store's "source=" line gives
// (review: grouped by Source, a store's runs were one file, and the per-file check of the merge
// driver never fired).
func fileKey(r *bench.Run) string {
	f, _ := splitSource(r.Source)
	return f + "\x00" + r.File
}

// sameFile reports whether source, a path a run was read from, is file (Run.File: its base
// name, or its path below a directory given).
func sameFile(source, file string) bool {
	source, file = filepath.ToSlash(source), filepath.ToSlash(file)
	return source == file || strings.HasSuffix(source, "/"+file)
}

// splitSource splits a run's Source, "file:line", into its file and line (0 when it has none).
func splitSource(src string) (string, int) {
	if i := strings.LastIndexByte(src, ':'); i >= 0 {
		if n, err := strconv.Atoi(src[i+1:]); err == nil {
			return src[:i], n
		}
	}
	return src, 0
}

// copyEvidence is how far, in decades of probability, the values of run r rule out that
// another night repeated them by chance: a value logged to d significant digits lies on a grid
// about 10^(1-d) of its size apart, and a run-to-run noise of about 0.5% lands on the same
// point of it with probability about 10^(2.5-d) (a third at three digits, 0.3% at five). Each
// value of a speed metric (speedMetric) not derived (isDerived) counts d − 2.5 decades, none below
// three digits. Values are read at the digits they carry (strconv's shortest form): trailing
// zeros a table wrote are lost, so the evidence is, if anything, understated.
//
// Only the speed metrics carry that noise. Peak memory (MB-max-allocated, a byte count), a
// loss of a seeded run, a count, repeat exactly every night of a config, whatever their
// digits: counted, they made three configs of a file whose times repeated to three digits a
// copy, and a legitimate night was refused (review). So they count for nothing, and a copy is
// told by its times and throughputs alone.
func copyEvidence(r *bench.Run, isDerived func(*bench.Run, string) bool) float64 {
	var e float64
	for _, m := range r.Metrics {
		if isDerived(r, m.Name) || !speedMetric(m) {
			continue
		}
		for _, v := range m.Values {
			e += max(0, float64(sigDigits(v))-2.5)
		}
	}
	return e
}

// speedMetric reports whether m measures speed, a time or a throughput, whose values carry a
// run's noise: by its unit (else its name), a throughput is what bench.DirectionOf takes for
// higher-is-better (TFLOPS/GPU, tokens/s, samples/s, MFU), a time a lower-is-better unit of
// seconds, or one that names a time or a latency (s/iter, ms/iter, sec/op, ns/op,
// step_time, ttft). Memory, counts and metrics of no known direction are not.
func speedMetric(m bench.Metric) bool {
	u := m.Unit
	if u == "" {
		u = m.Name
	}
	switch bench.DirectionOf(u) {
	case bench.Higher:
		return true
	case bench.Lower:
		l := strings.ToLower(strings.TrimSpace(u))
		if strings.Contains(l, "time") || strings.Contains(l, "latency") || strings.HasPrefix(l, "ttft") || strings.HasPrefix(l, "tpot") {
			return true
		}
		first, _, _ := strings.Cut(l, "/")
		switch first {
		case "s", "sec", "secs", "second", "seconds", "ms", "us", "µs", "ns", "min", "h":
			return true
		}
	}
	return false
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

// recomputedTFLOPS tells, from the stored versions of a store, the configs whose TFLOPS/GPU
// are a function of their time: written by updates under --recompute-tflops, which sets
// TFLOPS/GPU = F/(s/iter) with F the config's FLOP per iteration and GPU, and stores it to 10
// significant digits. Two runs of a config with different times whose TFLOPS/GPU × s/iter
// agree to 1e-8 show it (a trainer's logged TFLOPS, rounded to a few digits like its time,
// agree to about 1e-5 at best). The option is the store's: when every config that can tell
// shows it, so do those that cannot (one time only). The merge driver, which is not told the
// option, treats such TFLOPS as derived, as the update does (review: recomputed TFLOPS, 10
// digits of a time of 3, made two legitimate nights whose times repeated a copy).
func recomputedTFLOPS(versions ...[]bench.Run) func(r *bench.Run, metric string) bool {
	products := map[string][]float64{} // config → TFLOPS × s/iter, one per distinct time
	times := map[string][]float64{}
	for _, runs := range versions {
		for i := range runs {
			r := &runs[i]
			tm, tf := r.Metric(bench.MetricTime), r.Metric(bench.MetricTFLOPS)
			if r.Outcome != bench.OK || tm == nil || tf == nil || len(tm.Values) != 1 || len(tf.Values) != 1 {
				continue
			}
			k := r.ConfigKey()
			if slices.Contains(times[k], tm.Values[0]) {
				continue
			}
			times[k] = append(times[k], tm.Values[0])
			products[k] = append(products[k], tm.Values[0]*tf.Values[0])
		}
	}
	derived := map[string]bool{}
	told, all := 0, true
	for k, ps := range products {
		if len(ps) < 2 {
			continue
		}
		told++
		same := true
		for _, p := range ps[1:] {
			if math.Abs(p-ps[0]) > 1e-8*math.Abs(ps[0]) {
				same = false
			}
		}
		derived[k] = same
		all = all && same
	}
	return func(r *bench.Run, metric string) bool {
		if metric != bench.MetricTFLOPS || r.Metric(bench.MetricTime) == nil {
			return false
		}
		d, ok := derived[r.ConfigKey()]
		if !ok {
			return told > 0 && all
		}
		return d
	}
}
