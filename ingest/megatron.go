package ingest

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/flops"
)

// MegatronFormat reads Megatron-LM training logs (megatron/training/training.py):
//
//   - the argument dump between "------------------------ arguments ------------------------"
//     and "-------------------- end of arguments ---------------------", which gives the config
//     (tp, pp, vpp, cp, ep, mbs, gbs, sl, nodes, flags) and, without --log-throughput, the
//     model shape to compute TFLOPS from;
//   - per-iteration lines " [date] iteration 71/ 100 | … | elapsed time per iteration (ms):
//     5361.6 | throughput per GPU (TFLOP/s/GPU): 243.6 | … | global batch size: 128 | …",
//     one s/iter and one TFLOPS/GPU sample each after warm-up;
//   - memory reports "[Rank 0] (after 10 iterations) memory (MB) | … | max allocated: … |",
//     whose maximum over ranks is MB-max-allocated;
//   - out-of-memory errors, Python tracebacks, NCCL errors and segmentation faults, which
//     make the run's outcome oom or error.
//
// Launcher prefixes ("0: ", "[rank7]:", "[default0]:"), ANSI colour codes and CRLF line ends
// are ignored. Each argument dump starts a new run, so concatenated logs give several runs.
// Another job appended without a dump is never merged into the run before it: if its
// iteration count goes back, its lines are left out with a note; if a start banner
// ("[before the start of training step]", "training ...") came after the run's iterations
// and the count does not go back, the log is refused (SyntaxError at that iteration line),
// since a resumed run and another job look alike and the second's config cannot be told.
var MegatronFormat = &Format{
	Name:   "megatron",
	Doc:    "Megatron-LM training log (argument dump, \"iteration N/ M | … elapsed time per iteration (ms)\" lines)",
	Sniff:  sniffMegatron,
	Read:   readMegatron,
	Warmup: true,
}

var (
	argsHeader      = []byte("------------------------ arguments ------------------------")
	argsEnd         = []byte("-------------------- end of arguments ---------------------")
	argsHeaderShort = []byte("-- arguments --")
	argsEndShort    = []byte("end of arguments")

	kwIteration = []byte("iteration")
	kwElapsed   = []byte("elapsed time per iteration (")
	kwDSTFLOPs  = []byte("TFLOPs:")
	kwTGS       = []byte("tokens per gpu per second (tgs):")
	kwTGSTight  = []byte("tokens per gpu per second(tgs):") // argonne-lcf/Megatron-DeepSpeed
	kwPrimusTok = []byte("tokens per GPU (tokens/s/GPU):")
	kwPrimusTPS = []byte("tokens/s/GPU inst/harmonic mean:")
	kwTput      = []byte("throughput per GPU (TFLOP/s/GPU):")
	kwCompute   = []byte("compute per GPU (TFLOP/s/GPU):")
	kwGBS       = []byte("global batch size:")
	kwMemory    = []byte("memory (")
	kwAlloc     = []byte("alloc")
	kwExiting   = []byte("exiting program")
	kwPadded    = []byte("padded vocab (size:")
	kwNewSize   = []byte("(new size:")
)

// startBanners are lines Megatron-LM (and Megatron-DeepSpeed) print once as a job starts,
// after its argument dump and before its first iteration (print_datetime in pretrain, rank 0
// after a barrier): seen after a run's iterations, they start another job's lines.
// "[after training is done]" ends a job and is not among them.
var startBanners = [][]byte{
	[]byte("[after megatron is initialized]"),
	[]byte("[after model, optimizer, and learning rate scheduler are built]"),
	[]byte("[after dataloaders are built]"),
	[]byte("[before the start of training step]"),
}

// startBanner reports whether line is one of startBanners or Megatron's bare "training ..."
// line, printed just before the first iteration.
func startBanner(line []byte) bool {
	if bytes.Equal(bytes.TrimSpace(line), []byte("training ...")) {
		return true
	}
	return bytes.IndexByte(line, '[') >= 0 && containsAny(line, startBanners)
}

func sniffMegatron(file string, head []byte) bool {
	return bytes.Contains(head, kwElapsed) || bytes.Contains(head, argsHeader)
}

func readMegatron(file string, r io.Reader, opts *Options) ([]bench.Run, error) {
	return readMegatronLog(file, r, opts, false)
}

// A megatronRun accumulates one run of a Megatron-LM or Megatron-Bridge log.
type megatronRun struct {
	start     int               // line of the argument header or the first iteration line
	args      map[string]string // the argument dump; nil if the run has none
	argsLine  int               // line of the argument header
	iters     []int             // logged iteration numbers, increasing
	times     []float64         // seconds per iteration
	tflops    []float64         // TFLOP/s/GPU as logged; NaN when the line had none
	gbs       []int             // global batch size per line when the line had no throughput
	total     int               // train_iters from "iteration N/ M"
	ignored   int               // iteration lines that did not advance the iteration
	memMB     float64           // max allocated memory over ranks, in MB (MiB)
	haveMem   bool
	fail      failureTracker
	stop      *failure  // a line saying the job stopped early (time limit, exit interval)
	env       logEnv    // node counts from the launcher, as seen when the run started
	bridgeNew bool      // Bridge: the last sample came from a Step Time line not yet matched
	tgs       []float64 // Megatron-DeepSpeed tokens per GPU per second; NaN where not logged
	restart   string    // why the iteration lines from some line on are another run's; "" if none
	// newJob is a start banner of another job seen after this run logged iterations, with
	// no argument dump after it yet; nil if none.
	newJob *failure
}

// logEnv is what launcher output says about the job's shape.
type logEnv struct {
	nodes, gpusPerNode int
	world              int // the job's GPU count (WORLD_SIZE=24); 0 if not printed
	worldLine          int // the line that printed world
}

func (m *megatronRun) empty() bool {
	return m.args == nil && len(m.iters) == 0 && m.fail.first() == nil && !m.haveMem
}

// A megatronParser is the state of one pass over a Megatron-LM or Megatron-Bridge log.
type megatronParser struct {
	file   string
	opts   *Options
	bridge bool
	runs   []bench.Run
	cur    *megatronRun
	env    logEnv
	// inArgs is set between an argument header and its end marker.
	inArgs bool
	// recognized is set once a line of the format itself (an argument dump, an iteration
	// or Step Time line) was seen, as opposed to output every trainer prints.
	recognized bool
}

func readMegatronLog(file string, r io.Reader, opts *Options, bridge bool) ([]bench.Run, error) {
	if opts == nil {
		opts = &Options{SkipIters: -1}
	}
	p := &megatronParser{file: file, opts: opts, bridge: bridge, cur: &megatronRun{}}
	lr := newLineReader(r)
	var cl lineCleaner
	for {
		raw, ok := lr.next()
		if !ok {
			break
		}
		line, _ := cl.clean(raw)
		if err := p.line(line, lr.lineNo); err != nil {
			return nil, err
		}
	}
	if lr.err != nil {
		return nil, bench.Errorf(file, lr.lineNo+1, "%v", lr.err)
	}
	if p.inArgs {
		return nil, bench.Errorf(file, p.cur.argsLine, "argument dump has no end marker %q", string(argsEnd))
	}
	if !p.recognized && opts.forced() && p.cur.fail.first() == nil {
		return nil, errNoLines
	}
	if err := p.flush(); err != nil {
		return nil, err
	}
	if len(p.runs) == 0 {
		// Nothing a run is made of: still a run, one that logged no iterations.
		p.cur.start = 1
		run, err := p.finish(p.cur)
		if err != nil {
			return nil, err
		}
		p.runs = append(p.runs, run)
	}
	return p.runs, nil
}

// line handles one cleaned line.
func (p *megatronParser) line(line []byte, n int) error {
	m := p.cur
	if p.inArgs {
		return p.argLine(line, n)
	}
	// The hot path: iteration lines.
	if i := bytes.Index(line, kwElapsed); i >= 0 {
		if ok, err := p.iterationLine(line, i, n); ok || err != nil {
			return err
		}
	}
	if bytes.Contains(line, argsHeaderShort) && !bytes.Contains(line, argsEndShort) {
		if !m.empty() {
			if err := p.flush(); err != nil {
				return err
			}
			m = &megatronRun{}
			p.cur = m
		}
		m.start, m.argsLine = n, n
		m.args = map[string]string{}
		p.recognized = true
		m.env = p.env
		p.inArgs = true
		return nil
	}
	if p.bridge {
		if i := bytes.Index(line, kwStepTime); i >= 0 {
			return p.stepTimeLine(line[i+len(kwStepTime):], n)
		}
	}
	if m.newJob == nil && m.restart == "" && len(m.iters) > 0 && startBanner(line) {
		// Another job starts. With its own argument dump it is a run of its own (the dump
		// splits); without one, its iteration lines decide (iterationLine).
		m.newJob = &failure{line: n, text: quoteLine(line)}
		return nil
	}
	if bytes.Contains(line, kwPadded) {
		// " > padded vocab (size: 50257) with 431 dummy tokens (new size: 50688)": dumps of
		// older releases lack padded_vocab_size, which the TFLOPS formula needs.
		if v, ok := numberAfter(line, kwNewSize); ok && v > 0 && v < 1<<31 && m.args != nil {
			if cur, ok := m.args["padded_vocab_size"]; !ok || cur == "None" || cur == "" {
				m.args["padded_vocab_size"] = strconv.Itoa(int(v))
			}
		}
		return nil
	}
	if bytes.Contains(line, kwMemory) && bytes.Contains(line, kwAlloc) {
		memoryLine(m, line)
		return nil
	}
	m.fail.observe(line, n)
	if m.stop == nil && (bytes.Contains(line, timeLimitMarker) || bytes.Contains(line, kwExiting)) {
		m.stop = &failure{line: n, text: quoteLine(line)}
	}
	p.envLine(line, n)
	return nil
}

// iterationLine parses " [date] iteration N/ M | … elapsed time per iteration (ms): X | …"
// where elapsed is the index of the elapsed-time key. It reports false if line is not one.
func (p *megatronParser) iterationLine(line []byte, elapsed, n int) (bool, error) {
	m := p.cur
	i := bytes.Index(line[:elapsed], kwIteration)
	if i < 0 {
		return false, nil
	}
	it, k, ok := intAt(line[i+len(kwIteration) : elapsed])
	if !ok {
		return false, nil
	}
	rest := line[i+len(kwIteration)+k : elapsed]
	total := 0
	if len(rest) > 0 && rest[0] == '/' {
		total, _, _ = intAt(rest[1:])
	}
	// Megatron-LM logs milliseconds, Megatron-DeepSpeed (BLOOM era) seconds.
	unit := line[elapsed+len(kwElapsed):]
	shift := 0
	switch {
	case bytes.HasPrefix(unit, []byte("ms):")):
		unit, shift = unit[len("ms):"):], 3
	case bytes.HasPrefix(unit, []byte("s):")):
		unit = unit[len("s):"):]
	default:
		return false, nil
	}
	secs, k, ok := numberAtScaled(unit, shift)
	if !ok {
		return false, nil
	}
	p.recognized = true
	after := unit[k:]
	tput, haveTput := numberAfter(after, kwTput)
	var tgs float64
	haveTGS := false
	if len(after) > 0 && after[0] == '/' {
		// AMD Primus: "(ms): 13100.0/13240.9 | … (TFLOP/s/GPU): 579.4/573.6 | tokens per GPU
		// (tokens/s/GPU): 10005.5/9903.7 |". Its trainer prints this interval's value, then
		// the mean of the recent intervals: the first number of each pair is the sample
		// (numberAt stops at the '/'), the running mean is not. Primus's training_log patch
		// (AMD-AGI/Primus@fd1eeabb) writes "compute per GPU (TFLOP/s/GPU): 615.5 (avg 615.5)
		// | tokens/s/GPU inst/harmonic mean: 11941.8/11941.8" once it averages, and the same
		// tokens after "throughput per GPU (TFLOP/s/GPU): 1290.3/1162.8" in its earlier
		// spelling; lines before it averages keep Megatron-LM's "throughput per GPU" and a
		// plain elapsed time, so one log carries both. The instantaneous values are read.
		if !haveTput {
			tput, haveTput = numberAfter(after, kwCompute)
		}
		tgs, haveTGS = numberAfter(after, kwPrimusTok)
		if !haveTGS {
			tgs, haveTGS = numberAfter(after, kwPrimusTPS)
		}
	}
	if !haveTput {
		// Megatron-DeepSpeed: "… | tokens per gpu per second (tgs): 7664.941 | TFLOPs: 181.27 |".
		// Only such lines are searched for tgs, which keeps Megatron-LM lines at one scan.
		if j := bytes.Index(after, kwDSTFLOPs); j >= 0 {
			tput, _, haveTput = numberAt(after[j+len(kwDSTFLOPs):])
			tgs, haveTGS = numberAfter(after[:j], kwTGS)
			if !haveTGS {
				// The ALCF fork prints "tokens per gpu per second(tgs): 1613.503".
				tgs, haveTGS = numberAfter(after[:j], kwTGSTight)
			}
		}
	}
	if m.restart != "" {
		// The iteration count started again without an argument dump: another run's lines,
		// which must not pass as this run's (its later iterations would).
		m.ignored++
		return true, nil
	}
	if m.newJob != nil {
		if prev := lastIter(m.iters); it >= prev {
			return true, p.newJobError(n, "iteration "+strconv.Itoa(it)+" (not below iteration "+strconv.Itoa(prev)+", where this run stopped)")
		}
		// The count goes back: the restart rule below leaves the lines out, with a note.
	}
	if p.bridge && m.bridgeNew && len(m.iters) > 0 && m.iters[len(m.iters)-1] < 0 {
		// The Step Time line just before this one measured the same iteration; the
		// iteration line has the finer time and the iteration number.
		last := len(m.iters) - 1
		m.bridgeNew = false
		if prev := lastIter(m.iters[:last]); it <= prev {
			if it < prev {
				m.restart = restartNote(p.file, n, it, prev)
				m.iters, m.times, m.tflops = m.iters[:last], m.times[:last], m.tflops[:last]
			}
			m.ignored++
			return true, nil
		}
		m.iters[last] = it
		m.times[last] = secs
		if haveTput && math.IsNaN(m.tflops[last]) {
			m.tflops[last] = tput
		}
		if total > 0 {
			m.total = total
		}
		return true, nil
	}
	m.bridgeNew = false
	if len(m.iters) > 0 && it <= lastIter(m.iters) {
		if prev := lastIter(m.iters); it < prev {
			m.restart = restartNote(p.file, n, it, prev)
		}
		m.ignored++
		return true, nil
	}
	if len(m.iters) == 0 && m.args == nil {
		m.start = n
	}
	if total > 0 {
		m.total = total
	}
	m.iters = append(m.iters, it)
	m.times = append(m.times, secs)
	if haveTGS {
		for len(m.tgs) < len(m.iters)-1 {
			m.tgs = append(m.tgs, math.NaN())
		}
		m.tgs = append(m.tgs, tgs)
	}
	if haveTput {
		m.tflops = append(m.tflops, tput)
	} else {
		m.tflops = append(m.tflops, math.NaN())
		gbs := 0
		if v, ok := numberAfter(after, kwGBS); ok && v > 0 && v < 1<<31 {
			gbs = int(v)
		}
		for len(m.gbs) < len(m.iters)-1 {
			m.gbs = append(m.gbs, 0)
		}
		m.gbs = append(m.gbs, gbs)
	}
	return true, nil
}

// lastIter returns the largest known iteration number in iters, or 0.
func lastIter(iters []int) int {
	for i := len(iters) - 1; i >= 0; i-- {
		if iters[i] >= 0 {
			return iters[i]
		}
	}
	return 0
}

// memoryLine parses "[Rank r] (after N iterations) memory (MB) | allocated: … | max
// allocated: … | …" and Megatron-Bridge's "memory (GB) | mem-max-allocated-gigabytes: …".
// The field whose name holds "alloc" and "max" or "peak" is the peak allocation.
func memoryLine(m *megatronRun, line []byte) {
	i := bytes.Index(line, kwMemory)
	rest := line[i+len(kwMemory):]
	end := bytes.IndexByte(rest, ')')
	if end < 0 {
		return
	}
	unit := string(bytes.ToLower(bytes.TrimSpace(rest[:end])))
	scale := 1.0
	switch unit {
	case "mb", "mib":
	case "gb":
		scale = 1e9 / (1 << 20)
	case "gib":
		scale = 1024
	default:
		return
	}
	for _, field := range bytes.Split(rest[end+1:], []byte("|")) {
		name, val, ok := bytes.Cut(field, []byte(":"))
		if !ok {
			continue
		}
		name = bytes.ToLower(name)
		if !bytes.Contains(name, []byte("alloc")) || !(bytes.Contains(name, []byte("max")) || bytes.Contains(name, []byte("peak"))) {
			continue
		}
		v, _, ok := numberAt(val)
		if !ok || !finite(v) || v < 0 {
			continue
		}
		v *= scale
		if !m.haveMem || v > m.memMB {
			m.memMB, m.haveMem = v, true
		}
	}
}

// envLine picks node and GPU counts out of launcher output such as "SLURM_NNODES=32",
// "GPUS_PER_NODE=8", "torchrun --nnodes 32 --nproc_per_node 8" or "WORLD_SIZE: 24".
func (p *megatronParser) envLine(line []byte, n int) {
	if !bytes.Contains(line, []byte("NODE")) && !bytes.Contains(line, []byte("node")) && !bytes.Contains(line, kwWorldSize) {
		return
	}
	const nodes, perNode, world = 0, 1, 2
	for _, kv := range []struct {
		key  string
		what int
	}{
		{"SLURM_JOB_NUM_NODES", nodes}, {"SLURM_NNODES", nodes}, {"NNODES", nodes}, {"NUM_NODES", nodes},
		{"--nnodes", nodes},
		{"GPUS_PER_NODE", perNode}, {"NPROC_PER_NODE", perNode}, {"SLURM_GPUS_ON_NODE", perNode},
		{"--nproc_per_node", perNode}, {"--nproc-per-node", perNode},
		{string(kwWorldSize), world}, // the check below skips LOCAL_WORLD_SIZE, a node's share
	} {
		// Every occurrence on the line counts: the first may be inside a longer name
		// ("LOCAL_WORLD_SIZE=4 WORLD_SIZE=384"), and the key must not depend on their order.
		for rest := line; ; {
			i := bytes.Index(rest, []byte(kv.key))
			if i < 0 {
				break
			}
			before := rest[:i]
			rest = rest[i+len(kv.key):]
			if i > 0 && (isLetter(before[i-1]) || before[i-1] == '_') {
				continue // SLURM_NNODES must not read as NNODES
			}
			if len(rest) == 0 || (rest[0] != '=' && rest[0] != ' ' && rest[0] != ':') {
				continue
			}
			v, _, ok := intAt(bytes.TrimLeft(rest[1:], " =:"))
			if !ok || v <= 0 || v > 1<<20 {
				continue
			}
			switch kv.what {
			case nodes:
				p.env.nodes = v
			case perNode:
				p.env.gpusPerNode = v
			default:
				p.env.world, p.env.worldLine = v, n
			}
		}
	}
}

var kwWorldSize = []byte("WORLD_SIZE")

// argLine handles a line inside the argument dump. Megatron prints each argument as
// "  name ...... value" with two spaces of indentation and dots up to column 50 (none for
// names of 48 characters or more). Lines without indentation are other ranks' output
// interleaved with the dump and are ignored; an indented line of another shape is an error.
func (p *megatronParser) argLine(line []byte, n int) error {
	m := p.cur
	if bytes.Contains(line, argsEndShort) {
		p.inArgs = false
		return nil
	}
	if bytes.Contains(line, kwElapsed) {
		return bench.Errorf(p.file, m.argsLine, "argument dump has no end marker before the first iteration (line %d)", n)
	}
	if bytes.Contains(line, argsHeaderShort) {
		return bench.Errorf(p.file, n, "new argument dump starts before the one at line %d ended with %q", m.argsLine, string(argsEnd))
	}
	if len(line) == 0 || (line[0] != ' ' && line[0] != '\t') {
		return nil
	}
	t := bytes.TrimSpace(line)
	if len(t) == 0 {
		return nil
	}
	j := 0
	for j < len(t) && (isLetter(t[j]) || t[j] == '_' || (j > 0 && isDigit(t[j]))) {
		j++
	}
	if j == 0 || (j < len(t) && t[j] != ' ' && t[j] != '\t') {
		return bench.Errorf(p.file, n, "malformed argument line %q; want \"  name ..... value\"", quoteLine(t))
	}
	name := string(t[:j])
	rest := bytes.TrimLeft(t[j:], " \t")
	if len(rest) > 0 && rest[0] == '.' {
		rest = bytes.TrimLeft(rest, ".")
		if len(rest) > 0 && rest[0] != ' ' && rest[0] != '\t' {
			return bench.Errorf(p.file, n, "malformed argument line %q; want \"  name ..... value\"", quoteLine(t))
		}
	} else if len(name) < 47 && len(rest) > 0 {
		return bench.Errorf(p.file, n, "malformed argument line %q: no dots between the name and the value", quoteLine(t))
	}
	val := string(bytes.TrimSpace(rest))
	if old, dup := m.args[name]; dup && old != val {
		return bench.Errorf(p.file, n, "argument %s appears twice in the dump starting at line %d, as %q and %q", name, m.argsLine, old, val)
	}
	m.args[name] = val
	return nil
}

// flush turns the current run into a Run.
func (p *megatronParser) flush() error {
	m := p.cur
	if m.empty() {
		return nil
	}
	if m.env == (logEnv{}) {
		m.env = p.env
	}
	run, err := p.finish(m)
	if err != nil {
		return err
	}
	p.runs = append(p.runs, run)
	return nil
}

func (p *megatronParser) finish(m *megatronRun) (bench.Run, error) {
	start := m.start
	if start == 0 {
		if f := m.fail.first(); f != nil {
			start = f.line
		} else {
			start = 1
		}
	}
	run := bench.Run{Source: p.file + ":" + strconv.Itoa(start), Outcome: bench.OK}
	var base bench.Config
	var notes []string
	if m.args != nil {
		c, ns, err := megatronConfig(m.args, m.env, p.opts.KeyArgs)
		if err != nil {
			return bench.Run{}, bench.Errorf(p.file, m.argsLine, "argument dump: %v", err)
		}
		base, notes = c, ns
	}
	cfg, named, err := fileConfig(p.file, base, true)
	if err != nil {
		return bench.Run{}, err
	}
	gpuNotes, err := p.gpusKey(cfg, m)
	if err != nil {
		return bench.Run{}, err
	}
	run.Config = cfg
	run.Notes = append(append(notes, named...), gpuNotes...)
	if m.args != nil {
		run.Args = argsFingerprint(m.args, p.opts.KeyArgs)
		for _, k := range p.opts.KeyArgs {
			if _, ok := m.args[k]; !ok {
				// A misspelt --key-arg would otherwise split nothing, without a word.
				run.Notes = append(run.Notes, fmt.Sprintf("--key-arg %s: the argument dump has no argument %q, so it is not in the config key; check the spelling (the dump's names use underscores)", k, k))
			}
		}
	}

	// Bridge samples without an iteration line are numbered after the last known one.
	for i, it := range m.iters {
		if it < 0 {
			m.iters[i] = lastIter(m.iters[:i]) + 1
		}
	}

	if f := m.fail.first(); f != nil {
		run.Outcome = f.outcome
		run.Reason = reasonAt(p.file, f.line, f.text)
		if len(m.iters) > 0 {
			run.Notes = append(run.Notes, strconv.Itoa(len(m.iters))+" iterations were logged before the failure (up to iteration "+strconv.Itoa(m.iters[len(m.iters)-1])+")")
		}
		return run, nil
	}
	if len(m.iters) == 0 {
		run.Outcome = bench.Error
		what := "no training iterations logged"
		if m.args != nil {
			what += " after the argument dump"
		}
		if m.stop != nil {
			run.Reason = reasonAt(p.file, m.stop.line, m.stop.text+" ("+what+")")
		} else {
			run.Reason = reasonAt(p.file, start, what)
		}
		return run, nil
	}
	skip := skipOf(p.opts, m.iters[0], m.iters[len(m.iters)-1], m.total)
	from, note := steadyStart(m.iters, skip)
	if from >= len(m.iters) {
		run.Outcome = bench.Error
		run.Reason = reasonAt(p.file, start, "only the warm-up iteration "+strconv.Itoa(m.iters[0])+" was logged")
		return run, nil
	}
	if note != "" {
		run.Notes = append(run.Notes, note)
	}
	steady := len(m.iters) - from
	if cut := cutOffNote(m.iters, m.total, steady); cut != "" {
		if m.stop != nil {
			cut += " (" + reasonAt(p.file, m.stop.line, m.stop.text) + ")"
		}
		run.Notes = append(run.Notes, cut)
	}
	if m.ignored > 0 {
		run.Notes = append(run.Notes, strconv.Itoa(m.ignored)+" iteration lines that did not advance the iteration number were ignored (duplicates, or another run without an argument dump)")
	}
	if m.restart != "" {
		run.Notes = append(run.Notes, m.restart)
	}
	run.Metrics = append(run.Metrics, bench.Metric{Name: bench.MetricTime, Unit: bench.MetricTime, Better: bench.Lower, Values: append([]float64(nil), m.times[from:]...)})

	tf, tfNote := p.throughput(m, from)
	if tfNote != "" {
		run.Notes = append(run.Notes, tfNote)
	}
	if tf != nil {
		run.Metrics = append(run.Metrics, bench.Metric{Name: bench.MetricTFLOPS, Unit: bench.MetricTFLOPS, Better: bench.Higher, Values: tf})
		if tfNote == "" && m.args != nil {
			run.Formula = loggedFormula(m.args, run.Metrics[0].Values, tf)
		}
	}
	if len(m.tgs) > 0 {
		var tgs []float64
		for i := from; i < len(m.iters); i++ {
			if i < len(m.tgs) && measurable(m.tgs[i:i+1], MetricTokens) {
				tgs = append(tgs, m.tgs[i])
			}
		}
		if len(tgs) == len(m.iters)-from {
			run.Metrics = append(run.Metrics, bench.Metric{Name: MetricTokens, Unit: MetricTokens, Better: bench.Higher, Values: tgs})
		}
	}
	if m.haveMem {
		run.Metrics = append(run.Metrics, bench.Metric{Name: bench.MetricMaxAlloc, Unit: bench.MetricMaxAlloc, Better: bench.Lower, Values: []float64{m.memMB}})
	}
	return run, nil
}

// throughput returns the steady TFLOP/s/GPU samples of a run: as logged when every steady
// line has them, otherwise computed from the argument dump's model shape and the iteration
// times. The note explains a computed or missing throughput.
func (p *megatronParser) throughput(m *megatronRun, from int) ([]float64, string) {
	logged := true
	for _, v := range m.tflops[from:] {
		if math.IsNaN(v) {
			logged = false
			break
		}
	}
	if logged {
		out := append([]float64(nil), m.tflops[from:]...)
		if !measurable(out, bench.MetricTFLOPS) {
			return nil, "logged TFLOP/s/GPU includes a value that is not positive or beyond what a run can measure; TFLOPS/GPU left out"
		}
		return out, ""
	}
	if m.args == nil {
		if slices.ContainsFunc(m.tflops, func(v float64) bool { return !math.IsNaN(v) }) {
			return nil, "only some iteration lines log a throughput; TFLOPS/GPU left out"
		}
		return nil, ""
	}
	return computeMegatronTFLOPS(m, from)
}

// megatronConfig builds a config from a Megatron-LM argument dump; see the package README
// section "Megatron-LM logs" for the mapping.
func megatronConfig(args map[string]string, env logEnv, keyArgs []string) (bench.Config, []string, error) {
	c := bench.Config{}
	var notes []string
	getInt := func(name string) (int, bool, error) {
		v, ok := args[name]
		if !ok || v == "None" || v == "" {
			return 0, false, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, false, errArg(name, v)
		}
		return n, true, nil
	}
	for _, kv := range []struct {
		key, arg string
		gt1      bool // only when larger than one
	}{
		{"tp", "tensor_model_parallel_size", false},
		{"pp", "pipeline_model_parallel_size", false},
		{"vpp", "virtual_pipeline_model_parallel_size", true},
		{"cp", "context_parallel_size", true},
		{"ep", "expert_model_parallel_size", true},
		{"mbs", "micro_batch_size", false},
		{"gbs", "global_batch_size", false},
		{"sl", "seq_length", false},
	} {
		n, ok, err := getInt(kv.arg)
		if err != nil {
			return nil, nil, err
		}
		if !ok || n == 0 || (kv.gt1 && n <= 1) {
			continue
		}
		c[kv.key] = strconv.Itoa(n)
	}
	world, haveWorld, err := getInt("world_size")
	if err != nil {
		return nil, nil, err
	}
	gpn := env.gpusPerNode
	for _, name := range []string{"gpus_per_node", "num_gpus_per_node", "nproc_per_node"} {
		n, ok, err := getInt(name)
		if err != nil {
			return nil, nil, err
		}
		if ok && n > 0 {
			gpn = n
			break
		}
	}
	switch {
	case env.nodes > 0:
		c["nodes"] = strconv.Itoa(env.nodes)
	case haveWorld && world > 0:
		if gpn == 0 {
			gpn = defaultGPUsPerNode
		}
		if world%gpn == 0 {
			c["nodes"] = strconv.Itoa(world / gpn)
		} else {
			c["gpus"] = strconv.Itoa(world)
			notes = append(notes, "world size "+strconv.Itoa(world)+" is not a whole number of "+strconv.Itoa(gpn)+"-GPU nodes; config has gpus instead of nodes")
		}
	}
	c["flags"] = bench.CanonicalFlags(strings.Join(megatronFlags(args, keyArgs), ","))
	return c, notes, nil
}

// gpusKey adds gpus=<world size> to cfg, a run's config after its file name and sidecar,
// when the log tells the world size (the argument dump's world_size, else launcher output's
// WORLD_SIZE unless launcherWorldDoubt finds it is the node count) and it is not
// nodes × defaultGPUsPerNode: the GPU count --recompute-tflops
// assumes for a nodes key. The same job on 4-GPU and on 8-GPU nodes is then two configs,
// not one compared across hardware, and the TFLOPS recomputed for it use its true GPU
// count. A config of 8-GPU nodes keeps its key. A gpus key from the file name or sidecar that
// contradicts the argument dump's world_size is an error (a misnamed log must not gate);
// against launcher output, which may describe another step of a script, it is a note.
func (p *megatronParser) gpusKey(cfg bench.Config, m *megatronRun) ([]string, error) {
	world, from, stated := m.env.world, "launcher output's WORLD_SIZE", false
	var notes []string
	if v, ok := m.args["world_size"]; ok {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			if world > 0 && world != n {
				notes = append(notes, fmt.Sprintf("launcher output gives WORLD_SIZE=%d, the argument dump world_size %d; %d is used", world, n, n))
			}
			world, from, stated = n, "the argument dump's world_size", true
		}
	}
	if world <= 0 {
		return notes, nil
	}
	ws := strconv.Itoa(world)
	_, named := cfg["gpus"]
	if !stated && !named {
		why, ambiguous := launcherWorldDoubt(world, m.env, cfg)
		if ambiguous {
			// WORLD_SIZE=N on N nodes: N GPUs, or N nodes as some launchers mean it. Either
			// reading recomputes TFLOPS 8× off the other: fail closed.
			return nil, bench.Errorf(p.file, m.env.worldLine, "%s; name the log's GPU count in its file name or sidecar (gpus=%s for one GPU per node, gpus=%d for 8-GPU nodes), or print GPUS_PER_NODE", why, ws, world*defaultGPUsPerNode)
		}
		if why != "" {
			return append(notes, why), nil
		}
	}
	if g, ok := cfg["gpus"]; ok {
		if g == ws {
			return notes, nil
		}
		if stated {
			return nil, bench.Errorf(p.file, m.argsLine, "the file name or sidecar gives gpus=%s, but %s is %s: a misnamed log would be gated as another config; correct the name, or leave gpus out of it", g, from, ws)
		}
		return append(notes, fmt.Sprintf("the file name or sidecar gives gpus=%s where %s is %s; gpus=%s is used", g, from, ws, g)), nil
	}
	nodes, err := strconv.Atoi(cfg["nodes"])
	if err != nil || nodes <= 0 || nodes*defaultGPUsPerNode == world {
		// No nodes key (nothing to correct; --recompute-tflops asks for one) or one whose
		// value is not a count (the config's validation refuses it), or 8-GPU nodes.
		return notes, nil
	}
	cfg["gpus"] = ws
	return append(notes, fmt.Sprintf("%s %d is not nodes=%d × %d GPUs; config has gpus=%d beside nodes=%d (another config than %d-GPU nodes', and the GPU count --recompute-tflops uses)", from, world, nodes, defaultGPUsPerNode, world, nodes, defaultGPUsPerNode)), nil
}

// launcherWorldDoubt says why launcher output's WORLD_SIZE world is not taken for the GPU
// count, or "" if it is; ambiguous when nothing tells the two readings apart (WORLD_SIZE
// equal to the node count, no GPUs per node printed), which the caller refuses. Some launchers (Alibaba PAI-DLC, some Kubeflow jobs) set WORLD_SIZE
// to the number of nodes (scripts then do NNODES=${WORLD_SIZE}, torchrun --nnodes
// $WORLD_SIZE), so it is used only when it agrees with what else the log says: the launcher's
// nodes (else the config's) × its GPUs per node when it prints those, and when it does not
// print GPUs per node, a world size that is not the node count itself.
func launcherWorldDoubt(world int, env logEnv, cfg bench.Config) (why string, ambiguous bool) {
	const doubt = "launcher output's WORLD_SIZE %d %s (some launchers, e.g. PAI-DLC and Kubeflow, set WORLD_SIZE to the number of nodes)"
	nodes, whose := env.nodes, "its"
	if nodes <= 0 {
		nodes, _ = strconv.Atoi(cfg["nodes"])
		whose = "the config's"
	}
	switch {
	case env.gpusPerNode > 0 && nodes > 0 && nodes*env.gpusPerNode != world:
		return fmt.Sprintf(doubt, world, fmt.Sprintf("is not %s nodes=%d × its %d GPUs per node", whose, nodes, env.gpusPerNode)) + "; no gpus key from it", false
	case env.gpusPerNode <= 0 && nodes > 0 && world == nodes:
		return fmt.Sprintf(doubt, world, "equals the node count, and the log prints no GPUs per node"), true
	}
	return "", false
}

// defaultGPUsPerNode is assumed when neither the argument dump nor launcher output says how
// many GPUs a node has (a DGX/HGX node).
const defaultGPUsPerNode = 8

type argError struct{ name, val string }

func (e *argError) Error() string {
	return e.name + ": " + strconv.Quote(e.val) + " is not a whole number"
}

func errArg(name, val string) error { return &argError{name, val} }

// computeMegatronTFLOPS computes the steady TFLOP/s/GPU of a run whose log has no throughput
// field (Megatron without --log-throughput) from its argument dump's model shape, the global
// batch size of each line (batch-size ramp-up changes it) and the iteration times, with
// Megatron-LM's current formula (flops.Megatron).
func computeMegatronTFLOPS(m *megatronRun, from int) ([]float64, string) {
	world, err := strconv.Atoi(m.args["world_size"])
	if err != nil || world <= 0 {
		return nil, "no TFLOPS/GPU: the log has no throughput field and the argument dump no world_size"
	}
	shape, err := flops.ShapeFromMegatronArgs(m.args)
	if err != nil {
		return nil, "no TFLOPS/GPU: the log has no throughput field and the model shape is incomplete: " + err.Error()
	}
	defGBS, _ := strconv.Atoi(m.args["global_batch_size"])
	seq, _ := strconv.Atoi(m.args["seq_length"])
	perGBS := map[int]float64{}
	out := make([]float64, 0, len(m.iters)-from)
	for i := from; i < len(m.iters); i++ {
		gbs := defGBS
		if i < len(m.gbs) && m.gbs[i] > 0 {
			gbs = m.gbs[i]
		}
		f, ok := perGBS[gbs]
		if !ok {
			f, err = flops.FLOPsPerIter(flops.Megatron, shape, gbs, seq)
			if err != nil {
				return nil, "no TFLOPS/GPU: the log has no throughput field and FLOPs cannot be computed: " + err.Error()
			}
			perGBS[gbs] = f
		}
		v := flops.TFLOPSPerGPU(f, m.times[i], world)
		if !(v > 0) || !finite(v) {
			return nil, "no TFLOPS/GPU: an iteration time of zero gives no throughput"
		}
		if !measurable([]float64{v}, bench.MetricTFLOPS) {
			return nil, fmt.Sprintf("no TFLOPS/GPU: iteration %d's time of %g s gives %.4g TFLOPS/GPU, beyond what a run can measure; check the argument dump's model shape and world_size", m.iters[i], m.times[i], v)
		}
		out = append(out, v)
	}
	return out, "TFLOPS/GPU computed from the argument dump with the " + string(flops.Megatron) + " FLOPs formula (the log has no throughput field)"
}

// newJobError refuses line n, an iteration or Step Time line (what) that follows another
// job's start banner (m.newJob) without an argument dump of its own and does not go back below
// the run's last iteration: merged, its iterations would pass as this run's samples; split, its config
// could not be told (a resumed run and another job look alike).
func (p *megatronParser) newJobError(n int, what string) error {
	m := p.cur
	return bench.Errorf(p.file, n, "%s follows another job's start at line %d (%s) after the %d logged iterations of the run at line %d, "+
		"with no argument dump of its own: perfgate will not merge two jobs into one run and cannot tell this one's config; split the log into one file per job",
		what, m.newJob.line, m.newJob.text, len(m.iters), m.start)
}

// restartNote explains why a run's iteration lines from line n on were left out: iteration it
// came after iteration prev with no argument dump between them, so another run's lines follow.
func restartNote(file string, n, it, prev int) string {
	return reasonAt(file, n, "iteration "+strconv.Itoa(it)+" after iteration "+strconv.Itoa(prev)+
		": the count starts again, so another run follows without its own header; its lines from here on were left out, not taken as this run's")
}
