package bench

// knobKeys are the parallelism and tuning knobs a sweep varies to train one job faster: the
// ways to split the same model over the same GPUs. Every other key (model, gbs, sl, nodes,
// gpus, the GPU type, …) defines the job, so only configs that share all of those compete.
var knobKeys = map[string]bool{"tp": true, "pp": true, "vpp": true, "cp": true, "ep": true, "etp": true, "mbs": true, "flags": true}

// IsKnob reports whether a config key is a parallelism or tuning knob of a sweep rather than
// part of the job (model and scale) it trains.
func IsKnob(key string) bool { return knobKeys[key] }
