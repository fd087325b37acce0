package ingest

import (
	"fmt"

	"github.com/perfgate/perfgate/bench"
)

// twoUnits reports whether the metrics named a and b, each named by its unit (as the metrics
// of Go benchmark lines are, and those of JSON Lines without "unit"), are one metric in two
// units: a is a known scaling of b ("ms/iter" of "s/iter", "GFLOPS/GPU" of "TFLOPS/GPU",
// "ns/op" of "sec/op"), by the rule the check converts results to the baseline's unit with.
// One such metric converted to the baseline's unit keeps one value and drops the other
// without a word, and which it keeps decides the verdict. factor is the value of one a in b.
func twoUnits(a, b string) (factor float64, ok bool) {
	if a == b {
		return 0, false
	}
	return bench.ScaleOf(a, b)
}

// twoUnitsMsg says that metric unit, read at where, is metric other, read at otherWhere, in
// another unit: an input error.
func twoUnitsMsg(unit, other, otherWhere string, factor float64) string {
	return fmt.Sprintf("one metric in two units: %q here and %q %s (1 %s = %g %s); perfgate would keep one value and drop the other without a word, so give each metric in one unit",
		unit, other, otherWhere, unit, factor, other)
}
