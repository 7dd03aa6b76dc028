// Package chaos runs fault plans against a live system and checks the
// system's invariants while and after it does: the harness's bug finder,
// after Jepsen and FoundationDB's simulation.
//
// The pieces, each its own package:
//
//   - plan: the fault plan as a versioned YAML document, its strict
//     parser, its canonical form, and the generator that draws a plan from
//     a seed and a fault budget.
//   - invariant: what a run checks, its names and phases, and the facts
//     a check gets.
//   - chaos (this package): the engine. Run schedules each fault of a
//     plan on a clock, injects it through Targets, heals it when its window
//     closes, checks the invariants at an interval while faults are in and
//     until the settle bound after the last one healed, and records every
//     step with its time in the run's report folder.
//   - shrink: delta debugging of a failing plan down to a small one,
//     written as repro.yaml with the command that replays it.
//
// Why the engine looks the way it does:
//
//   - A fault is always undone. Whatever ends a run early — the caller's
//     context, a violated invariant, a fault that failed to go in — every
//     fault that went in is healed, with a context of its own, before Run
//     returns. A chaos run that leaves etcd stopped or a link cut would
//     break the next spec and blame the wrong one.
//   - Targets is a set of small interfaces, one per part of the harness a
//     fault drives (links, SUT processes, etcd, power, MAVLink, containers,
//     clocks, certificates). The testbed implements them; a testbed that
//     cannot drive one (the in-cluster SUT has no etcd to SIGSTOP) leaves it
//     nil, and a plan that needs it is refused before anything is
//     injected, naming what is missing.
//   - Each fault runs on its own goroutine against the clock, so a slow
//     injection (a QEMU reset waits for the firmware to boot) delays no
//     other fault. The clock is injectable (k8s.io/utils/clock), so the
//     engine's own tests step time instead of sleeping.
//   - The journal (chaos-events.jsonl) is one JSON object a line: every
//     injection, heal, flap, skipped fault and failed check, with the
//     fault's index in the plan. It is what a person reads to see what the
//     run did, and the timeline a replay is compared with.
package chaos
