package flops

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// seedSHA256 is the checksum of the seed sweep table, testdata/seed/sweep-70b-32nodes.txt.
const seedSHA256 = "1c926036b6590cd55f327b1f1ba4dd5993f65308a82f7ccd5161eb1c14858098"

// TestSeedConvention checks that the 6nd convention with N = 70e9 and 8 GPUs per node
// reproduces the TFLOPS column of the seed sweep table from its time column, within 0.25%
// on every row that has a time.
func TestSeedConvention(t *testing.T) {
	file := filepath.Join("..", "testdata", "seed", "sweep-70b-32nodes.txt")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// The table is the real sweep (perfgate's seed file 000_e307e6b380144025.txt), byte for
	// byte: a test against edited numbers would prove nothing.
	if sum := fmt.Sprintf("%x", sha256.Sum256(data)); sum != seedSHA256 {
		t.Fatalf("%s has sha256 %s, want %s (the seed sweep as received)", file, sum, seedSHA256)
	}
	checked := 0
	for i, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, "|")
		if len(f) != 9 {
			continue
		}
		for j := range f {
			f[j] = strings.TrimSpace(f[j])
		}
		if f[0] == "tp" {
			continue // header
		}
		sec, err := strconv.ParseFloat(f[7], 64)
		if err != nil {
			continue // OOM or Err row
		}
		want, err := strconv.ParseFloat(f[8], 64)
		if err != nil {
			t.Errorf("%s:%d: time %s but TFLOPS %q", file, i+1, f[7], f[8])
			continue
		}
		cfg := map[string]string{"model": "70b", "tp": f[0], "pp": f[1], "mbs": f[2], "gbs": f[3], "sl": f[5], "nodes": f[6]}
		got, err := RecomputeTFLOPS(SixND, cfg, sec, 8)
		if err != nil {
			t.Errorf("%s:%d: %v", file, i+1, err)
			continue
		}
		if !near(got, want, 0.0025) {
			t.Errorf("%s:%d: 6nd TFLOPS = %.2f, table says %.2f (%+.2f%%)", file, i+1, got, want, (got/want-1)*100)
		}
		// The same through the lower-level functions.
		gbs, _ := strconv.Atoi(f[3])
		sl, _ := strconv.Atoi(f[5])
		nodes, _ := strconv.Atoi(f[6])
		fl, err := FLOPsPerIter(SixND, Shape{Params: 70e9}, gbs, sl)
		if err != nil {
			t.Fatal(err)
		}
		if tf := TFLOPSPerGPU(fl, sec, nodes*8); tf != got {
			t.Errorf("%s:%d: TFLOPSPerGPU = %g, RecomputeTFLOPS = %g", file, i+1, tf, got)
		}
		checked++
	}
	if checked < 13 { // the seed table has 13 timed rows
		t.Errorf("checked %d rows of %s, want at least 13", checked, file)
	}
}
