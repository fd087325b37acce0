package bench

// The flag vocabulary: the spellings a sweep table's "addtl args" column, a file name, a
// sidecar, --set and a trainer log's argument dump may use for one launch option, and the one
// canonical token perfgate keys configs by. Tables and logs are read through the same
// vocabulary, so the table row "recompute, block" and a Megatron-LM log with
// recompute_granularity full and recompute_method block are the same config.
//
// Only options a sweep varies belong in the key. Options that are on in every run of a sweep
// (sequence parallelism, Transformer Engine, bf16…) stay out of it; ingest keeps them, with
// every other launch argument, in Run.Args.

// noFlags are the ways a table cell says "no additional arguments", like an empty cell or "-".
var noFlags = map[string]bool{"none": true, "n/a": true, "na": true, "null": true, "—": true, "–": true}

// flagAliases maps other spellings of a flag token to its canonical token.
var flagAliases = map[string]string{
	"distributed-optimizer":     "dist-opt",
	"use-distributed-optimizer": "dist-opt",
	"distopt":                   "dist-opt",
	"dist_opt":                  "dist-opt",
	"zero1":                     "dist-opt",
	"overlap-grad-reduce":       "overlap-grad",
	"overlap_grad_reduce":       "overlap-grad",
	"overlap-param-gather":      "overlap-param",
	"overlap_param_gather":      "overlap-param",
	"selective-recompute":       "recompute-selective",
	"recompute-activations":     "recompute-selective",
	"selective":                 "recompute-selective",
	"full-recompute":            "recompute-full",
	"recompute-full-block":      "recompute-block",
	"recompute-full-uniform":    "recompute-uniform",
	"block-recompute":           "recompute-block",
	"uniform-recompute":         "recompute-uniform",
	"tp-comm-overlap":           "tp-overlap",
	"tp_comm_overlap":           "tp-overlap",
}

// FlagVocabulary lists the canonical flag tokens perfgate knows and what each means. Other
// tokens are kept as written (lower-cased).
var FlagVocabulary = []struct{ Token, Meaning string }{
	{"dist-opt", "distributed optimizer (Megatron --use-distributed-optimizer)"},
	{"overlap-grad", "overlap gradient reduce with backward (--overlap-grad-reduce)"},
	{"overlap-param", "overlap parameter all-gather with forward (--overlap-param-gather)"},
	{"recompute-selective", "selective activation recomputation (--recompute-granularity selective, --recompute-activations)"},
	{"recompute-block", "full recomputation, block method (--recompute-granularity full --recompute-method block; a table's \"recompute, block\")"},
	{"recompute-uniform", "full recomputation, uniform method (--recompute-granularity full --recompute-method uniform)"},
	{"recompute-full", "full recomputation with no method named"},
	{"tp-overlap", "tensor-parallel communication overlap (--tp-comm-overlap)"},
	{"fp8", "FP8 training (--fp8-format)"},
}

// vocabulary rewrites de-duplicated lower-case tokens into canonical ones: aliases become
// their token, and "recompute" with "block" or "uniform" (a table's "recompute, block")
// becomes recompute-block or recompute-uniform; "recompute" alone is recompute-full.
func vocabulary(tokens []string) []string {
	has := map[string]bool{}
	for _, t := range tokens {
		if a, ok := flagAliases[t]; ok {
			t = a
		}
		has[t] = true
	}
	if has["recompute"] {
		delete(has, "recompute")
		// "recompute, full" is Megatron's --recompute-granularity full, as "recompute" alone
		// is: the method, if any, says which full recomputation.
		delete(has, "full")
		switch {
		case has["block"]:
			delete(has, "block")
			has["recompute-block"] = true
		case has["uniform"]:
			delete(has, "uniform")
			has["recompute-uniform"] = true
		case has["recompute-block"], has["recompute-uniform"], has["recompute-full"], has["recompute-selective"]:
		default:
			has["recompute-full"] = true
		}
	}
	out := tokens[:0]
	for t := range has {
		out = append(out, t)
	}
	return out
}
