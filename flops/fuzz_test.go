package flops

import (
	"math"
	"strings"
	"testing"
)

// FuzzShapeFromMegatronArgs feeds argument dumps, one "key value" pair per line, and
// formula names. Nothing may panic, and an accepted shape must give finite, positive FLOPs
// or an error.
func FuzzShapeFromMegatronArgs(f *testing.F) {
	f.Add("num_layers 80\nhidden_size 8192\nnum_attention_heads 64\ngroup_query_attention True\nnum_query_groups 8\nffn_hidden_size 28672\nswiglu True\nvocab_size 128256\ntensor_model_parallel_size 8\nseq_length 4096", "megatron", 1024)
	f.Add("num_layers 2\nhidden_size 64\nnum_attention_heads 4\nvocab_size 100\nnum_experts 4\nmoe_layer_freq [1, 0]", "megatron-legacy", 1)
	f.Add("num_layers 1\nhidden_size 1\nnum_attention_heads 1\npadded_vocab_size 1", "6nd", 0)
	f.Add("", "", -1)
	f.Fuzz(func(t *testing.T, dump, formula string, gbs int) {
		args := map[string]string{}
		for _, line := range strings.Split(dump, "\n") {
			k, v, _ := strings.Cut(line, " ")
			args[k] = v
		}
		s, err := ShapeFromMegatronArgs(args)
		fm, ferr := ParseFormula(formula)
		if ferr == nil && fm.String() == "" {
			t.Fatalf("ParseFormula(%q) accepted an empty formula", formula)
		}
		if err != nil {
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("ShapeFromMegatronArgs returned a shape that does not validate: %v", err)
		}
		if ferr != nil {
			fm = Megatron
		}
		fl, err := FLOPsPerIter(fm, s, gbs, 4096)
		if err != nil {
			return
		}
		if math.IsNaN(fl) || math.IsInf(fl, 0) || fl <= 0 {
			t.Fatalf("FLOPsPerIter = %g", fl)
		}
		if tf := TFLOPSPerGPU(fl, 1, 8); math.IsNaN(tf) || tf <= 0 {
			t.Fatalf("TFLOPSPerGPU = %g", tf)
		}
		_ = s.TotalParams()
		_ = s.PaddedVocab()
	})
}
