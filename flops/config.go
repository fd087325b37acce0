package flops

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// ParseParams parses a parameter count: a plain number ("70000000000", "7e10") or one with a
// K, M, B or T suffix ("70b", "12.9B", "1.2T").
func ParseParams(s string) (float64, error) {
	t := strings.TrimSpace(s)
	mult := 1.0
	if t != "" {
		switch t[len(t)-1] {
		case 'k', 'K':
			mult = 1e3
		case 'm', 'M':
			mult = 1e6
		case 'b', 'B':
			mult = 1e9
		case 't', 'T':
			mult = 1e12
		}
		if mult != 1 {
			t = t[:len(t)-1]
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
		return 0, fmt.Errorf("parameter count %q: want a positive number such as 70b or 7e10", s)
	}
	return v * mult, nil
}

// ShapeFromConfig returns the model shape that a perfgate config names. Its "model" key is
// a preset name (see PresetNames) or a parameter count such as "70b", which gives a shape
// that only the 6nd formula can use. Without "model", the shape is read from Megatron
// argument names in the config (num_layers, hidden_size, …; see ShapeFromMegatronArgs), if
// it has any. A "params" key gives the parameter count for 6nd: alone, or next to a model or
// shape, whose N it overrides. A model key with Megatron shape keys beside it is an error:
// the two describe the model twice, and which one a number was computed from would not show.
func ShapeFromConfig(cfg map[string]string) (Shape, error) {
	var s Shape
	model, hasModel := cfg["model"]
	params, hasParams := cfg["params"]
	shapeKeys := megatronShapeKeys(cfg)
	switch {
	case hasModel && len(shapeKeys) > 0:
		return Shape{}, fmt.Errorf("config has both model=%s and the Megatron shape keys %s: give one (a model preset or size, or a shape) and, for 6nd, params for N",
			model, strings.Join(shapeKeys, ", "))
	case hasModel:
		if p, ok := Preset(strings.ToLower(strings.TrimSpace(model))); ok {
			s = p
			break
		}
		n, err := ParseParams(model)
		if err != nil {
			return Shape{}, fmt.Errorf("model %q is neither a preset (%s) nor a parameter count", model, strings.Join(PresetNames(), ", "))
		}
		s = Shape{Name: model, Params: n}
	case len(shapeKeys) > 0:
		var err error
		if s, err = ShapeFromMegatronArgs(cfg); err != nil {
			return Shape{}, err
		}
	case hasParams:
		// handled below
	default:
		return Shape{}, fmt.Errorf("config has no model key (a preset such as llama3-70b, or a size such as 70b), params key, or Megatron shape keys")
	}
	if hasParams {
		n, err := ParseParams(params)
		if err != nil {
			return Shape{}, fmt.Errorf("params: %v", err)
		}
		s.Params = n
	}
	return s, nil
}

// shapeArgs are the Megatron arguments that describe a model's architecture, as
// ShapeFromMegatronArgs reads them (and refuses the ones it does not model).
var shapeArgs = map[string]bool{
	"num_layers": true, "hidden_size": true, "num_attention_heads": true, "kv_channels": true,
	"group_query_attention": true, "num_query_groups": true, "ffn_hidden_size": true,
	"swiglu": true, "attention_output_gate": true, "padded_vocab_size": true, "vocab_size": true,
	"make_vocab_size_divisible_by": true, "num_experts": true, "moe_router_topk": true,
	"moe_ffn_hidden_size": true, "moe_shared_expert_intermediate_size": true,
	"moe_layer_freq": true, "untie_embeddings_and_output_weights": true,
	"multi_latent_attention": true, "hybrid_override_pattern": true, "hybrid_layer_pattern": true,
	"experimental_attention_variant": true, "moe_latent_size": true, "mtp_num_layers": true,
}

// megatronShapeKeys returns, sorted, the keys of cfg that are Megatron shape arguments
// (spelt as ShapeFromMegatronArgs accepts them) with a value other than None.
func megatronShapeKeys(cfg map[string]string) []string {
	var keys []string
	for k, v := range cfg {
		n := strings.ReplaceAll(strings.TrimLeft(strings.ToLower(strings.TrimSpace(k)), "-"), "-", "_")
		if v = strings.TrimSpace(v); shapeArgs[n] && v != "" && v != "None" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// RecomputeTFLOPS returns the TFLOP/s per GPU that formula f gives for a perfgate config and
// a measured time per iteration. The config's keys are: the model (see ShapeFromConfig);
// gbs and sl; nodes (times gpusPerNode) or gpus; and, for the Megatron formulas, tp, which
// pads the vocabulary. An error names the key that is missing or wrong. A layout that cannot
// run is an error too, as Layout.Plan makes it one for perfgate calc; the tp, pp, cp and mbs
// keys are optional, and one that is missing is not assumed (see checkConfigLayout).
func RecomputeTFLOPS(f Formula, cfg map[string]string, secPerIter float64, gpusPerNode int) (float64, error) {
	if !(secPerIter > 0) || math.IsInf(secPerIter, 0) {
		return 0, fmt.Errorf("time per iteration must be positive, got %g", secPerIter)
	}
	s, err := ShapeFromConfig(cfg)
	if err != nil {
		return 0, err
	}
	gbs, err := configInt(cfg, "gbs")
	if err != nil {
		return 0, err
	}
	sl := s.SeqLength
	if _, ok := cfg["sl"]; ok || sl == 0 {
		if sl, err = configInt(cfg, "sl"); err != nil {
			return 0, err
		}
	}
	gpus, err := ConfigGPUs(cfg, gpusPerNode)
	if err != nil {
		return 0, err
	}
	if err := checkConfigLayout(cfg, s, gpus, gbs); err != nil {
		return 0, err
	}
	if f.NeedsShape() && s.PaddedVocabSize == 0 {
		tp, err := configInt(cfg, "tp")
		if err != nil {
			return 0, fmt.Errorf("%v (formula %s pads the vocabulary to a multiple of 128·tp)", err, f)
		}
		s.TP = tp
	}
	fl, err := FLOPsPerIter(f, s, gbs, sl)
	if err != nil {
		return 0, err
	}
	return TFLOPSPerGPU(fl, secPerIter, gpus), nil
}

// ConfigGPUs returns the number of GPUs of a config: its gpus key, or its nodes key times
// gpusPerNode.
func ConfigGPUs(cfg map[string]string, gpusPerNode int) (int, error) {
	if _, ok := cfg["gpus"]; ok {
		return configInt(cfg, "gpus")
	}
	if _, ok := cfg["nodes"]; !ok {
		return 0, fmt.Errorf("config key nodes (or gpus) missing")
	}
	nodes, err := configInt(cfg, "nodes")
	if err != nil {
		return 0, err
	}
	if gpusPerNode <= 0 || gpusPerNode > maxDim {
		return 0, fmt.Errorf("GPUs per node must be positive, got %d", gpusPerNode)
	}
	return nodes * gpusPerNode, nil
}

// configInt reads a positive integer config key.
func configInt(cfg map[string]string, key string) (int, error) {
	v, ok := cfg[key]
	if !ok {
		return 0, fmt.Errorf("config key %s missing", key)
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n <= 0 || n > maxDim {
		return 0, fmt.Errorf("config key %s: want a positive integer, got %s", key, quoteArg(v))
	}
	return n, nil
}

// ErrImpossibleLayout is wrapped by RecomputeTFLOPS's errors about a layout that cannot run.
var ErrImpossibleLayout = errors.New("impossible config")

// checkConfigLayout reports a layout that a config states and that cannot run, as
// Layout.Plan does for perfgate calc: the GPUs not divisible by tp·pp·cp, gbs not divisible
// by mbs·dp, attention heads or query groups (when s has an architecture) not divisible by
// tp. tp, pp, cp and mbs are optional keys, and a missing one is not taken to be 1 (a sweep
// table may leave out a size it does not vary): then only what holds whatever its value is
// checked. The sizes given must divide the GPUs; with tp, pp or cp missing dp is unknown, and
// gbs need only be divisible by mbs (by mbs·dp for some dp).
func checkConfigLayout(cfg map[string]string, s Shape, gpus, gbs int) error {
	mp, allKnown := 1, true
	tp := 0
	var names, sizes []string
	for _, k := range []string{"tp", "pp", "cp"} {
		if _, ok := cfg[k]; !ok {
			allKnown = false
			continue
		}
		n, err := configInt(cfg, k)
		if err != nil {
			return err
		}
		if k == "tp" {
			tp = n
		}
		var ok bool
		if mp, ok = mul(mp, n); !ok {
			return fmt.Errorf("%w: %s %d makes tp × pp × cp overflow", ErrImpossibleLayout, k, n)
		}
		names, sizes = append(names, k), append(sizes, strconv.Itoa(n))
	}
	if gpus%mp != 0 {
		product := strings.Join(names, " × ") + " = " + strings.Join(sizes, " × ")
		if len(names) > 1 {
			product += " = " + strconv.Itoa(mp)
		}
		return fmt.Errorf("%w: %s are not divisible by %s", ErrImpossibleLayout, gpusFrom(cfg, gpus), product)
	}
	_, hasMBS := cfg["mbs"]
	mbs := 1
	if hasMBS {
		var err error
		if mbs, err = configInt(cfg, "mbs"); err != nil {
			return err
		}
	}
	if allKnown {
		dp := gpus / mp
		if step, ok := mul(mbs, dp); !ok || gbs%step != 0 {
			if !hasMBS {
				return fmt.Errorf("%w: gbs %d is not divisible by dp %d (%s / tp·pp·cp %d), so by no mbs × dp",
					ErrImpossibleLayout, gbs, dp, gpusFrom(cfg, gpus), mp)
			}
			return fmt.Errorf("%w: gbs %d is not divisible by mbs × dp = %d × %d (dp = %s / tp·pp·cp %d)",
				ErrImpossibleLayout, gbs, mbs, dp, gpusFrom(cfg, gpus), mp)
		}
	} else if gbs%mbs != 0 {
		return fmt.Errorf("%w: gbs %d is not divisible by mbs %d", ErrImpossibleLayout, gbs, mbs)
	}
	if tp > 0 {
		return splitsTP(s, tp)
	}
	return nil
}

// gpusFrom describes a config's GPU count for an error: "256 GPUs (32 nodes × 8 per node)", or
// "24 GPUs" from a gpus key.
func gpusFrom(cfg map[string]string, gpus int) string {
	if _, ok := cfg["gpus"]; ok {
		return fmt.Sprintf("%d GPUs", gpus)
	}
	nodes, err := configInt(cfg, "nodes")
	if err != nil {
		return fmt.Sprintf("%d GPUs", gpus)
	}
	return fmt.Sprintf("%d GPUs (%d nodes × %d per node)", gpus, nodes, gpus/nodes)
}
