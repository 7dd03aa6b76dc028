package plan

import (
	"strconv"
	"time"
)

// params is every parameter in the order a plan writes them.
var params = []Param{ParamLatency, ParamPeriod, ParamSkew, ParamValidity, ParamRestart}

// param returns the parameter's value as a plan writes it, or "" if it is
// unset (zero).
func (f Fault) param(p Param) string {
	dur := func(d time.Duration) string {
		if d == 0 {
			return ""
		}
		return FormatDuration(d)
	}
	switch p {
	case ParamLatency:
		return dur(f.Latency)
	case ParamPeriod:
		return dur(f.Period)
	case ParamSkew:
		if f.Skew.IsZero() {
			return ""
		}
		return f.Skew.String()
	case ParamValidity:
		return dur(f.Validity)
	case ParamRestart:
		if !f.Restart {
			return ""
		}
		return strconv.FormatBool(f.Restart)
	}
	return ""
}
