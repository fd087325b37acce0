package bench

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestArgsDrift(t *testing.T) {
	cfg := Config{"tp": "8", "flags": "none"}
	other := Config{"tp": "4", "flags": "none"}
	run := func(c Config, args map[string]string, formula string) Run {
		return Run{Config: c, Outcome: OK, Args: args, Formula: formula}
	}
	base := []Run{
		run(cfg, map[string]string{"sequence_parallel": "True", "bf16": "True"}, "megatron"),
		run(cfg, map[string]string{"sequence_parallel": "True", "bf16": "True"}, "megatron"),
		run(other, map[string]string{"sequence_parallel": "True"}, ""),
		{Config: Config{"tp": "2"}, Outcome: OK}, // a table row: nothing to compare
	}
	cur := []Run{
		run(cfg, map[string]string{"sequence_parallel": "False", "bf16": "True", "use_flash_attn": "True"}, "megatron-legacy"),
		run(other, map[string]string{"sequence_parallel": "True"}, ""),
		run(Config{"tp": "2"}, map[string]string{"sequence_parallel": "False"}, ""),
	}
	got := ArgsDrift(base, cur)
	key := cfg.Key()
	want := []Drift{
		{Kind: ArgDrift, Config: key, Name: "sequence_parallel", Base: []string{"True"}, New: []string{"False"}},
		{Kind: ArgDrift, Config: key, Name: "use_flash_attn", Base: []string{""}, New: []string{"True"}},
		{Kind: FormulaDrift, Config: key, Base: []string{"megatron"}, New: []string{"megatron-legacy"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ArgsDrift (-want +got):\n%s", diff)
	}
	if d := ArgsDrift(base, base); len(d) != 0 {
		t.Errorf("ArgsDrift(base, base) = %v, want none", d)
	}
	// A baseline window spanning an intended change holds both values; new runs with one of
	// them have not drifted, new runs with a value no baseline run has have.
	mixed := []Run{run(cfg, map[string]string{"sequence_parallel": "False"}, ""), run(cfg, map[string]string{"sequence_parallel": "True"}, "")}
	if d := ArgsDrift(mixed, mixed[1:]); len(d) != 0 {
		t.Errorf("ArgsDrift(mixed baseline, one of its values) = %v, want none", d)
	}
	if d := ArgsDrift(mixed[1:], mixed); len(d) != 1 || d[0].Name != "sequence_parallel" {
		t.Errorf("ArgsDrift(True baseline, True and False runs) = %v, want sequence_parallel", d)
	}
	// A baseline whose TFLOPS follow two formulas has drifted even where the new runs follow
	// one of them: its own TFLOPS jump at the change.
	both := []Run{run(cfg, nil, "megatron-legacy"), run(cfg, nil, "megatron")}
	if d := ArgsDrift(both, both[1:]); len(d) != 1 || d[0].Kind != FormulaDrift {
		t.Errorf("ArgsDrift(baseline on two formulas, new runs on one) = %v, want formula drift", d)
	}
}
