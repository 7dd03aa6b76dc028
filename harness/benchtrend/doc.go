// Package benchtrend compares a run's benchmark figures with the runs
// before it and with the committed targets, and flags a regression only
// beyond the noise the figures are known to have.
//
// Benchmarks report their figures with b.ReportMetric, so `go test
// -bench` output is Go's benchmark format; `make bench` keeps each run's
// in reports/bench/<run-id>.txt. This package reads those files with
// golang.org/x/perf's benchfmt and compares samples with its benchmath,
// the statistics benchstat uses.
//
// The rule, for each benchmark and unit whose direction is known (from
// harness/bench/targets.txt): the baseline is every value the last few
// runs recorded (five by default), summarised by its median; the run
// regressed if its median is worse than the baseline's by more than the
// noise threshold. The benchmarks run once per nightly (-count=1, each
// boots a whole system), so a comparison usually has one new value
// against five old ones, and the Mann-Whitney U test cannot reach
// significance with so few (its smallest p-value for 1 against 5 is
// 0.33): the ratio decides alone. Where both samples are large enough
// for the test to reach p < 0.05 (4 against 4, for instance), a
// regression must also be significant, so more samples can only remove
// false alarms.
package benchtrend
