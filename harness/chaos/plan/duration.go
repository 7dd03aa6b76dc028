package plan

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// FormatDuration spells d the way a plan writes it: Go's duration syntax
// without zero units ("2m", "1h30m", "1.5s", "250ms"), so that the
// canonical form is also the one a person would write.
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	if d < time.Second {
		return sign + d.String()
	}
	var b strings.Builder
	b.WriteString(sign)
	if h := d / time.Hour; h > 0 {
		b.WriteString(strconv.FormatInt(int64(h), 10) + "h")
	}
	if m := d % time.Hour / time.Minute; m > 0 {
		b.WriteString(strconv.FormatInt(int64(m), 10) + "m")
	}
	if rest := d % time.Minute; rest > 0 {
		b.WriteString(rest.String())
	}
	return b.String()
}

// parseDuration reads a duration as Go spells it, with a message that says
// what is wanted.
func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("bad duration %q: want a number with a unit, like 5s, 250ms or 1h30m", s)
	}
	return d, nil
}

// Skew is a device clock fault: the device's clock runs Offset ahead
// (positive) or behind (negative) true time, or, with Epoch, reads the Unix
// epoch, as a device whose RTC battery died boots in 1970.
type Skew struct {
	Offset time.Duration
	Epoch  bool
}

// epochSkew is how a plan writes Skew{Epoch: true}.
const epochSkew = "1970"

// IsZero reports whether the skew leaves the clock alone.
func (s Skew) IsZero() bool { return s == Skew{} }

// String is the skew as a plan writes it: "+36h", "-10m" or "1970".
func (s Skew) String() string {
	switch {
	case s.Epoch:
		return epochSkew
	case s.Offset > 0:
		return "+" + FormatDuration(s.Offset)
	default:
		return FormatDuration(s.Offset)
	}
}

// ParseSkew reads a skew as a plan writes it.
func ParseSkew(v string) (Skew, error) {
	if v == epochSkew {
		return Skew{Epoch: true}, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return Skew{}, fmt.Errorf("bad skew %q: want a signed duration (+36h ahead, -10m behind) or 1970 (a clock at the Unix epoch)", v)
	}
	return Skew{Offset: d}, nil
}
