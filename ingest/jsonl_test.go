package ingest

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const jsonlOK = `{"config":{"tp":8,"pp":4},"metric":"TFLOPS/GPU","values":[148.2],"run":"r1"}` + "\n"

func TestJSONLBadInput(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"bad JSON", jsonlOK + `{"config":{"tp":8},"metric":"TFLOPS/GPU","values":[1,]}` + "\n", "j.jsonl:2: invalid JSON"},
		{"truncated", `{"config":{"tp":8},"metric":` + "\n", "j.jsonl:1: invalid JSON"},
		{"NaN literal", `{"config":{"tp":8},"metric":"TFLOPS/GPU","values":[NaN]}` + "\n", "j.jsonl:1: invalid JSON"},
		{"overflowing number", `{"config":{"tp":8},"metric":"TFLOPS/GPU","values":[1e999]}` + "\n", `j.jsonl:1: field "values": cannot use JSON number 1e999 here`},
		{"unknown field", jsonlOK + `{"config":{"tp":8},"metric":"TFLOPS/GPU","values":[1],"units":"x"}` + "\n", `j.jsonl:2: invalid JSON: json: unknown field "units"`},
		{"wrong type", `{"config":{"tp":8},"metric":"TFLOPS/GPU","values":"1"}` + "\n", `j.jsonl:1: field "values": cannot use JSON string here`},
		{"bad outcome", `{"config":{"tp":8},"metric":"TFLOPS/GPU","outcome":"crashed"}` + "\n", `j.jsonl:1: outcome "crashed": want ok, oom or error`},
		{"bad better", `{"config":{"tp":8},"metric":"tput","better":"more","values":[1]}` + "\n", `j.jsonl:1: better "more": want higher or lower`},
		{"missing metric", `{"config":{"tp":8},"values":[1]}` + "\n", `j.jsonl:1: missing "metric"`},
		{"no values", `{"config":{"tp":8},"metric":"TFLOPS/GPU","values":[]}` + "\n", `j.jsonl:1: outcome ok needs at least one of "values"`},
		{"negative throughput", `{"config":{"tp":8},"metric":"TFLOPS/GPU","values":[148,-1]}` + "\n", `j.jsonl:1: metric "TFLOPS/GPU": throughput -1 is not positive`},
		{"zero throughput", `{"config":{"tp":8},"metric":"tokens/s","values":[0]}` + "\n", `j.jsonl:1: metric "tokens/s": throughput 0 is not positive`},
		{"negative time", `{"config":{"tp":8},"metric":"s/iter","values":[-4.5]}` + "\n", `j.jsonl:1: metric "s/iter": value -4.5 is negative`},
		{"explicit better decides", `{"config":{"tp":8},"metric":"s/iter","better":"higher","values":[0]}` + "\n", `j.jsonl:1: metric "s/iter": throughput 0 is not positive`},
		{"object config value", `{"config":{"tp":{"x":1}},"metric":"TFLOPS/GPU","values":[1]}` + "\n", `j.jsonl:1: config "tp": want a string or a number, got {"x":1}`},
		{"blank config value", `{"config":{"tp":" "},"metric":"TFLOPS/GPU","values":[1]}` + "\n", `j.jsonl:1: config "tp": empty key or value`},
		{"two values on a line", jsonlOK + `{"config":{"tp":8},"metric":"m","better":"higher","values":[1]} {}` + "\n", `j.jsonl:2: more than one JSON value on the line`},
		{"mixed units in a run", jsonlOK + `{"config":{"tp":8,"pp":4},"metric":"TFLOPS/GPU","unit":"TFLOP/s","values":[1],"run":"r1"}` + "\n",
			`j.jsonl:2: metric "TFLOPS/GPU" in unit "TFLOP/s", but in "TFLOPS/GPU" earlier in this run; mixed units for one metric`},
		// s/iter and ms/iter of one run were read as two metrics; the check converted ms/iter
		// to the baseline's s/iter and compared one of them.
		{"one metric in two units in a run", `{"config":{"tp":8},"metric":"s/iter","values":[44.6]}` + "\n" + `{"config":{"tp":8},"metric":"ms/iter","values":[60000]}` + "\n",
			`j.jsonl:2: one metric in two units: "ms/iter" here and "s/iter" on line 1 for the same run (1 ms/iter = 0.001 s/iter)`},
		{"one metric in two units, no run ids", `{"config":{"tp":8},"metric":"TFLOPS/GPU","values":[154]}` + "\n" + `{"config":{"tp":4},"metric":"TFLOPS/GPU","values":[150]}` + "\n" + `{"config":{"tp":8},"metric":"GFLOPS/GPU","values":[154000]}` + "\n",
			`j.jsonl:3: one metric in two units: "GFLOPS/GPU" here and "TFLOPS/GPU" on line 1 for the same run`},
		{"contradicting outcome", jsonlOK + `{"config":{"tp":8,"pp":4},"metric":"TFLOPS/GPU","outcome":"oom","run":"r1"}` + "\n",
			`j.jsonl:2: outcome "oom" contradicts "ok" given for the same run at j.jsonl:1`},
		// A second line of a run that gave the metric the other direction was merged into
		// the run under the first line's direction, its own silently dropped.
		{"two directions in a run", jsonlOK + `{"config":{"tp":8,"pp":4},"metric":"TFLOPS/GPU","better":"lower","values":[1],"run":"r1"}` + "\n",
			`j.jsonl:2: metric "TFLOPS/GPU" is lower-is-better here but higher-is-better earlier in this run`},
		// A space in a metric name or unit made "baseline update" fail on the store it was
		// about to write ("baseline.txt:4: expected key=value"), naming no input line.
		{"space in a metric", `{"config":{"tp":8},"metric":"TFLOPS /GPU","values":[1]}` + "\n", `j.jsonl:1: metric "TFLOPS /GPU" contains a space`},
		{"no-break space in a unit", `{"config":{"tp":8},"metric":"m","unit":"ms\u00a0x","better":"lower","values":[1]}` + "\n", `j.jsonl:1: unit "ms\u00a0x" contains a space`},
		// Integer keys are positive whole numbers, as in tables and sidecars, not a config
		// of their own ("tp=8.5", "tp=-8") that no table or log ever matches.
		{"fractional tp", `{"config":{"tp":8.5},"metric":"TFLOPS/GPU","values":[1]}` + "\n", `j.jsonl:1: config "tp": "8.5" is not a positive whole number`},
		{"negative nodes", `{"config":{"nodes":-2},"metric":"TFLOPS/GPU","values":[1]}` + "\n", `j.jsonl:1: config "nodes": "-2" is not a positive whole number`},
		{"line numbers count comments", "# header\n\n// c\n" + `{"config":{"tp":8},"metric":"TFLOPS/GPU","outcome":"bad"}` + "\n", `j.jsonl:4: outcome "bad"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runs, err := readCore(JSONLFormat, "j.jsonl", tt.in)
			if err == nil {
				t.Fatalf("no error; runs %+v", runs)
			}
			wantSyntaxError(t, err, tt.want)
		})
	}
}

// TestJSONLValidate checks what only ReadPaths' validation catches: one metric in two units
// or two directions across runs and files, and metrics of unknown direction.
func TestJSONLValidate(t *testing.T) {
	tests := []struct {
		name  string
		files []string
		want  string // with {0}, {1} standing for the files' paths
	}{
		{"mixed units across runs", []string{
			`{"config":{"tp":8},"metric":"tput","unit":"TFLOPS/GPU","values":[148],"run":"a"}` + "\n" +
				`{"config":{"tp":8},"metric":"tput","unit":"tokens/s","values":[3000],"run":"b"}` + "\n"},
			`{0}:2: metric "tput" is in unit "tokens/s" here but "TFLOPS/GPU" at {0}:1; mixed units for one metric`},
		{"mixed units across files", []string{
			`{"config":{"tp":8},"metric":"tput","unit":"TFLOPS/GPU","values":[148]}` + "\n",
			`{"config":{"tp":4},"metric":"tput","unit":"tokens/s","values":[3000]}` + "\n"},
			`{1}:1: metric "tput" is in unit "tokens/s" here but "TFLOPS/GPU" at {0}:1; mixed units for one metric`},
		{"mixed directions", []string{
			`{"config":{"tp":8},"metric":"score","better":"higher","values":[1],"run":"a"}` + "\n" +
				`{"config":{"tp":4},"metric":"score","better":"lower","values":[1],"run":"a"}` + "\n"},
			`{0}:2: metric "score" is lower-is-better here but higher-is-better at {0}:1`},
		{"unknown direction", []string{`{"config":{"tp":8},"metric":"score","values":[1]}` + "\n"},
			`{0}:1: metric "score": cannot tell whether higher or lower is better; declare it (Go format: "Unit score better=higher"; JSON Lines: "better") or pass --better score=higher|lower`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var paths []string
			want := tt.want
			for i, f := range tt.files {
				name := string(rune('a'+i)) + ".jsonl"
				paths = append(paths, writeCore(t, dir, name, f))
				want = strings.ReplaceAll(want, "{"+string(rune('0'+i))+"}", paths[i])
			}
			_, err := ReadPaths(paths, nil)
			if err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Errorf("got  %v\nwant prefix %s", err, want)
			}
		})
	}
}

func TestJSONLGood(t *testing.T) {
	in := "# perfgate JSON Lines\n" +
		`{"config":{"tp":8,"pp":4,"gbs":1024,"flags":"overlap-grad, dist-opt"},"metric":"TFLOPS/GPU","values":[148.2,148.9],"run":"n42","date":"2026-11-24","commit":"abc"}` + "\n" +
		`{"config":{"tp":8,"pp":4,"gbs":1024,"flags":"dist-opt+overlap-grad"},"metric":"TFLOPS/GPU","values":[149.1],"run":"n42"}` + "\n" +
		`{"config":{"tp":8,"pp":4,"gbs":1024,"flags":"dist-opt+overlap-grad"},"metric":"s/iter","values":[46.1],"run":"n42"}` + "\n" +
		"\n" +
		`{"config":{"tp":8,"pp":4,"gbs":1024,"flags":"dist-opt+overlap-grad"},"metric":"TFLOPS/GPU","values":[150],"run":"n43"}` + "\n" +
		`{"config":{"tp":8,"pp":8,"mbs":4,"gbs":1024},"metric":"TFLOPS/GPU","outcome":"OOM","reason":"CUDA out of memory","run":"n42"}` + "\n" +
		`{"config":{"tp":"4","pp":8,"lr":1.5e-4},"metric":"tokens/s/GPU","values":[3000],"better":"higher"}` + "\n" +
		`{"config":{"tp":"4","pp":8,"lr":1.5e-4},"metric":"tokens/s/GPU","values":[3010]}` + "\n" +
		`{"config":{"tp":8.0,"pp":"4","gbs":1.024e3,"flags":"dist-opt+overlap-grad"},"metric":"TFLOPS/GPU","values":[151],"run":"n44"}` + "\n"
	runs, err := readCore(JSONLFormat, "j.jsonl", in)
	if err != nil {
		t.Fatal(err)
	}
	type summary struct {
		Key, Outcome, Reason, Source, Batch, Date, Commit string
		Samples                                           map[string][]float64
	}
	var got []summary
	for _, r := range runs {
		s := summary{Key: r.Config.Key(), Outcome: string(r.Outcome), Reason: r.Reason, Source: r.Source, Batch: r.Batch, Date: r.Date, Commit: r.Commit, Samples: map[string][]float64{}}
		for _, m := range r.Metrics {
			s.Samples[m.Name+" "+m.Better.String()] = m.Values
		}
		got = append(got, s)
	}
	want := []summary{
		// Lines of one run and config make one run, with flags canonicalised.
		{Key: "tp=8/pp=4/gbs=1024/flags=dist-opt+overlap-grad", Outcome: "ok", Source: "j.jsonl:2", Batch: "n42", Date: "2026-11-24T00:00:00Z", Commit: "abc", // a day: its midnight
			Samples: map[string][]float64{"TFLOPS/GPU higher": {148.2, 148.9, 149.1}, "s/iter lower": {46.1}}},
		{Key: "tp=8/pp=4/gbs=1024/flags=dist-opt+overlap-grad", Outcome: "ok", Source: "j.jsonl:6", Batch: "n43",
			Samples: map[string][]float64{"TFLOPS/GPU higher": {150}}},
		{Key: "tp=8/pp=8/mbs=4/gbs=1024", Outcome: "oom", Reason: "CUDA out of memory", Source: "j.jsonl:7", Batch: "n42", Samples: map[string][]float64{}},
		// Numbers in the config are kept as written; without "run", a config's lines make one run.
		{Key: "tp=4/pp=8/lr=1.5e-4", Outcome: "ok", Source: "j.jsonl:8",
			Samples: map[string][]float64{"tokens/s/GPU higher": {3000, 3010}}},
		// except the integer keys (tp, pp, gbs …), which are plain integers however written:
		// a Python harness's 8.0 is the tp=8 of tables and logs.
		{Key: "tp=8/pp=4/gbs=1024/flags=dist-opt+overlap-grad", Outcome: "ok", Source: "j.jsonl:10", Batch: "n44",
			Samples: map[string][]float64{"TFLOPS/GPU higher": {151}}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
}

func TestSniffCore(t *testing.T) {
	tests := []struct {
		name, head string
		want       *Format
	}{
		{"jsonl", "# c\n" + jsonlOK, JSONLFormat},
		{"gobench", "goos: linux\nBenchmarkTrain/tp=8 1 5.7 s/iter\n", GoBenchFormat},
		{"table", "title\n\ntp | pp | time | TFLOPS\n8 | 4 | 5 | 6\n", TableFormat},
		{"markdown table", "| TP | PP | TFLOPS |\n|---|---|---|\n| 8 | 4 | 1 |\n", TableFormat},
	}
	for _, tt := range tests {
		f, err := Detect("x", []byte(tt.head))
		if err != nil || f != tt.want {
			t.Errorf("%s: detected %v (%v), want %s", tt.name, f, err, tt.want.Name)
		}
	}
	if _, err := Detect("x", []byte("hello\nworld\n")); err == nil || !strings.Contains(err.Error(), "force one with --input-format NAME") {
		t.Errorf("unknown format: %v", err)
	}
}

// A date is read as a time in the forms harnesses write (Python's datetime.now().isoformat()
// and str(datetime), no offset: UTC) and stored as RFC 3339; check and convert, which do not
// use dates, keep one that cannot be read as written (review: they refused isoformat()), and
// only where dates order batches (OrderDates, baseline update) is it an error at its line.
func TestJSONLDates(t *testing.T) {
	line := func(date string) string {
		return jsonlOK + `{"config":{"tp":8},"metric":"TFLOPS/GPU","values":[1],"run":"n11","date":"` + date + `"}` + "\n"
	}
	for _, tt := range []struct{ in, want string }{
		{"2026-11-24T03:00:00Z", "2026-11-24T03:00:00Z"},
		{"2026-11-24T03:00:00.5+02:00", "2026-11-24T03:00:00.5+02:00"}, // RFC 3339: as written
		{"2026-11-24", "2026-11-24T00:00:00Z"},
		{"2026-11-24T03:00:00", "2026-11-24T03:00:00Z"},
		{"2026-11-05T03:00:00.123456", "2026-11-05T03:00:00.123456Z"},
		{"2026-11-24 03:00:00", "2026-11-24T03:00:00Z"},
		{"2026-11-24 03:00:00.25", "2026-11-24T03:00:00.25Z"},
		{"2026-11-05 03:00:00+00:00", "2026-11-05T03:00:00Z"},
		{"2026-11-05T03:00:00+0100", "2026-11-05T03:00:00+01:00"},
		{"2026-11-24T03:00", "2026-11-24T03:00:00Z"},
	} {
		for _, strict := range []bool{false, true} {
			runs, err := JSONLFormat.Read("j.jsonl", strings.NewReader(line(tt.in)), &Options{SkipIters: -1, OrderDates: strict})
			if err != nil {
				t.Errorf("%q (OrderDates %v): %v", tt.in, strict, err)
				continue
			}
			if got := runs[1].Date; got != tt.want {
				t.Errorf("%q (OrderDates %v): date %q, want %q", tt.in, strict, got, tt.want)
			}
		}
	}
	for _, bad := range []string{"yesterday", "2026-02-30", "11/24/2026", "2026-11-24T25:00:00"} {
		runs, err := JSONLFormat.Read("j.jsonl", strings.NewReader(line(bad)), &Options{SkipIters: -1})
		if err != nil || runs[1].Date != bad {
			t.Errorf("%q without OrderDates: %v, %+v: want it kept as written", bad, err, runs)
		}
		_, err = JSONLFormat.Read("j.jsonl", strings.NewReader(line(bad)), &Options{SkipIters: -1, OrderDates: true})
		if err == nil {
			t.Errorf("%q with OrderDates: no error", bad)
			continue
		}
		wantSyntaxError(t, err, `j.jsonl:2: date "`+bad+`" is not a time: want RFC 3339`)
	}
}
