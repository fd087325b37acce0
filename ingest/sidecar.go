package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/perfgate/perfgate/bench"
)

// A trainer log knows its measurements but often not its config. Three sources fill the
// config in, each overriding the one before:
//
//  1. the config the log itself gives (a Megatron-LM argument dump);
//  2. key=value parts of the log's file name, as in
//     "tp=8_pp=4_mbs=1_gbs=1024_sl=4096_nodes=32_flags=dist-opt+overlap-grad.log";
//  3. a sidecar JSON beside the log, "run.log.json" or "run.json" beside "run.log", holding
//     a flat object of config keys: {"tp": 8, "pp": 4, "flags": ["dist-opt"]}.
//
// --set key=value (Options.Set) overrides all of them; readFile applies it.

// logExts are the extensions of the logs a "stem.json" sidecar may describe.
var logExts = []string{".log", ".txt", ".out", ".err", ".stdout", ".stderr"}

// maxSidecar is the largest sidecar read; a bigger JSON file is not a sidecar.
const maxSidecar = 1 << 20

// isSidecar reports whether path is a JSON sidecar that describes a log beside it rather
// than a results file of its own: its name is "X.json" where X is an existing file, or
// "S.json" where "S.log" (or .txt, .out, .err, .stdout, .stderr) exists, and it holds a flat
// JSON object.
func isSidecar(path string) bool {
	if !strings.EqualFold(filepath.Ext(path), ".json") {
		return false
	}
	if logOfSidecar(path) == "" {
		return false
	}
	_, err := readSidecar(path)
	return err == nil
}

// logOfSidecar returns the log that a sidecar called path would describe, if it exists.
func logOfSidecar(path string) string {
	stem := path[:len(path)-len(".json")]
	if regular(stem) && !strings.EqualFold(filepath.Ext(stem), ".json") {
		return stem
	}
	for _, ext := range logExts {
		if regular(stem + ext) {
			return stem + ext
		}
	}
	return ""
}

func regular(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

// sidecarOf returns the sidecar of the log called file, or "" if it has none.
func sidecarOf(file string) string {
	if file == "" {
		return ""
	}
	if p := file + ".json"; regular(p) {
		return p
	}
	ext := filepath.Ext(file)
	if ext == "" || strings.EqualFold(ext, ".json") {
		return ""
	}
	if p := strings.TrimSuffix(file, ext) + ".json"; regular(p) {
		return p
	}
	return ""
}

// readSidecar reads the flat JSON object of config keys in the sidecar called path.
// Strings, numbers and booleans are values; null is no value; an array of strings is a list
// (a "flags" list becomes canonical flags). Nested objects are errors.
func readSidecar(path string) (bench.Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSidecar+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxSidecar {
		return nil, bench.Errorf(path, 0, "sidecar is larger than %d bytes", maxSidecar)
	}
	return parseSidecar(path, data)
}

func parseSidecar(path string, data []byte) (bench.Config, error) {
	// A byte-order mark is not content, as in results files (see readFile).
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(data, utf8BOM)))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, bench.Errorf(path, 0, "sidecar is not a JSON object of config keys: %v", err)
	}
	if obj == nil {
		return nil, bench.Errorf(path, 0, "sidecar is not a JSON object of config keys")
	}
	if dec.More() {
		return nil, bench.Errorf(path, 0, "sidecar holds more than one JSON value")
	}
	c := bench.Config{}
	for k, v := range obj {
		key := strings.ToLower(strings.TrimSpace(k))
		if key == "" {
			return nil, bench.Errorf(path, 0, "sidecar has an empty key")
		}
		var s string
		switch v := v.(type) {
		case nil:
			continue
		case string:
			s = strings.TrimSpace(v)
		case json.Number:
			s = v.String()
		case bool:
			s = strconv.FormatBool(v)
		case []any:
			parts := make([]string, 0, len(v))
			for _, e := range v {
				es, ok := e.(string)
				if !ok {
					return nil, bench.Errorf(path, 0, "sidecar key %q: a list may only hold strings", k)
				}
				parts = append(parts, es)
			}
			s = strings.Join(parts, "+")
		default:
			return nil, bench.Errorf(path, 0, "sidecar key %q: nested objects are not config values", k)
		}
		val, err := configValue(key, s)
		if err != nil {
			return nil, bench.Errorf(path, 0, "sidecar key %q: %v", k, err)
		}
		c[key] = val
	}
	return c, nil
}

// configValue normalises a config value: flags become canonical, and the integerKeys
// (tp, pp, vpp, cp, ep, mbs, gbs, sl, nodes, gpus) plain decimal integers.
func configValue(key, val string) (string, error) {
	switch {
	case key == "flags":
		return bench.CanonicalFlags(val), nil
	case integerKeys[key]:
		n, err := strconv.ParseFloat(val, 64)
		if err != nil || n <= 0 || n != float64(int64(n)) || n > 1<<53 {
			return "", fmt.Errorf("%q is not a positive whole number", val)
		}
		return strconv.FormatInt(int64(n), 10), nil
	}
	if val == "" {
		return "", fmt.Errorf("empty value")
	}
	return val, nil
}

// nameConfig returns the config in the key=value parts of a file's base name. Trailing
// extensions that start with a letter (".log", ".run1") are ignored; parts are separated by
// "_" or ","; a part without "=" continues the value before it. A key must start with a
// letter and hold only letters, digits and "-". Parts that are not key=value, or whose value
// is not valid for its key, are ignored, so ordinary file names give no config.
func nameConfig(file string) bench.Config {
	name := filepath.Base(file)
	for {
		ext := filepath.Ext(name)
		if len(ext) < 2 || !isLetter(ext[1]) || strings.Trim(ext[1:], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
			break
		}
		name = name[:len(name)-len(ext)]
	}
	if !strings.Contains(name, "=") {
		return nil
	}
	type pair struct{ k, v string }
	var pairs []pair
	for _, part := range strings.FieldsFunc(name, func(r rune) bool { return r == '_' || r == ',' }) {
		k, v, ok := strings.Cut(part, "=")
		if ok && validNameKey(k) {
			pairs = append(pairs, pair{strings.ToLower(k), v})
			continue
		}
		if len(pairs) > 0 {
			pairs[len(pairs)-1].v += "_" + part
		}
	}
	c := bench.Config{}
	for _, p := range pairs {
		if v, err := configValue(p.k, p.v); err == nil {
			c[p.k] = v
		}
	}
	if len(c) == 0 {
		return nil
	}
	return c
}

func isLetter(ch byte) bool { return ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' }

func validNameKey(k string) bool {
	if k == "" || !isLetter(k[0]) {
		return false
	}
	for i := 0; i < len(k); i++ {
		if ch := k[i]; !(isLetter(ch) || isDigit(ch) || ch == '-') {
			return false
		}
	}
	return true
}

// fileConfig returns the config that a log's file name and sidecar give it, layered over
// base (the config from the log itself, which is not modified): the file name's keys
// override base, and the sidecar's override both. A file name or sidecar that gives one of
// the log's parallelism, batch or sequence sizes (statedKeys) another value is never
// silent: when stated (base is a Megatron argument dump, whose values are the run's own), it
// is an error, since a misnamed log (pp=4 in the name of a pp=8 run) would be gated as
// another config; otherwise (sizes a reader derives from what a log prints, such as
// torchtitan's batch) the name's value is used, with a note. Other keys (nodes, which a log
// may only imply; flags; keys the log does not give) are the name's to give.
func fileConfig(file string, base bench.Config, stated bool) (bench.Config, []string, error) {
	c := base.Clone()
	var notes []string
	layer := func(over bench.Config, what string) error {
		for k, v := range over {
			if old, ok := base[k]; ok && old != v && slices.Contains(statedKeys, k) {
				if stated {
					return fmt.Errorf("%s: %s gives %s=%s, but the log's own arguments give %s=%s: a misnamed log would be gated as another config; correct the name, or leave %s out of it", file, what, k, v, k, old, k)
				}
				notes = append(notes, fmt.Sprintf("%s gives %s=%s where the log gives %s=%s; %s=%s is used", what, k, v, k, old, k, v))
			}
			c[k] = v
		}
		return nil
	}
	if err := layer(nameConfig(file), "the file name"); err != nil {
		return nil, nil, err
	}
	if sc := sidecarOf(file); sc != "" {
		scc, err := readSidecar(sc)
		if err != nil {
			return nil, nil, err
		}
		if err := layer(scc, "the sidecar "+filepath.Base(sc)); err != nil {
			return nil, nil, err
		}
	}
	return c, notes, nil
}

// statedKeys are the config keys a trainer log states as a fact when it gives them.
var statedKeys = []string{"tp", "pp", "vpp", "cp", "ep", "mbs", "gbs", "sl"}

// namedByFile reports whether the log called file gets config keys from its file name or a
// sidecar: keys a user chose, which name its runs whatever they are.
func namedByFile(file string) bool {
	if len(nameConfig(file)) > 0 {
		return true
	}
	if sc := sidecarOf(file); sc != "" {
		c, err := readSidecar(sc)
		return err == nil && len(c) > 0
	}
	return false
}
