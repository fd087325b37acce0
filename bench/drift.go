package bench

import (
	"slices"
	"sort"
)

// A DriftKind says what drifted between baseline and new runs of one config.
type DriftKind int

const (
	// ArgDrift: a launch argument outside the config key has other values in the new runs.
	ArgDrift DriftKind = iota
	// FormulaDrift: the logged TFLOPS/GPU match another FLOPs formula in the new runs, so
	// they differ from the baseline's even at the same speed.
	FormulaDrift
)

// A Drift is one difference in how baseline and new runs of one config were launched.
type Drift struct {
	Kind DriftKind
	// Config is the config key.
	Config string
	// Name is the argument name (ArgDrift) or "" (FormulaDrift).
	Name string
	// Base and New are the distinct values on each side, sorted; "" stands for an argument a
	// run's fingerprint does not hold.
	Base, New []string
}

// ArgsDrift compares the fingerprints (Run.Args) and logged-TFLOPS formulas (Run.Formula) of
// baseline and new runs config by config. A config is compared only when both sides have
// runs that recorded a fingerprint (or a formula). An argument drifts when the new runs have
// a value that no baseline run of the config has: a baseline window that spans an intended
// change (old runs False, recent ones True) does not warn about new runs that are True. The
// result is sorted by config, kind and name. It is a pure function: check turns its result
// into remarks and report into words.
func ArgsDrift(base, cur []Run) []Drift {
	type side struct {
		args     []map[string]string
		formulas map[string]bool
	}
	collect := func(runs []Run) map[string]*side {
		m := map[string]*side{}
		for i := range runs {
			r := &runs[i]
			if r.Args == nil && r.Formula == "" {
				continue
			}
			k := r.ConfigKey()
			s := m[k]
			if s == nil {
				s = &side{formulas: map[string]bool{}}
				m[k] = s
			}
			if r.Args != nil {
				s.args = append(s.args, r.Args)
			}
			if r.Formula != "" {
				s.formulas[r.Formula] = true
			}
		}
		return m
	}
	bs, cs := collect(base), collect(cur)
	var out []Drift
	for key, b := range bs {
		c, ok := cs[key]
		if !ok {
			continue
		}
		if len(b.args) > 0 && len(c.args) > 0 {
			names := map[string]bool{}
			for _, a := range append(append([]map[string]string{}, b.args...), c.args...) {
				for n := range a {
					names[n] = true
				}
			}
			for n := range names {
				bv, cv := distinct(b.args, n), distinct(c.args, n)
				if !subset(cv, bv) {
					out = append(out, Drift{Kind: ArgDrift, Config: key, Name: n, Base: bv, New: cv})
				}
			}
		}
		if len(b.formulas) > 0 && len(c.formulas) > 0 {
			// Unlike an argument, a baseline whose runs' TFLOPS follow two formulas has drifted
			// already: its TFLOPS jump at the change (about 3.6% for a 70B model at 4096), whatever the new runs follow.
			bf, cf := sortedSet(b.formulas), sortedSet(c.formulas)
			if !subset(cf, bf) || len(bf) > 1 {
				out = append(out, Drift{Kind: FormulaDrift, Config: key, Base: bf, New: cf})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Config != b.Config {
			return a.Config < b.Config
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Name < b.Name
	})
	return out
}

// distinct returns the sorted distinct values of argument name over fingerprints.
func distinct(fps []map[string]string, name string) []string {
	set := map[string]bool{}
	for _, fp := range fps {
		set[fp[name]] = true
	}
	return sortedSet(set)
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// subset reports whether every string of a is in b.
func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}
