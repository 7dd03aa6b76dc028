// Package shrink minimises a failing fault plan: it removes faults,
// shortens windows and drops devices for as long as the plan still
// fails, so that what a random run found becomes a repro a person can
// read, here repro.yaml with the one command that replays it.
//
// Why it looks the way it does:
//
//   - Faults are removed by delta debugging (Zeller and Hildebrandt's
//     ddmin): halves, then quarters, then single faults, keeping any
//     subset or complement that still fails. Its result is 1-minimal:
//     removing any one of the remaining faults makes the failure go away.
//     Windows are then halved one at a time, and devices no fault needs
//     dropped, and the three steps repeat until none makes progress, since
//     a shorter window can make another fault unnecessary.
//   - Every candidate is re-run from scratch through the caller's Run, with
//     the plan's own seed: the shrinker knows nothing of the live system,
//     and a candidate fails only if a real run of it failed. A run that
//     errs (the harness, not the SUT, failed) counts as not failing: the
//     result is always a plan that was seen to fail.
//   - Runs of a live system are slow, so shrinking is bounded by a number
//     of runs and by time, never runs a candidate twice (a cache keyed on
//     the candidate's canonical bytes), and reports how far it got: the
//     runs made, the size reached, and whether it reached 1-minimality.
//     Stopping early still returns the smallest failing plan found.
package shrink
