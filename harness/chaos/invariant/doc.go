// Package invariant defines what a chaos run checks: an invariant is a
// named check of the live system, and a violation names the invariant it
// breaks, so a failure reads "invariant gauge-matches-sessions violated",
// not "expected 3 to equal 4".
//
// Why it looks the way it does:
//
//   - An invariant says when it must hold (Phase). Safety properties (no
//     legitimate device is ever refused) hold at every check, during the
//     faults too; liveness properties (every device is Connected) can only
//     hold once the faults are healed, within the plan's settle bound.
//     Checking a liveness property mid-fault would only find the fault.
//   - A check gets Facts, the engine's bookkeeping of what it did: which
//     targets were faulted, when each fault went in and came out, when the
//     last one healed. "Connected within the bound after the last fault"
//     needs exactly that, and only the engine knows it.
//   - The catalogue (Catalogue) is data: every invariant a chaos run checks
//     is listed with its phase and what it needs from the live system,
//     whether or not its check is written yet. The checks need a running
//     SUT and are bound to these names by the testbed (Define); the names
//     and the README's table come from here.
package invariant
