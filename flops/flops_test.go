package flops

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// near reports whether got is within rel of want, relatively.
func near(got, want, rel float64) bool {
	return math.Abs(got-want) <= rel*math.Abs(want)
}

// TestMegatronWorkedExample checks the figures of research note prior-art.md §4.2: a 70B
// Llama-3 shape at tp=8, s=4096, gbs=1024, 256 GPUs and 15.8 s/iter.
func TestMegatronWorkedExample(t *testing.T) {
	s, ok := Preset("llama3-70b")
	if !ok {
		t.Fatal("no llama3-70b preset")
	}
	s.TP = 8
	if got := s.PaddedVocab(); got != 129024 {
		t.Fatalf("PaddedVocab at tp=8 = %d, want 129024", got)
	}
	for _, tc := range []struct {
		f      Formula
		flops  float64
		tflops float64
	}{
		{Megatron, 1.8168e18, 449.2},
		{MegatronLegacy, 1.8843e18, 465.9},
	} {
		fl, err := FLOPsPerIter(tc.f, s, 1024, 4096)
		if err != nil {
			t.Fatalf("%s: %v", tc.f, err)
		}
		if got, want := fmt.Sprintf("%.4e", fl), fmt.Sprintf("%.4e", tc.flops); got != want {
			t.Errorf("%s: FLOPs/iter = %.5g, want %.5g", tc.f, fl, tc.flops)
		}
		tf := TFLOPSPerGPU(fl, 15.8, 256)
		if got := math.Round(tf*10) / 10; got != tc.tflops {
			t.Errorf("%s: TFLOPS/GPU = %.3f, want %.1f", tc.f, tf, tc.tflops)
		}
	}
	cur, _ := FLOPsPerIter(Megatron, s, 1024, 4096)
	old, _ := FLOPsPerIter(MegatronLegacy, s, 1024, 4096)
	if r := old / cur; math.Round((r-1)*1000)/10 != 3.7 {
		t.Errorf("legacy/current = %.4f, want +3.7%%", r)
	}
	six, _ := FLOPsPerIter(SixND, s, 1024, 4096)
	if r := 1 - six/cur; math.Round(r*100) != 3 {
		t.Errorf("6nd is %.2f%% below megatron, package doc says about 3%%", r*100)
	}
}

// TestFLOPsPerIterPresets checks every preset under every formula for one sequence of 4096
// tokens. The Megatron values come from a separate Python transcription of Megatron-LM's
// training.py (both forms), not from this package.
func TestFLOPsPerIterPresets(t *testing.T) {
	tests := []struct {
		preset           string
		tp               int
		paddedVocab      int
		megatron, legacy float64
	}{
		{"llama2-7b", 1, 32000, 1.7556967313e+14, 1.8876381266e+14},
		{"llama2-7b", 8, 32768, 1.7564698254e+14, 1.8884112207e+14},
		{"llama2-13b", 1, 32000, 3.3645700055e+14, 3.5707284357e+14},
		{"llama2-13b", 8, 32768, 3.3655363731e+14, 3.5716948034e+14},
		{"llama2-70b", 1, 32000, 1.7546659391e+15, 1.8206366368e+15},
		{"llama2-70b", 8, 32768, 1.7548205579e+15, 1.8207912556e+15},
		{"llama3-8b", 1, 128256, 1.9762862516e+14, 2.1082276469e+14},
		{"llama3-8b", 8, 129024, 1.9770593457e+14, 2.1090007410e+14},
		{"llama3-70b", 1, 128256, 1.7740448315e+15, 1.8400155292e+15},
		{"llama3-70b", 8, 129024, 1.7741994504e+15, 1.8401701480e+15},
		{"llama3-405b", 1, 128256, 1.0130316023e+16, 1.0338123720e+16},
		{"llama3-405b", 8, 129024, 1.0130625260e+16, 1.0338432958e+16},
		{"gpt3-175b", 1, 50304, 4.4088397639e+15, 4.5275870197e+15},
		{"gpt3-175b", 8, 51200, 4.4091103469e+15, 4.5278576027e+15},
		{"mixtral-8x7b", 1, 32000, 3.2647764404e+14, 3.3967178357e+14},
		{"mixtral-8x7b", 8, 32768, 3.2655495345e+14, 3.3974909298e+14},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		seen[tc.preset] = true
		s, ok := Preset(tc.preset)
		if !ok {
			t.Errorf("Preset(%q) not found", tc.preset)
			continue
		}
		s.TP = tc.tp
		if got := s.PaddedVocab(); got != tc.paddedVocab {
			t.Errorf("%s tp=%d: PaddedVocab = %d, want %d", tc.preset, tc.tp, got, tc.paddedVocab)
		}
		for _, want := range []struct {
			f Formula
			v float64
		}{
			{Megatron, tc.megatron},
			{MegatronLegacy, tc.legacy},
			{SixND, 6 * s.Params * 4096},
		} {
			got, err := FLOPsPerIter(want.f, s, 1, 4096)
			if err != nil {
				t.Errorf("%s tp=%d %s: %v", tc.preset, tc.tp, want.f, err)
				continue
			}
			if !near(got, want.v, 1e-9) {
				t.Errorf("%s tp=%d %s: FLOPs = %.10e, want %.10e", tc.preset, tc.tp, want.f, got, want.v)
			}
			// FLOPs are linear in the global batch.
			got8, _ := FLOPsPerIter(want.f, s, 8, 4096)
			if !near(got8, 8*got, 1e-12) {
				t.Errorf("%s %s: FLOPs at gbs 8 = %g, want 8×%g", tc.preset, want.f, got8, got)
			}
		}
	}
	for _, name := range PresetNames() {
		if !seen[name] {
			t.Errorf("preset %s has no FLOPs test", name)
		}
	}
}

// TestParams checks the parameter counts computed from the shapes against the published
// counts of the Hugging Face checkpoints, and the nominal N each preset uses for 6nd.
func TestParams(t *testing.T) {
	tests := []struct {
		preset        string
		total, active float64 // published; 0 = not checked exactly
		approx        float64 // published approximate total, checked within 1%
		n             float64
	}{
		{preset: "llama2-7b", total: 6738415616, active: 6738415616, n: 7e9},
		{preset: "llama2-13b", total: 13015864320, active: 13015864320, n: 13e9},
		{preset: "llama2-70b", total: 68976648192, active: 68976648192, n: 70e9},
		{preset: "llama3-8b", total: 8030261248, active: 8030261248, n: 8e9},
		{preset: "llama3-70b", total: 70553706496, active: 70553706496, n: 70e9},
		{preset: "llama3-405b", total: 405853388800, active: 405853388800, n: 405e9},
		{preset: "gpt3-175b", approx: 175e9, n: 175e9},
		{preset: "mixtral-8x7b", total: 46702792704, approx: 46.7e9, n: 12.9e9},
	}
	for _, tc := range tests {
		s, ok := Preset(tc.preset)
		if !ok {
			t.Fatalf("Preset(%q) not found", tc.preset)
		}
		if tc.total != 0 && s.TotalParams() != tc.total {
			t.Errorf("%s: TotalParams = %.0f, want %.0f", tc.preset, s.TotalParams(), tc.total)
		}
		if tc.active != 0 && s.ActiveParams() != tc.active {
			t.Errorf("%s: ActiveParams = %.0f, want %.0f", tc.preset, s.ActiveParams(), tc.active)
		}
		if tc.approx != 0 && !near(s.TotalParams(), tc.approx, 0.01) {
			t.Errorf("%s: TotalParams = %.4g, want about %.4g", tc.preset, s.TotalParams(), tc.approx)
		}
		if s.N() != tc.n {
			t.Errorf("%s: N = %g, want %g", tc.preset, s.N(), tc.n)
		}
		// The nominal N is the computed active count to within 5%.
		if !near(s.ActiveParams(), s.N(), 0.05) {
			t.Errorf("%s: nominal N %g is far from ActiveParams %g", tc.preset, s.N(), s.ActiveParams())
		}
		s.Params = 0
		if s.N() != s.ActiveParams() {
			t.Errorf("%s: N without Params = %g, want ActiveParams %g", tc.preset, s.N(), s.ActiveParams())
		}
	}
	if s, _ := Preset("mixtral-8x7b"); !near(s.ActiveParams(), 12.9e9, 0.01) {
		t.Errorf("mixtral-8x7b: ActiveParams = %.4g, want about 12.9e9", s.ActiveParams())
	}
}

func TestPreset(t *testing.T) {
	names := PresetNames()
	want := []string{"gpt3-175b", "llama2-13b", "llama2-70b", "llama2-7b", "llama3-405b", "llama3-70b", "llama3-8b", "mixtral-8x7b"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("PresetNames = %v, want %v", names, want)
	}
	for _, n := range names {
		s, ok := Preset(n)
		if !ok || s.Name != n {
			t.Errorf("Preset(%q) = %q, %v", n, s.Name, ok)
		}
		if err := s.Validate(); err != nil {
			t.Errorf("Preset(%q).Validate: %v", n, err)
		}
	}
	if _, ok := Preset("llama4"); ok {
		t.Error("Preset(llama4) found")
	}
	// Presets are values: changing one does not change the table.
	s, _ := Preset("llama3-70b")
	s.Layers = 1
	if s2, _ := Preset("llama3-70b"); s2.Layers != 80 {
		t.Error("Preset returned a shared value")
	}
}

// TestFormulaTerms checks the Megatron forms term by term on a tiny shape where every term
// can be worked out by hand.
func TestFormulaTerms(t *testing.T) {
	// h=4, 2 heads of 2, MHA, ffn 8, no SwiGLU, vocab 10 (padded 128), one layer.
	s := Shape{Layers: 1, Hidden: 4, Heads: 2, FFNHidden: 8, VocabSize: 10}
	const b, seq = 1, 2
	// Per token: projections 6·(4·(4+4+4) + 4·4) = 384; core 6·4·2 = 48;
	// MLP 6·4·8·2 = 384; logits 6·4·128 = 3072. Total 3888 per token, 2 tokens.
	got, err := FLOPsPerIter(Megatron, s, b, seq)
	if err != nil {
		t.Fatal(err)
	}
	if want := 2.0 * 3888; got != want {
		t.Errorf("megatron = %g, want %g", got, want)
	}
	// Legacy: 12·1·2·1·16·[(1+1+0.5)·1 + 2 + 128/8] = 384·20.5 = 7872.
	got, err = FLOPsPerIter(MegatronLegacy, s, b, seq)
	if err != nil {
		t.Fatal(err)
	}
	if want := 7872.0; got != want {
		t.Errorf("megatron-legacy = %g, want %g", got, want)
	}

	// SwiGLU multiplies the MLP by 1.5 in both forms.
	sw := s
	sw.SwiGLU = true
	cur, _ := FLOPsPerIter(Megatron, sw, b, seq)
	if want := 2.0 * (3888 + 192); cur != want {
		t.Errorf("megatron swiglu = %g, want %g", cur, want)
	}
	// GQA with one group: k and v shrink to 2 each, projections 6·(4·(4+2+2)+16) = 288.
	g := s
	g.QueryGroups = 1
	cur, _ = FLOPsPerIter(Megatron, g, b, seq)
	if want := 2.0 * (3888 - 96); cur != want {
		t.Errorf("megatron gqa = %g, want %g", cur, want)
	}
	// An output gate adds h·q per token: 6·16 = 96.
	og := s
	og.AttentionOutputGate = true
	cur, _ = FLOPsPerIter(Megatron, og, b, seq)
	if want := 2.0 * (3888 + 96); cur != want {
		t.Errorf("megatron output gate = %g, want %g", cur, want)
	}
	// MoE: 4 experts, top-2, expert size 8, shared 8: MLP 6·4·(8·2·2 + 8·2) = 1152.
	m := s
	m.Experts, m.TopK, m.SharedExpertFFN = 4, 2, 8
	cur, _ = FLOPsPerIter(Megatron, m, b, seq)
	if want := 2.0 * (3888 - 384 + 1152); cur != want {
		t.Errorf("megatron moe = %g, want %g", cur, want)
	}
	// Legacy MoE: (ffn/h)·topk + shared/h = 4 + 2 instead of 2: 384·24.5.
	old, _ := FLOPsPerIter(MegatronLegacy, m, b, seq)
	if want := 384 * 24.5; old != want {
		t.Errorf("megatron-legacy moe = %g, want %g", old, want)
	}
	// A separate expert size changes both forms: legacy (4/4)·2 + 8/4 instead of 4 + 2,
	// 384·22.5, as Megatron-LM's ed7db1d2b3 counts it.
	m.MoEFFNHidden = 4
	cur, _ = FLOPsPerIter(Megatron, m, b, seq)
	if want := 2.0 * (3888 - 384 + 6*4*(4*2*2+8*2)); cur != want {
		t.Errorf("megatron moe_ffn_hidden_size = %g, want %g", cur, want)
	}
	old, _ = FLOPsPerIter(MegatronLegacy, m, b, seq)
	if want := 384 * 22.5; old != want {
		t.Errorf("megatron-legacy moe_ffn_hidden_size = %g, want %g", old, want)
	}
	// Half the layers MoE: the other half dense.
	m2 := Shape{Layers: 2, Hidden: 4, Heads: 2, FFNHidden: 8, VocabSize: 10, Experts: 4, TopK: 1, MoELayers: 1}
	cur, _ = FLOPsPerIter(Megatron, m2, b, seq)
	if want := 2.0 * (2*(384+48) + 384 + 384 + 3072); cur != want {
		t.Errorf("megatron moe_layer_freq = %g, want %g", cur, want)
	}
	// The sequence length defaults to the shape's.
	sq := s
	sq.SeqLength = seq
	cur, err = FLOPsPerIter(Megatron, sq, b, 0)
	if err != nil || cur != 2.0*3888 {
		t.Errorf("megatron with SeqLength = %g, %v; want %g", cur, err, 2.0*3888)
	}
	// 6nd: 6·N·D.
	six, err := FLOPsPerIter(SixND, Shape{Params: 1e9}, 3, 5)
	if err != nil || six != 6*1e9*15 {
		t.Errorf("6nd = %g, %v; want %g", six, err, 6e9*15)
	}
}

func TestFLOPsPerIterErrors(t *testing.T) {
	llama, _ := Preset("llama3-8b")
	tests := []struct {
		name      string
		f         Formula
		s         Shape
		gbs, seq  int
		wantError string
	}{
		{"zero gbs", Megatron, llama, 0, 4096, "global batch size"},
		{"no seq", SixND, llama, 1, 0, "sequence length"},
		{"params only", Megatron, Shape{Params: 70e9}, 1, 4096, "needs the model's shape"},
		{"params only legacy", MegatronLegacy, Shape{Params: 70e9}, 1, 4096, "needs the model's shape"},
		{"no params", SixND, Shape{}, 1, 4096, "needs a parameter count"},
		{"bad formula", Formula("7nd"), llama, 1, 4096, "unknown FLOPs formula"},
		{"no vocab", Megatron, Shape{Layers: 1, Hidden: 4, Heads: 2}, 1, 4, "vocab"},
		{"heads", Megatron, Shape{Layers: 1, Hidden: 6, Heads: 4, VocabSize: 4}, 1, 4, "not divisible by num_attention_heads"},
		{"groups", Megatron, Shape{Layers: 1, Hidden: 8, Heads: 4, QueryGroups: 3, VocabSize: 4}, 1, 4, "num_query_groups"},
		{"topk", Megatron, Shape{Layers: 1, Hidden: 8, Heads: 4, VocabSize: 4, Experts: 2, TopK: 3}, 1, 4, "moe_router_topk"},
		{"negative", Megatron, Shape{Layers: -1, Hidden: 8, Heads: 4, VocabSize: 4}, 1, 4, "num_layers"},
		{"nan params", SixND, Shape{Params: math.NaN()}, 1, 4, "parameter count"},
		{"inf params", SixND, Shape{Params: math.Inf(1)}, 1, 4, "parameter count"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FLOPsPerIter(tc.f, tc.s, tc.gbs, tc.seq)
			if err == nil {
				t.Fatalf("FLOPsPerIter = %g, want error containing %q", got, tc.wantError)
			}
			if !strings.Contains(err.Error(), tc.wantError) {
				t.Errorf("error %q does not contain %q", err, tc.wantError)
			}
		})
	}
}

func TestParseFormula(t *testing.T) {
	tests := []struct {
		in   string
		want Formula
		ok   bool
	}{
		{"6nd", SixND, true},
		{" 6ND ", SixND, true},
		{"megatron", Megatron, true},
		{"Megatron", Megatron, true},
		{"megatron-legacy", MegatronLegacy, true},
		{"megatron_legacy", MegatronLegacy, true},
		{"legacy", MegatronLegacy, true},
		{"", "", false},
		{"megatron2", "", false},
	}
	for _, tc := range tests {
		got, err := ParseFormula(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseFormula(%q) = %q, %v; want %q, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	for _, f := range Formulas {
		if got, err := ParseFormula(f.String()); err != nil || got != f {
			t.Errorf("ParseFormula(%q) = %q, %v", f, got, err)
		}
	}
}

func TestTFLOPSPerGPU(t *testing.T) {
	tests := []struct {
		flops, sec float64
		gpus       int
		want       float64
	}{
		{1e15, 1, 1, 1000},
		{2e15, 2, 4, 250},
		{1e15, 0, 1, 0},
		{1e15, -1, 1, 0},
		{1e15, math.NaN(), 1, 0},
		{1e15, 1, 0, 0},
	}
	for _, tc := range tests {
		if got := TFLOPSPerGPU(tc.flops, tc.sec, tc.gpus); got != tc.want {
			t.Errorf("TFLOPSPerGPU(%g, %g, %d) = %g, want %g", tc.flops, tc.sec, tc.gpus, got, tc.want)
		}
	}
	// SecPerIter inverts TFLOPSPerGPU.
	if got := SecPerIter(1.8168e18, TFLOPSPerGPU(1.8168e18, 15.8, 256), 256); !near(got, 15.8, 1e-12) {
		t.Errorf("SecPerIter round trip = %g, want 15.8", got)
	}
	if got := SecPerIter(1e15, 0, 1); got != 0 {
		t.Errorf("SecPerIter with 0 TFLOPS = %g, want 0", got)
	}
}

func TestPeakTFLOPS(t *testing.T) {
	tests := []struct {
		gpu, dtype string
		want       float64
		wantError  string
	}{
		{"a100", "bf16", 312, ""},
		{"A100", "fp16", 312, ""},
		{"a100", "fp8", 0, "no fp8"},
		{"h100", "bf16", 989, ""},
		{"H100-SXM", "fp8", 1979, ""},
		{"h200", "bf16", 989, ""},
		{"h200", "fp8", 1979, ""},
		{"b200", "bf16", 2250, ""},
		{"b200", "fp8", 4500, ""},
		{"MI300X", "bf16", 1307.4, ""},
		{"mi300x", "fp8", 2614.9, ""},
		{"mi325x", "bf16", 1307.4, ""},
		{"mi355x", "bf16", 0, "unknown GPU"},
		{"v100", "bf16", 0, "unknown GPU"},
		{"h100", "fp4", 0, "unknown dtype"},
	}
	for _, tc := range tests {
		got, err := PeakTFLOPS(tc.gpu, tc.dtype)
		if tc.wantError != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantError) {
				t.Errorf("PeakTFLOPS(%q, %q) = %g, %v; want error containing %q", tc.gpu, tc.dtype, got, err, tc.wantError)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("PeakTFLOPS(%q, %q) = %g, %v; want %g", tc.gpu, tc.dtype, got, err, tc.want)
		}
	}
	if got := strings.Join(GPUNames(), ","); got != "a100,b200,h100,h200,mi300x,mi325x" {
		t.Errorf("GPUNames = %s", got)
	}
	if got := MFU(449.2, 989); !near(got, 0.4542, 1e-3) {
		t.Errorf("MFU = %g", got)
	}
	if got := MFU(449.2, 0); got != 0 {
		t.Errorf("MFU with no peak = %g", got)
	}
}
