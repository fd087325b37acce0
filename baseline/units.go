package baseline

import (
	"fmt"
	"sort"

	"github.com/perfgate/perfgate/bench"
)

// A metric's unit and direction are facts of the store: once runs of "TFLOPS/GPU" are stored
// as higher-is-better, results that say otherwise are refused, and results in a known scaling
// of a stored unit (GFLOPS/GPU, ms/iter, GiB) are converted to it, never stored beside it.

// A Conversion is a metric of incoming runs converted to the store's unit.
type Conversion struct {
	From, To string  // units
	Factor   float64 // a value in From times Factor is the value in To
	Runs     int     // runs converted
}

func (c Conversion) String() string {
	return fmt.Sprintf("converted %s to %s (×%g), the baseline's unit, in %d run(s)", c.From, c.To, c.Factor, c.Runs)
}

// Conform makes incoming runs agree with the stored ones: a metric the store holds must have
// the store's direction, and a metric in a scaling of a stored unit is converted to it. It
// returns the conversions made, or an error naming the first run (file:line) that disagrees.
// An empty store accepts anything.
func Conform(stored, incoming []bench.Run) ([]Conversion, error) {
	if len(stored) == 0 {
		return nil, nil
	}
	better := map[string]bench.Better{}
	for i := range stored {
		for _, m := range stored[i].Metrics {
			if _, ok := better[m.Name]; !ok {
				better[m.Name] = m.Better
			}
		}
	}
	units := make([]string, 0, len(better))
	for u := range better {
		units = append(units, u)
	}
	sort.Strings(units)
	type conv struct {
		to     string
		factor float64
	}
	convs := map[string]*conv{} // by incoming metric name; nil: no conversion
	var order []string
	counts := map[string]int{}
	for i := range incoming {
		r := &incoming[i]
		for j := range r.Metrics {
			m := &r.Metrics[j]
			if _, ok := better[m.Name]; !ok {
				c, seen := convs[m.Name]
				if !seen {
					if to, f, ok := scaling(m.Name, units); ok && m.Unit == m.Name {
						c = &conv{to, f}
						order = append(order, m.Name)
					}
					convs[m.Name] = c
				}
				if c != nil {
					for k := range m.Values {
						m.Values[k] *= c.factor
					}
					counts[m.Name]++
					m.Name, m.Unit = c.to, c.to
				}
			}
			if b, ok := better[m.Name]; ok && m.Better != b {
				return nil, fmt.Errorf("%s: metric %q is %s-is-better here, but the baseline stores it as %s-is-better; a metric's direction is fixed by the store, so fix the input's declaration (or --better %s=%s)", r.Source, m.Name, m.Better, b, m.Name, b)
			}
		}
	}
	var out []Conversion
	for _, from := range order {
		c := convs[from]
		out = append(out, Conversion{From: from, To: c.to, Factor: c.factor, Runs: counts[from]})
	}
	return out, nil
}

// scaling finds the unit among units that u is a known scaling of (an SI or IEC prefix, or a
// unit benchunit tidies, such as ns/op for sec/op), and the factor from u to it.
func scaling(u string, units []string) (to string, factor float64, ok bool) {
	for _, cu := range bench.Decompose(u) {
		for _, s := range units {
			for _, cs := range bench.Decompose(s) {
				if cu.Base == cs.Base && cu.Factor != cs.Factor {
					return s, cu.Factor / cs.Factor, true
				}
			}
		}
	}
	return "", 0, false
}
