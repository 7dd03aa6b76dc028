package flakes

// Verdict is what a run's specs mean for the gate.
type Verdict struct {
	// Failed are the specs that failed and are not quarantined, and
	// those interrupted: they fail the gate.
	Failed []Spec
	// Flaky passed on a re-run: reported, not failing.
	Flaky []Spec
	// Quarantined failed or flaked but are quarantined.
	Quarantined []Spec
}

// Pass reports whether the gate passes.
func (v Verdict) Pass() bool { return len(v.Failed) == 0 }

// Judge sorts the specs that did not pass cleanly.
func Judge(specs []Spec, q Quarantine) Verdict {
	var v Verdict
	for _, s := range specs {
		if s.Status == Interrupted {
			v.Failed = append(v.Failed, s)
			continue
		}
		if s.Status != Failed && s.Status != Flaky {
			continue
		}
		if _, ok := q.Match(s.Name); ok {
			v.Quarantined = append(v.Quarantined, s)
			continue
		}
		if s.Status == Failed {
			v.Failed = append(v.Failed, s)
		} else {
			v.Flaky = append(v.Flaky, s)
		}
	}
	return v
}
