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
// (ModelArgs) and has a value on both sides: configs whose new runs trained another model
// than their baseline runs, which check cannot gate. An argument one side's dump lacks ("")
// is a Megatron-LM release that added it to the dump (multi_latent_attention False), not
// another model: it stays a note.
func ModelDrift(remarks []Remark) []ArgsDrift {
	var out []ArgsDrift
	for _, m := range remarks {
		d, ok := m.(ArgsDrift)
		if !ok || !slices.Contains(ModelArgs, d.Arg) || slices.Contains(d.Baseline, "") || slices.Contains(d.New, "") {
			continue
		}
		out = append(out, d)
	}
	return out
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
