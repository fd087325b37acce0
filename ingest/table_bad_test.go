package ingest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/bench"
)

// readCore parses content as format f under the file name file.
func readCore(f *Format, file, content string) ([]bench.Run, error) {
	return f.Read(file, strings.NewReader(content), &Options{SkipIters: -1})
}

// writeCore writes content to dir/name and returns the path.
func writeCore(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// wantSyntaxError checks that err is a *SyntaxError whose text starts with want.
func wantSyntaxError(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("got  %v\nwant prefix %s", err, want)
	}
	var se *bench.SyntaxError
	if !errors.As(err, &se) {
		t.Errorf("error %v is %T, not a *SyntaxError", err, err)
	}
}

const tableHead = "tp | pp | mbs | gbs | addtl args | sl | nodes | time | TFLOPS\n" +
	"--------------------------------------------------------------\n" +
	"8  | 8  | 1   | 64  | None       | 4096 | 32  | 5.7  | 75.4\n"

func TestTableBadInput(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"NaN TFLOPS", tableHead + "8 | 4 | 1 | 64 | None | 4096 | 32 | 5.68 | NaN\n", `t.txt:4: column "TFLOPS": value is NaN`},
		{"Inf TFLOPS", tableHead + "8 | 4 | 1 | 64 | None | 4096 | 32 | 5.68 | +Inf\n", `t.txt:4: column "TFLOPS": value is infinite`},
		{"overflowing TFLOPS", tableHead + "8 | 4 | 1 | 64 | None | 4096 | 32 | 5.68 | 1e400\n", `t.txt:4: column "TFLOPS": cannot read "1e400" as a number (or OOM / Err)`},
		{"negative TFLOPS", tableHead + "8 | 4 | 1 | 64 | None | 4096 | 32 | 5.68 | -75.4\n", `t.txt:4: column "TFLOPS": throughput -75.4 is not positive`},
		{"zero TFLOPS", tableHead + "8 | 4 | 1 | 64 | None | 4096 | 32 | 5.68 | 0\n", `t.txt:4: column "TFLOPS": throughput 0 is not positive`},
		{"NaN time", tableHead + "8 | 4 | 1 | 64 | None | 4096 | 32 | nan | 75.69\n", `t.txt:4: column "time": value is NaN`},
		{"Inf time", tableHead + "8 | 4 | 1 | 64 | None | 4096 | 32 | Inf | 75.69\n", `t.txt:4: column "time": value is infinite`},
		{"negative time", tableHead + "8 | 4 | 1 | 64 | None | 4096 | 32 | -5.68 | 75.69\n", `t.txt:4: column "time": value -5.68 is negative`},
		{"zero time", tableHead + "8 | 4 | 1 | 64 | None | 4096 | 32 | 0 | 75.69\n", `t.txt:4: column "time": value is zero`},
		{"non-numeric time", tableHead + "8 | 4 | 1 | 64 | None | 4096 | 32 | 5.68s | 75.69\n", `t.txt:4: column "time": cannot read "5.68s" as a number (or OOM / Err)`},
		{"empty time", tableHead + "8 | 4 | 1 | 64 | None | 4096 | 32 |  | 75.69\n", `t.txt:4: column "time": cannot read "" as a number`},
		{"non-numeric TFLOPS", tableHead + "8 | 4 | 1 | 64 | None | 4096 | 32 | 5.68 | fast\n", `t.txt:4: column "TFLOPS": cannot read "fast" as a number`},
		{"too few cells", tableHead + "8 | 4 | 1 | 64 | None | 4096 | 32 | 5.68\n", `t.txt:4: row has 8 cells but the header has 9`},
		{"too many cells", tableHead + "8 | 4 | 1 | 64 | None | 4096 | 32 | 5.68 | 75.69 | x\n", `t.txt:4: row has 10 cells but the header has 9`},
		{"pipe in a cell", tableHead + "8 | 4 | 1 | 64 | a|b | 4096 | 32 | 5.68 | 75.69\n", `t.txt:4: row has 10 cells but the header has 9`},
		{"fractional tp", tableHead + "8.5 | 4 | 1 | 64 | None | 4096 | 32 | 5.68 | 75.69\n", `t.txt:4: column "tp": "8.5" is not a positive whole number`},
		{"zero pp", tableHead + "8 | 0 | 1 | 64 | None | 4096 | 32 | 5.68 | 75.69\n", `t.txt:4: column "pp": "0" is not a positive whole number`},
		{"empty config cell", tableHead + "8 |  | 1 | 64 | None | 4096 | 32 | 5.68 | 75.69\n", `t.txt:4: column "pp" is empty`},
		{"header missing", "8 | 4 | 1 | 64 | None | 4096 | 32 | 5.68 | 75.69\n", `t.txt:1: table row before a header row`},
		{"header after title", "70B sweep\n\n8 | 4 | 1 | 64 | None | 4096 | 32 | 5.68 | 75.69\n", `t.txt:3: table row before a header row`},
		{"duplicate column", "tp | pp | time | s/iter\n8 | 4 | 5 | 5\n", `t.txt:1: columns 3 and 4 both hold "time"`},
		{"duplicate config column", "tp | pp | TFLOPS | seq len | sl\n8 | 4 | 5 | 1 | 1\n", `t.txt:1: columns 4 and 5 both hold "sl"`},
		{"empty column name", "tp | | TFLOPS\n8 | 4 | 5\n", `t.txt:1: column 2 has an empty name`},
		// A measurement column perfgate does not read was an unknown column, a config key
		// holding each row's measured value: every run a config of its own, stored by
		// "baseline update" and matched by nothing.
		{"time in milliseconds", "tp | pp | time (ms) | TFLOPS\n8 | 4 | 5500 | 148\n", `t.txt:1: column "time (ms)" looks like a measurement`},
		// One metric in two units: "ms/iter" beside the time column was a config key, the
		// run a config of its own that no baseline run matched, and the check passed.
		{"time in two units", "tp | pp | time | ms/iter | TFLOPS\n8 | 4 | 44.6 | 60000 | 154\n",
			`t.txt:1: one metric in two units: columns "time" and "ms/iter" both give the time per iteration`},
		{"time in two units, ms first", "tp | pp | step time (ms) | s/iter\n8 | 4 | 60000 | 44.6\n",
			`t.txt:1: one metric in two units: columns "s/iter" and "step time (ms)" both give the time per iteration`},
		{"FLOPS in two units", "tp | pp | TFLOPS | GFLOPS/GPU\n8 | 4 | 154 | 154000\n",
			`t.txt:1: one metric in two units: columns "TFLOPS" and "GFLOPS/GPU" both give the FLOP/s per GPU`},
		{"ms/iter alone", "tp | pp | ms/iter | TFLOPS\n8 | 4 | 60000 | 154\n", `t.txt:1: column "ms/iter" looks like a measurement`},
		{"MFU column", "tp | pp | time | MFU\n8 | 4 | 5.5 | 0.41\n", `t.txt:1: column "MFU" looks like a measurement`},
		{"throughput column", "tp | pp | throughput | TFLOPS\n8 | 4 | 3000 | 148\n", `t.txt:1: column "throughput" looks like a measurement`},
		{"no measurement", "tp | pp | TFLOPS\n8 | 4 | XXX\n", `t.txt:2: row has neither a time nor a TFLOPS value, nor OOM / Err`},
		{"no header at all", "just some text\nand no table\n", `t.txt: no table header row found`},
		{"pipe line is not a header", "just some text\nwithout | one pipe\n", `t.txt:2: table row before a header row`},
		{"empty", "", `t.txt: no table header row found`},
		{"CRLF line numbers", strings.ReplaceAll(tableHead, "\n", "\r\n") + "8 | 4 | 1 | 64 | None | 4096 | 32 | x | 75.69\r\n", `t.txt:4: column "time": cannot read "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runs, err := readCore(TableFormat, "t.txt", tt.in)
			if err == nil {
				t.Fatalf("no error, got %d runs", len(runs))
			}
			wantSyntaxError(t, err, tt.want)
		})
	}
}

// TestTableGood pins the accepted variants next to the rejected ones: outcomes from OOM and
// Err cells, placeholders, Markdown tables, column aliases and unknown columns.
func TestTableGood(t *testing.T) {
	in := "| TP | PP | Micro Batch | Global Batch | Flags | Seq Len | Nodes | Step Time | TFLOP/s/GPU | cluster |\n" +
		"|---:|---:|---:|---:|---|---:|---:|---:|---:|---|\n" +
		"| 8 | 4 | 1 | 1024 | dist-opt, overlap-grad/param | 4096 | 32 | 44.1 | 155.72 | eos |\n" +
		"| 8 | 8 | 4 | 1024 |  | 4096 | 32 | CUDA out of memory | n/a | eos |\n" +
		"| 4 | 8 | 1 | 1024 | none | 4096 | 32 | timeout | — | eos |\n" +
		"| 8 | 4 | 2 | 1024 | none | 4096 | 32 | 44.6 | ? | eos |\n" +
		"| 08 | 4 | 2 | 1024 | none | 4096 | 32 | OOM | 12 | eos |\n"
	runs, err := readCore(TableFormat, "md.txt", in)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range runs {
		s := r.Config.Key() + " " + string(r.Outcome)
		for _, m := range r.Metrics {
			s += " " + m.Name + "=" + fmtFloats(m.Values)
		}
		got = append(got, s)
	}
	want := []string{
		"tp=8/pp=4/mbs=1/gbs=1024/flags=dist-opt+overlap-grad+overlap-param/sl=4096/nodes=32/cluster=eos ok s/iter=[44.1] TFLOPS/GPU=[155.72]",
		"tp=8/pp=8/mbs=4/gbs=1024/flags=none/sl=4096/nodes=32/cluster=eos oom",
		"tp=4/pp=8/mbs=1/gbs=1024/flags=none/sl=4096/nodes=32/cluster=eos error",
		"tp=8/pp=4/mbs=2/gbs=1024/flags=none/sl=4096/nodes=32/cluster=eos ok s/iter=[44.6]",
		"tp=8/pp=4/mbs=2/gbs=1024/flags=none/sl=4096/nodes=32/cluster=eos oom",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Integer keys follow the rule of JSON Lines, sidecars and file names: a spreadsheet's or
	// pandas' "8.0" is tp=8, not an error in a table alone.
	if rs, err := readCore(TableFormat, "f.txt", "tp | pp | nodes | TFLOPS\n8.0 | 4 | 3.0 | 148\n"); err != nil || len(rs) != 1 || rs[0].Config.Key() != "tp=8/pp=4/nodes=3" {
		t.Errorf("table with 8.0: runs %+v, err %v; want one run of tp=8/pp=4/nodes=3", rs, err)
	}
	// Headers that say seconds per iteration in other words are the time column.
	for _, h := range []string{"step time (s)", "Iteration Time (s)", "s/it", "time/iter", "time per iteration"} {
		rs, err := readCore(TableFormat, "h.txt", "tp | pp | "+h+" | TFLOPS\n8 | 4 | 5.5 | 148\n")
		if err != nil || len(rs) != 1 || rs[0].Config.Key() != "tp=8/pp=4" || fmtFloats(rs[0].Metric(bench.MetricTime).Values) != "[5.5]" {
			t.Errorf("header %q: runs %+v, err %v; want s/iter 5.5 for tp=8/pp=4", h, rs, err)
		}
	}
	if runs[1].Reason != "md.txt:4: CUDA out of memory in the Step Time column" {
		t.Errorf("OOM reason %q", runs[1].Reason)
	}
	if runs[2].Source != "md.txt:5" {
		t.Errorf("source %q", runs[2].Source)
	}
	for _, r := range runs {
		if r.Outcome != bench.OK && len(r.Metrics) != 0 {
			t.Errorf("failed run carries metrics: %+v", r)
		}
	}
}

// TestEmptyInputs checks the "no results" errors of readFile and ReadPaths.
func TestEmptyInputs(t *testing.T) {
	dir := t.TempDir()
	empty := writeCore(t, dir, "empty.txt", "")
	headerOnly := writeCore(t, dir, "header.txt", "tp | pp | time | TFLOPS\n---|---|---|---\n")
	comments := writeCore(t, dir, "comments.jsonl", "# nothing yet\n\n// still nothing\n")
	emptyDir := filepath.Join(dir, "sub")
	os.Mkdir(emptyDir, 0o755)
	writeCore(t, emptyDir, ".hidden", "tp | pp | time\n8 | 4 | 5\n")

	tests := []struct {
		name  string
		paths []string
		opts  *Options
		want  string
	}{
		{"empty file, detected", []string{empty}, nil, empty + ": an empty file, with no results"},
		{"empty file, forced table", []string{empty}, &Options{Format: "table", SkipIters: -1}, empty + ": an empty file, with no results"},
		{"header only", []string{headerOnly}, nil, headerOnly + ": no results found (format table)"},
		{"comments only, forced jsonl", []string{comments}, &Options{Format: "jsonl", SkipIters: -1}, comments + ": no results found (format jsonl)"},
		{"directory of hidden files", []string{emptyDir}, nil, emptyDir + ": directory holds no results files"},
		{"unknown format", []string{empty}, &Options{Format: "csv"}, `unknown input format "csv"; supported: jsonl, gobench`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadPaths(tt.paths, tt.opts)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("got  %v\nwant prefix %s", err, tt.want)
			}
		})
	}
	if _, err := ReadPaths(nil, nil); err == nil || !strings.Contains(err.Error(), "no results found") {
		t.Errorf("no paths: %v", err)
	}
}

// TestTableTwoTables: two tables of one file that differ only in their titles ("70B on 32
// nodes", "70B on 16 nodes") were merged into one config, and a 7.4% drop of one read as
// 3.8% (audit). A config in two tables is an error naming both lines and titles; tables of
// different configs, rule rows and a repeated header without rows between stay one file's
// runs, and a config listed twice in one table is still two runs.
func TestTableTwoTables(t *testing.T) {
	const header = "tp | pp | gbs | time | TFLOPS\n---\n"
	_, err := readCore(TableFormat, "sweep.txt", "70B on 32 nodes\n\n"+header+"8 | 4 | 1024 | 46.3 | 148.6\n\n70B on 16 nodes\n\n"+header+"8 | 4 | 1024 | 92.0 | 149.5\n")
	wantSyntaxError(t, err, `sweep.txt:11: config tp=8/pp=4/gbs=1024 is also in an earlier table of this file (line 5), under "70B on 32 nodes" and "70B on 16 nodes"`)
	for name, in := range map[string]string{
		"different configs":    "32 nodes\n" + header + "8 | 4 | 1024 | 46.3 | 148.6\n16 nodes\n" + header + "8 | 8 | 1024 | 92.0 | 149.5\n",
		"repeated header":      header + header + "8 | 4 | 1024 | 46.3 | 148.6\n",
		"twice in one table":   header + "8 | 4 | 1024 | 46.3 | 148.6\n------\n8 | 4 | 1024 | 46.1 | 149.2\n",
		"title inside a table": header + "8 | 4 | 1024 | 46.3 | 148.6\nrerun:\n8 | 4 | 1024 | 46.1 | 149.2\n",
	} {
		runs, err := readCore(TableFormat, "sweep.txt", in)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if want := strings.Count(in, "| 1024 |"); len(runs) != want {
			t.Errorf("%s: %d runs, want %d", name, len(runs), want)
		}
	}
}
