package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/check"
)

// DescribeText writes a baseline description as the "baseline show" table: one row per config
// and metric with its runs, the runs judged slow, centre, noise, noise class, the smallest drop
// one new run would fail the gate with today and the test a check would apply, then the pooled
// noise of each metric and the fastest config per model and scale. opts.Source names the store.
func DescribeText(w io.Writer, d *check.Description, opts Options) error {
	d = describeWithWords(d)
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s: %d run(s) of %d config(s)\n\n", opts.Source, d.Runs, d.Configs)
	fmt.Fprintln(tw, "config\tmetric\truns\tslow\tfailed\tlast\tcentre\tnoise\tclass\tdetects\ttest")
	for _, e := range d.Series {
		centre, noise, slow, class, detects := "—", "—", "—", "—", "—"
		if len(e.SlowRuns) > 0 {
			slow = strings.Join(e.SlowRuns, ",")
		}
		if e.NoiseClass != "" {
			class = e.NoiseClass
		}
		if e.DetectablePct > 0 {
			detects = fmt.Sprintf("≥%.1f%%", e.DetectablePct)
		}
		if e.Runs > 0 {
			centre = fmt.Sprintf("%.4g", e.Center)
		}
		if e.NoisePct > 0 {
			noise = fmt.Sprintf("±%.2f%%", e.NoisePct)
		}
		metric := e.Metric
		if metric == "" {
			metric = "—" // a store that holds no metric: the config's failures only
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", bench.Config(e.Config), metric, e.Runs, slow, e.Failed, e.Last, centre, noise, class, detects, e.Test)
	}
	tw.Flush()
	if len(d.Pooled) == 0 && d.Runs > 0 {
		b.WriteString("\n" + noMetricText(d))
	}
	for _, n := range d.Pooled {
		fmt.Fprintf(&b, "\npooled run-to-run noise of %s: %s", n.Metric, n.Text)
	}
	b.WriteString("\n")
	if len(d.Sweep) > 0 {
		b.WriteString("\nFastest config per model and scale:\n")
		for _, s := range d.Sweep {
			fmt.Fprintf(&b, "  %s\n", SweepLine(s))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// noMetricText says that a store holds no metric at all, so no check can compare a run with it
// yet: every stored run failed (an out-of-memory sweep), or, were some OK, none reported one.
func noMetricText(d *check.Description) string {
	failed := 0
	for _, e := range d.Series {
		failed += e.Failed
	}
	what := fmt.Sprintf("all %d stored run(s) failed", d.Runs)
	if failed < d.Runs {
		what = fmt.Sprintf("%d of the %d stored run(s) failed and the others report none", failed, d.Runs)
	}
	return fmt.Sprintf("No metric is stored yet: %s, so a check has no value to compare a new run with; it reports a config that runs now as fixed, and the gate starts from the first run the nightly update stores with a metric.\n", what)
}
