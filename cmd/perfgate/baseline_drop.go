package main

import (
	"errors"
	"fmt"
	"maps"
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

A CONFIG is a config key as perfgate prints it, with / or spaces between the parts
(tp=8/pp=4/nodes=32 or "tp=8 pp=4 nodes=32"), in any order. A CONFIG that matches no stored
config is an error (exit 2) naming the nearest stored ones, and nothing is removed. The store is
written as baseline update writes it: under its lock, atomically, its closing line rewritten.
The memory record of the store (memory.json) no longer matches it until the next update.`,
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
	drop := map[string]string{} // canonical key → as given
	cfgs := map[string]bench.Config{}
	for _, arg := range o.configs {
		cfg, err := bench.ParseKey(strings.Join(strings.Fields(strings.ReplaceAll(arg, "/", " ")), "/"))
		if err == nil && len(cfg) == 0 {
			err = fmt.Errorf("it is empty")
		}
		if err != nil {
			return inputError(fmt.Errorf("%q is not a config key such as tp=8/pp=4/nodes=32: %v", arg, err))
		}
		drop[cfg.Key()], cfgs[cfg.Key()] = arg, cfg
	}
	// A directory without a store is an error here, not created empty as an update would.
	if _, err := baseline.Open(o.dir); errors.Is(err, baseline.ErrNoBaseline) {
		return inputError(err)
	}
	var removed, configs, left int
	res, err := baseline.Update(o.dir, o.lockTimeout, func(store *baseline.Store) error {
		if len(store.Runs) == 0 {
			return inputError(fmt.Errorf("%s holds no runs", filepath.Join(o.dir, baseline.FileName)))
		}
		stored := map[string]bool{}
		for i := range store.Runs {
			stored[store.Runs[i].ConfigKey()] = true
		}
		for _, key := range slices.Sorted(maps.Keys(drop)) {
			if !stored[key] {
				near, diffs, _ := check.NearestConfig(store.Runs, cfgs[key])
				return inputError(fmt.Errorf("%q matches no stored config; nearest: %s, differing in %s.\nNothing was removed", drop[key], near, diffs))
			}
		}
		kept := store.Runs[:0:0]
		for _, r := range store.Runs {
			if _, ok := drop[r.ConfigKey()]; ok {
				removed++
				continue
			}
			kept = append(kept, r)
		}
		store.Runs, configs, left = kept, len(drop), len(kept)
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
