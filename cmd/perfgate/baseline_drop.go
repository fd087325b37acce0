package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/check"
)

// dropOptions are the inputs of "perfgate baseline drop".
type dropOptions struct {
	dir         string
	configs     []string
	lockTimeout time.Duration
}

func newBaselineDropCmd(s *Streams) *cobra.Command {
	o := &dropOptions{}
	cmd := &cobra.Command{
		Use:   "drop --baseline DIR CONFIG...",
		Short: "Remove every stored run of the given configs (a config the sweep no longer runs)",
		Long: `drop removes every stored run, ok or failed, of each CONFIG from the baseline: a config the
sweep no longer runs, or one whose key changed (perfgate check then reports the old key as
missing, which fails the gate under --require-all until it is dropped).

A CONFIG is a config as baseline show prints it ("tp=8 pp=4 nodes=32"), or its key
(tp=8/pp=4/nodes=32, parts in any order, %-escapes as in the store). A CONFIG that matches no
stored config is an error (exit 2) naming the nearest stored one, and nothing is removed. The store is
written as baseline update writes it: under its lock, atomically, its closing line rewritten.
The memory record of the store (memory.json) no longer matches it: checks learn the memory
from git history instead until the next update records one.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.configs = args
			return runBaselineDrop(s, o)
		},
	}
	fs := cmd.Flags()
	baselineDirVar(fs, &o.dir, "baseline directory (required)")
	fs.DurationVar(&o.lockTimeout, "lock-timeout", baseline.DefaultLockTimeout, "how long to wait for another update of the same baseline to finish")
	cmd.MarkFlagRequired("baseline")
	return cmd
}

func runBaselineDrop(s *Streams, o *dropOptions) error {
	if o.lockTimeout < 0 {
		return inputError(fmt.Errorf("--lock-timeout must not be negative"))
	}
	for _, arg := range o.configs {
		if strings.TrimSpace(arg) == "" {
			return inputError(fmt.Errorf("an empty CONFIG: give config keys such as tp=8/pp=4/nodes=32"))
		}
	}
	// A directory without a store is an error here, not created empty as an update would
	// (Open says so in its words; the store itself is read once, under the lock).
	if _, err := os.Stat(filepath.Join(o.dir, baseline.FileName)); errors.Is(err, fs.ErrNotExist) {
		if _, err := baseline.Open(o.dir); errors.Is(err, baseline.ErrNoBaseline) {
			return inputError(err)
		}
	}
	var removed, configs, left int
	res, err := baseline.Update(o.dir, o.lockTimeout, func(store *baseline.Store) error {
		if len(store.Runs) == 0 {
			return inputError(fmt.Errorf("%s holds no runs", filepath.Join(o.dir, baseline.FileName)))
		}
		drop := map[string]bool{} // stored config keys
		for _, arg := range o.configs {
			key, err := storedConfig(arg, store.Runs)
			if err != nil {
				return inputError(fmt.Errorf("%v.\nNothing was removed", err))
			}
			drop[key] = true
		}
		before := len(store.Runs)
		store.Runs = slices.DeleteFunc(store.Runs, func(r bench.Run) bool { return drop[r.ConfigKey()] })
		removed, configs, left = before-len(store.Runs), len(drop), len(store.Runs)
		return nil
	})
	if err != nil {
		return storeError(err)
	}
	if res.TempsRemoved > 0 {
		fmt.Fprintf(s.ErrOut, "perfgate: note: removed %d temporary file(s) left in %s by an interrupted update\n", res.TempsRemoved, o.dir)
	}
	fmt.Fprintf(s.Out, "%s: dropped %d run(s) of %d config(s); %d run(s) stored.\n", filepath.Join(o.dir, baseline.FileName), removed, configs, left)
	return nil
}

// storedConfig returns the key of the stored config that arg names: the one baseline show
// prints as arg (values as they are, parts in show's order, spaces between), else the one
// whose key arg is (parts in any order, / or spaces between, %-escapes decoded, as in the
// store and the JSON report's key). Show's form comes first: a value may itself hold a /, a
// space or a %, which a key escapes. A form that names several stored configs, or none, is an
// error; none names the nearest.
func storedConfig(arg string, runs []bench.Run) (string, error) {
	shown := map[string]bool{}
	for i := range runs {
		if runs[i].Config.String() == arg {
			shown[runs[i].ConfigKey()] = true
		}
	}
	switch len(shown) {
	case 1:
		for k := range shown {
			return k, nil
		}
	case 0:
	default:
		return "", fmt.Errorf("%q is how baseline show prints %d stored configs (values with spaces or =); give its key, with %%-escapes, as the JSON report's key field does", arg, len(shown))
	}
	cfg, err := bench.ParseKey(strings.Join(strings.Fields(strings.ReplaceAll(arg, "/", " ")), "/"))
	if err != nil {
		return "", fmt.Errorf("%q is neither a config as baseline show prints it nor a config key such as tp=8/pp=4/nodes=32: %v", arg, err)
	}
	key := cfg.Key()
	for i := range runs {
		if runs[i].ConfigKey() == key {
			return key, nil
		}
	}
	near, diffs, _ := check.NearestConfig(runs, cfg)
	return "", fmt.Errorf("%q matches no stored config; nearest: %s, differing in %s", arg, near, diffs)
}
