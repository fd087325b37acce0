package report

import (
	"strings"
	"testing"

	"github.com/perfgate/perfgate/check"
)

func TestLaunchRemarkWords(t *testing.T) {
	for _, tt := range []struct {
		remark check.Remark
		want   []string
	}{
		{check.ArgsDrift{Arg: "sequence_parallel", Baseline: []string{"True"}, New: []string{"False"}, Configs: []string{"a", "b", "c", "d"}},
			[]string{"args drift: sequence_parallel True → False in a, b, c and 1 more config(s).", "--key-arg sequence_parallel"}},
		{check.ArgsDrift{Arg: "use_flash_attn", Baseline: []string{""}, New: []string{"True"}, Configs: []string{"a"}},
			[]string{"use_flash_attn (not set) → True in a."}},
		{check.LoggedFormula{Formula: "megatron-legacy", Runs: 2}, []string{"2 new run(s) match the megatron-legacy FLOPs formula"}},
		{check.SkippedInputs{Files: []string{"d/README.md"}, Reasons: []string{"no reader recognises its format"}},
			[]string{"1 input file(s) skipped", "d/README.md (no reader recognises its format)"}},
	} {
		got := RemarkText(tt.remark)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("RemarkText(%#v) = %q, want it to hold %q", tt.remark, got, w)
			}
		}
	}
}
