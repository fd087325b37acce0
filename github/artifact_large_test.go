package github

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/check"
)

// largeSuite is a passing report of n configs with two metrics each, 7 baseline runs, as
// perfgate check writes it.
func largeSuite(n int) *check.Report {
	rep := &check.Report{Schema: check.Schema, Verdict: check.Pass, Method: check.Method{Summary: "Holm-corrected Mann-Whitney U at alpha 0.05."},
		Provenance: &check.Provenance{Head: headSHA, Configs: n}}
	for i := range n {
		cfg := map[string]string{"model": "llama-70b", "tp": fmt.Sprint(1 << (i % 4)), "pp": fmt.Sprint(1 + i%8), "mbs": fmt.Sprint(1 + i%4), "gbs": fmt.Sprint(512 + i),
			"sl": "4096", "nodes": "32", "precision": "bf16", "gpu": "H100-SXM5-80GB", "flags": "dist-opt,overlap-grad-reduce"}
		key := fmt.Sprintf("flags=dist-opt,overlap-grad-reduce/gbs=%s/gpu=H100-SXM5-80GB/mbs=%s/model=llama-70b/nodes=32/pp=%s/precision=bf16/sl=4096/tp=%s", cfg["gbs"], cfg["mbs"], cfg["pp"], cfg["tp"])
		for _, m := range []struct{ name, better string }{{"TFLOPS/GPU", "higher"}, {"step_time_s", "lower"}} {
			rep.Results = append(rep.Results, check.Result{Config: cfg, Key: key, Metric: m.name, Better: m.better, Status: check.Unchanged, Outcome: "ok",
				Baseline: &check.Baseline{Center: 150.123456, Lo: 148.5, Hi: 151.75, Runs: 7}, New: &check.NewRuns{Center: 150.2, Runs: 7},
				DeltaPct: f64(0.0512), PValue: f64(0.734), ThresholdPct: 3})
		}
	}
	return rep
}

// The fork pair carried no suite over about 4000 configs: --prepare refused reports over
// 5 MiB, so stage 1 uploaded nothing and stage 2 posted only "did not finish" (audit D5). A
// 5000-config suite now makes the trip whole.
func TestLoadArtifactLargeSuite(t *testing.T) {
	rep := largeSuite(5000)
	dir := filepath.Join(t.TempDir(), "artifact")
	if err := PrepareArtifact(dir, &Artifact{Report: rep, PR: 7, SHA: headSHA}); err != nil {
		t.Fatalf("prepare: %v", err)
	}
	if st, err := os.Stat(filepath.Join(dir, ArtifactReport)); err != nil || st.Size() <= 5<<20 {
		t.Fatalf("the artifact's report: %v; the test wants one over the old 5 MiB", err)
	} else {
		t.Logf("%d bytes", st.Size())
	}
	a, err := LoadArtifact(dir)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if len(a.Report.Results) != 10000 || a.Report.Verdict != check.Pass {
		t.Errorf("loaded %d results, verdict %s; want 10000, pass", len(a.Report.Results), a.Report.Verdict)
	}
}

// The cap still bounds what a hostile artifact costs stage 2: a report just under it decodes
// within bounded time and memory, and one byte over is refused unread.
func TestLoadArtifactAtTheCap(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes a 32 MiB report")
	}
	one, err := json.Marshal(largeSuite(1).Results[0])
	if err != nil {
		t.Fatal(err)
	}
	// The densest report: as many results as fit, each the same small config.
	var b strings.Builder
	b.WriteString(`{"schema":1,"verdict":"pass","results":[`)
	for b.Len()+len(one)+8 < MaxReportBytes {
		b.Write(one)
		b.WriteByte(',')
	}
	body := strings.TrimSuffix(b.String(), ",") + "]}\n"
	dir := t.TempDir()
	for name, text := range map[string]string{ArtifactReport: body, ArtifactPR: "7\n", ArtifactSHA: headSHA + "\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	a, err := LoadArtifact(dir)
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d bytes, %d results: %v, %d MB allocated", len(body), len(a.Report.Results), took, alloc>>20)
	if alloc > 1<<30 {
		t.Errorf("decoding a report at the cap allocated %d MB; want it bounded under 1 GB", alloc>>20)
	}
	if err := os.WriteFile(filepath.Join(dir, ArtifactReport), []byte(body[:len(body)-1]+strings.Repeat(" ", MaxReportBytes-len(body)+2)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadArtifact(dir); !IsInputError(err) || !strings.Contains(err.Error(), "the limit is") {
		t.Errorf("a report over the cap: err = %v, want refused by size", err)
	}
}
