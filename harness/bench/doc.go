// Package bench holds the benchmarks that measure the targets the issues
// name: control-plane start time, enrollment and deploy latency, disconnect
// detection, API write rates, and so on. They need a real environment, so
// they live apart from the unit tests and run with `make bench`, which prints
// their figures (and saves them under reports/bench/).
//
// Each benchmark reports its figures with b.ReportMetric in the units the
// issue states (ms, writes/device/min), so `go test -bench` output can be
// compared against the targets directly.
package bench
