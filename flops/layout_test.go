package flops

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLayoutPlan(t *testing.T) {
	llama70, _ := Preset("llama3-70b")
	sixND := Shape{Params: 70e9} // no architecture: head and layer rules do not apply
	tests := []struct {
		name   string
		layout Layout
		shape  Shape
		want   Plan
		err    string
	}{
		{"seed config", Layout{Nodes: 32, GPUsPerNode: 8, TP: 8, PP: 4, CP: 1, MBS: 1, GBS: 1024}, llama70,
			Plan{GPUs: 256, DP: 8, GradAccum: 128}, ""},
		{"context parallel", Layout{Nodes: 16, GPUsPerNode: 8, TP: 4, PP: 2, CP: 2, MBS: 2, GBS: 512}, llama70,
			Plan{GPUs: 128, DP: 8, GradAccum: 32}, ""},
		{"gpus", Layout{Nodes: 4, GPUsPerNode: 8, TP: 8, PP: 3, CP: 1, MBS: 1, GBS: 3}, Shape{Layers: 80, Hidden: 8192, Heads: 64},
			Plan{}, "impossible config: 32 GPUs (4 nodes × 8) are not divisible by tp × pp × cp = 8 × 3 × 1 = 24"},
		{"uneven stages note", Layout{Nodes: 6, GPUsPerNode: 8, TP: 8, PP: 3, CP: 1, MBS: 1, GBS: 8}, llama70,
			Plan{GPUs: 48, DP: 2, GradAccum: 4, Notes: []string{"80 layers do not split evenly into 3 pipeline stages; Megatron-LM needs uneven-stage flags for this"}}, ""},
		{"gbs", Layout{Nodes: 32, GPUsPerNode: 8, TP: 8, PP: 4, CP: 1, MBS: 3, GBS: 1024}, llama70,
			Plan{}, "impossible config: gbs 1024 is not divisible by mbs × dp = 3 × 8 = 24"},
		{"heads", Layout{Nodes: 12, GPUsPerNode: 8, TP: 3, PP: 1, CP: 1, MBS: 1, GBS: 32}, llama70,
			Plan{}, "impossible config: 64 attention heads are not divisible by tp 3"},
		{"query groups", Layout{Nodes: 16, GPUsPerNode: 8, TP: 16, PP: 1, CP: 1, MBS: 1, GBS: 8}, llama70,
			Plan{}, "impossible config: 8 query groups are not divisible by tp 16"},
		{"parameter count only", Layout{Nodes: 12, GPUsPerNode: 8, TP: 3, PP: 1, CP: 1, MBS: 1, GBS: 32}, sixND,
			Plan{GPUs: 96, DP: 32, GradAccum: 1}, ""},
		{"zero", Layout{Nodes: 1, GPUsPerNode: 8, TP: 0, PP: 1, CP: 1, MBS: 1, GBS: 8}, sixND, Plan{}, "layout"},
		{"overflow", Layout{Nodes: 1, GPUsPerNode: 1, TP: math.MaxInt / 2, PP: 4, CP: 1, MBS: 1, GBS: 8}, sixND, Plan{}, "layout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.layout.Plan(tt.shape)
			if tt.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.err) {
					t.Fatalf("got %+v, %v; want error %q", got, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
			// The plan multiplies back to the layout.
			if got.DP*tt.layout.TP*tt.layout.PP*tt.layout.CP != got.GPUs || got.GradAccum*tt.layout.MBS*got.DP != tt.layout.GBS {
				t.Errorf("plan %+v does not multiply back to %+v", got, tt.layout)
			}
		})
	}
}

// FuzzLayoutPlan checks that Plan never panics and that any plan it returns multiplies back.
func FuzzLayoutPlan(f *testing.F) {
	f.Add(32, 8, 8, 4, 1, 1, 1024, 80, 64, 8)
	f.Add(1, 1, 0, 1, 1, 1, 1, 0, 0, 0)
	f.Add(1<<62, 4, 1, 1, 1, 1, 1, 1, 1, 1)
	f.Fuzz(func(t *testing.T, nodes, gpn, tp, pp, cp, mbs, gbs, layers, heads, groups int) {
		l := Layout{Nodes: nodes, GPUsPerNode: gpn, TP: tp, PP: pp, CP: cp, MBS: mbs, GBS: gbs}
		p, err := l.Plan(Shape{Layers: layers, Heads: heads, QueryGroups: groups, Hidden: 1})
		if err != nil {
			return
		}
		if p.DP <= 0 || p.GradAccum <= 0 || p.DP*tp*pp*cp != p.GPUs || p.GradAccum*mbs*p.DP != gbs {
			t.Fatalf("%+v: bad plan %+v", l, p)
		}
	})
}
