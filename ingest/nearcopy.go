package ingest

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"io"
	"maps"
	"math"
	"os"
	"slices"

	"github.com/perfgate/perfgate/bench"
)

// This file finds near copies: a results file saved again under another name ("results.txt"
// and "results (1).txt") that differs from the first only in whitespace at the ends of lines,
// blank lines at the end or a byte-order mark, which an editor or a download adds or drops.
// Byte-identical copies are found by their digest (ReadAll); a near copy has another digest,
// and its runs counted again would be more samples of the same runs.
//
// Equal runs alone are not taken as a copy: two genuine runs of a table rounded to a few
// digits can give equal values. A near copy must give the same runs (configs, outcomes,
// values, fingerprints, provenance) and the same text once the whitespace is normalised; only
// then is it read once. The text is compared only for files whose runs are equal, so the read
// of every other file costs nothing more.

// sameRuns reports whether two files' runs are equal in everything but what names the file
// they came from (Source, File, Reason and Notes, which quote it, and Batch, its digest).
func sameRuns(a, b []bench.Run) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := &a[i], &b[i]
		if x.ConfigKey() != y.ConfigKey() || x.Outcome != y.Outcome || x.Date != y.Date || x.Commit != y.Commit ||
			x.Formula != y.Formula || !maps.Equal(x.Args, y.Args) || len(x.Metrics) != len(y.Metrics) {
			return false
		}
		for j := range x.Metrics {
			m, n := &x.Metrics[j], &y.Metrics[j]
			if m.Name != n.Name || m.Unit != n.Unit || m.Better != n.Better || m.Samples != n.Samples || !slices.Equal(m.Values, n.Values) {
				return false
			}
		}
	}
	return true
}

// runsHash hashes what sameRuns compares of the runs' values, so that ReadAll compares only
// the files whose runs may be equal, not every pair of files with the same configs (a
// directory of nightly logs of one config).
func runsHash(runs []bench.Run) uint64 {
	h := fnv.New64a()
	var b [8]byte
	for i := range runs {
		io.WriteString(h, runs[i].ConfigKey())
		io.WriteString(h, string(runs[i].Outcome))
		for _, m := range runs[i].Metrics {
			io.WriteString(h, m.Name)
			for _, v := range m.Values {
				binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
				h.Write(b[:])
			}
		}
	}
	return h.Sum64()
}

// normalizedDigest returns the SHA-256 (hex) of a file's text with a leading byte-order mark,
// the spaces, tabs and carriage returns at the end of each line and the blank lines at its end
// left out.
func normalizedDigest(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	w := &trailTrimmer{w: h}
	br := bufio.NewReader(f)
	if head, _ := br.Peek(len(utf8BOM)); bytes.Equal(head, utf8BOM) {
		if _, err := br.Discard(len(utf8BOM)); err != nil {
			return "", fmt.Errorf("%s: %w", file, err)
		}
	}
	if _, err := io.Copy(w, br); err != nil {
		return "", fmt.Errorf("%s: %w", file, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// A trailTrimmer passes text on without the spaces, tabs and carriage returns at the end of
// each line and without the line ends at its end: what it holds back is written only once a
// byte of text follows it.
type trailTrimmer struct {
	w      io.Writer
	blanks []byte // spaces, tabs and carriage returns since the last text byte, on this line
	lines  int    // line ends held back
	out    []byte
}

func (t *trailTrimmer) Write(p []byte) (int, error) {
	t.out = t.out[:0]
	for _, c := range p {
		switch c {
		case ' ', '\t', '\r':
			t.blanks = append(t.blanks, c)
		case '\n':
			t.blanks = t.blanks[:0]
			t.lines++
		default:
			for ; t.lines > 0; t.lines-- {
				t.out = append(t.out, '\n')
			}
			t.out = append(t.out, t.blanks...)
			t.blanks = t.blanks[:0]
			t.out = append(t.out, c)
		}
	}
	if _, err := t.w.Write(t.out); err != nil {
		return 0, err
	}
	return len(p), nil
}
