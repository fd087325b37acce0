package bench

import (
	"strings"
)

// BenchName returns the Go benchmark name of a config: "BenchmarkTrain/" followed by its key.
// A trailing "-digits" would read back as GOMAXPROCS, so such a final hyphen is escaped.
func (c Config) BenchName() string {
	if len(c) == 0 {
		return TrainBenchmark
	}
	return benchName(c.Key())
}

// BenchName is the Go benchmark name of the run's config, from its cached key.
func (r *Run) BenchName() string {
	if len(r.Config) == 0 {
		return TrainBenchmark
	}
	return benchName(r.ConfigKey())
}

// benchName returns the benchmark name of a non-empty config key.
func benchName(key string) string {
	name := TrainBenchmark + "/" + key
	if i := strings.LastIndexByte(name, '-'); i >= 0 && i+1 < len(name) && strings.Trim(name[i+1:], "0123456789") == "" {
		name = name[:i] + "%2D" + name[i+1:]
	}
	return name
}

// IsBidi reports whether r is a bidirectional control: the embeddings, overrides and
// isolates (U+202A–U+202E, U+2066–U+2069) and the invisible direction marks (U+200E, U+200F,
// U+061C). Shown as they are, they reorder the text around them, so that one config's name
// can read as another's.
func IsBidi(r rune) bool {
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x200e || r == 0x200f || r == 0x061c
}
