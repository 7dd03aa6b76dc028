package flakes

import (
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/wasmbed/wasmbed/harness/summary"
)

// Status is a spec's outcome in one run.
type Status string

// Outcomes, from best to worst.
const (
	Skipped Status = "skipped"
	Pending Status = "pending"
	Passed  Status = "passed"
	Flaky   Status = "flaky"
	Failed  Status = "failed"
	// Interrupted: the run was stopped (by hand, or its time budget)
	// while the spec ran. It fails the gate, as the run did not check
	// everything, but says nothing about the spec: the history leaves it
	// out.
	Interrupted Status = "interrupted"
)

// rank orders outcomes by how much they matter: a spec that ran in two
// stages of one run takes its worse outcome.
func (s Status) rank() int {
	switch s {
	case Passed:
		return 1
	case Flaky:
		return 2
	case Failed:
		return 3
	}
	return 0
}

// Failure is one failed attempt.
type Failure struct {
	// Attempt numbers the spec's attempts from 1.
	Attempt  int       `json:"attempt"`
	Message  string    `json:"message"`
	Location string    `json:"location"`
	Time     time.Time `json:"time"`
	// State is Ginkgo's: failed, panicked, timedout, interrupted, aborted.
	State string `json:"state"`
}

// Spec is a spec's outcome in one Ginkgo report.
type Spec struct {
	// Name is the spec's full text: its containers' and its own.
	Name   string
	Labels []string
	Status Status
	// Attempts is how many times it ran; Failures are the attempts that
	// failed, first to last.
	Attempts int
	Failures []Failure
	// SkipReason says why a skipped spec did not run.
	SkipReason string
	Duration   time.Duration
	// Report is Ginkgo's own record, for the timeline.
	Report types.SpecReport
}

// attemptPrefix is how Ginkgo marks the failure of an attempt it retried
// (internal/group.go: "Failure recorded during attempt %d:\n").
const attemptPrefix = "Failure recorded during attempt "

// Classify reads every spec of the reports that the run selected (a spec
// its label filter left out is not there). Suite-level nodes that failed
// (a BeforeSuite that could not boot the cluster) are specs too: they
// fail the run.
func Classify(reports []types.Report) []Spec {
	var out []Spec
	for _, r := range reports {
		for _, sr := range r.SpecReports {
			if sr.LeafNodeType != types.NodeTypeIt && !sr.State.Is(types.SpecStateFailureStates) {
				continue
			}
			if sr.State == types.SpecStateSkipped && sr.NumAttempts == 0 {
				continue // left out by the label filter: Ginkgo reports it skipped, never attempted
			}
			out = append(out, classify(sr))
		}
	}
	return out
}

func classify(sr types.SpecReport) Spec {
	s := Spec{Name: summary.SpecName(sr), Labels: sr.Labels(), Attempts: max(sr.NumAttempts, 1), Duration: sr.RunTime, Report: sr}
	if sr.LeafNodeType != types.NodeTypeIt {
		s.Name = "[" + sr.LeafNodeType.String() + "] " + s.Name
	}
	for _, af := range sr.AdditionalFailures {
		msg, ok := strings.CutPrefix(af.Failure.Message, attemptPrefix)
		if !ok {
			continue // a cleanup's failure after the spec's own: not an attempt
		}
		n, rest, _ := strings.Cut(msg, ":\n")
		s.Failures = append(s.Failures, failure(atoi(n), rest, af.State, af.Failure))
	}
	switch {
	case sr.State == types.SpecStatePending:
		s.Status = Pending
	case sr.State == types.SpecStateSkipped:
		s.Status, s.SkipReason = Skipped, sr.Failure.Message
	case sr.State == types.SpecStatePassed:
		s.Status = Passed
		if len(s.Failures) > 0 {
			s.Status = Flaky
		}
	default:
		s.Failures = append(s.Failures, failure(s.Attempts, sr.Failure.Message, sr.State, sr.Failure))
		s.Status = Failed
		if sr.State == types.SpecStateInterrupted {
			s.Status = Interrupted
		}
		// Under MustPassRepeatedly, attempts before the last passed.
		if sr.MaxMustPassRepeatedly > 1 && sr.NumAttempts > 1 && sr.State == types.SpecStateFailed {
			s.Status = Flaky
		}
		// A retried spec that passed an attempt is flaky; Ginkgo stops
		// retrying at the first pass, so that is never the case here:
		// every attempt failed.
	}
	return s
}

func failure(attempt int, msg string, st types.SpecState, f types.Failure) Failure {
	return Failure{Attempt: attempt, Message: msg, Location: f.Location.String(), Time: f.TimelineLocation.Time, State: st.String()}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}
