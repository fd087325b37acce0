package check

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/perfgate/perfgate/bench"
)

func TestCheckLaunch(t *testing.T) {
	run := func(tp string, sp, formula string) bench.Run {
		return bench.Run{Config: bench.Config{"tp": tp}, Outcome: bench.OK, Formula: formula,
			Args: map[string]string{"sequence_parallel": sp, "bf16": "True"}}
	}
	base := []bench.Run{run("8", "True", "megatron"), run("4", "True", "megatron"), run("2", "True", "megatron")}
	cur := []bench.Run{run("8", "False", "megatron-legacy"), run("4", "False", "megatron-legacy"), run("2", "True", "megatron-legacy")}
	want := []Remark{
		ArgsDrift{Arg: "sequence_parallel", Baseline: []string{"True"}, New: []string{"False"}, Configs: []string{"tp=4", "tp=8"}},
		FormulaDrift{Baseline: []string{"megatron"}, New: []string{"megatron-legacy"}},
		LoggedFormula{Formula: "megatron-legacy", Runs: 3},
	}
	if diff := cmp.Diff(want, CheckLaunch(base, cur)); diff != "" {
		t.Errorf("CheckLaunch (-want +got):\n%s", diff)
	}
	// Runs without a fingerprint (table rows) give nothing to compare.
	table := []bench.Run{{Config: bench.Config{"tp": "8"}, Outcome: bench.OK}}
	if got := CheckLaunch(table, table); len(got) != 0 {
		t.Errorf("CheckLaunch on table rows = %v, want nothing", got)
	}
}
