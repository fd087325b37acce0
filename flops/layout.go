package flops

import (
	"fmt"
	"math"
)

// A Layout is how a training job spreads over its GPUs: tensor-, pipeline- and
// context-parallel sizes, the micro and global batch, on Nodes × GPUsPerNode GPUs.
type Layout struct {
	Nodes, GPUsPerNode int
	TP, PP, CP         int
	MBS, GBS           int
}

// A Plan is what a Layout implies.
type Plan struct {
	GPUs      int // Nodes × GPUsPerNode
	DP        int // data-parallel size: GPUs / (TP × PP × CP)
	GradAccum int // gradient-accumulation steps: GBS / (MBS × DP)
	// Notes are caveats that do not make the layout impossible.
	Notes []string
}

// Plan checks that the layout can run a model of shape s and returns its data-parallel size
// and gradient-accumulation steps. It is an error when the GPUs do not divide into
// tp × pp × cp, the global batch into mbs × dp, or (when s has an architecture) the attention
// heads or query groups into tp. Layers that do not split evenly into pipeline stages are a
// note: Megatron-LM runs them with uneven-stage flags. Every size must be positive.
func (l Layout) Plan(s Shape) (Plan, error) {
	for _, v := range []int{l.Nodes, l.GPUsPerNode, l.TP, l.PP, l.CP, l.MBS, l.GBS} {
		if v <= 0 {
			return Plan{}, fmt.Errorf("layout %+v: every size must be positive", l)
		}
	}
	gpus, ok1 := mul(l.Nodes, l.GPUsPerNode)
	tpp, ok2 := mul(l.TP, l.PP)
	mp, ok3 := mul(tpp, l.CP)
	if !ok1 || !ok2 || !ok3 {
		return Plan{}, fmt.Errorf("layout %+v: sizes too large", l)
	}
	p := Plan{GPUs: gpus}
	if p.GPUs%mp != 0 {
		return Plan{}, fmt.Errorf("impossible config: %d GPUs (%d nodes × %d) are not divisible by tp × pp × cp = %d × %d × %d = %d",
			p.GPUs, l.Nodes, l.GPUsPerNode, l.TP, l.PP, l.CP, mp)
	}
	p.DP = p.GPUs / mp
	step, ok := mul(l.MBS, p.DP)
	if !ok {
		return Plan{}, fmt.Errorf("layout %+v: sizes too large", l)
	}
	if l.GBS%step != 0 {
		return Plan{}, fmt.Errorf("impossible config: gbs %d is not divisible by mbs × dp = %d × %d = %d",
			l.GBS, l.MBS, p.DP, step)
	}
	p.GradAccum = l.GBS / step
	if err := splitsTP(s, l.TP); err != nil {
		return Plan{}, err
	}
	if s.Layers > 0 {
		if s.Layers%l.PP != 0 {
			p.Notes = append(p.Notes, fmt.Sprintf("%d layers do not split evenly into %d pipeline stages; Megatron-LM needs uneven-stage flags for this", s.Layers, l.PP))
		}
	}
	return p, nil
}

// splitsTP reports, when s has an architecture, attention heads or query groups that tensor
// parallelism tp cannot split.
func splitsTP(s Shape, tp int) error {
	if s.Layers <= 0 {
		return nil
	}
	if s.Heads%tp != 0 {
		return fmt.Errorf("%w: %d attention heads are not divisible by tp %d", ErrImpossibleLayout, s.Heads, tp)
	}
	if g := s.QueryGroups; g > 0 && g%tp != 0 {
		return fmt.Errorf("%w: %d query groups are not divisible by tp %d", ErrImpossibleLayout, g, tp)
	}
	return nil
}

// mul returns a×b for positive a and b, and false when it overflows.
func mul(a, b int) (int, bool) {
	if a > math.MaxInt/b {
		return 0, false
	}
	return a * b, true
}
