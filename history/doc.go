// Package history turns the committed versions of a baseline store into per-config time
// series and finds their change points: what the nightly refresh is for, and what a pull
// request gate, which sees one PR against a rolling window, cannot see.
//
// baseline.Revisions reads every commit that changed the store; Build unions their runs by
// batch (each batch once, attributed to the commit that first recorded it), orders the
// batches by date and makes one series per config and metric, one point per batch. Detect
// finds change points on the log scale with E-divisive means (Matteson and James, 2014, the
// method of Apache Otava): the split of a segment that maximises the energy divergence is
// tested by a permutation test, accepted splits are bisected again, and change points whose
// step between their final neighbouring segments is below the gate's minimum effect are
// dropped. A config that starts or stops failing (OOM, error) has an outcome change point.
//
// Alerts (alerts.go) are the changes for the worse among the newest nights, and older ones of
// the newest HoldNights that still hold and were not accepted (hold.go), and the drifts that no
// alerting change point explains, one per measurement of a config: the speed metrics (Options.SpeedMetrics, the gate's) are one alert, on the one
// the gate would decide by, with the others shown on it. A night on which at least half the
// configs, and at least three, got worse is an Event: the cluster or something they share.
//
// Everything here is typed data; report renders it as text, JSON and an HTML dashboard.
package history
