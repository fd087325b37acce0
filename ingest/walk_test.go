package ingest

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Directory names give config keys the files lack; the cached key follows; README-like files
// are skipped with their reason; File is the path below the input directory.
func TestReadAllDirectory(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "nodes=2", "sweep")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	table := "tp | pp | time | TFLOPS\n8 | 4 | 46.3 | 148.6\n8 | 4 | 46.1 | 149.0\n8 | 2 | 47.0 | 146.0\n"
	for name, content := range map[string]string{"a.txt": table, "README.md": "# runs\n", "run.slurm": "#!/bin/bash\nsrun python pretrain_gpt.py\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	in, err := ReadAll([]string{filepath.Join(root, "nodes=2")}, &Options{SkipIters: -1})
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Runs) != 3 {
		t.Fatalf("%d runs, want 3", len(in.Runs))
	}
	for _, r := range in.Runs {
		if r.Config["nodes"] != "2" || r.ConfigKey() != r.Config.Key() || r.File != "sweep/a.txt" {
			t.Errorf("run %s: config %v, key %q, file %q; want nodes=2 from the directory, a matching key, file sweep/a.txt", r.Source, r.Config, r.ConfigKey(), r.File)
		}
	}
	var skipped []string
	for _, s := range in.Skipped {
		skipped = append(skipped, filepath.Base(s.File)+": "+s.Reason)
	}
	if got, want := strings.Join(skipped, "; "), "README.md: no reader recognises its format; run.slurm: no reader recognises its format"; got != want {
		t.Errorf("skipped = %s, want %s", got, want)
	}
	// A file named on the command line is never skipped: an unrecognised one is an error.
	if _, err := ReadAll([]string{filepath.Join(dir, "README.md")}, nil); err == nil || !strings.Contains(err.Error(), "unrecognised input format") {
		t.Errorf("ReadAll(README.md) err = %v, want unrecognised input format", err)
	}
	// A directory with nothing readable says what it skipped.
	if err := os.RemoveAll(filepath.Join(dir, "a.txt")); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadAll([]string{dir}, nil); err == nil || !strings.Contains(err.Error(), "no results found (2 file(s) skipped") {
		t.Errorf("ReadAll(dir of README and script) err = %v", err)
	}
}

// BenchmarkReadAllDirectory reads a directory of Megatron-LM logs (the seed sweep's 31
// fixtures) as a walk does: every file found below a directory is detected, then read.
//
//	go test ./ingest -run '^$' -bench ReadAllDirectory -benchmem
func BenchmarkReadAllDirectory(b *testing.B) {
	dir := filepath.Join("..", "testdata", "logs", "megatron-sweep")
	for b.Loop() {
		in, err := ReadAll([]string{dir}, &Options{SkipIters: -1})
		if err != nil {
			b.Fatal(err)
		}
		if len(in.Runs) == 0 || len(in.Skipped) != 0 {
			b.Fatalf("%d runs, %d skipped", len(in.Runs), len(in.Skipped))
		}
	}
}

// A file found below a directory is first asked whether any format claims it: a baseline
// store's file that none claims is skipped like any other, one that a format claims (a real
// store is Go benchmark format) is refused as a store, as it is on the command line.
func TestReadAllDirectoryStoreFile(t *testing.T) {
	store, err := os.ReadFile(filepath.Join("..", "testdata", "example", "baseline", "baseline.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ content, want string }{
		{"# perfgate baseline v2\n", "no results found (1 file(s) skipped, e.g. "},
		{string(store), "baseline.txt:1: a perfgate baseline store, not results"},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "baseline.txt"), []byte(tc.content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadAll([]string{dir}, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ReadAll(dir with %.30q) err = %v, want %q", tc.content, err, tc.want)
		}
	}
}

// A directory walk follows symbolic links: a linked log, a linked directory of logs and a
// RESULTS path that is itself a link are read, not dropped without a word. A file or
// directory reached twice (latest.log -> run3.txt, a link to an ancestor) is read once, under
// the name that is not a link, and the other path is listed as skipped; a dangling link is an
// error naming it.
func TestReadAllDirectorySymlinks(t *testing.T) {
	root := t.TempDir()
	table := func(tp int) string {
		return "tp | pp | time | TFLOPS\n" + strconv.Itoa(tp) + " | 4 | 46.3 | 148.6\n"
	}
	write := func(name, content string) {
		t.Helper()
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, name string) {
		t.Helper()
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Skip("no symbolic links here:", err)
		}
	}
	write("in/run3.txt", table(1))
	write("scratch/other.txt", table(2))
	write("scratch/more/m.txt", table(3))
	link("run3.txt", "in/latest.txt")
	link("../scratch/other.txt", "in/other.txt")
	link("../scratch/more", "in/more")
	link(".", "in/loop")
	link("in", "results")

	in, err := ReadAll([]string{filepath.Join(root, "results")}, &Options{SkipIters: -1})
	if err != nil {
		t.Fatal(err)
	}
	var files, skipped []string
	for _, r := range in.Runs {
		files = append(files, r.File+" tp="+r.Config["tp"])
	}
	for _, s := range in.Skipped {
		rel, _ := filepath.Rel(root, s.File)
		skipped = append(skipped, filepath.ToSlash(rel)+": "+s.Reason)
	}
	if got, want := strings.Join(files, "; "), "more/m.txt tp=3; other.txt tp=2; run3.txt tp=1"; got != want {
		t.Errorf("runs from\n  %s\nwant\n  %s", got, want)
	}
	wantSkipped := "results/latest.txt: the same file as " + filepath.Join(root, "results", "run3.txt") + ", read once; " +
		"results/loop: the same directory as " + filepath.Join(root, "results") + ", read once"
	if got := strings.Join(skipped, "; "); got != wantSkipped {
		t.Errorf("skipped\n  %s\nwant\n  %s", got, wantSkipped)
	}

	link("nowhere.txt", "in/dangling.txt")
	if _, err := ReadAll([]string{filepath.Join(root, "in")}, nil); err == nil || !strings.Contains(err.Error(), "dangling.txt: a symbolic link that cannot be followed") {
		t.Errorf("ReadAll(dir with a dangling link) err = %v, want an error naming the link", err)
	}
}

// A file named twice, directly or also inside a directory argument, is read once: a script
// that lists results/a.txt and results/ would otherwise store each of its runs twice, two
// samples of one run.
func TestReadAllSameFileTwice(t *testing.T) {
	root := t.TempDir()
	a, b := filepath.Join(root, "a.txt"), filepath.Join(root, "b.txt")
	for i, p := range []string{a, b} {
		if err := os.WriteFile(p, []byte("tp | pp | time | TFLOPS\n"+strconv.Itoa(i+1)+" | 4 | 46.3 | 148.6\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		args        []string
		runs        int
		skippedFile string
	}{
		{[]string{a, a}, 1, a},
		{[]string{a, root}, 2, a},    // a.txt inside root is the file already read
		{[]string{root, b}, 2, b},    // b.txt given again after its directory
		{[]string{root, root}, 2, a}, // every file of the second walk
	} {
		in, err := ReadAll(tc.args, &Options{SkipIters: -1})
		if err != nil {
			t.Fatalf("ReadAll(%v): %v", tc.args, err)
		}
		if len(in.Runs) != tc.runs {
			t.Errorf("ReadAll(%v): %d runs, want %d", tc.args, len(in.Runs), tc.runs)
		}
		var reasons []string
		for _, s := range in.Skipped {
			reasons = append(reasons, s.File+": "+s.Reason)
		}
		if !strings.Contains(strings.Join(reasons, "; "), tc.skippedFile+": the same file as ") {
			t.Errorf("ReadAll(%v) skipped %q, want %s skipped as a repeat", tc.args, reasons, tc.skippedFile)
		}
	}
}

// A copy of a results file under another name is the same run: read once, named, so that
// copies cannot count as more runs (three copies would reach --confirm-runs from one run).
// The same log below two directories whose names give different configs is left to the
// check: those are different configs.
func TestReadAllCopiesReadOnce(t *testing.T) {
	root := t.TempDir()
	table := "tp | pp | time | TFLOPS\n8 | 4 | 46.3 | 148.6\n"
	write := func(name string) string {
		t.Helper()
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(table), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pr, c1, c2 := write("pr.txt"), write("pr-copy.txt"), write("pr-copy2.txt")
	in, err := ReadAll([]string{pr, c1, c2}, &Options{SkipIters: -1})
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Runs) != 1 || len(in.Skipped) != 2 || in.Skipped[0].Reason != "the same content as "+pr+", read once" {
		t.Errorf("three copies: %d runs, skipped %+v; want 1 run and the copies named", len(in.Runs), in.Skipped)
	}
	// Below directories that name different configs, the same table is two configs' runs.
	log := "tp | time | TFLOPS\n8 | 46.3 | 148.6\n"
	for _, d := range []string{"pp=4", "pp=8"} {
		if err := os.MkdirAll(filepath.Join(root, "dirs", d), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "dirs", d, "run.txt"), []byte(log), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	in, err = ReadAll([]string{filepath.Join(root, "dirs")}, &Options{SkipIters: -1})
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Runs) != 2 {
		t.Errorf("one table below pp=4/ and pp=8/: %d runs, want 2", len(in.Runs))
	}
}

// TestReadAllNearCopiesReadOnce: the seed sweep table (testdata/seed/sweep-70b-32nodes.txt,
// the real 70B sweep) saved again as "results (1).txt" with spaces after some rows, CRLF line
// ends, a byte-order mark and blank lines at the end is the same results: read once, naming
// the file it repeats. Before, only byte-identical copies were, and the near copy counted
// every run twice. The same runs from a text that differs otherwise ("46.30" for "46.3": an
// equal value written another way) are not taken for a copy: equal values alone can be two
// genuine runs of a rounded table.
func TestReadAllNearCopiesReadOnce(t *testing.T) {
	seed := string(must(os.ReadFile("../testdata/seed/sweep-70b-32nodes.txt")))
	dir := t.TempDir()
	orig := filepath.Join(dir, "results.txt")
	near := "\ufeff" + strings.ReplaceAll(strings.ReplaceAll(seed, " 75.4\n", " 75.4  \t\n"), "\n", "\r\n") + "\r\n\n  \n"
	for p, text := range map[string]string{orig: seed, filepath.Join(dir, "results (1).txt"): near} {
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	once, err := ReadAll([]string{orig}, &Options{SkipIters: -1})
	if err != nil {
		t.Fatal(err)
	}
	in, err := ReadAll([]string{dir}, &Options{SkipIters: -1})
	if err != nil {
		t.Fatal(err)
	}
	// Files are read in lexical order, so "results (1).txt" is read and results.txt named.
	copyPath := filepath.Join(dir, "results (1).txt")
	want := Skipped{File: orig, Reason: "the same content as " + copyPath + " but for whitespace at line ends or blank lines at the end, read once"}
	if len(in.Runs) != len(once.Runs) || len(in.Skipped) != 1 || in.Skipped[0] != want {
		t.Errorf("near copy: %d runs (one copy has %d), skipped %+v; want %+v", len(in.Runs), len(once.Runs), in.Skipped, want)
	}

	// "46.30" for "46.3" in a one-row table: the same run read from two different texts.
	dir = t.TempDir()
	for name, v := range map[string]string{"a.txt": "46.3", "b.txt": "46.30"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("tp | pp | time | TFLOPS\n8 | 4 | "+v+" | 148.6\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	in, err = ReadAll([]string{dir}, &Options{SkipIters: -1, AllowNoConfig: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Runs) != 2 || len(in.Skipped) != 0 {
		t.Errorf("equal runs from different texts: %d runs, skipped %+v; want 2 runs, none skipped", len(in.Runs), in.Skipped)
	}
}

func TestTrailTrimmer(t *testing.T) {
	for in, want := range map[string]string{
		"":                    "",
		"a":                   "a",
		"a \t\r\nb\n\n":       "a\nb",
		"a\n  \n b \n":        "a\n\n b",
		" a\r b":              " a\r b",
		"\n\na\n":             "\n\na",
		"x y\r\n\r\n\r\n  \t": "x y",
	} {
		var b, c bytes.Buffer
		if _, err := (&trailTrimmer{w: &b}).Write([]byte(in)); err != nil {
			t.Fatal(err)
		}
		// Byte by byte too: what is held back carries over from one write to the next.
		tc := &trailTrimmer{w: &c}
		for i := 0; i < len(in); i++ {
			if _, err := tc.Write([]byte{in[i]}); err != nil {
				t.Fatal(err)
			}
		}
		if b.String() != want || c.String() != want {
			t.Errorf("trim(%q) = %q, byte by byte %q; want %q", in, b.String(), c.String(), want)
		}
	}
}

// TestReadAllFormatsRead: Input.Read names each format read once, with its first file, in the
// order of the files, and only formats whose files gave runs (a skipped copy adds none); only
// the trainer logs' formats say they drop warm-up iterations (--skip-iters applies).
func TestReadAllFormatsRead(t *testing.T) {
	table := "../testdata/example/pr-sweep.txt"
	log1 := "../testdata/logs/megatron-sweep/tp8-pp4-mbs1-gbs1024-none.runs1-2.log"
	log2 := "../testdata/logs/megatron-sweep/tp8-pp4-mbs1-gbs64-none.run1.log"
	in, err := ReadAll([]string{log1, table, log2, table}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []FormatRead{{MegatronFormat, log1}, {TableFormat, table}}
	if len(in.Read) != len(want) {
		t.Fatalf("Read = %v, want %v", in.Read, want)
	}
	for i := range want {
		if in.Read[i] != want[i] {
			t.Errorf("Read[%d] = %s %s, want %s %s", i, in.Read[i].Format.Name, in.Read[i].File, want[i].Format.Name, want[i].File)
		}
	}
	for _, f := range Formats {
		log := f == MegatronFormat || f == MegatronBridgeFormat || f == NeMoFormat || f == TorchtitanFormat || f == GoldenFormat
		if f.Warmup != log {
			t.Errorf("%s: Warmup %v, want %v", f.Name, f.Warmup, log)
		}
	}
}
