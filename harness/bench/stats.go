package bench

import (
	"sort"
	"time"
)

// percentile returns the p-th percentile (nearest rank) of samples.
func percentile(samples []time.Duration, p float64) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), samples...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := int(p/100*float64(len(s))+0.5) - 1
	if rank < 0 {
		rank = 0
	}
	if rank >= len(s) {
		rank = len(s) - 1
	}
	return s[rank]
}

// reportLatency reports p50, p99 and max of samples in milliseconds, with
// the given prefix.
func reportLatency(b interface {
	ReportMetric(float64, string)
}, samples []time.Duration, prefix string) {
	if len(samples) == 0 {
		return
	}
	max := samples[0]
	for _, s := range samples {
		if s > max {
			max = s
		}
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(percentile(samples, 50)), prefix+"-p50-ms")
	b.ReportMetric(ms(percentile(samples, 99)), prefix+"-p99-ms")
	b.ReportMetric(ms(max), prefix+"-max-ms")
	b.ReportMetric(float64(len(samples)), prefix+"-samples")
}
