// Package timeline is the harness's record of what happened during a
// spec, as events on one wall-clock axis: the faults the testbed injected,
// the phases the SUT gave its Devices and Applications, what a vehicle did
// as seen on MAVLink. Each recorder appends Events, one JSON object a
// line, to a journal in the spec's artifact folder as they happen, so a
// spec that is killed still leaves what it saw.
//
// The run report (package runreport) reads these journals back, together
// with the sources that are not journals — Ginkgo's spec events, the
// processes' logs, QEMU consoles, the chaos engine's journal — and merges
// them into the timeline a person reads after a red run.
//
// Journals are named *.timeline.jsonl, so the report finds them without a
// list of recorders; each names the source it holds (links, phases,
// mavlink).
package timeline
