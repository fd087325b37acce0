package ingest

import (
	"bytes"
	"io"
	"strconv"

	"github.com/perfgate/perfgate/bench"
)

// TorchtitanFormat reads torchtitan training logs (torchtitan/components/metrics.py):
//
//	[rank0]:[titan] 2025-07-21 15:57:42,774 - root - INFO - step:  3  loss:  4.9925  grad_norm:  2.6422  memory: 66.91GiB(37.51%)  tps: 30,768  tflops: 314.71  mfu: 13.99%
//
// with ANSI colour codes and thousands separators; "mfu: N/A" under FP8. Each step line
// gives a tokens/s/GPU sample (tps, or wps in 2024 releases) and, when logged, a TFLOPS/GPU
// sample (releases of early 2025 log no tflops); the largest "memory" (the allocator's peak
// reserved memory) is MB-max-reserved. torchtitan does not log the time per step. When every
// rank logs, only the rank of the first step line is read. The start line gives gbs, sl and
// the planned number of steps, in each of its spellings:
//
//	Training starts at step 1, with local batch size 8, global batch size 64, gradient accumulation steps 1, sequence length 8192, total steps 1000 (warmup 200)
//	Trainer is initialized with local batch size 8, global batch size 64, gradient accumulation steps 1, sequence length 2048, total steps 10 (warmup 2)
//	Trainer is initialized with 16384 tokens per DP rank, 131072 tokens per train step, gradient accumulation steps 1, maximum context length 8192, total steps 1000 (warmup 200)
//
// (the last gives sl from the context length and gbs as tokens per step over it).
// "Starting job:" starts a new run, and so does a start line after the steps of the stream
// read (another job's, with its own config). The rest of the config comes from the file name, a
// sidecar JSON and --set.
var TorchtitanFormat = &Format{
	Name:   "torchtitan",
	Doc:    "torchtitan training log (\"step: 4  loss: …  memory: …GiB(…%)  tps: 10,050  tflops: 314.71  mfu: …\", or wps: in 2024)",
	Sniff:  sniffTorchtitan,
	Read:   readTorchtitan,
	Warmup: true,
}

var (
	kwStep        = []byte("step:")
	kwTFLOPSColon = []byte("tflops:")
	kwTPS         = []byte("tps:")
	kwMemoryColon = []byte("memory:")
	kwStartingJob = []byte("Starting job:")
	kwTrainStarts = []byte("Training starts at step")
	kwTrainerInit = []byte("Trainer is initialized with")
	kwWPS         = []byte("wps:")
	kwValidate    = []byte("validate ")
	kwLossColon   = []byte("loss:")
	kwTokensStep  = []byte("tokens per train step")
	kwMaxContext  = []byte("maximum context length")
	kwTotalSteps  = []byte("total steps")
	kwGlobalBatch = []byte("global batch size")
	kwSeqLen      = []byte("sequence length")
)

func sniffTorchtitan(file string, head []byte) bool {
	for rest := head; len(rest) > 0; {
		i := bytes.Index(rest, kwStep)
		if i < 0 {
			return false
		}
		ls := bytes.LastIndexByte(rest[:i], '\n') + 1
		le := bytes.IndexByte(rest[i:], '\n')
		if le < 0 {
			le = len(rest) - i
		}
		if _, _, ok := titanThroughput(rest[ls : i+le]); ok {
			return true
		}
		rest = rest[i+le:]
	}
	return false
}

// titanThroughput returns the index of the tokens/s field ("tps:", or "wps:" in 2024
// releases) of a step line and the index of its "tflops:" field (-1 when the line has none),
// or ok=false when line is not a step line: "step:" followed by "loss:" and a tokens/s field.
func titanThroughput(line []byte) (tps, tflops int, ok bool) {
	s := bytes.Index(line, kwStep)
	if s < 0 || bytes.HasSuffix(line[:s], kwValidate) {
		return 0, 0, false // "validate step: 10  loss: …  tps: …" measures evaluation
	}
	if !bytes.Contains(line[s:], kwLossColon) {
		return 0, 0, false
	}
	tps = bytes.Index(line[s:], kwTPS)
	if tps < 0 {
		tps = bytes.Index(line[s:], kwWPS)
	}
	if tps < 0 {
		return 0, 0, false
	}
	tps += s
	tflops = bytes.Index(line[s:], kwTFLOPSColon)
	if tflops >= 0 {
		tflops += s
	}
	return tps, tflops, true
}

// titanRun is one run of a torchtitan log.
type titanRun struct {
	l      simpleLog
	tflops series
	tokens series
	fail   failureTracker
	rank   []byte // launcher prefix of the first step line
	ranked bool
	last   int // the last step read; -1 before the first
	// restarted is set once the step count went back: the step lines after that are another
	// run's, left out until a "Starting job:" line.
	restarted bool
}

// started reports whether the run has read a step line.
func (t *titanRun) started() bool { return t.last >= 0 }

func readTorchtitan(file string, r io.Reader, opts *Options) ([]bench.Run, error) {
	if opts == nil {
		opts = &Options{SkipIters: -1}
	}
	var runs []bench.Run
	recognized := false
	cur := &titanRun{last: -1}
	flush := func() error {
		if !cur.started() && cur.fail.first() == nil && len(runs) > 0 {
			return nil
		}
		cur.l.fail, cur.l.tflops, cur.l.tokens = &cur.fail, &cur.tflops, &cur.tokens
		rs, err := simpleRun(file, opts, cur.l)
		if err != nil {
			return err
		}
		runs = append(runs, rs...)
		return nil
	}
	lr := newLineReader(r)
	var cl lineCleaner
	for {
		raw, ok := lr.next()
		if !ok {
			break
		}
		line, prefix := cl.clean(raw)
		tpsAt, t, isStep := titanThroughput(line)
		s := bytes.Index(line, kwStep)
		if !isStep {
			if bytes.Contains(line, kwStartingJob) && (cur.started() || cur.fail.first() != nil) {
				if err := flush(); err != nil {
					return nil, err
				}
				cur = &titanRun{last: -1}
			}
			if bytes.Contains(line, kwTrainStarts) || bytes.Contains(line, kwTrainerInit) {
				if cur.started() && bytes.Equal(prefix, cur.rank) {
					// The read stream's start line after its steps: another job (a resumed
					// run, a second job appended without its "Starting job:" line), with its
					// own batch size, sequence length and planned steps. Read into this run,
					// they would replace this run's, and its steps would pass as this run's.
					if err := flush(); err != nil {
						return nil, err
					}
					cur = &titanRun{last: -1}
				}
				titanStartLine(&cur.l, line)
				recognized = true
			}
			cur.fail.observe(line, lr.lineNo)
			continue
		}
		recognized = true
		step, _, ok := intAt(line[s+len(kwStep):])
		if !ok {
			continue
		}
		if !cur.ranked {
			cur.rank, cur.ranked = append([]byte(nil), prefix...), true
		} else if !bytes.Equal(prefix, cur.rank) {
			continue // another rank's copy of the line
		}
		if cur.restarted {
			cur.l.ignored++
			continue
		}
		if step <= cur.last {
			if step < cur.last {
				// The count went back: another job's steps, pasted or appended without its
				// "Starting job:" line. Its later steps would otherwise pass as this run's.
				cur.restarted = true
				cur.l.notes = append(cur.l.notes, reasonAt(file, lr.lineNo, "step "+strconv.Itoa(step)+" after step "+strconv.Itoa(cur.last)+
					": the count starts again, so another run follows without a \"Starting job:\" line; its lines from here on were left out, not taken as this run's"))
			}
			cur.l.ignored++
			continue
		}
		tokens, _, ok := numberAt(line[tpsAt+len(kwTPS):]) // "wps:" is as long as "tps:"
		if !ok {
			continue
		}
		if !cur.started() {
			cur.l.start = lr.lineNo
		}
		cur.last = step
		cur.tokens.add(step, tokens)
		if t >= 0 {
			if tf, _, ok := numberAt(line[t+len(kwTFLOPSColon):]); ok {
				cur.tflops.add(step, tf)
			}
		}
		if i := bytes.Index(line, kwMemoryColon); i >= 0 {
			v, k, ok := numberAt(line[i+len(kwMemoryColon):])
			if ok {
				unit := line[i+len(kwMemoryColon)+k:]
				mb := v * 1024 // GiB
				if bytes.HasPrefix(unit, []byte("MiB")) {
					mb = v
				}
				if mb > cur.l.reserved {
					cur.l.reserved = mb
				}
			}
		}
	}
	if lr.err != nil {
		return nil, bench.Errorf(file, lr.lineNo+1, "%v", lr.err)
	}
	if !recognized && opts.forced() && cur.fail.first() == nil {
		return nil, errNoLines
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return runs, nil
}

// titanStartLine reads "Training starts at step 1, with local batch size 8, global batch
// size 64, gradient accumulation steps 1, sequence length 8192, total steps 1000 (warmup
// 200)" into the run's config and planned step count.
func titanStartLine(l *simpleLog, line []byte) {
	num := func(key []byte) (int, bool) {
		i := bytes.Index(line, key)
		if i < 0 {
			return 0, false
		}
		v, _, ok := intAt(line[i+len(key):])
		return v, ok && v > 0
	}
	if v, ok := num(kwTotalSteps); ok {
		l.total = v
	}
	if l.base == nil {
		l.base = bench.Config{}
	}
	if v, ok := num(kwGlobalBatch); ok {
		l.base["gbs"] = strconv.Itoa(v)
	}
	if v, ok := num(kwSeqLen); ok {
		l.base["sl"] = strconv.Itoa(v)
	}
	// "131072 tokens per train step, …, maximum context length 8192": the number comes
	// before its name.
	if ctx, ok := num(kwMaxContext); ok {
		l.base["sl"] = strconv.Itoa(ctx)
		if i := bytes.Index(line, kwTokensStep); i > 0 {
			j := bytes.LastIndexByte(bytes.TrimRight(line[:i], " "), ' ') + 1
			if tokens, _, ok := intAt(line[j:i]); ok && tokens > 0 {
				if tokens%ctx == 0 {
					l.base["gbs"] = strconv.Itoa(tokens / ctx)
				} else {
					l.base["tokens-per-step"] = strconv.Itoa(tokens)
				}
			}
		}
	}
}
