package ingest

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadSeedTable(t *testing.T) {
	runs, _, _, err := readFile("../testdata/seed/sweep-70b-32nodes.txt", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 17 {
		t.Fatalf("got %d runs, want 17 (one per row)", len(runs))
	}
	var got []string
	for _, r := range runs {
		s := r.Config.Key() + " " + string(r.Outcome)
		for _, m := range r.Metrics {
			s += " " + m.Name + "=" + strings.Trim(strings.Join(strings.Fields(strings.Trim(fmtFloats(m.Values), "[]")), ","), "")
		}
		got = append(got, s)
	}
	want := []string{
		"tp=8/pp=8/mbs=1/gbs=64/flags=none/sl=4096/nodes=32 ok s/iter=5.7 TFLOPS/GPU=75.4",
		"tp=8/pp=4/mbs=1/gbs=64/flags=none/sl=4096/nodes=32 ok s/iter=5.68 TFLOPS/GPU=75.69",
		"tp=8/pp=4/mbs=1/gbs=1024/flags=none/sl=4096/nodes=32 ok s/iter=49.9 TFLOPS/GPU=137.63",
		"tp=8/pp=8/mbs=1/gbs=1024/flags=none/sl=4096/nodes=32 ok s/iter=48.7 TFLOPS/GPU=141.13",
		"tp=8/pp=8/mbs=2/gbs=1024/flags=none/sl=4096/nodes=32 ok s/iter=46.7 TFLOPS/GPU=147.22",
		"tp=8/pp=8/mbs=4/gbs=1024/flags=none/sl=4096/nodes=32 oom",
		"tp=8/pp=4/mbs=2/gbs=1024/flags=recompute-selective/sl=4096/nodes=32 oom",
		"tp=8/pp=8/mbs=2/gbs=1024/flags=recompute-block/sl=4096/nodes=32 ok s/iter=46.9 TFLOPS/GPU=146.69",
		"tp=8/pp=8/mbs=2/gbs=1024/flags=recompute-selective/sl=4096/nodes=32 ok s/iter=46.8 TFLOPS/GPU=146.83",
		"tp=8/pp=8/mbs=4/gbs=1024/flags=recompute-selective/sl=4096/nodes=32 oom",
		"tp=4/pp=8/mbs=1/gbs=1024/flags=none/sl=4096/nodes=32 error",
		"tp=8/pp=4/mbs=1/gbs=1024/flags=none/sl=4096/nodes=32 ok s/iter=46.3 TFLOPS/GPU=148.59",
		"tp=8/pp=4/mbs=1/gbs=1024/flags=dist-opt/sl=4096/nodes=32 ok s/iter=46 TFLOPS/GPU=149.31",
		"tp=8/pp=4/mbs=2/gbs=1024/flags=dist-opt/sl=4096/nodes=32 ok s/iter=44.6 TFLOPS/GPU=154.02",
		"tp=8/pp=4/mbs=2/gbs=1024/flags=dist-opt+overlap-grad+overlap-param/sl=4096/nodes=32 ok s/iter=44.1 TFLOPS/GPU=155.72",
		"tp=8/pp=4/mbs=2/gbs=1024/flags=dist-opt+overlap-grad/sl=4096/nodes=32 ok s/iter=44.3 TFLOPS/GPU=155.26",
		"tp=8/pp=4/mbs=2/gbs=1024/flags=dist-opt+overlap-param/sl=4096/nodes=32 ok s/iter=44.7 TFLOPS/GPU=153.93",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("seed runs (-want +got):\n%s", diff)
	}
	if runs[5].Reason != "sweep-70b-32nodes.txt:11: OOM in the time column" {
		t.Errorf("OOM reason = %q", runs[5].Reason)
	}
	if runs[0].Source != "../testdata/seed/sweep-70b-32nodes.txt:5" {
		t.Errorf("source = %q", runs[0].Source)
	}
	if runs[0].Batch == "" || runs[0].Batch != runs[16].Batch {
		t.Errorf("rows of one file should share a batch: %q vs %q", runs[0].Batch, runs[16].Batch)
	}
}
