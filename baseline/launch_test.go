package baseline

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/perfgate/perfgate/bench"
)

// The launch fingerprint and formula of log-based runs survive the store, so args drift can be
// found between a stored baseline and new runs; runs of one launch share one line.
func TestLaunchRoundTrip(t *testing.T) {
	sp := map[string]string{"sequence_parallel": "True", "transformer_impl": "transformer_engine", "note": "two words"}
	metric := []bench.Metric{{Name: "s/iter", Unit: "s/iter", Better: bench.Lower, Values: []float64{46.3}}}
	runs := []bench.Run{
		{Config: bench.Config{"tp": "8"}, Outcome: bench.OK, Batch: "b1", Args: sp, Formula: "megatron", Metrics: metric},
		{Config: bench.Config{"tp": "4"}, Outcome: bench.OK, Batch: "b1", Args: sp, Formula: "megatron", Metrics: metric},
		{Config: bench.Config{"tp": "2"}, Outcome: bench.OOM, Batch: "b1", Args: sp, Formula: "megatron", Reason: "x.log:9: OOM"},
		{Config: bench.Config{"tp": "8"}, Outcome: bench.OK, Batch: "b1", Metrics: metric}, // a table row in the same batch
		{Config: bench.Config{"tp": "8"}, Outcome: bench.OK, Batch: "b2", Args: map[string]string{"sequence_parallel": "False"}, Metrics: metric},
	}
	var buf bytes.Buffer
	if err := Write(&buf, runs); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), "# perfgate launch"); n != 3 {
		t.Errorf("%d launch lines, want 3 (one shared by the first three runs, a reset, one in b2):\n%s", n, buf.String())
	}
	got, err := Parse("baseline.txt", buf.Bytes())
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, buf.String())
	}
	for i := range runs {
		if diff := cmp.Diff(runs[i].Args, got[i].Args); diff != "" || got[i].Formula != runs[i].Formula {
			t.Errorf("run %d: args (-want +got):\n%s formula %q, want %q", i, diff, got[i].Formula, runs[i].Formula)
		}
	}
	for _, bad := range []string{"# perfgate launch bogus=1", "# perfgate launch arg.=1", "# perfgate launch formula=\"x"} {
		data := fileHeader + "\n# perfgate run batch=b\n" + bad + "\n"
		if _, err := Parse("baseline.txt", []byte(data)); err == nil || !strings.Contains(err.Error(), "baseline.txt:3: launch line") {
			t.Errorf("Parse(%q): err = %v, want a launch line error at line 3", bad, err)
		}
	}
}
