// Package nightly runs everything a nightly job runs, stage by stage, and
// records each stage's outcome in the run folder (stages.json, with a log
// per stage) as it goes, so that one report (package runreport) shows
// every stage even when one of them fails or is killed:
//
//   - scenarios: every label but kind (and the chaos label, run on its
//     own), the SUT and devices as processes, QEMU guests, containers,
//     the built-in vehicle simulator, and real PX4 SITL where PX4_SITL_DIR
//     points at a build. A failed spec is run again with the same seed in
//     a fresh namespace (Ginkgo --flake-attempts=2), which tells a flaky
//     spec from a broken one (package flakes).
//   - smoke-repeat: the smoke specs N times in a row (MustPassRepeatedly,
//     through WASMBED_REPEAT), to shake out flakes in what gates every
//     change.
//   - kind: the kind-labelled specs on a kind cluster, where the Docker
//     engine can run kind; otherwise skipped with the provider's reason.
//   - px4-sitl: says whether real PX4 ran, and why not.
//   - chaos: the seeded fault plans, once a label selects them.
//   - fuzz: each fuzz target for a longer budget, with Go's toolchain that
//     fixed the fuzz coordinator's deadline race (golang/go#75804). It
//     fails only on a reproducer Go wrote under testdata/fuzz/; any other
//     failure is the machinery's, reported as an error.
//   - bench: every benchmark (make bench), compared in the report with
//     the previous runs and the committed targets (package benchtrend).
//   - report-test: the run report opened in headless Chromium.
//
// Every stage has a time budget, and the whole run one (90 minutes by
// default): a stage that would start with less than its minimum left is
// skipped and says so.
package nightly
