package baseline

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/internal/atomicfile"
)

// Merge3Stats says what MergeFiles did.
type Merge3Stats struct {
	Ours, Theirs, Base int // runs in each version
	Merged             int // runs in the result
	Removed            int // runs of the base that one side had removed and that stay removed
	Pruned             int // runs dropped by the window re-applied to the union
	Window             int // the window re-applied
	// Reingested lists the configs of a batch that both sides re-ingested since the base
	// (the same --run-id ingested on both branches, with different results): the later
	// ingest was kept, by the dates of its runs, and the other's runs of the config dropped.
	Reingested []Reingest
}

// A Reingest is a config of a batch that both sides re-ingested since the base: the side
// whose runs carry the later date was kept, as 'baseline update' would have done had the two
// ingests run one after the other.
type Reingest struct {
	Batch, Config string
	KeptTheirs    bool   // theirs was the later ingest; otherwise ours
	Kept, Dropped string // the dates of the kept and of the dropped version
	DroppedRuns   int    // runs of the dropped version
}

// MergeFiles merges two versions of a store file that share the ancestor base, as git's
// merge driver does: the result holds the runs of ours and of theirs, runs that one side
// removed since base stay removed, the batches are in date order, and the rolling window is
// re-applied (window, or else the larger window the two versions record, or DefaultWindow).
// base may be empty (a store added on both branches). Each version must be a sound store.
//
// The runs of one batch and config (a group) are merged as 'baseline update' changes them: an
// update replaces a group whole (a re-ingest under a stored --run-id) and the window removes
// its oldest runs. So a group one side left as in base is the other side's; a group both
// sides only removed runs from keeps the runs both kept; a group one side re-ingested is
// that side's, even where the other removed it (the window, re-applied, decides, as it would
// have after the two updates in sequence). A group both sides re-ingested, differently, is
// the later ingest's, by the dates of its runs, and the stats say which; when the dates do
// not tell (the same date, or not RFC 3339), nothing the merge could pick would be right,
// and the merge is refused with an error naming the group's lines in both versions, rather
// than one version dropped without a word.
func MergeFiles(baseFile, oursFile, theirsFile string, base, ours, theirs []byte, window int) ([]bench.Run, Merge3Stats, error) {
	var st Merge3Stats
	var b parsed // an empty base: a store added on both branches
	if len(bytes.TrimSpace(base)) > 0 {
		var err error
		if b, err = parse(baseFile, base, parseKeep|parseVerify); err != nil {
			return nil, st, err
		}
	}
	o, err := parse(oursFile, ours, parseKeep|parseVerify)
	if err != nil {
		return nil, st, err
	}
	t, err := parse(theirsFile, theirs, parseKeep|parseVerify)
	if err != nil {
		return nil, st, err
	}
	st.Base, st.Ours, st.Theirs = len(b.runs), len(o.runs), len(t.runs)
	if err := mergeDirections(oursFile, b.runs, o.runs, t.runs); err != nil {
		return nil, st, err
	}
	if err := checkMergeCopies(oursFile, theirsFile, b.runs, o.runs, t.runs); err != nil {
		return nil, st, err
	}
	bG, oG, tG := groupsOf(b.runs), groupsOf(o.runs), groupsOf(t.runs)

	// What each group of either side becomes: ours, theirs, or the base runs both kept.
	type decision struct {
		theirs   bool
		conflict bool         // both re-ingested it
		keep     map[int]bool // indices of ours's runs to keep, when both only removed runs
	}
	decide := map[group]decision{}
	var conflicts []group
	for _, gs := range []map[group][]int{oG, tG} {
		for g := range gs {
			if _, done := decide[g]; done {
				continue
			}
			bi, oi, ti := bG[g], oG[g], tG[g]
			oEmb, oSub := embed(o.runs, oi, b.runs, bi)
			tEmb, tSub := embed(t.runs, ti, b.runs, bi)
			var d decision
			switch {
			case oSub && len(oi) == len(bi): // ours as in base
				d.theirs = true
				if tSub {
					st.Removed += len(bi) - len(ti)
				}
			case tSub && len(ti) == len(bi): // theirs as in base
				if oSub {
					st.Removed += len(bi) - len(oi)
				}
			case sameRuns(o.runs, oi, t.runs, ti): // the same change on both sides
			case oSub && tSub: // both only removed runs: those both kept stay
				inT := map[int]bool{}
				for _, j := range tEmb {
					inT[j] = true
				}
				d.keep = map[int]bool{}
				for k, j := range oEmb {
					if inT[j] {
						d.keep[oi[k]] = true
					}
				}
				// Removed counts what one side kept and the other removed.
				st.Removed += len(oi) + len(ti) - 2*len(d.keep)
			case oSub: // theirs re-ingested what ours removed runs from
				d.theirs = true
			case tSub:
			default: // both re-ingested it: decided below, by date
				conflicts = append(conflicts, g)
				d.conflict = true
			}
			decide[g] = d
		}
	}
	// Conflicts in the order of ours, so that the error and the stats do not depend on map
	// order.
	slices.SortFunc(conflicts, func(x, y group) int { return oG[x][0] - oG[y][0] })
	var undecided []group
	for _, g := range conflicts {
		od, ook := latest(o.runs, oG[g])
		td, tok := latest(t.runs, tG[g])
		if !ook || !tok || od.Equal(td) {
			undecided = append(undecided, g)
			continue
		}
		d := decision{theirs: td.After(od)}
		decide[g] = d
		re := Reingest{Batch: g.batch, Config: g.key, KeptTheirs: d.theirs,
			Kept: od.Format(time.RFC3339Nano), Dropped: td.Format(time.RFC3339Nano), DroppedRuns: len(tG[g])}
		if d.theirs {
			re.Kept, re.Dropped, re.DroppedRuns = re.Dropped, re.Kept, len(oG[g])
		}
		st.Reingested = append(st.Reingested, re)
	}
	if len(undecided) > 0 {
		return nil, st, bothReingested(oursFile, theirsFile, o.runs, t.runs, oG, tG, undecided)
	}

	// Blocks of the result, by batch, in order of first appearance in ours, then theirs.
	// Merge puts them in date order (inDateOrder) when it re-applies the window. A group
	// that is theirs takes the place of ours's runs of it, as a re-ingest keeps its batch's
	// place, or else theirs's place.
	var batches []string
	byBatch := map[string][]bench.Run{}
	add := func(r bench.Run) {
		if _, ok := byBatch[r.Batch]; !ok {
			batches = append(batches, r.Batch)
		}
		byBatch[r.Batch] = append(byBatch[r.Batch], r)
	}
	placed := map[group]bool{}
	for i := range o.runs {
		g := group{o.runs[i].Batch, o.runs[i].ConfigKey()}
		switch d := decide[g]; {
		case d.theirs:
			if !placed[g] {
				placed[g] = true
				for _, j := range tG[g] {
					add(t.runs[j])
				}
			}
		case d.keep == nil || d.keep[i]:
			add(o.runs[i])
		}
	}
	for i := range t.runs {
		g := group{t.runs[i].Batch, t.runs[i].ConfigKey()}
		if decide[g].theirs && !placed[g] {
			add(t.runs[i])
		}
	}
	s := &Store{}
	for _, b := range batches {
		s.Runs = append(s.Runs, byBatch[b]...)
	}
	st.Window = window
	if st.Window <= 0 {
		st.Window = max(o.window, t.window)
	}
	if st.Window <= 0 {
		st.Window = DefaultWindow
	}
	st.Pruned = s.Merge(nil, st.Window).Pruned
	st.Merged = len(s.Runs)
	// Two sound versions can still disagree on a metric's unit (one written before units
	// were kept): that is the input's problem, found before anything is written.
	if _, err := unitLines(s.Runs, true); err != nil {
		return nil, st, err
	}
	return s.Runs, st, nil
}

// checkMergeCopies refuses a merge that would fold the same results in twice: a batch theirs
// added since base (under a run id ours does not hold) whose runs, or one of whose files', are
// a batch of ours's, value for value, as 'baseline update' refuses it (CheckCopies): the same
// results ingested on the two branches under two run ids (nightly-15 and nightly-15-retry).
// Merged, the runs would count as two nights that agree exactly (review: the driver merged
// what update refuses). Neither side's runs can be dropped on a guess (their dates and commits,
// the history's points, differ), so the merge is refused, OURS left as it was, and git leaves
// the file in conflict.
func checkMergeCopies(oursFile, theirsFile string, base, ours, theirs []bench.Run) error {
	old := map[string]bool{}
	for _, runs := range [][]bench.Run{base, ours} {
		for i := range runs {
			old[runs[i].Batch] = true
		}
	}
	var added []bench.Run
	for i := range theirs {
		if !old[theirs[i].Batch] {
			added = append(added, theirs[i])
		}
	}
	if len(added) == 0 {
		return nil
	}
	var ce *CopyError
	// Recomputed TFLOPS (--recompute-tflops) are a function of the time, no evidence of
	// their own, as the update counts them.
	if err := checkCopies(ours, added, false, recomputedTFLOPS(base, ours, theirs)); !errors.As(err, &ce) {
		return err
	}
	line := 0
	for i := range ours {
		if ours[i].Batch == ce.Of {
			line = sourceLine(ours[i].Source, oursFile)
			break
		}
	}
	at := theirsFile
	if len(ce.Files) > 0 {
		if f := ce.Files[0]; f.Line > 0 {
			at = fmt.Sprintf("%s:%d", theirsFile, f.Line)
		}
		var from []string
		for _, f := range ce.Files {
			if f.File != "" {
				from = append(from, fmt.Sprintf("source=%s, %d of its %d measured run(s)", f.File, f.Equal, f.Measured))
			}
		}
		if len(from) > 0 && ce.Runs < ce.Measured {
			at += ", " + strings.Join(from, "; ")
		}
	}
	return bench.Errorf(oursFile, line,
		"batch %q, added in theirs (%s), holds %d run(s) equal to batch %q's here value for value: the same results ingested on both branches under two run ids, which 'baseline update' refuses as a copy; merged, they would count as two nights that agree exactly. "+
			"Nothing was merged, and %s is left as it was: abort the merge (git merge --abort), on one branch revert the commit of the update that ingested the copy (git revert), and merge again",
		ce.Batch, at, ce.Runs, ce.Of, oursFile)
}

// bothReingested is the error for groups both sides re-ingested whose dates do not tell
// which ingest came later. It names the first group's lines in ours and in theirs.
func bothReingested(oursFile, theirsFile string, ours, theirs []bench.Run, oG, tG map[group][]int, gs []group) error {
	g := gs[0]
	or, tr := &ours[oG[g][0]], &theirs[tG[g][0]]
	dates := fmt.Sprintf("ours dated %s, theirs %s", orNone(or.Date), orNone(tr.Date))
	if or.Date == tr.Date {
		dates = "both dated " + orNone(or.Date)
	}
	more := ""
	if len(gs) > 1 {
		more = fmt.Sprintf("; so are %d more config(s)", len(gs)-1)
	}
	return bench.Errorf(oursFile, sourceLine(or.Source, oursFile),
		"batch %q, config %s: both branches re-ingested it since the base, with different results (%s in theirs), and their dates do not tell which ingest came later (%s)%s; "+
			"nothing was merged, and %s is left as it was: abort the merge (git merge --abort), on one branch re-ingest the results that stand with a later date, 'perfgate baseline update --run-id %s --date \"$(date -u +%%Y-%%m-%%dT%%H:%%M:%%SZ)\" …' (the --date is needed: without one, a re-ingest of the results the batch already holds keeps their date), commit, and merge again",
		g.batch, g.key, tr.Source, dates, more, oursFile, g.batch)
}

func orNone(date string) string {
	if date == "" {
		return "(none)"
	}
	return date
}

// mergeDirections merges each metric's direction three-way and gives every run of the three
// versions the merged one. A direction is a fact of the store, held by its metric's Unit line
// (a hand fix of 'Unit mem-GB better=higher' to lower changes it for every run): a side that
// changed it since base wins over a side that did not, and two sides that changed it
// differently (or added the metric with two directions) are a conflict, refused with the
// metric's first result line in each version, rather than one side's picked without a word.
// Giving base the merged direction too keeps a direction change from making every run of
// the side that made it look re-ingested.
func mergeDirections(oursFile string, base, ours, theirs []bench.Run) error {
	type dir struct {
		better bench.Better
		source string // the first run that has the metric
	}
	of := func(runs []bench.Run) map[string]dir {
		m := map[string]dir{}
		for i := range runs {
			for _, x := range runs[i].Metrics {
				if _, ok := m[x.Name]; !ok {
					m[x.Name] = dir{x.Better, runs[i].Source}
				}
			}
		}
		return m
	}
	b, o, t := of(base), of(ours), of(theirs)
	merged := map[string]bench.Better{}
	var conflict []string
	for _, side := range []map[string]dir{o, t} {
		for n := range side {
			if _, done := merged[n]; done {
				continue
			}
			bd, inB := b[n]
			od, inO := o[n]
			td, inT := t[n]
			switch {
			case !inT:
				merged[n] = od.better
			case !inO:
				merged[n] = td.better
			case od.better == td.better:
				merged[n] = od.better
			case inB && td.better == bd.better: // ours changed it
				merged[n] = od.better
			case inB && od.better == bd.better: // theirs changed it
				merged[n] = td.better
			default:
				merged[n] = bench.Unknown
				conflict = append(conflict, n)
			}
		}
	}
	if len(conflict) > 0 {
		slices.Sort(conflict)
		n := conflict[0]
		od, td := o[n], t[n]
		why := "the base does not hold it, so both branches added it"
		if bd, ok := b[n]; ok {
			why = fmt.Sprintf("the base has it %s-is-better, so both branches changed it", bd.better)
		}
		more := ""
		if len(conflict) > 1 {
			more = fmt.Sprintf("; so do %d more metric(s): %s", len(conflict)-1, strings.Join(conflict[1:], ", "))
		}
		return bench.Errorf(oursFile, sourceLine(od.source, oursFile),
			"metric %q is %s-is-better in ours but %s-is-better in theirs (%s), and %s%s; "+
				"nothing was merged, and %s is left as it was: decide which direction is right, set it on the line 'Unit %s better=…' of the branch that has it wrong, commit, and merge again",
			n, od.better, td.better, td.source, why, more, oursFile, n)
	}
	for _, runs := range [][]bench.Run{base, ours, theirs} {
		for i := range runs {
			for j := range runs[i].Metrics {
				m := &runs[i].Metrics[j]
				if d, ok := merged[m.Name]; ok {
					m.Better = d
				}
			}
		}
	}
	return nil
}

// sourceLine is the line of a run's Source ("file:line") read from file; 0 if it has none.
func sourceLine(source, file string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(source, file+":"))
	return n
}

// latest is the latest date of the runs at idx (bench.ParseDate); ok is false when one is
// not a time (a store written from inputs without dates), which tells nothing about the order of ingests.
func latest(runs []bench.Run, idx []int) (d time.Time, ok bool) {
	for _, i := range idx {
		t, err := bench.ParseDate(runs[i].Date)
		if err != nil {
			return time.Time{}, false
		}
		if t.After(d) {
			d = t
		}
	}
	return d, len(idx) > 0
}

// A group is the runs of one config in one batch: what one ingest under a run id stores,
// and replaces when it is repeated.
type group struct{ batch, key string }

// groupsOf returns the indices of each group's runs, in order.
func groupsOf(runs []bench.Run) map[group][]int {
	m := map[group][]int{}
	for i := range runs {
		g := group{runs[i].Batch, runs[i].ConfigKey()}
		m[g] = append(m[g], i)
	}
	return m
}

// embed reports whether the runs at idx are the runs at baseIdx with some removed, in order
// (the window removes a config's oldest runs), and where each is in base: the leftmost
// embedding, so that of two versions that kept one of two equal runs, both say the first.
func embed(runs []bench.Run, idx []int, base []bench.Run, baseIdx []int) ([]int, bool) {
	at := make([]int, 0, len(idx))
	j := 0
	for _, i := range idx {
		for j < len(baseIdx) && !sameRun(runs[i], base[baseIdx[j]]) {
			j++
		}
		if j == len(baseIdx) {
			return nil, false
		}
		at = append(at, j)
		j++
	}
	return at, true
}

// sameRuns reports whether two versions of a group hold the same runs, in order.
func sameRuns(a []bench.Run, ai []int, b []bench.Run, bi []int) bool {
	return slices.EqualFunc(ai, bi, func(i, j int) bool { return sameRun(a[i], b[j]) })
}

// sameRun reports whether two versions of one run record the same measurement, from the same
// ingest (its date and commit) and launch.
func sameRun(a, b bench.Run) bool {
	return a.Outcome == b.Outcome && a.Reason == b.Reason && a.Date == b.Date && a.Commit == b.Commit &&
		a.File == b.File && a.Formula == b.Formula && maps.Equal(a.Args, b.Args) &&
		reflect.DeepEqual(a.Metrics, b.Metrics)
}

// WriteFile writes runs as a store file at path, atomically, with window on its closing
// line. The content is parsed back first, so a store that could not be read is never
// written. A symbolic link at path is written through.
func WriteFile(path string, runs []bench.Run, window int) error {
	var buf bytes.Buffer
	if err := write(&buf, runs, false, window); err != nil {
		return err
	}
	if _, err := parse(path, buf.Bytes(), parseVerify); err != nil {
		return fmt.Errorf("refusing to write a baseline that does not read back: %w", err)
	}
	return atomicfile.Write(path, buf.Bytes(), 0o644)
}

func (st Merge3Stats) String() string {
	s := "merged " + strconv.Itoa(st.Ours) + " run(s) of ours and " + strconv.Itoa(st.Theirs) + " of theirs (" + strconv.Itoa(st.Base) + " in the base): " + strconv.Itoa(st.Merged) + " run(s)"
	if st.Removed > 0 {
		s += fmt.Sprintf(", %d removed on one side stay removed", st.Removed)
	}
	// Configs both branches re-ingested, summed by batch and dates: a re-ingested sweep is
	// one phrase, not one per config.
	for i := 0; i < len(st.Reingested); {
		re := st.Reingested[i]
		n, runs := 0, 0
		for ; i < len(st.Reingested); i++ {
			x := st.Reingested[i]
			if x.Batch != re.Batch || x.KeptTheirs != re.KeptTheirs || x.Kept != re.Kept || x.Dropped != re.Dropped {
				break
			}
			n++
			runs += x.DroppedRuns
		}
		kept, dropped := "ours", "theirs"
		if re.KeptTheirs {
			kept, dropped = dropped, kept
		}
		s += fmt.Sprintf(", batch %q re-ingested on both branches: kept the later ingest, %s of %s, for %d config(s), and dropped the %d run(s) of %s of %s",
			re.Batch, kept, re.Kept, n, runs, dropped, re.Dropped)
	}
	if st.Pruned > 0 {
		s += fmt.Sprintf(", %d dropped beyond the window of %d", st.Pruned, st.Window)
	}
	return s
}
