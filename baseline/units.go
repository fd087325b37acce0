package baseline

import (
	"fmt"
	"sort"

	"github.com/perfgate/perfgate/bench"
)

// A metric's unit and direction are facts of the store: once runs of "TFLOPS/GPU" are stored
// as higher-is-better, results that say otherwise are refused, and results in a known scaling
// of a stored unit (GFLOPS/GPU, ms/iter, GiB) are converted to it, never stored beside it.

// A Conversion is a metric of incoming runs converted to the store's unit, or, for a metric
// the store does not hold, to the unit the incoming runs first give it in.
type Conversion struct {
	From, To string  // units
	Factor   float64 // a value in From times Factor is the value in To
	Runs     int     // runs converted
	// First is where the incoming runs first give the metric in To (file:line), when the
	// store does not hold it; "" when To is the store's unit.
	First string
}

func (c Conversion) String() string {
	if c.First != "" {
		return fmt.Sprintf("converted %s to %s (×%g), the unit the results first give it in (%s), in %d run(s)", c.From, c.To, c.Factor, c.First, c.Runs)
	}
	return fmt.Sprintf("converted %s to %s (×%g), the baseline's unit, in %d run(s)", c.From, c.To, c.Factor, c.Runs)
}

// Conform makes incoming runs agree with the stored ones and with each other: a metric the
// store holds must have the store's direction, and a metric in a scaling of a stored unit is
// converted to it; a metric the store does not hold takes the direction and the unit the
// incoming runs first give it, so that two files of one update in two scalings (s/iter and
// ms/iter) are stored in one, the first. It returns the conversions made, or an error naming
// the first run (file:line) that disagrees.
func Conform(stored, incoming []bench.Run) ([]Conversion, error) {
	better := map[string]bench.Better{}
	unitOf := map[string]string{}
	first := map[string]string{} // where incoming runs first gave a metric the store does not hold
	for i := range stored {
		for _, m := range stored[i].Metrics {
			if _, ok := better[m.Name]; !ok {
				better[m.Name], unitOf[m.Name] = m.Better, m.Unit
			}
		}
	}
	// The metrics a scaled unit may be converted to: the store's, sorted, then the incoming
	// ones the store does not hold, in the order they are first seen.
	units := make([]string, 0, len(better))
	for u := range better {
		units = append(units, u)
	}
	sort.Strings(units)
	type conv struct {
		from, to string // units
		name     string // the metric converted to
		factor   float64
		first    string // where the incoming runs first gave name; "" for a stored metric
		err      string // the unit disagrees and is no scaling of the store's
	}
	convs := map[[2]string]*conv{} // by incoming metric name and unit; nil: as stored, or new
	var order [][2]string
	counts := map[[2]string]int{}
	for i := range incoming {
		r := &incoming[i]
		for j := range r.Metrics {
			m := &r.Metrics[j]
			k := [2]string{m.Name, m.Unit}
			c, seen := convs[k]
			if !seen {
				if su, known := unitOf[m.Name]; known && su != m.Unit {
					c = &conv{from: m.Unit, to: su, name: m.Name, first: first[m.Name]}
					if _, f, ok := scaling(m.Unit, []string{su}); ok {
						c.factor = f
					} else if c.first != "" {
						c.err = fmt.Sprintf("metric %q is in unit %q here, but in %q at %s, and one is no known scaling of the other; one metric has one unit in a store", m.Name, m.Unit, su, c.first)
					} else {
						c.err = fmt.Sprintf("metric %q is in unit %q here, but the baseline stores it in %q, and one is no known scaling of the other; a metric's unit is fixed by the store", m.Name, m.Unit, su)
						if su == m.Name {
							// A perfgate that did not keep a metric's unit in the store
							// stored a JSON Lines metric such as peak-mem in GB this way.
							c.err += fmt.Sprintf(" (if the stored values are in %s and the store was written by a perfgate that did not keep a JSON Lines metric's unit, add \" unit=%s\" to the line \"Unit %s …\" of the baseline file)", m.Unit, m.Unit, m.Name)
						}
					}
				} else if !known && m.Unit == m.Name {
					if to, f, ok := scaling(m.Name, units); ok {
						c = &conv{from: m.Unit, to: unitOf[to], name: to, factor: f, first: first[to]}
					}
				}
				if _, known := unitOf[m.Name]; !known && c == nil {
					// The first incoming run of a metric the store does not hold: the
					// runs after it agree with it, as they would with a stored one.
					better[m.Name], unitOf[m.Name], first[m.Name] = m.Better, m.Unit, r.Source
					units = append(units, m.Name)
				}
				convs[k] = c
				if c != nil && c.err == "" {
					order = append(order, k)
				}
			}
			if c != nil {
				if c.err != "" {
					return nil, fmt.Errorf("%s: %s", r.Source, c.err)
				}
				for v := range m.Values {
					m.Values[v] *= c.factor
				}
				counts[k]++
				m.Name, m.Unit = c.name, c.to
			}
			if b := better[m.Name]; m.Better != b {
				if at := first[m.Name]; at != "" {
					return nil, fmt.Errorf("%s: metric %q is %s-is-better here, but %s-is-better at %s; one metric has one direction in a store, so fix what declared one of them (the input's own declaration, --better, or \"better\" in the config file), or give --better %s=%s", r.Source, m.Name, m.Better, b, at, m.Name, b)
				}
				return nil, fmt.Errorf("%s: metric %q is %s-is-better here, but the baseline stores it as %s-is-better; a metric's direction is fixed by the store, so fix what declared it here (the input's own declaration, --better, or \"better\" in the config file), or give --better %s=%s", r.Source, m.Name, m.Better, b, m.Name, b)
			}
		}
	}
	var out []Conversion
	for _, k := range order {
		c := convs[k]
		out = append(out, Conversion{From: c.from, To: c.to, Factor: c.factor, Runs: counts[k], First: c.first})
	}
	return out, nil
}

// scaling finds the unit among units, other than u, that u is a known scaling of (an SI or IEC
// prefix, or a unit benchunit tidies, such as ns/op for sec/op), and the factor from u to it:
// 1 for two spellings of one unit (us/iter and µs/iter).
func scaling(u string, units []string) (to string, factor float64, ok bool) {
	for _, s := range units {
		if f, ok := bench.ScaleOf(u, s); ok && s != u {
			return s, f, true
		}
	}
	return "", 0, false
}
