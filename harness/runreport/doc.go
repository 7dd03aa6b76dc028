// Package runreport writes a run's report: reports/<run>/index.html, the
// page a person opens first after a red nightly, and the summary.txt the
// terminal shows.
//
// It reads what the run left in its folder — the stages `harness nightly`
// ran (stages.json), Ginkgo's JSON reports, each failed spec's artifact
// folder, the benchmark figures under reports/bench/ — together with the
// repository's quarantine list and benchmark targets, and the history of
// earlier runs (reports/history.json, which it updates).
//
// The page holds:
//
//   - the verdict, the wall time and every stage with its outcome, or why
//     it was skipped;
//   - the specs by label, with status, duration, attempts, flake marks and
//     each spec's flake rate over the last runs;
//   - the benchmark figures against the previous runs and the targets,
//     with a trend line;
//   - for each failed or flaky spec, a merged timeline on one time axis:
//     its steps (By), the faults injected, the phases of its Devices and
//     Applications, warnings and errors from the SUT's logs, device logs
//     and QEMU consoles, MAVLink events, and the failure itself, each
//     linked to the file it came from.
//
// The page is one file with its CSS and script inline: it opens from a CI
// artifact or a laptop without a network, and fetches nothing.
package runreport
