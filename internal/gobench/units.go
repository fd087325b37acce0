package gobench

import (
	"golang.org/x/perf/benchfmt"

	"github.com/perfgate/perfgate/bench"
)

// MetricUnit returns the unit of the metric name (a result line's unit as written) by the
// unit metadata units of file (Read's, or a Result's, the metadata read so far): the value of
// the "unit=" key of its Unit line ("Unit peak-mem better=lower unit=GB", as perfgate writes
// a metric whose unit is not its name), else the name itself, as in a Go benchmark file.
// line is the Unit line that gave the unit, 0 when none did. An empty "unit=" is a
// *bench.SyntaxError naming that line.
//
// benchfmt parses the Unit line (its key=value fields, and the conflicts between two lines);
// this is the one rule on top of it, for the store and for Go benchmark results alike.
func MetricUnit(file string, units benchfmt.UnitMetadataMap, name string) (unit string, line int, err error) {
	md := units.Get(name, "unit")
	if md == nil {
		return name, 0, nil
	}
	_, line = md.Pos()
	if md.Value == "" {
		return "", line, bench.Errorf(file, line, "metric %q: its 'Unit %s' line has an empty unit=", name, md.OrigUnit)
	}
	return md.Value, line, nil
}
