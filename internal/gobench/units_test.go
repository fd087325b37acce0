package gobench

import (
	"strings"
	"testing"
)

// TestMetricUnit checks the one reading of a Unit line's unit= that the store and the Go
// benchmark reader share: the unit it gives and the line that gave it, the metric's name
// without one, and an empty unit= refused at its own line, naming file and line.
func TestMetricUnit(t *testing.T) {
	for _, tc := range []struct {
		name, in, metric string
		unit             string
		line             int
		err              string
	}{
		{"unit key", "Unit peak-mem better=lower unit=GB\nBenchmarkTrain 1 60 peak-mem\n", "peak-mem", "GB", 1, ""},
		{"no unit key", "Unit s/iter better=lower\nBenchmarkTrain 1 5 s/iter\n", "s/iter", "s/iter", 0, ""},
		{"no Unit line", "BenchmarkTrain 1 5 s/iter\n", "s/iter", "s/iter", 0, ""},
		{"another metric's unit key", "Unit peak-mem unit=GB\nBenchmarkTrain 1 5 s/iter 60 peak-mem\n", "s/iter", "s/iter", 0, ""},
		{"own line for the key", "Unit peak-mem better=lower\n\nUnit peak-mem unit=GB\nBenchmarkTrain 1 60 peak-mem\n", "peak-mem", "GB", 3, ""},
		{"empty", "BenchmarkTrain 1 60 peak-mem\nUnit peak-mem better=lower unit=\n", "peak-mem", "", 2,
			`g.txt:2: metric "peak-mem": its 'Unit peak-mem' line has an empty unit=`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			units, err := Read("g.txt", strings.NewReader(tc.in), func(*Result) error { return nil })
			if err != nil {
				t.Fatal(err)
			}
			unit, line, err := MetricUnit("g.txt", units, tc.metric)
			if got := errString(err); got != tc.err {
				t.Fatalf("error %q, want %q", got, tc.err)
			}
			if unit != tc.unit || line != tc.line {
				t.Errorf("unit %q at line %d, want %q at line %d", unit, line, tc.unit, tc.line)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
