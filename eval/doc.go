// Package eval measures how well perfgate's gate separates real regressions from noise, by
// simulation.
//
// It generates suites of training configs whose runs follow a documented noise model (see
// NoiseModel), gates a simulated PR run against a simulated baseline with check.Compare, the
// same code path as "perfgate check", and counts how often a clean suite fails (the suite
// false-fail rate) and how often an injected drop is caught (recall by drop size).
//
// The full harness is the gateeval command:
//
//	go run ./eval/gateeval -suites 2000
//
// and a short, seeded smoke run is part of "go test ./...".
package eval
