package ingest

import (
	"bytes"
	"io"
	"math"
	"slices"

	"github.com/perfgate/perfgate/bench"
)

// MegatronBridgeFormat reads Megatron-Bridge training logs: "Step Time : 12.78s GPU
// utilization: 528.1MODEL_TFLOP/s/GPU" lines (older releases print "528.1 TFLOP/s/GPU"),
// each followed by a Megatron-style iteration line whose millisecond time is used when
// present, and "memory (GB)" reports. The config comes from the file name, a sidecar JSON and
// --set.
var MegatronBridgeFormat = &Format{
	Name:   "megatron-bridge",
	Doc:    "Megatron-Bridge training log (\"Step Time : 12.78s GPU utilization: 528.1MODEL_TFLOP/s/GPU\")",
	Sniff:  sniffBridge,
	Read:   readBridge,
	Warmup: true,
}

var (
	kwStepTime  = []byte("Step Time :")
	kwGPUUtil   = []byte("GPU utilization:")
	kwTFLOPUnit = []byte("TFLOP/s/GPU")
)

func sniffBridge(file string, head []byte) bool {
	i := bytes.Index(head, kwStepTime)
	return i >= 0 && bytes.Contains(head[i:], kwGPUUtil) && bytes.Contains(head[i:], kwTFLOPUnit)
}

func readBridge(file string, r io.Reader, opts *Options) ([]bench.Run, error) {
	return readMegatronLog(file, r, opts, true)
}

// stepTimeLine parses the rest of a Megatron-Bridge "Step Time : 12.78s GPU utilization:
// 528.1MODEL_TFLOP/s/GPU" line.
func (p *megatronParser) stepTimeLine(rest []byte, n int) error {
	m := p.cur
	secs, k, ok := numberAt(rest)
	if !ok {
		return nil
	}
	p.recognized = true
	if m.restart != "" {
		return nil // another run's step, after the iteration count started again
	}
	if m.newJob != nil && !slices.ContainsFunc(m.iters, func(it int) bool { return it >= 0 }) {
		// Step Time lines alone, no iteration lines: nothing tells whether the other job's
		// count went on or back, and merged its steps would pass as this run's.
		return p.newJobError(n, "a Step Time line (with no iteration line to tell its step)")
	}
	tf := math.NaN()
	if v, ok := numberAfter(rest[k:], kwGPUUtil); ok {
		tf = v
	}
	if len(m.iters) == 0 && m.args == nil {
		m.start = n
	}
	m.iters = append(m.iters, -1)
	m.times = append(m.times, secs)
	m.tflops = append(m.tflops, tf)
	m.bridgeNew = true
	return nil
}
