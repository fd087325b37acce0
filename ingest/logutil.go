package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/perfgate/perfgate/bench"
)

// This file holds what every trainer-log reader shares: a streaming line reader that
// survives over-long lines, line cleaning (CRLF, ANSI colour codes, launcher prefixes),
// allocation-free number parsing, failure detection and the warm-up rule.

// maxLogLine is the longest log line kept whole; longer lines are cut to this length.
const maxLogLine = 256 << 10

// A lineReader yields the lines of a log one at a time without retaining them: the slice
// next returns is only valid until the following call.
type lineReader struct {
	br     *bufio.Reader
	lineNo int
	err    error
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, maxLogLine)}
}

// next returns the next line without its newline, or false at the end of the input or on a
// read error (kept in lr.err). A line longer than maxLogLine is cut to its first maxLogLine
// bytes and the rest of it is discarded.
func (lr *lineReader) next() ([]byte, bool) {
	line, err := lr.br.ReadSlice('\n')
	switch {
	case err == nil:
		lr.lineNo++
		return line[:len(line)-1], true
	case errors.Is(err, bufio.ErrBufferFull):
		// Keep the head of the line; skip its tail. The head is copied because
		// skipping reuses the buffer.
		head := append([]byte(nil), line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = lr.br.ReadSlice('\n')
		}
		if err != nil && !errors.Is(err, io.EOF) {
			lr.err = err
		}
		lr.lineNo++
		return head, true
	case errors.Is(err, io.EOF):
		if len(line) == 0 {
			return nil, false
		}
		lr.lineNo++
		return line, true
	default:
		lr.err = err
		return nil, false
	}
}

// A lineCleaner turns a raw log line into the text the trainer printed: it drops a trailing
// carriage return, ANSI escape sequences and launcher prefixes such as "0: " (srun -l, also
// padded as " 0: ", and any prefix after spaces or tabs),
// "[rank7]:" and "[default0]:" (torchrun), "[1,0]<stdout>:" (Open MPI) or "[trainer1|0]:"
// (torchft's replica groups), repeatedly, so
// "0: [rank0]: text" is "text". It reuses one scratch buffer.
type lineCleaner struct {
	buf []byte
}

// clean returns the cleaned line and the first launcher prefix it removed (nil if none),
// which identifies the rank that printed the line. Both may alias line or the cleaner's
// buffer and are valid until the next call.
func (c *lineCleaner) clean(line []byte) (text, prefix []byte) {
	for len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	if bytes.IndexByte(line, 0x1b) >= 0 {
		c.buf = stripANSI(c.buf[:0], line)
		line = c.buf
	}
	for i := 0; i < 4; i++ {
		// srun -l pads rank numbers to one width (" 0: " beside "10: "), and a paste may
		// indent every line: spaces and tabs before a prefix belong to it. Without a prefix
		// after them they are the line's own indentation and stay.
		ws := 0
		for ws < len(line) && (line[ws] == ' ' || line[ws] == '\t') {
			ws++
		}
		n := launcherPrefix(line[ws:])
		if n == 0 {
			break
		}
		if prefix == nil {
			prefix = bytes.TrimSpace(line[ws : ws+n])
		}
		line = line[ws+n:]
	}
	return line, prefix
}

// stripANSI appends line to dst without its ANSI escape sequences (CSI "ESC [ … final",
// and two-byte "ESC x").
func stripANSI(dst, line []byte) []byte {
	for i := 0; i < len(line); i++ {
		ch := line[i]
		if ch != 0x1b {
			dst = append(dst, ch)
			continue
		}
		if i+1 >= len(line) {
			break
		}
		if line[i+1] != '[' {
			i++ // two-byte escape
			continue
		}
		j := i + 2
		for j < len(line) && (line[j] < 0x40 || line[j] > 0x7e) {
			j++
		}
		i = j // skip the final byte too
	}
	return dst
}

// launcherPrefix returns the length of the launcher prefix at the start of line, including
// one space after it (the line's own indentation stays), or 0 if there is none. It recognises "N:" (srun -l, pdsh-style rank
// numbers of up to six digits) followed by a space, a bracket or the end of the line, and
// "[tag]:" or "[tag]<stdout>:" where tag has no spaces (torchrun's "[rank7]:" and
// "[default0]:", Open MPI's "[1,0]<stdout>:", torchft's replica launcher's "[trainer1|0]:").
func launcherPrefix(line []byte) int {
	if len(line) == 0 {
		return 0
	}
	n := 0
	switch {
	case line[0] >= '0' && line[0] <= '9':
		i := 0
		for i < len(line) && i < 7 && line[i] >= '0' && line[i] <= '9' {
			i++
		}
		if i > 6 || i >= len(line) || line[i] != ':' {
			return 0
		}
		if i+1 < len(line) && line[i+1] != ' ' && line[i+1] != '\t' && line[i+1] != '[' {
			return 0 // "12:34:56" is a clock, not a rank
		}
		n = i + 1
		if n < len(line) && line[n] == ' ' {
			n++ // srun -l adds exactly one space; the line's own indentation stays
		}
		return n
	case line[0] == '[':
		end := bytes.IndexByte(line[:min(len(line), 48)], ']')
		if end < 2 {
			return 0
		}
		for _, ch := range line[1:end] {
			if !(ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch == ',' || ch == '_' || ch == '-' || ch == '.' || ch == '|') {
				return 0
			}
		}
		i := end + 1
		if bytes.HasPrefix(line[i:], []byte("<stdout>")) || bytes.HasPrefix(line[i:], []byte("<stderr>")) {
			i += len("<stdout>")
		}
		if i >= len(line) || line[i] != ':' {
			return 0
		}
		n = i + 1
		if n < len(line) && line[n] == ' ' {
			n++
		}
		return n
	}
	return 0
}

// pow10tab holds the exactly representable powers of ten used by numberAt's fast path.
var pow10tab = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
	1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// numberAt parses the number at the start of b (after spaces), allowing a sign, thousands
// separators ("10,050"), a fraction and an exponent. It returns the value and how many bytes
// of b it used, or ok=false if b does not start with a number. It does not allocate for
// plain decimals of up to 15 digits, which covers every number trainers print.
func numberAt(b []byte) (v float64, n int, ok bool) { return numberAtScaled(b, 0) }

// numberAtScaled is numberAt with the value divided by 10^shift as part of the decimal
// conversion, so that "12137.8" milliseconds read with shift 3 is the float64 nearest to
// 12.1378 seconds, not 12137.8/1000 = 12.137799999999999.
func numberAtScaled(b []byte, shift int) (v float64, n int, ok bool) {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	start := i
	neg := false
	if i < len(b) && (b[i] == '-' || b[i] == '+') {
		neg = b[i] == '-'
		i++
	}
	var mant uint64
	digits, frac := 0, 0
	commas, dot, exp := false, false, false
	for ; i < len(b); i++ {
		ch := b[i]
		switch {
		case ch >= '0' && ch <= '9':
			if digits < 19 {
				mant = mant*10 + uint64(ch-'0')
			}
			digits++
			if dot {
				frac++
			}
			continue
		case ch == ',' && !dot && digits > 0 && i+4 <= len(b) && isDigits(b[i+1:i+4]) && (i+4 == len(b) || !isDigit(b[i+4])):
			commas = true
			continue
		case ch == '.' && !dot && !exp:
			dot = true
			continue
		case (ch == 'e' || ch == 'E') && digits > 0 && i+1 < len(b):
			j := i + 1
			if b[j] == '+' || b[j] == '-' {
				j++
			}
			if j < len(b) && isDigit(b[j]) {
				exp = true
				for i = j; i < len(b) && isDigit(b[i]); i++ {
				}
			}
		}
		break
	}
	if digits == 0 {
		return 0, 0, false
	}
	if !exp && digits <= 15 && frac+shift < len(pow10tab) {
		v = float64(mant) / pow10tab[frac+shift]
		if neg {
			v = -v
		}
		return v, i, true
	}
	tok := b[start:i]
	if commas {
		tok = bytes.ReplaceAll(tok, []byte(","), nil)
	}
	str := string(tok)
	if shift != 0 {
		if exp {
			// Fold the shift into the written exponent.
			k := strings.LastIndexAny(str, "eE")
			e, err := strconv.Atoi(str[k+1:])
			if err != nil {
				return 0, 0, false
			}
			str = str[:k] + "e" + strconv.Itoa(e-shift)
		} else {
			str += "e-" + strconv.Itoa(shift)
		}
	}
	v, err := strconv.ParseFloat(str, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, 0, false
	}
	return v, i, true
}

func isDigit(ch byte) bool { return ch >= '0' && ch <= '9' }

func isDigits(b []byte) bool {
	for _, ch := range b {
		if !isDigit(ch) {
			return false
		}
	}
	return len(b) > 0
}

// intAt parses the unsigned integer at the start of b (after spaces).
func intAt(b []byte) (v, n int, ok bool) {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	start := i
	for ; i < len(b) && isDigit(b[i]); i++ {
		if i-start >= 18 {
			return 0, 0, false
		}
		v = v*10 + int(b[i]-'0')
	}
	if i == start {
		return 0, 0, false
	}
	return v, i, true
}

// numberAfter finds key in line and parses the number after it.
func numberAfter(line, key []byte) (float64, bool) {
	i := bytes.Index(line, key)
	if i < 0 {
		return 0, false
	}
	v, _, ok := numberAt(line[i+len(key):])
	return v, ok
}

// A failure is the first line of a log that proves a run failed.
type failure struct {
	outcome bench.Outcome
	line    int
	text    string
}

// Failure markers. OOM wins over the generic errors, because the Python traceback of an
// out-of-memory error is printed before the line that names it.
var (
	oomMarkers = [][]byte{
		[]byte("OutOfMemoryError"),
		[]byte("CUDA out of memory"),
		[]byte("CUDA error: out of memory"),
		[]byte("HIP out of memory"),
		// NCCL and cuBLAS report a device allocation that failed inside a collective or a
		// handle creation: "NCCL WARN Cuda failure 2 'out of memory'",
		// "CUDA error: CUBLAS_STATUS_ALLOC_FAILED when calling `cublasCreate(handle)`".
		[]byte("'out of memory'"),
		[]byte("CUBLAS_STATUS_ALLOC_FAILED"),
		[]byte("hipErrorOutOfMemory"),
		[]byte("cudaErrorMemoryAllocation"),
		// The host ran out: Slurm's "slurmstepd: error: Detected 1 oom_kill event in StepId=…
		// Some of the step tasks have been OOM Killed."
		[]byte("oom_kill event"),
		[]byte("OOM Killed"),
		// srun's own report of a task the cgroup's memory limit ended: "srun: error:
		// nid001234: task 0: Out Of Memory" (it may come without slurmstepd's line).
		[]byte(": Out Of Memory"),
	}
	errorMarkers = [][]byte{
		[]byte("Traceback (most recent call last)"),
		[]byte("NCCL error"),
		[]byte("ncclInternalError"),
		[]byte("ncclSystemError"),
		[]byte("ncclUnhandledCudaError"),
		[]byte("ncclRemoteError"),
		[]byte("ncclInvalidUsage"),
		[]byte("Watchdog caught collective operation timeout"),
		[]byte("Segmentation fault"),
		[]byte("SIGSEGV"),
		[]byte("Fatal Python error"),
		[]byte("ChildFailedError"),
		[]byte("CUDA error: "),
		// The process died of a signal or an abort: "Aborted (core dumped)", "Bus error (core
		// dumped)", "terminate called after throwing an instance of 'c10::Error'".
		[]byte("(core dumped)"),
		[]byte("terminate called after throwing"),
	}
	// srunMarker starts the lines in which srun reports how a task ended: "srun: error:
	// nid001234: task 17: Killed", "…: task 0: Exited with exit code 1", "…: Terminated".
	srunMarker      = []byte("srun: error:")
	srunEnds        = [][]byte{[]byte(": Killed"), []byte("Exited with exit code"), []byte(": Terminated")}
	timeLimitMarker = []byte("DUE TO TIME LIMIT")
)

// failureOf reports whether line proves an out-of-memory error or another failure.
func failureOf(line []byte) (bench.Outcome, bool) {
	// Every marker holds an upper-case letter among its first bytes; lines of only
	// lower-case text and numbers are the common case and are rejected quickly.
	switch {
	case containsAny(line, oomMarkers):
		return bench.OOM, true
	case containsAny(line, errorMarkers):
		return bench.Error, true
	}
	return "", false
}

// killed reports whether line says a task of the job was killed or exited with an error: an
// srun report of it, or the shell's "Killed" (alone, or "line 1: 12345 Killed python …")
// after a SIGKILL from the kernel or a scheduler.
func killed(line []byte) bool {
	if bytes.Contains(line, srunMarker) && containsAny(line, srunEnds) {
		return true
	}
	t := bytes.TrimSpace(line)
	if bytes.Equal(t, []byte("Killed")) {
		return true
	}
	// The shell's job report: "<script>: line <n>: <pid> Killed <command>".
	i := bytes.Index(t, []byte(" Killed "))
	return i > 0 && bytes.Contains(t[:i], []byte(": line ")) && isDigits(t[bytes.LastIndexByte(t[:i], ' ')+1:i])
}

// containsAny reports whether line holds any of words.
func containsAny(line []byte, words [][]byte) bool {
	for _, w := range words {
		if bytes.Contains(line, w) {
			return true
		}
	}
	return false
}

// A failureTracker keeps the first out-of-memory line and the first other failure line.
type failureTracker struct {
	oom, err *failure
	// timeLimit is set once the scheduler said the job hit its time limit: the tasks it then
	// terminates or kills ("srun: error: …: tasks 0-7: Terminated") ended a run that is cut
	// off, not failed.
	timeLimit bool
}

func (t *failureTracker) observe(line []byte, lineNo int) {
	if t.oom != nil {
		return
	}
	if bytes.Contains(line, timeLimitMarker) {
		t.timeLimit = true
	}
	o, ok := failureOf(line)
	if !ok && !t.timeLimit && killed(line) {
		o, ok = bench.Error, true
	}
	if !ok {
		return
	}
	f := &failure{outcome: o, line: lineNo, text: quoteLine(line)}
	if o == bench.OOM {
		t.oom = f
	} else if t.err == nil {
		t.err = f
	}
}

// first returns the failure that decides the run's outcome, or nil.
func (t *failureTracker) first() *failure {
	if t.oom != nil {
		return t.oom
	}
	return t.err
}

// quoteLine returns line trimmed, made valid UTF-8 and cut to a length a report can show.
func quoteLine(line []byte) string {
	line = bytes.TrimSpace(line)
	const max = 200
	if len(line) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		return string(bytes.ToValidUTF8(line[:cut], []byte("\uFFFD"))) + "…"
	}
	return string(bytes.ToValidUTF8(line, []byte("\uFFFD")))
}

// reasonAt formats a run's Reason: "base:line: text".
func reasonAt(file string, line int, text string) string {
	return filepath.Base(file) + ":" + strconv.Itoa(line) + ": " + text
}

// skipOf returns the number of iterations dropped as warm-up beyond the first logged one:
// opts.SkipIters when it is not negative, otherwise 10% of the iterations the run was to
// do (from its first logged iteration to total, or to its last logged one when the total
// is unknown), rounded down.
func skipOf(opts *Options, first, last, total int) int {
	if opts != nil && opts.SkipIters >= 0 {
		return opts.SkipIters
	}
	end := last
	if total > last {
		end = total
	}
	return max(0, end-first+1) / 10
}

// steadyStart returns the index of the first steady sample of a run whose samples were
// logged at the increasing iterations iters: the first logged iteration is always warm-up,
// and so is every iteration up to skip beyond it. If that leaves nothing but more than one
// sample was logged, only the first is dropped and note says so.
func steadyStart(iters []int, skip int) (start int, note string) {
	if len(iters) == 0 {
		return 0, ""
	}
	limit := iters[0] + skip
	start = len(iters)
	for i, it := range iters {
		if it > limit {
			start = i
			break
		}
	}
	if start == len(iters) && len(iters) > 1 {
		return 1, "warm-up of " + strconv.Itoa(skip) + " iterations after iteration " + strconv.Itoa(iters[0]) +
			" covers every logged iteration; only the first logged iteration was dropped"
	}
	return start, note
}

// logInterval guesses the logging interval from the last two logged iterations.
func logInterval(iters []int) int {
	if n := len(iters); n >= 2 && iters[n-1] > iters[n-2] {
		return iters[n-1] - iters[n-2]
	}
	return 1
}

// cutOffNote returns a note for a run that stopped logging before its planned last
// iteration, or "" if it reached it (within one logging interval).
func cutOffNote(iters []int, total, steady int) string {
	if len(iters) == 0 || total <= 0 {
		return ""
	}
	last := iters[len(iters)-1]
	if last+logInterval(iters) > total {
		return ""
	}
	unit := " steady iterations used"
	if logInterval(iters) > 1 {
		unit = " steady samples used"
	}
	return "log cut off at iteration " + strconv.Itoa(last) + " of " + strconv.Itoa(total) + "; " +
		strconv.Itoa(steady) + unit
}

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// warmupLimit returns the last warm-up iteration of a run whose samples were logged at the
// increasing iterations iters (see steadyStart): samples at later iterations are steady.
func warmupLimit(iters []int, skip int) (limit int, note string) {
	if len(iters) == 0 {
		return 0, ""
	}
	from, note := steadyStart(iters, skip)
	if from >= len(iters) {
		return iters[len(iters)-1], note
	}
	return iters[from] - 1, note
}

// A series is one metric's samples, each tagged with the iteration it was logged at.
type series struct {
	iters []int
	vals  []float64
}

func (s *series) add(it int, v float64) {
	s.iters = append(s.iters, it)
	s.vals = append(s.vals, v)
}

// after returns the values logged after iteration limit.
func (s *series) after(limit int) []float64 {
	var out []float64
	for i, it := range s.iters {
		if it > limit {
			out = append(out, s.vals[i])
		}
	}
	return out
}

// measurable reports whether every value is a throughput a run can measure in unit: positive,
// finite and not beyond the unit's range (bench.CheckValue), so that a garbled line
// ("tflops: 100001", an iteration time of 1 ms on a 70B model) leaves the metric out with a
// note rather than handing the check a value that no baseline should hold.
func measurable(vs []float64, unit string) bool {
	for _, v := range vs {
		if bench.CheckValue(v, unit, bench.Higher) != "" {
			return false
		}
	}
	return true
}
