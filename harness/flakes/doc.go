// Package flakes tells a flaky spec from a broken one, keeps each spec's
// record across runs, and holds the quarantine.
//
// A failed spec is run again with the same seed in a fresh namespace (the
// nightly run passes Ginkgo --flake-attempts=2: every attempt gets a new
// Env from newEnv, and WASMBED_SEED is the run's). Classify reads
// Ginkgo's JSON report: a spec that failed and then passed is flaky, and
// keeps the failure of the attempt that failed; one that failed every
// attempt is failed. A spec run several times on purpose (the smoke specs
// under MustPassRepeatedly) that passed and then failed is flaky too: the
// same code passed with the same seed.
//
// History is reports/history.json: each spec's outcome in each of the
// last runs, from which the report shows a flake rate. Quarantine is
// scenarios/quarantine.txt: specs known to flake, with a reason and a
// date, which still run and are reported but do not fail the gate.
package flakes
