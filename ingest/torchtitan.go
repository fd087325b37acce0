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
// gives a TFLOPS/GPU and a tokens/s/GPU sample, and the largest "memory" (the allocator's
// peak reserved memory) is MB-max-reserved. torchtitan does not log the time per step. When
// every rank logs, only the rank of the first step line is read. "Training starts at step 1,
// … global batch size 64, … sequence length 8192, total steps 1000" gives gbs, sl and the
// planned number of steps; "Starting job:" starts a new run. The rest of the config comes
// from the file name, a sidecar JSON and --set.
var TorchtitanFormat = &Format{
	Name:  "torchtitan",
	Doc:   "torchtitan training log (\"step: 4  loss: …  memory: …GiB(…%)  tps: 10,050  tflops: 314.71  mfu: …\")",
	Sniff: sniffTorchtitan,
	Read:  readTorchtitan,
}

var (
	kwStep        = []byte("step:")
	kwTFLOPSColon = []byte("tflops:")
	kwTPS         = []byte("tps:")
	kwMemoryColon = []byte("memory:")
	kwStartingJob = []byte("Starting job:")
	kwTrainStarts = []byte("Training starts at step")
	kwTotalSteps  = []byte("total steps")
	kwGlobalBatch = []byte("global batch size")
	kwSeqLen      = []byte("sequence length")
)

func sniffTorchtitan(file string, head []byte) bool {
	i := bytes.Index(head, kwTFLOPSColon)
	if i < 0 {
		return false
	}
	// The step and tps fields are on the same line, before tflops.
	ls := bytes.LastIndexByte(head[:i], '\n') + 1
	line := head[ls:i]
	return bytes.Contains(line, kwStep) && bytes.Contains(line, kwTPS)
}

// titanRun is one run of a torchtitan log.
type titanRun struct {
	l       simpleLog
	tflops  series
	tokens  series
	fail    failureTracker
	rank    []byte // launcher prefix of the first step line
	ranked  bool
	last    int
	started bool
}

func readTorchtitan(file string, r io.Reader, opts *Options) ([]bench.Run, error) {
	if opts == nil {
		opts = &Options{SkipIters: -1}
	}
	var runs []bench.Run
	cur := &titanRun{last: -1}
	flush := func() error {
		if !cur.started && cur.fail.first() == nil && len(runs) > 0 {
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
		t := bytes.Index(line, kwTFLOPSColon)
		s := bytes.Index(line, kwStep)
		if t < 0 || s < 0 || s > t {
			if bytes.Contains(line, kwStartingJob) && (cur.started || cur.fail.first() != nil) {
				if err := flush(); err != nil {
					return nil, err
				}
				cur = &titanRun{last: -1}
			}
			if bytes.Contains(line, kwTrainStarts) {
				titanStartLine(&cur.l, line)
			}
			cur.fail.observe(line, lr.lineNo)
			continue
		}
		step, _, ok := intAt(line[s+len(kwStep):])
		if !ok {
			continue
		}
		if !cur.ranked {
			cur.rank, cur.ranked = append([]byte(nil), prefix...), true
		} else if !bytes.Equal(prefix, cur.rank) {
			continue // another rank's copy of the line
		}
		if step <= cur.last {
			cur.l.ignored++
			continue
		}
		tf, _, ok := numberAt(line[t+len(kwTFLOPSColon):])
		if !ok {
			continue
		}
		cur.last = step
		if !cur.started {
			cur.started = true
			cur.l.start = lr.lineNo
		}
		cur.tflops.add(step, tf)
		if v, ok := numberAfter(line, kwTPS); ok {
			cur.tokens.add(step, v)
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
}
