// Package plan is the fault plan as data: a versioned YAML document
// (apiVersion chaos.wasmbed.io/v1, kind FaultPlan) that names the fleet a
// run needs, the timed faults to inject into it, and how long the system
// may take to settle once the last fault is healed.
//
// Why it looks the way it does:
//
//   - A plan is data, not code, so that a failure found by a random run can
//     be written down, shrunk, committed and replayed by someone else. The
//     same document is what `harness chaos replay` reads, what the
//     generator writes and what the shrinker rewrites.
//   - Parsing is strict: an unknown field, an unknown fault kind, a bad
//     duration, a target outside the fleet or two exclusive faults
//     overlapping on one target is an error naming the line and the field.
//     A typo in a hand-written plan would otherwise run a different
//     experiment from the one its author meant, and the run would pass.
//   - Marshal writes one canonical form (fixed key order, one line per fault
//     and per device, durations spelt the shortest way). Two plans are the
//     same plan exactly when their bytes are equal, which is what the
//     determinism test, the shrinker's cache and a reviewer's diff rely on.
//   - Fault kinds are a catalogue (Kinds): what each targets, which
//     parameters it takes, whether it has a window, which faults it
//     excludes on the same target, and how the generator draws it. The
//     parser, the validator, the generator, the engine and the README's
//     table all read that one list.
//   - The generator draws from its own PCG source seeded by the plan's seed,
//     never from the global source or a map's order, so a seed and a budget
//     give the same plan byte for byte on every machine.
package plan
