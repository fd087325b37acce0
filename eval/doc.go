// Package eval measures how well perfgate's gate separates real regressions from noise, by
// simulation.
//
// It generates suites of training configs whose runs follow a documented noise model (see
// NoiseModel) in the scenarios of Scenarios (standard, short, contaminated with slow-node
// runs, bimodal configs, the confirmation protocol, and windows whose older runs the store's
// memory of noise classes holds), gates a simulated PR against a simulated baseline with
// check.Compare, the same code path as "perfgate check", and counts
// how often a clean suite fails (the suite false-fail rate) and how often an injected drop is
// caught on steady, noisy and bimodal configs (recall by drop size). Every suite has its own
// seeded random stream, so the figures do not depend on the number of workers.
//
// The full harness is the gateeval command:
//
//	go run ./eval/gateeval -suites 1000 -seed 1
//
// and a short, seeded smoke run is part of "go test ./...". Diagnose files each false fail and
// missed drop by the config's true class and by what the test said of it (its noisy-class
// share, a slow run named, a measured drop under the minimum effect):
//
//	go run ./eval/gateeval -suites 1000 -seed 1 -scenario standard -diagnose 0,5
//
// Two bounds judge the same suites with more knowledge than a store has: -oracle-noisy hands
// the check the simulation's true noisy class, and -ideal replaces the test by Ideal, which
// knows the whole noise model and gives each config its exact, calibrated posterior-predictive
// p-value: what a calibrated rule can do from a window once the model is known.
//
//	go run ./eval/gateeval -suites 1000 -seed 1 -ideal
//
// RunHistory measures the change points of "perfgate history" the same way: it writes git
// repositories of simulated nightly baseline refreshes (WriteNightlyRepo, one commit per
// night, steps injected at known nights), reads them back with baseline.Revisions and
// history.Build, and counts steps found within ±1 night and repositories with a change point
// on a config without a step:
//
//	go run ./eval/historyeval -repos 200
package eval
