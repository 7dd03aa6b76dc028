// Package prometheus runs a real Prometheus for a harness run — Debian's
// /usr/bin/prometheus, installed by `make deps` — with the SUT's alerting
// and recording rules (sut/config/prometheus) loaded, and queries it
// through its HTTP API.
//
// Start brings one server up per run, like the local cluster's etcd: in a
// work directory of its own (swept if a killed harness left it behind), on
// a loopback port it binds once, as a process carrying the harness's
// ownership token (harness/proc), stopped and removed by Stop. It scrapes
//
//   - the gateways (job wasmbed-gateway) and controllers (job
//     wasmbed-controller) that specs register: each spec starts its own SUT
//     on ports the kernel picks, so targets are files in a directory
//     (Prometheus's file_sd) that any process of the run may write
//     (Targets, ScrapeSystem);
//   - the API server, with the harness's own credentials (job
//     kube-apiserver).
//
// Scrapes and rule evaluations run every second: the SUT's timings in the
// scenarios are seconds (heartbeat timeout 2 s, Lease 3 s, grace 3 s), and
// the delay Prometheus adds to an alert is up to one scrape plus one
// evaluation, which must stay small against the bounds the specs assert.
// A handful of local targets costs nothing at that rate.
//
// Client is the query helper specs use, with Gomega's Eventually: Query and
// Value for PromQL, Alerts and AlertFiring for alert state, Targets and
// TargetUp for scrape health, Rules for rule evaluation. It goes through
// github.com/prometheus/client_golang/api, never the scrape text.
package prometheus
