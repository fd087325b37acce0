package ingest

import (
	"bytes"
	"io"
	"slices"
	"strconv"

	"github.com/perfgate/perfgate/bench"
)

// NeMoFormat reads NeMo 2.0 (Lightning) training logs, whose progress printer writes
// "Training epoch 0, iteration 120/149 | lr: 3e-05 | … | train_step_timing in s: 0.03146 |
// TFLOPS_per_GPU: 312.4" with floats at four significant digits ("1.249e+03"). Each line
// gives an s/iter sample (train_step_timing) and, when the FLOPs callback is on, a
// TFLOPS/GPU sample; tokens_per_sec_per_gpu gives tokens/s/GPU samples; the largest
// max_memory_allocated and max_memory_reserved (in bytes, NEMO_LOG_MEMORY_USAGE=1) give
// MB-max-allocated and MB-max-reserved. global_batch_size gives gbs when every line agrees;
// the rest of the config comes from the file name, a sidecar JSON and --set. A log is one
// run: another job appended is left out with a note when its iteration count goes back, and
// refused when it follows a Lightning start banner ("GPU available: ", "All distributed
// processes registered.") printed after this run's iterations and its count does not go back.
var NeMoFormat = &Format{
	Name:   "nemo",
	Doc:    "NeMo 2.0 training log (\"Training epoch 0, iteration 120/149 | … | train_step_timing in s: …\")",
	Sniff:  sniffNeMo,
	Read:   readNeMo,
	Warmup: true,
}

var (
	kwTrainingEpoch = []byte("Training epoch ")
	kwStepTiming    = []byte("train_step_timing in s:")
	kwNeMoTFLOPS    = []byte("TFLOPS_per_GPU:")
	kwCommaIter     = []byte(", iteration ")
	kwNeMoTokens    = []byte("tokens_per_sec_per_gpu:")
	kwNeMoMaxAlloc  = []byte("max_memory_allocated:")
	kwNeMoMaxRes    = []byte("max_memory_reserved:")
	kwNeMoGBS       = []byte("global_batch_size:")
)

func sniffNeMo(file string, head []byte) bool {
	i := bytes.Index(head, kwTrainingEpoch)
	return i >= 0 && bytes.Contains(head[i:], kwStepTiming)
}

func readNeMo(file string, r io.Reader, opts *Options) ([]bench.Run, error) {
	if opts == nil {
		opts = &Options{SkipIters: -1}
	}
	var (
		times, tflops  series
		tokens         series
		allocMB, resMB float64
		gbs            = -1 // -1 none seen, 0 lines disagree
		notes          []string
		fail           failureTracker
		start          int
		offset         int // iterations of the epochs before this one
		prevIter       = -1
		prevEpoch      = -1
		prevTotal      int
		lastIdx        = -1
		ignored        int
		restart        string   // why the lines from some line on are another job's; "" if none
		planned        int      // the last iteration the run was to do (N of "i/N"); -1 unknown
		newJob         *failure // another job's start banner after this run's iterations
	)
	lr := newLineReader(r)
	var cl lineCleaner
	for {
		raw, ok := lr.next()
		if !ok {
			break
		}
		line, _ := cl.clean(raw)
		i := bytes.Index(line, kwTrainingEpoch)
		if i < 0 || !bytes.Contains(line[i:], kwStepTiming) {
			if start != 0 && newJob == nil && restart == "" && containsAny(line, nemoBanners) {
				newJob = &failure{line: lr.lineNo, text: quoteLine(line)}
			}
			fail.observe(line, lr.lineNo)
			continue
		}
		rest := line[i+len(kwTrainingEpoch):]
		epoch, k, ok := intAt(rest)
		if !ok || !bytes.HasPrefix(rest[k:], kwCommaIter) {
			continue
		}
		rest = rest[k+len(kwCommaIter):]
		it, k, ok := intAt(rest)
		if !ok {
			continue
		}
		total := 0
		if k < len(rest) && rest[k] == '/' {
			total, _, _ = intAt(rest[k+1:])
		}
		if it <= prevIter && epoch > prevEpoch {
			// A new epoch restarts the iteration count. One that does not (a second job
			// appended to the log, a line printed again) gives lines that do not advance.
			offset += max(prevTotal, prevIter+1)
		}
		switch {
		case epoch != 0 || offset > 0 || total <= 0 || planned > 0 && total != planned:
			// N in "iteration i/N" may count one epoch, not the run: only a log of one
			// epoch, every line agreeing, says what the run was to do.
			planned = -1
		case planned == 0:
			planned = total
		}
		prevIter, prevTotal, prevEpoch = it, total, epoch
		idx := offset + it
		if newJob != nil && restart == "" && idx >= lastIdx {
			// Another job started (a Lightning banner) and its count does not go back: a
			// resumed run and another job look alike, and merged its iterations would pass
			// as this run's samples. A count that goes back is the restart rule's, below.
			return nil, bench.Errorf(file, lr.lineNo, "iteration %d of epoch %d follows another job's start at line %d (%s) after iteration %d of the run at line %d: "+
				"perfgate will not merge two jobs into one run and cannot tell this one's config; split the log into one file per job",
				it, epoch, newJob.line, newJob.text, lastIdx-offset, start)
		}
		if restart != "" || idx <= lastIdx {
			// A count that goes back within an epoch starts another job's lines (a second
			// job appended to the log): they, and every later one, are left out, or that
			// job's iterations past this one's last would pass as this run's samples.
			if restart == "" && idx < lastIdx {
				restart = restartNote(file, lr.lineNo, idx-offset, lastIdx-offset)
			}
			ignored++
			continue
		}
		t, ok := numberAfter(line, kwStepTiming)
		if !ok {
			continue
		}
		lastIdx = idx
		if start == 0 {
			start = lr.lineNo
		}
		times.add(idx, t)
		if v, ok := numberAfter(line, kwNeMoTFLOPS); ok {
			tflops.add(idx, v)
		}
		if v, ok := numberAfter(line, kwNeMoTokens); ok {
			tokens.add(idx, v)
		}
		if v, ok := numberAfter(line, kwNeMoMaxAlloc); ok && finite(v) && v/(1<<20) > allocMB {
			allocMB = v / (1 << 20)
		}
		if v, ok := numberAfter(line, kwNeMoMaxRes); ok && finite(v) && v/(1<<20) > resMB {
			resMB = v / (1 << 20)
		}
		if v, ok := numberAfter(line, kwNeMoGBS); ok && v > 0 && v == float64(int(v)) {
			switch {
			case gbs == -1:
				gbs = int(v)
			case gbs != int(v):
				gbs = 0
			}
		}
	}
	if lr.err != nil {
		return nil, bench.Errorf(file, lr.lineNo+1, "%v", lr.err)
	}
	if start == 0 && opts.forced() && fail.first() == nil {
		return nil, errNoLines
	}
	var base bench.Config
	switch {
	case gbs > 0:
		base = bench.Config{"gbs": strconv.Itoa(gbs)}
	case gbs == 0:
		notes = append(notes, "global_batch_size changes during the run (batch-size ramp-up); gbs left out of the config")
	}
	if restart != "" {
		notes = append(notes, restart)
	}
	return simpleRun(file, opts, simpleLog{
		base: base, start: start, fail: &fail, times: &times, tflops: &tflops, tokens: &tokens, ignored: ignored,
		allocated: allocMB, reserved: resMB, notes: notes, total: max(planned, 0),
	})
}

// nemoBanners are lines PyTorch Lightning prints, on rank 0, once as a NeMo 2.0 job's
// trainer starts and its process group forms, before the first training iteration.
var nemoBanners = [][]byte{
	[]byte("GPU available: "),
	[]byte("All distributed processes registered."),
}

// A simpleLog is what the NeMo and torchtitan readers collected for one run (Megatron-Bridge
// logs go through the Megatron-LM parser instead).
type simpleLog struct {
	base      bench.Config // config the log itself gives
	start     int          // line of the first sample
	fail      *failureTracker
	times     *series // s/iter
	tflops    *series // TFLOPS/GPU
	tokens    *series // tokens/s/GPU
	reserved  float64 // MB-max-reserved
	allocated float64 // MB-max-allocated
	total     int     // planned iterations, when the log says
	ignored   int
	notes     []string
}

// simpleRun turns what a reader collected into one Run with the shared warm-up,
// failure and cut-off rules.
func simpleRun(file string, opts *Options, l simpleLog) ([]bench.Run, error) {
	cfg, named, err := fileConfig(file, l.base, false)
	if err != nil {
		return nil, err
	}
	l.notes = append(slices.Clip(l.notes), named...)
	start := l.start
	if start == 0 {
		start = 1
		if f := l.fail.first(); f != nil {
			start = f.line
		}
	}
	run := bench.Run{Source: file + ":" + strconv.Itoa(start), Config: cfg, Outcome: bench.OK, Notes: l.notes}
	// The iterations any metric was logged at, merged.
	var iters []int
	for _, s := range []*series{l.times, l.tflops, l.tokens} {
		if s != nil && len(s.iters) > len(iters) {
			iters = s.iters
		}
	}
	if f := l.fail.first(); f != nil {
		run.Outcome = f.outcome
		run.Reason = reasonAt(file, f.line, f.text)
		if len(iters) > 0 {
			run.Notes = append(run.Notes, strconv.Itoa(len(iters))+" iterations were logged before the failure (up to iteration "+strconv.Itoa(iters[len(iters)-1])+")")
		}
		return []bench.Run{run}, nil
	}
	if len(iters) == 0 {
		run.Outcome = bench.Error
		run.Reason = reasonAt(file, start, "no training iterations logged")
		return []bench.Run{run}, nil
	}
	if len(iters) == 1 {
		run.Outcome = bench.Error
		run.Reason = reasonAt(file, start, "only the warm-up iteration "+strconv.Itoa(iters[0])+" was logged")
		return []bench.Run{run}, nil
	}
	skip := skipOf(opts, iters[0], iters[len(iters)-1], l.total)
	limit, note := warmupLimit(iters, skip)
	if note != "" {
		run.Notes = append(run.Notes, note)
	}
	steady := 0
	for _, it := range iters {
		if it > limit {
			steady++
		}
	}
	if cut := cutOffNote(iters, l.total, steady); cut != "" {
		run.Notes = append(run.Notes, cut)
	}
	if l.ignored > 0 {
		run.Notes = append(run.Notes, strconv.Itoa(l.ignored)+" lines that did not advance the iteration number were ignored")
	}
	addSeries := func(s *series, name string, better bench.Better) {
		if s == nil || len(s.vals) == 0 {
			return
		}
		vs := s.after(limit)
		if len(vs) == 0 {
			return
		}
		if better == bench.Higher && !measurable(vs, name) {
			run.Notes = append(run.Notes, name+" includes a value that is not positive or beyond what a run can measure; left out")
			return
		}
		run.Metrics = append(run.Metrics, bench.Metric{Name: name, Unit: name, Better: better, Values: vs})
	}
	addSeries(l.times, bench.MetricTime, bench.Lower)
	addSeries(l.tflops, bench.MetricTFLOPS, bench.Higher)
	addSeries(l.tokens, MetricTokens, bench.Higher)
	if l.allocated > 0 {
		run.Metrics = append(run.Metrics, bench.Metric{Name: bench.MetricMaxAlloc, Unit: bench.MetricMaxAlloc, Better: bench.Lower, Values: []float64{l.allocated}})
	}
	if l.reserved > 0 {
		run.Metrics = append(run.Metrics, bench.Metric{Name: MetricMaxReserved, Unit: MetricMaxReserved, Better: bench.Lower, Values: []float64{l.reserved}})
	}
	if len(run.Metrics) == 0 {
		run.Outcome = bench.Error
		run.Reason = reasonAt(file, start, "no usable measurements after warm-up")
	}
	return []bench.Run{run}, nil
}

// Metrics that only some trainer logs report, beside the canonical ones in run.go.
const (
	// MetricTokens is training throughput in tokens per second per GPU (torchtitan's tps),
	// higher is better.
	MetricTokens = "tokens/s/GPU"
	// MetricMaxReserved is the peak memory the caching allocator reserved, in MB (MiB),
	// lower is better (torchtitan's memory figure).
	MetricMaxReserved = "MB-max-reserved"
)
