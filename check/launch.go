package check

import (
	"slices"
	"sort"
	"strings"

	"github.com/perfgate/perfgate/bench"
)

// ArgsDrift: a launch argument outside the config key (a run's fingerprint, bench.Run.Args)
// has other values in the new runs than in the baseline's runs of the same configs, such as
// sequence_parallel True → False. An accidental flip must not hide as a new config or pass
// unseen; it does not change a status, since the metrics still compare like with like in
// every key the sweep defines.
type ArgsDrift struct {
	Arg           string
	Baseline, New []string // distinct values on each side; "" is an argument a side lacks
	Configs       []string // config keys where it drifted, sorted
}

// ModelArgs are the launch arguments that define the model a run trains: its depth, width,
// attention, vocabulary and experts. An ArgsDrift of one of them (ModelDrift) is not a launch
// that differs but another model, whose speed says nothing of the baseline's.
var ModelArgs = []string{
	"num_layers", "hidden_size", "ffn_hidden_size", "num_attention_heads", "num_query_groups",
	"kv_channels", "group_query_attention", "multi_latent_attention", "swiglu",
	"padded_vocab_size", "vocab_size", "num_experts", "moe_router_topk", "moe_ffn_hidden_size",
}

// ModelDrift returns the ArgsDrift remarks of remarks whose argument defines the model
// (ModelArgs) and whose new runs have a value their baseline runs do not: configs whose new
// runs trained another model, which check cannot gate. An argument a side's dump lacks ("")
// takes Megatron-LM's default there (modelArgDefaults): a release that added
// multi_latent_attention to the dump logs its default, False, for the same model, while
// "(not set) → True" is another model. An argument without a known default is compared
// only where both sides give it.
func ModelDrift(remarks []Remark) []ArgsDrift {
	var out []ArgsDrift
	for _, m := range remarks {
		d, ok := m.(ArgsDrift)
		if !ok || !slices.Contains(ModelArgs, d.Arg) {
			continue
		}
		def, known := modelArgDefaults[d.Arg]
		value := func(v string) (string, bool) {
			if v == "" {
				return def, known
			}
			return v, true
		}
		var base []string
		for _, v := range d.Baseline {
			if v, ok := value(v); ok {
				base = append(base, v)
			}
		}
		for _, v := range d.New {
			if v, ok := value(v); ok && len(base) > 0 && !slices.Contains(base, v) {
				out = append(out, d)
				break
			}
		}
	}
	return out
}

// modelArgDefaults are Megatron-LM's defaults of the model arguments a release may add to its
// dump, as an older dump that lacks them ran.
var modelArgDefaults = map[string]string{
	"group_query_attention": "False", "multi_latent_attention": "False", "swiglu": "False",
	"num_experts": "None", "moe_ffn_hidden_size": "None", "kv_channels": "None",
}

// LoggedFormula: the logged TFLOPS/GPU of Runs new runs match this FLOPs formula (several
// joined by "/" when they agree), as ingest found from their time and model shape.
type LoggedFormula struct {
	Formula string
	Runs    int
}

// SkippedInputs: files below an input directory that no reader claims were left out.
type SkippedInputs struct {
	Files   []string
	Reasons []string // one per file
}

func (ArgsDrift) RemarkKind() string     { return "args-drift" }
func (LoggedFormula) RemarkKind() string { return "logged-formula" }
func (SkippedInputs) RemarkKind() string { return "skipped-inputs" }

// CheckLaunch compares how the baseline and the new runs of each config were launched
// (bench.ArgsDrift): one ArgsDrift per argument and pair of values, listing the configs it
// drifted in, then one FormulaDrift per pair of formula sets the logged TFLOPS match, then
// one LoggedFormula per formula the new runs' logged TFLOPS match.
func CheckLaunch(base, cur []bench.Run) []Remark {
	type group struct {
		arg, base, cur string
	}
	args := map[group]*ArgsDrift{}
	formulas := map[group]*FormulaDrift{}
	var order []group
	for _, d := range bench.ArgsDrift(base, cur) {
		g := group{d.Name, strings.Join(d.Base, "\x00"), strings.Join(d.New, "\x00")}
		switch d.Kind {
		case bench.ArgDrift:
			if a, ok := args[g]; ok {
				a.Configs = append(a.Configs, d.Config)
				continue
			}
			args[g] = &ArgsDrift{Arg: d.Name, Baseline: d.Base, New: d.New, Configs: []string{d.Config}}
		case bench.FormulaDrift:
			if _, ok := formulas[g]; ok {
				continue
			}
			formulas[g] = &FormulaDrift{Baseline: d.Base, New: d.New}
		}
		order = append(order, g)
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i].arg < order[j].arg })
	var out []Remark
	for _, g := range order {
		if a, ok := args[g]; ok {
			sort.Strings(a.Configs)
			out = append(out, *a)
		}
	}
	for _, g := range order {
		if f, ok := formulas[g]; ok {
			out = append(out, *f)
		}
	}
	counts := map[string]int{}
	for _, r := range cur {
		if r.Formula != "" {
			counts[r.Formula]++
		}
	}
	names := make([]string, 0, len(counts))
	for f := range counts {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		out = append(out, LoggedFormula{Formula: f, Runs: counts[f]})
	}
	return out
}
