package flops

import (
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// llama70bArgs is an excerpt of the "arguments" block Megatron-LM prints for a Llama-3 70B
// run at tp=8, values as printed.
var llama70bArgs = map[string]string{
	"num_layers":                          "80",
	"hidden_size":                         "8192",
	"num_attention_heads":                 "64",
	"group_query_attention":               "True",
	"num_query_groups":                    "8",
	"kv_channels":                         "128",
	"ffn_hidden_size":                     "28672",
	"swiglu":                              "True",
	"padded_vocab_size":                   "None",
	"vocab_size":                          "128256",
	"make_vocab_size_divisible_by":        "128",
	"tensor_model_parallel_size":          "8",
	"num_experts":                         "None",
	"moe_router_topk":                     "2",
	"multi_latent_attention":              "False",
	"mtp_num_layers":                      "None",
	"untie_embeddings_and_output_weights": "True",
	"seq_length":                          "4096",
	"micro_batch_size":                    "1",
	"global_batch_size":                   "1024",
}

func TestShapeFromMegatronArgs(t *testing.T) {
	with := func(kv ...string) map[string]string { return edited(llama70bArgs, kv...) }
	llama := Shape{
		Layers: 80, Hidden: 8192, Heads: 64, QueryGroups: 8, KVChannels: 128, FFNHidden: 28672,
		SwiGLU: true, VocabSize: 128256, VocabDivisibleBy: 128, TP: 8, SeqLength: 4096,
	}
	tests := []struct {
		name string
		args map[string]string
		want Shape
	}{
		{"llama3-70b", llama70bArgs, llama},
		{"padded vocab wins", with("padded_vocab_size", "129024"), func() Shape { s := llama; s.PaddedVocabSize = 129024; return s }()},
		{"no GQA ignores groups", with("group_query_attention", "False"), func() Shape { s := llama; s.QueryGroups = 0; return s }()},
		{"dashes", map[string]string{"--num-layers": "2", "hidden-size": "64", "num_attention_heads": " 4 ", "vocab_size": "100"},
			Shape{Layers: 2, Hidden: 64, Heads: 4, VocabSize: 100}},
		{"groups without flag", map[string]string{"num_layers": "2", "hidden_size": "64", "num_attention_heads": "4", "num_query_groups": "2", "vocab_size": "100"},
			Shape{Layers: 2, Hidden: 64, Heads: 4, QueryGroups: 2, VocabSize: 100}},
		{"tied", with("untie_embeddings_and_output_weights", "False"), func() Shape { s := llama; s.TiedEmbeddings = true; return s }()},
		{"moe", with("num_experts", "8", "moe_router_topk", "2", "moe_ffn_hidden_size", "14336", "moe_shared_expert_intermediate_size", "None"),
			func() Shape { s := llama; s.Experts, s.TopK, s.MoEFFNHidden = 8, 2, 14336; return s }()},
		{"moe default topk", with("num_experts", "8", "moe_router_topk", "<delete>"),
			func() Shape { s := llama; s.Experts, s.TopK = 8, 2; return s }()},
		{"moe_layer_freq int", with("num_experts", "8", "moe_layer_freq", "3"),
			func() Shape { s := llama; s.Experts, s.TopK, s.MoELayers = 8, 2, 27; return s }()},
		{"moe_layer_freq list", map[string]string{"num_layers": "4", "hidden_size": "64", "num_attention_heads": "4", "vocab_size": "100",
			"num_experts": "4", "moe_router_topk": "1", "moe_layer_freq": "[0, 1, 1, 1]", "moe_shared_expert_intermediate_size": "32"},
			Shape{Layers: 4, Hidden: 64, Heads: 4, VocabSize: 100, Experts: 4, TopK: 1, MoELayers: 3, SharedExpertFFN: 32}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ShapeFromMegatronArgs(tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ShapeFromMegatronArgs mismatch (-want +got):\n%s", diff)
			}
		})
	}

	// The dump gives the same FLOPs as the preset at the same tp.
	s, err := ShapeFromMegatronArgs(llama70bArgs)
	if err != nil {
		t.Fatal(err)
	}
	got, err := FLOPsPerIter(Megatron, s, 1024, 0)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := Preset("llama3-70b")
	p.TP = 8
	want, _ := FLOPsPerIter(Megatron, p, 1024, 4096)
	if got != want {
		t.Errorf("FLOPs from args = %g, from preset = %g", got, want)
	}
}

func TestShapeFromMegatronArgsErrors(t *testing.T) {
	base := func(kv ...string) map[string]string {
		return edited(map[string]string{"num_layers": "2", "hidden_size": "64", "num_attention_heads": "4", "vocab_size": "100"}, kv...)
	}
	tests := []struct {
		name      string
		args      map[string]string
		wantError string
	}{
		{"empty", map[string]string{}, "num_layers missing"},
		{"no hidden", base("hidden_size", "<delete>"), "hidden_size missing"},
		{"no heads", base("num_attention_heads", "None"), "num_attention_heads missing"},
		{"not a number", base("num_layers", "eighty"), `num_layers: want a positive integer up to 1073741824, got "eighty"`},
		{"zero", base("hidden_size", "0"), "hidden_size: want a positive integer"},
		{"huge", base("hidden_size", "99999999999999999999"), "hidden_size: want a positive integer"},
		{"no vocab", base("vocab_size", "None"), "padded_vocab_size or vocab_size missing"},
		{"gqa without groups", base("group_query_attention", "True"), "num_query_groups missing"},
		{"bad bool", base("swiglu", "maybe"), `swiglu: want True or False, got "maybe"`},
		{"mla", base("multi_latent_attention", "True"), "multi_latent_attention"},
		{"mtp", base("mtp_num_layers", "1"), "mtp_num_layers"},
		{"hybrid", base("hybrid_override_pattern", "M-M*"), "hybrid_override_pattern"},
		{"heads do not divide", base("hidden_size", "66"), "not divisible by num_attention_heads"},
		{"topk > experts", base("num_experts", "2", "moe_router_topk", "4"), "moe_router_topk 4"},
		{"freq list length", base("num_experts", "2", "moe_layer_freq", "[1, 0, 1]"), "3 entries for 2 layers"},
		{"freq list entry", base("num_experts", "2", "moe_layer_freq", "[1, 2]"), `entry "2"`},
		{"freq list all dense", base("num_experts", "2", "moe_layer_freq", "[0, 0]"), "no MoE layer"},
		{"freq expression", base("num_experts", "2", "moe_layer_freq", "([1]*3+[0])*2"), "moe_layer_freq: want an integer or a list"},
		{"freq zero", base("num_experts", "2", "moe_layer_freq", "0"), "moe_layer_freq: want a positive integer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ShapeFromMegatronArgs(tc.args)
			if err == nil {
				t.Fatalf("ShapeFromMegatronArgs = %+v, want error containing %q", s, tc.wantError)
			}
			if !strings.Contains(err.Error(), tc.wantError) {
				t.Errorf("error %q does not contain %q", err, tc.wantError)
			}
		})
	}
}

func TestParseParams(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"70b", 70e9, true},
		{"70B", 70e9, true},
		{"12.9b", 12.9e9, true},
		{"1.2T", 1.2e12, true},
		{"350M", 350e6, true},
		{"7e10", 7e10, true},
		{"70000000000", 70e9, true},
		{"", 0, false},
		{"b", 0, false},
		{"-7b", 0, false},
		{"0", 0, false},
		{"NaN", 0, false},
		{"inf", 0, false},
		{"seventy", 0, false},
	}
	for _, tc := range tests {
		got, err := ParseParams(tc.in)
		if (err == nil) != tc.ok || (tc.ok && !near(got, tc.want, 1e-15)) {
			t.Errorf("ParseParams(%q) = %g, %v; want %g, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestRecomputeTFLOPS(t *testing.T) {
	seedRow := map[string]string{"model": "70b", "tp": "8", "pp": "4", "gbs": "1024", "sl": "4096", "nodes": "32"}
	llama := map[string]string{"model": "llama3-70b", "tp": "8", "pp": "4", "gbs": "1024", "sl": "4096", "nodes": "32"}
	with := edited
	megatronArgs := with(llama70bArgs, "gbs", "1024", "sl", "4096", "gpus", "256", "tp", "8")
	tests := []struct {
		name      string
		f         Formula
		cfg       map[string]string
		sec       float64
		want      float64 // rounded to 0.1
		wantError string
	}{
		{name: "seed row", f: SixND, cfg: seedRow, sec: 46.3, want: 148.6},
		{name: "preset 6nd", f: SixND, cfg: llama, sec: 46.3, want: 148.6},
		{name: "preset megatron", f: Megatron, cfg: llama, sec: 15.8, want: 449.2},
		{name: "preset legacy", f: MegatronLegacy, cfg: llama, sec: 15.8, want: 465.9},
		{name: "gpus key", f: Megatron, cfg: with(llama, "nodes", "<delete>", "gpus", "256"), sec: 15.8, want: 449.2},
		{name: "params override", f: SixND, cfg: with(llama, "params", "35b"), sec: 46.3 / 2, want: 148.6},
		{name: "params alone", f: SixND, cfg: with(seedRow, "model", "<delete>", "params", "70e9"), sec: 46.3, want: 148.6},
		{name: "megatron arg keys", f: Megatron, cfg: megatronArgs, sec: 15.8, want: 449.2},
		// A model key beside Megatron shape keys describes the model twice; the model key
		// used to win silently (num_layers 2 gave llama3-70b's TFLOPS).
		{name: "model and shape keys", f: Megatron, cfg: with(llama, "num_layers", "2"), sec: 15.8, wantError: "config has both model=llama3-70b and the Megatron shape keys num_layers:"},
		{name: "model and spelt shape keys", f: SixND, cfg: with(seedRow, "--hidden-size", "4096", "NUM_LAYERS", "2"), sec: 46.3, wantError: "shape keys --hidden-size, NUM_LAYERS:"},
		{name: "model and unset shape key", f: SixND, cfg: with(seedRow, "num_experts", "None"), sec: 46.3, want: 148.6},
		// params overrides N of a shape as it does a preset's, and leaves the shape to the
		// Megatron formulas (they failed: "needs the model's shape").
		{name: "params beside shape, 6nd", f: SixND, cfg: with(megatronArgs, "params", "35b"), sec: 46.3 / 2, want: 148.6},
		{name: "params beside shape, megatron", f: Megatron, cfg: with(megatronArgs, "params", "35b"), sec: 15.8, want: 449.2},
		{name: "params beside part of a shape", f: SixND, cfg: with(seedRow, "model", "<delete>", "params", "70b", "hidden_size", "8192"), sec: 46.3, wantError: "num_layers missing"},
		{name: "6nd needs no tp", f: SixND, cfg: with(seedRow, "tp", "<delete>"), sec: 46.3, want: 148.6},
		{name: "size only for megatron", f: Megatron, cfg: seedRow, sec: 46.3, wantError: "needs the model's shape"},
		{name: "no model", f: SixND, cfg: with(seedRow, "model", "<delete>"), sec: 1, wantError: "no model key"},
		{name: "unknown model", f: SixND, cfg: with(seedRow, "model", "llama9"), sec: 1, wantError: `model "llama9" is neither a preset`},
		{name: "no gbs", f: SixND, cfg: with(seedRow, "gbs", "<delete>"), sec: 1, wantError: "config key gbs missing"},
		{name: "no sl", f: SixND, cfg: with(seedRow, "sl", "<delete>"), sec: 1, wantError: "config key sl missing"},
		{name: "no nodes", f: SixND, cfg: with(seedRow, "nodes", "<delete>"), sec: 1, wantError: "config key nodes (or gpus) missing"},
		{name: "no tp for megatron", f: Megatron, cfg: with(llama, "tp", "<delete>"), sec: 1, wantError: "config key tp missing"},
		{name: "bad gbs", f: SixND, cfg: with(seedRow, "gbs", "x"), sec: 1, wantError: `config key gbs: want a positive integer, got "x"`},
		{name: "bad params", f: SixND, cfg: with(seedRow, "params", "lots"), sec: 1, wantError: "params:"},
		{name: "zero time", f: SixND, cfg: seedRow, sec: 0, wantError: "time per iteration"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := RecomputeTFLOPS(tc.f, tc.cfg, tc.sec, 8)
			if tc.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantError) {
					t.Fatalf("RecomputeTFLOPS = %g, %v; want error containing %q", got, err, tc.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r := float64(int(got*10+0.5)) / 10; r != tc.want {
				t.Errorf("RecomputeTFLOPS = %.3f, want %.1f", got, tc.want)
			}
		})
	}
	if _, err := RecomputeTFLOPS(SixND, seedRow, 1, 0); err == nil || !strings.Contains(err.Error(), "GPUs per node") {
		t.Errorf("gpusPerNode 0: err = %v", err)
	}
}

// TestRecomputeTFLOPSLayout: a layout that perfgate calc refuses is an error for
// RecomputeTFLOPS too (it stored and gated 149.69 TFLOPS/GPU for tp 3 × pp 5 on 256 GPUs), but
// a size the config leaves out is not assumed, so only layouts impossible whatever its value
// are refused.
func TestRecomputeTFLOPSLayout(t *testing.T) {
	llama := map[string]string{"model": "llama3-70b", "tp": "8", "pp": "4", "gbs": "1024", "sl": "4096", "nodes": "32"}
	with := func(kv ...string) map[string]string { return edited(llama, kv...) }
	bad := []struct {
		name string
		f    Formula
		cfg  map[string]string
		want string // what the error contains; a final $ pins the end of the message
	}{
		{"tp·pp vs GPUs", Megatron, with("tp", "3", "pp", "5"), "256 GPUs (32 nodes × 8 per node) are not divisible by tp × pp = 3 × 5 = 15$"},
		{"tp·pp·cp vs GPUs", SixND, with("cp", "3"), "tp × pp × cp = 8 × 4 × 3 = 96$"},
		{"pp alone vs gpus key", SixND, with("tp", "<delete>", "nodes", "<delete>", "gpus", "24", "pp", "5"), "24 GPUs are not divisible by pp = 5$"},
		{"gbs vs mbs·dp", Megatron, with("mbs", "3", "gbs", "1000", "cp", "1"), "gbs 1000 is not divisible by mbs × dp = 3 × 8"},
		{"gbs vs dp, no mbs", SixND, with("gbs", "12", "cp", "1"), "gbs 12 is not divisible by dp 8"},
		{"gbs vs mbs, no cp", MegatronLegacy, with("mbs", "3", "gbs", "1000"), "gbs 1000 is not divisible by mbs 3"},
		{"heads vs tp", SixND, with("tp", "3", "pp", "1", "nodes", "<delete>", "gpus", "3"), "64 attention heads are not divisible by tp 3"},
		{"query groups vs tp", Megatron, with("tp", "16", "pp", "1"), "8 query groups are not divisible by tp 16"},
		{"bad cp", SixND, with("cp", "two"), `config key cp: want a positive integer, got "two"`},
		{"bad mbs", SixND, with("mbs", "0"), `config key mbs: want a positive integer, got "0"`},
	}
	for _, tc := range bad {
		got, err := RecomputeTFLOPS(tc.f, tc.cfg, 15.8, 8)
		if err == nil || !strings.Contains(err.Error()+"$", tc.want) {
			t.Errorf("%s: RecomputeTFLOPS = %g, %v; want error containing %q", tc.name, got, err, tc.want)
		}
		if strings.HasPrefix(tc.name, "bad") != !errors.Is(err, ErrImpossibleLayout) {
			t.Errorf("%s: errors.Is(%v, ErrImpossibleLayout) = %v", tc.name, err, errors.Is(err, ErrImpossibleLayout))
		}
	}
	good := []struct {
		name string
		f    Formula
		cfg  map[string]string
	}{
		{"calc's layout", Megatron, with("mbs", "2", "cp", "1")},
		// With cp 2, dp is 4 and gbs 4 = mbs 1 × dp 4: without a cp key that may be the layout.
		{"no cp: dp unknown", Megatron, with("gbs", "4", "mbs", "1")},
		// tp 8 and pp 4 may be any sizes: gbs 6 = mbs 2 × dp 3 on 256 GPUs is not excluded
		// once a size is unknown, and 6 is a multiple of mbs.
		{"no tp or pp", SixND, with("tp", "<delete>", "pp", "<delete>", "mbs", "2", "gbs", "6")},
		{"no mbs: dp divides gbs", SixND, with("gbs", "8", "cp", "1")},
		// A parameter count has no heads to divide.
		{"size only", SixND, with("model", "70b", "tp", "3", "pp", "1", "nodes", "<delete>", "gpus", "3")},
	}
	for _, tc := range good {
		if got, err := RecomputeTFLOPS(tc.f, tc.cfg, 15.8, 8); err != nil || !(got > 0) {
			t.Errorf("%s: RecomputeTFLOPS = %g, %v; want a value", tc.name, got, err)
		}
	}
}

// edited returns a copy of m with the key-value pairs kv set; a value "<delete>" removes its
// key.
func edited(m map[string]string, kv ...string) map[string]string {
	c := maps.Clone(m)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "<delete>" {
			delete(c, kv[i])
		} else {
			c[kv[i]] = kv[i+1]
		}
	}
	return c
}
