package ingest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/bench"
)

// copyFixture copies the real log fixture name under testdata/logs to dir/as and returns
// the copy's path, creating the directories between.
func copyFixture(t *testing.T, name, dir, as string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(logsDir, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, filepath.FromSlash(as))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestBatchKeysDoNotIdentify checks that a trainer log whose only config keys are the batch
// and sequence sizes it printed is refused through ReadAll like a run with no config keys,
// and accepted once a user gives any key (--set, the file name, a sidecar, a directory name)
// or passes AllowNoConfig. The logs are real: torchtitan's two start-line spellings and a
// NeMo 2.0 log whose global_batch_size gives gbs.
func TestBatchKeysDoNotIdentify(t *testing.T) {
	for _, tc := range []struct {
		fixture string
		keys    string // the keys the log gives, as the error spells them
	}{
		{"torchtitan-2025-11-trainer-initialized.log", "gbs=64 sl=2048"},
		{"torchtitan-2025-02-tps-only.log", "gbs=8 sl=8192"},
		{"excerpts/nemo-bionemo-pr740.log", "gbs=1"},
	} {
		t.Run(filepath.Base(tc.fixture), func(t *testing.T) {
			dir := t.TempDir()
			log := copyFixture(t, tc.fixture, dir, "run.log")
			read := func(paths []string, opts Options) ([]bench.Run, error) {
				opts.SkipIters = -1
				in, err := ReadAll(paths, &opts)
				if err != nil {
					return nil, err
				}
				return in.Runs, nil
			}

			// Refused, as a file and below a directory, naming the file, its keys and
			// the remedies.
			for _, p := range []string{log, dir} {
				_, err := read([]string{p}, Options{})
				var nc *noConfigError
				if !errors.As(err, &nc) {
					t.Fatalf("ReadAll(%s) err = %v, want the no-config refusal", p, err)
				}
				for _, want := range []string{"run.log:", "only config keys, " + tc.keys + ", are batch and sequence sizes", "--set key=value", "sidecar JSON", "nodes=32/run.log", "--allow-no-config"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("ReadAll(%s) err = %v, want it to say %q", p, err, want)
					}
				}
			}

			// Accepted with a key a user gave, even a batch key; the content's keys stay.
			check := func(what string, runs []bench.Run, err error, want string) {
				t.Helper()
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				if len(runs) != 1 || !strings.Contains(runs[0].ConfigKey(), want) {
					t.Fatalf("%s: got %d runs (%v), want one keyed with %q", what, len(runs), runs, want)
				}
			}
			runs, err := read([]string{log}, Options{Set: bench.Config{"nodes": "2"}})
			check("--set nodes=2", runs, err, "nodes=2")
			runs, err = read([]string{log}, Options{AllowNoConfig: true})
			check("AllowNoConfig", runs, err, strings.ReplaceAll(tc.keys, " ", "/"))

			named := copyFixture(t, tc.fixture, t.TempDir(), "titan_gbs=4096.log")
			runs, err = read([]string{named}, Options{})
			check("gbs in the file name", runs, err, "gbs=4096")
			if !strings.Contains(strings.Join(runs[0].Notes, "\n"), "the file name gives gbs=4096 where the log gives gbs=") {
				t.Errorf("gbs in the file name: notes %q lack the contradiction", runs[0].Notes)
			}

			if err := os.WriteFile(filepath.Join(dir, "run.json"), []byte(`{"nodes": 4}`), 0o644); err != nil {
				t.Fatal(err)
			}
			runs, err = read([]string{log}, Options{})
			check("sidecar", runs, err, "nodes=4")
			// A sidecar that gives no key names nothing.
			if err := os.WriteFile(filepath.Join(dir, "run.json"), []byte(`{"nodes": null}`), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := read([]string{log}, Options{}); err == nil {
				t.Errorf("a sidecar with no keys: accepted, want the no-config refusal")
			}

			root := t.TempDir()
			copyFixture(t, tc.fixture, root, "nodes=8/run.log")
			runs, err = read([]string{root}, Options{})
			check("a directory key", runs, err, "nodes=8")
			// The directory key names the run even where the log gives the same key.
			root = t.TempDir()
			copyFixture(t, tc.fixture, root, strings.Fields(tc.keys)[0]+"/run.log")
			runs, err = read([]string{root}, Options{})
			check("a directory key the log also gives", runs, err, strings.Fields(tc.keys)[0])
		})
	}
}

// TestLayoutKeysIdentify checks what stays accepted without a user's key: a Megatron-LM log
// whose argument dump gives the layout and scale (tp, pp, nodes, flags) beside gbs and sl, and
// user-written formats, where a batch key alone names a run as it always did.
func TestLayoutKeysIdentify(t *testing.T) {
	dir := t.TempDir()
	megatron := copyFixture(t, "megatron-lm-2024-tp4-sp.log", dir, "run.log")
	table := filepath.Join(dir, "sweep.txt")
	jsonl := filepath.Join(dir, "runs.jsonl")
	for path, data := range map[string]string{
		table: "gbs | time | TFLOPS\n64 | 5.7 | 75.4\n128 | 11.2 | 76.1\n",
		jsonl: `{"config":{"gbs":64},"metric":"s/iter","values":[1.5,1.6]}` + "\n",
	} {
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ path, want string }{
		{megatron, "tp=4/pp=1/mbs=4/gbs=16/flags=none/sl=1024/nodes=1/gpus=4"},
		{table, "gbs=64"},
		{jsonl, "gbs=64"},
	} {
		in, err := ReadAll([]string{tc.path}, &Options{SkipIters: -1})
		if err != nil {
			t.Errorf("ReadAll(%s): %v", filepath.Base(tc.path), err)
			continue
		}
		if in.Runs[0].ConfigKey() != tc.want {
			t.Errorf("ReadAll(%s): first run keyed %q, want %q", filepath.Base(tc.path), in.Runs[0].ConfigKey(), tc.want)
		}
	}
}
