package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/flops"
)

// calcOptions are the flags of perfgate calc.
type calcOptions struct {
	model  string
	params string

	// Shape overrides; zero means not given.
	layers, hidden, heads, queryGroups, kvChannels, ffnHidden int
	vocab, paddedVocab, experts, topk                         int
	swiglu, swigluSet                                         bool
	dtypeSet                                                  bool

	tp, pp, cp, mbs, gbs, sl, nodes, gpusPerNode int

	time, targetTFLOPS float64

	formula string
	gpu     string
	dtype   string
	peak    float64
	format  string
}

func newCalcCmd(s *Streams) *cobra.Command {
	o := &calcOptions{}
	cmd := &cobra.Command{
		Use:   "calc (--model NAME | --params N | shape flags) --gbs N --sl N [--time S | --target-tflops X]",
		Short: "Compute TFLOPS/GPU, MFU and batch layout for a config and a time per iteration",
		Long: `calc turns a training config and a time per iteration into TFLOP/s per GPU, MFU,
tokens/s per GPU, the data-parallel size and the gradient-accumulation steps. With
--target-tflops it solves for the time per iteration instead.

The model is a preset (--model NAME), one of
  ` + strings.Join(flops.PresetNames(), ", ") + `
or a parameter count (--params 70b, or --model 70b), or shape flags (--layers, --hidden,
--heads, …), which also override a preset's fields.

--formula picks the FLOPs convention:
  6nd              6·N·D, N the parameter count (the seed sweep table's convention)
  megatron         Megatron-LM's count since 8873b55d6a (2025-03): causal attention halved
  megatron-legacy  Megatron-LM's count before it, about 3.7% higher for 70B at 4096
The default is megatron when the shape is known, so that calc agrees with what Megatron-LM
logs, and 6nd when only a parameter count is.

A config that cannot run is an error (exit 2): GPUs not divisible by tp·pp·cp, gbs not
divisible by mbs·dp, or attention heads or query groups not divisible by tp.`,
		Example: `  perfgate calc --model llama3-70b --tp 8 --pp 4 --gbs 1024 --sl 4096 --nodes 32 --time 15.8 --gpu h100
  perfgate calc --params 70b --tp 8 --pp 4 --mbs 2 --gbs 1024 --sl 4096 --nodes 32 --target-tflops 160`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.swigluSet = cmd.Flags().Changed("swiglu")
			o.dtypeSet = cmd.Flags().Changed("dtype")
			return runCalc(o, s)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.model, "model", "", "model preset name, or a parameter count such as 70b")
	f.StringVar(&o.params, "params", "", "parameter count N for 6nd, such as 70b or 7e10 (overrides the preset's)")
	f.IntVar(&o.layers, "layers", 0, "number of layers (num_layers)")
	f.IntVar(&o.hidden, "hidden", 0, "hidden size (hidden_size)")
	f.IntVar(&o.heads, "heads", 0, "attention heads (num_attention_heads)")
	f.IntVar(&o.queryGroups, "query-groups", 0, "key/value heads for GQA (num_query_groups); default: heads")
	f.IntVar(&o.kvChannels, "kv-channels", 0, "head size (kv_channels); default: hidden/heads")
	f.IntVar(&o.ffnHidden, "ffn-hidden", 0, "MLP inner size (ffn_hidden_size); default: Megatron's")
	f.IntVar(&o.vocab, "vocab", 0, "vocabulary size, padded to a multiple of 128·tp")
	f.IntVar(&o.paddedVocab, "padded-vocab", 0, "padded vocabulary size, used as is")
	f.IntVar(&o.experts, "experts", 0, "number of MoE experts (num_experts)")
	f.IntVar(&o.topk, "topk", 0, "experts per token (moe_router_topk)")
	f.BoolVar(&o.swiglu, "swiglu", false, "gated MLP (SwiGLU)")
	f.IntVar(&o.tp, "tp", 1, "tensor-parallel size")
	f.IntVar(&o.pp, "pp", 1, "pipeline-parallel size")
	f.IntVar(&o.cp, "cp", 1, "context-parallel size")
	f.IntVar(&o.mbs, "mbs", 1, "micro-batch size")
	f.IntVar(&o.gbs, "gbs", 0, "global batch size in sequences (required)")
	f.IntVar(&o.sl, "sl", 0, "sequence length in tokens (required)")
	f.IntVar(&o.nodes, "nodes", 1, "number of nodes")
	f.IntVar(&o.gpusPerNode, "gpus-per-node", 8, "GPUs per node")
	f.Float64Var(&o.time, "time", 0, "measured seconds per iteration")
	f.Float64Var(&o.targetTFLOPS, "target-tflops", 0, "solve for the seconds per iteration that give this TFLOPS/GPU")
	f.StringVar(&o.formula, "formula", "", "FLOPs convention: 6nd, megatron or megatron-legacy (default: see above)")
	f.StringVar(&o.gpu, "gpu", "", "GPU for MFU: "+strings.Join(flops.GPUNames(), ", "))
	f.StringVar(&o.dtype, "dtype", "bf16", "training dtype for the GPU's peak: bf16 or fp8")
	f.Float64Var(&o.peak, "peak", 0, "peak dense TFLOPS per GPU for MFU (overrides --gpu)")
	f.StringVar(&o.format, "format", "text", "output format: text or json")
	return cmd
}

// A calcResult is what perfgate calc reports. It is also its JSON output.
type calcResult struct {
	Model   string  `json:"model"`
	Formula string  `json:"formula"`
	Params  float64 `json:"params,omitempty"` // N, for 6nd
	// PaddedVocab is the logit width the Megatron formulas used.
	PaddedVocab int `json:"padded_vocab,omitempty"`

	Nodes       int `json:"nodes"`
	GPUsPerNode int `json:"gpus_per_node"`
	GPUs        int `json:"gpus"`
	TP          int `json:"tp"`
	PP          int `json:"pp"`
	CP          int `json:"cp"`
	DP          int `json:"dp"`
	MBS         int `json:"mbs"`
	GBS         int `json:"gbs"`
	GradAccum   int `json:"grad_accum_steps"`
	SL          int `json:"sl"`

	TokensPerIter int64   `json:"tokens_per_iter"`
	FLOPsPerIter  float64 `json:"flops_per_iter"`
	// Solved says which of SecPerIter and TFLOPSPerGPU was computed from the other:
	// "tflops" when --time was given, "time" for --target-tflops.
	Solved             string  `json:"solved"`
	SecPerIter         float64 `json:"sec_per_iter"`
	TFLOPSPerGPU       float64 `json:"tflops_per_gpu"`
	TokensPerSecPerGPU float64 `json:"tokens_per_sec_per_gpu"`

	GPU        string   `json:"gpu,omitempty"`
	Dtype      string   `json:"dtype,omitempty"`
	PeakTFLOPS float64  `json:"peak_tflops,omitempty"`
	MFU        *float64 `json:"mfu,omitempty"`

	// Notes are caveats about the config that do not make it impossible.
	Notes []string `json:"notes,omitempty"`
}

// rounded returns a copy of r with its measures rounded to 6 significant digits, more than
// any input carries, so that JSON output does not depend on the last bit of floating-point
// arithmetic (which differs between architectures that fuse multiply-adds).
func (r *calcResult) rounded() *calcResult {
	c := *r
	for _, p := range []*float64{&c.Params, &c.FLOPsPerIter, &c.SecPerIter,
		&c.TFLOPSPerGPU, &c.TokensPerSecPerGPU, &c.PeakTFLOPS} {
		*p = roundSig(*p, 6)
	}
	if c.MFU != nil {
		m := roundSig(*c.MFU, 6)
		c.MFU = &m
	}
	return &c
}

// roundSig rounds v to n significant digits.
func roundSig(v float64, n int) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', n, 64), 64)
	if err != nil {
		return v
	}
	return r
}

// runCalc validates o, computes the result and writes it to s.Out.
func runCalc(o *calcOptions, s *Streams) error {
	r, err := calc(o)
	if err != nil {
		return inputError(err)
	}
	switch o.format {
	case "json":
		enc := json.NewEncoder(s.Out)
		enc.SetIndent("", "  ")
		err = enc.Encode(r.rounded())
	default:
		err = writeCalcText(s.Out, r)
	}
	if err != nil {
		return internalError(err)
	}
	return nil
}

// calc computes the result for o, or says what makes o unusable.
func calc(o *calcOptions) (*calcResult, error) {
	if o.format != "text" && o.format != "json" {
		return nil, fmt.Errorf("--format must be text or json, got %q", o.format)
	}
	shape, err := calcShape(o)
	if err != nil {
		return nil, err
	}
	var formula flops.Formula
	if o.formula == "" {
		formula = flops.SixND
		if shape.Layers > 0 {
			formula = flops.Megatron
		}
	} else if formula, err = flops.ParseFormula(o.formula); err != nil {
		return nil, fmt.Errorf("--formula: %v", err)
	}

	if o.gbs == 0 {
		return nil, errors.New("--gbs (global batch size) is required")
	}
	if o.sl == 0 {
		return nil, errors.New("--sl (sequence length) is required")
	}
	// The bounds keep every product below overflow.
	for _, p := range []struct {
		name string
		v    int
		max  int
	}{
		{"tp", o.tp, 1 << 20}, {"pp", o.pp, 1 << 20}, {"cp", o.cp, 1 << 20}, {"mbs", o.mbs, 1 << 20},
		{"nodes", o.nodes, 1 << 20}, {"gpus-per-node", o.gpusPerNode, 1 << 20},
		{"gbs", o.gbs, 1 << 30}, {"sl", o.sl, 1 << 30},
	} {
		if p.v <= 0 || p.v > p.max {
			return nil, fmt.Errorf("--%s must be between 1 and %d, got %d", p.name, p.max, p.v)
		}
	}
	if (o.time > 0) == (o.targetTFLOPS > 0) || o.time < 0 || o.targetTFLOPS < 0 ||
		math.IsInf(o.time, 0) || math.IsInf(o.targetTFLOPS, 0) {
		return nil, errors.New("give exactly one of --time SECONDS and --target-tflops X, positive")
	}

	r := &calcResult{
		Model: shape.Name, Formula: string(formula),
		Nodes: o.nodes, GPUsPerNode: o.gpusPerNode, GPUs: o.nodes * o.gpusPerNode,
		TP: o.tp, PP: o.pp, CP: o.cp, MBS: o.mbs, GBS: o.gbs, SL: o.sl,
	}
	layout := flops.Layout{Nodes: o.nodes, GPUsPerNode: o.gpusPerNode, TP: o.tp, PP: o.pp, CP: o.cp, MBS: o.mbs, GBS: o.gbs}
	plan, err := layout.Plan(shape)
	if err != nil {
		return nil, err
	}
	r.DP, r.GradAccum, r.Notes = plan.DP, plan.GradAccum, plan.Notes
	if shape.Layers > 0 && shape.Experts > 0 && formula == flops.SixND && o.params == "" {
		r.Notes = append(r.Notes, fmt.Sprintf("6nd counts the %s active parameters per token, not all %s", humanCount(shape.N()), humanCount(shape.TotalParams())))
	}
	shape.TP = o.tp

	fl, err := flops.FLOPsPerIter(formula, shape, o.gbs, o.sl)
	if err != nil {
		return nil, err
	}
	r.FLOPsPerIter = fl
	r.TokensPerIter = int64(o.gbs) * int64(o.sl)
	if formula == flops.SixND {
		r.Params = shape.N()
	} else {
		r.PaddedVocab = shape.PaddedVocab()
	}
	if o.time > 0 {
		r.Solved = "tflops"
		r.SecPerIter = o.time
		r.TFLOPSPerGPU = flops.TFLOPSPerGPU(fl, o.time, r.GPUs)
	} else {
		r.Solved = "time"
		r.TFLOPSPerGPU = o.targetTFLOPS
		r.SecPerIter = flops.SecPerIter(fl, o.targetTFLOPS, r.GPUs)
	}
	r.TokensPerSecPerGPU = float64(r.TokensPerIter) / (r.SecPerIter * float64(r.GPUs))
	// A time or target that is positive and finite can still put a result out of float64's
	// range (--time 1e-300): say so rather than print +Inf, which JSON cannot even encode.
	// Nor may the time or the TFLOPS be beyond what a run can measure (bench.CheckValue's
	// limits: 1e6 s per iteration, 1e17 FLOP/s per GPU), which perfgate refuses in any input:
	// --time 1e7 printed "TFLOPS/GPU 0.0", --target-tflops 1e30 "s/iter 0.000".
	outOfRange := func() error {
		return fmt.Errorf("the inputs give FLOPs/iter %g, s/iter %g, TFLOPS/GPU %g and tokens/s/GPU %g: out of range; check the --time, --target-tflops and model size", r.FLOPsPerIter, r.SecPerIter, r.TFLOPSPerGPU, r.TokensPerSecPerGPU)
	}
	for _, v := range []float64{r.FLOPsPerIter, r.SecPerIter, r.TFLOPSPerGPU, r.TokensPerSecPerGPU} {
		if !(v > 0) || math.IsInf(v, 0) {
			return nil, outOfRange()
		}
	}
	for _, m := range []struct {
		v    float64
		unit string
	}{{r.SecPerIter, bench.MetricTime}, {r.TFLOPSPerGPU, bench.MetricTFLOPS}} {
		if msg := bench.CheckValue(m.v, m.unit, bench.Higher); msg != "" {
			return nil, fmt.Errorf("%v: %s", outOfRange(), msg)
		}
	}

	switch {
	case o.dtypeSet && o.gpu == "":
		return nil, fmt.Errorf("--dtype picks the --gpu peak's column; without --gpu it would change nothing (give --gpu, or --peak for a peak of your own)")
	case o.dtypeSet && o.peak > 0:
		return nil, fmt.Errorf("--peak overrides --gpu and --dtype; give --peak alone, or --gpu and --dtype")
	case o.peak < 0 || math.IsNaN(o.peak) || math.IsInf(o.peak, 0):
		return nil, fmt.Errorf("--peak must be a positive TFLOPS figure, got %g", o.peak)
	case o.peak > 0:
		r.PeakTFLOPS = o.peak
		r.GPU, r.Dtype = o.gpu, ""
	case o.gpu != "":
		p, err := flops.PeakTFLOPS(o.gpu, o.dtype)
		if err != nil {
			return nil, fmt.Errorf("--gpu: %v", err)
		}
		r.PeakTFLOPS = p
		r.GPU, r.Dtype = strings.ToLower(o.gpu), strings.ToLower(o.dtype)
	}
	if r.PeakTFLOPS > 0 {
		m := flops.MFU(r.TFLOPSPerGPU, r.PeakTFLOPS)
		r.MFU = &m
		if m > 1 {
			r.Notes = append(r.Notes, fmt.Sprintf("MFU above 100%%: the time or the peak is wrong, or %s overcounts this model", formula))
		}
	}
	return r, nil
}

// calcShape resolves the model flags into a shape.
func calcShape(o *calcOptions) (flops.Shape, error) {
	var s flops.Shape
	if o.model != "" {
		var err error
		if s, err = flops.ShapeFromConfig(map[string]string{"model": o.model}); err != nil {
			return s, fmt.Errorf("--model: %v", err)
		}
	}
	// A preset's N is its nominal size, which says nothing about a modified shape: a modified
	// preset's N is the count of its shape (Shape.N), unless --params gives one. A bare size
	// (--model 70b) is a parameter count, as --params is, and stays. A flag that repeats what
	// the preset has (--layers 80 on llama3-70b, --kv-channels 128 where the preset leaves it
	// to hidden / heads) modifies nothing.
	preset := s.Layers > 0
	modified := func() {
		if s.Name != "" && !strings.HasSuffix(s.Name, "(modified)") {
			s.Name += " (modified)"
		}
		if preset {
			s.Params = 0
		}
	}
	// has is the value of each field before the flags, with the defaults of the fields that
	// zero leaves to another (query groups, kv channels, the padded vocabulary at --tp).
	has := s
	has.TP = o.tp
	for _, ov := range []struct {
		flag string
		v    int
		dst  *int
		has  int
	}{
		{"layers", o.layers, &s.Layers, has.Layers},
		{"hidden", o.hidden, &s.Hidden, has.Hidden},
		{"heads", o.heads, &s.Heads, has.Heads},
		{"query-groups", o.queryGroups, &s.QueryGroups, has.KVHeads()},
		{"kv-channels", o.kvChannels, &s.KVChannels, has.HeadSize()},
		{"ffn-hidden", o.ffnHidden, &s.FFNHidden, has.FFNHidden},
		{"vocab", o.vocab, &s.VocabSize, has.VocabSize},
		{"padded-vocab", o.paddedVocab, &s.PaddedVocabSize, has.PaddedVocab()},
		{"experts", o.experts, &s.Experts, has.Experts},
		{"topk", o.topk, &s.TopK, has.TopK},
	} {
		if ov.v < 0 {
			return s, fmt.Errorf("--%s must be positive, got %d", ov.flag, ov.v)
		}
		if ov.v > 0 {
			// Set even when it repeats has: another flag may change what a zero field means.
			*ov.dst = ov.v
			if ov.v != ov.has {
				modified()
			}
		}
	}
	if o.swigluSet {
		s.SwiGLU = o.swiglu
		if o.swiglu != has.SwiGLU {
			modified()
		}
	}
	if s.Experts > 0 && s.TopK == 0 {
		s.TopK = 2 // Megatron's default
	}
	if o.params != "" {
		n, err := flops.ParseParams(o.params)
		if err != nil {
			return s, fmt.Errorf("--params: %v", err)
		}
		s.Params = n
	}
	if s.Layers > 0 || s.Hidden > 0 || s.Heads > 0 {
		if err := s.Validate(); err != nil {
			return s, fmt.Errorf("model shape: %v", err)
		}
	}
	if s.Name == "" {
		switch {
		case s.Layers > 0:
			s.Name = fmt.Sprintf("custom (%d layers, hidden %d)", s.Layers, s.Hidden)
		case s.Params > 0:
			s.Name = humanCount(s.Params) + " parameters"
		default:
			return s, errors.New("no model: give --model (" + strings.Join(flops.PresetNames(), ", ") +
				"), --params, or the shape flags --layers, --hidden, --heads and --vocab")
		}
	}
	return s, nil
}

// humanCount formats a parameter count as 70B, 12.9B or 350M.
func humanCount(n float64) string {
	switch {
	case n >= 1e12:
		return fmt.Sprintf("%.4gT", n/1e12)
	case n >= 1e9:
		return fmt.Sprintf("%.4gB", n/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.4gM", n/1e6)
	}
	return fmt.Sprintf("%.4g", n)
}

// formulaDoc is the one-line description of each formula in calc's text output.
var formulaDoc = map[string]string{
	string(flops.SixND):          "6·N·D",
	string(flops.Megatron):       "Megatron-LM since 8873b55d6a, causal attention halved",
	string(flops.MegatronLegacy): "Megatron-LM before 8873b55d6a",
}

// writeCalcText writes r as aligned "name  value" lines.
func writeCalcText(w io.Writer, r *calcResult) error {
	var b strings.Builder
	line := func(name, format string, args ...any) {
		fmt.Fprintf(&b, "%-16s %s\n", name, fmt.Sprintf(format, args...))
	}
	line("model", "%s", r.Model)
	switch {
	case r.Params > 0:
		line("formula", "%s (%s, N = %s)", r.Formula, formulaDoc[r.Formula], humanCount(r.Params))
	default:
		line("formula", "%s (%s, vocab padded to %d)", r.Formula, formulaDoc[r.Formula], r.PaddedVocab)
	}
	line("GPUs", "%d = %d nodes × %d", r.GPUs, r.Nodes, r.GPUsPerNode)
	line("parallelism", "tp %d × pp %d × cp %d × dp %d", r.TP, r.PP, r.CP, r.DP)
	line("batch", "gbs %d = mbs %d × dp %d × %d accumulation steps", r.GBS, r.MBS, r.DP, r.GradAccum)
	line("tokens/iter", "%d (sl %d)", r.TokensPerIter, r.SL)
	line("FLOPs/iter", "%.4e", r.FLOPsPerIter)
	// Fixed decimals, but never so few that a small value prints as 0.0.
	fixed := func(v float64, decimals int) string {
		if v < math.Pow(10, float64(1-decimals)) {
			return fmt.Sprintf("%.3g", v)
		}
		return fmt.Sprintf("%.*f", decimals, v)
	}
	if r.Solved == "time" {
		line("s/iter", "%s (solved for %s TFLOPS/GPU)", fixed(r.SecPerIter, 3), fixed(r.TFLOPSPerGPU, 1))
	} else {
		line("s/iter", "%g", r.SecPerIter)
		line("TFLOPS/GPU", "%s", fixed(r.TFLOPSPerGPU, 1))
	}
	if r.MFU != nil {
		peak := fmt.Sprintf("%g TFLOPS", r.PeakTFLOPS)
		if r.Dtype != "" {
			peak += fmt.Sprintf(", %s %s dense", r.GPU, r.Dtype)
		}
		line("MFU", "%.1f%% of %s", *r.MFU*100, peak)
	}
	line("tokens/s/GPU", "%.0f", r.TokensPerSecPerGPU)
	for _, n := range r.Notes {
		line("note", "%s", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
