package benchtrend

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// TargetsFile is the committed targets, relative to the repository root.
const TargetsFile = "harness/bench/targets.txt"

// Better says which way a unit improves.
type Better int

// Directions.
const (
	Unknown Better = 0
	Lower   Better = -1
	Higher  Better = 1
)

func (b Better) String() string {
	switch b {
	case Lower:
		return "lower"
	case Higher:
		return "higher"
	}
	return "?"
}

// Target is one line of the targets file: a figure's direction, the
// target the README states for it (if any) and the noise allowed before
// a change is called a regression (0: the file's default).
type Target struct {
	Key
	Better Better
	// Limit is the target: at most Limit for Lower, at least for Higher.
	// HasLimit is false for figures with no stated target ("-").
	Limit    float64
	HasLimit bool
	// Noise is the relative change tolerated, e.g. 0.5 for 50%.
	Noise float64
}

// Met reports whether v meets the target.
func (t Target) Met(v float64) bool {
	if !t.HasLimit {
		return true
	}
	if t.Better == Higher {
		return v >= t.Limit
	}
	return v <= t.Limit
}

// Targets are the file's lines by key, and its default noise threshold.
type Targets struct {
	ByKey map[Key]Target
	Noise float64
}

// LoadTargets reads the targets file.
func LoadTargets(path string) (Targets, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Targets{}, err
	}
	t, err := ParseTargets(b)
	if err != nil {
		return Targets{}, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// ParseTargets parses the targets file:
//
//	noise 50%
//	# benchmark            unit          better  target  [noise]
//	Enrollment100          enrol-p99-ms  lower   100
//	QEMUIdleCapacity       guests-connected  higher  -   0%
//
// A line that does not parse is an error, with its line number.
func ParseTargets(b []byte) (Targets, error) {
	t := Targets{ByKey: map[Key]Target{}}
	var errs []error
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if f[0] == "noise" {
			if len(f) != 2 {
				errs = append(errs, fmt.Errorf("line %d: want \"noise N%%\"", n))
				continue
			}
			v, err := percent(f[1])
			if err != nil {
				errs = append(errs, fmt.Errorf("line %d: %w", n, err))
			}
			t.Noise = v
			continue
		}
		if len(f) != 4 && len(f) != 5 {
			errs = append(errs, fmt.Errorf("line %d: want \"benchmark unit lower|higher target|- [noise%%]\", got %q", n, strings.TrimSpace(line)))
			continue
		}
		tg := Target{Key: Key{f[0], f[1]}}
		switch f[2] {
		case "lower":
			tg.Better = Lower
		case "higher":
			tg.Better = Higher
		default:
			errs = append(errs, fmt.Errorf("line %d: direction %q: want lower or higher", n, f[2]))
			continue
		}
		if f[3] != "-" {
			v, err := strconv.ParseFloat(f[3], 64)
			if err != nil {
				errs = append(errs, fmt.Errorf("line %d: target %q: %w", n, f[3], err))
				continue
			}
			tg.Limit, tg.HasLimit = v, true
		}
		if len(f) == 5 {
			v, err := percent(f[4])
			if err != nil {
				errs = append(errs, fmt.Errorf("line %d: %w", n, err))
				continue
			}
			tg.Noise = v
		}
		if _, dup := t.ByKey[tg.Key]; dup {
			errs = append(errs, fmt.Errorf("line %d: %s listed twice", n, tg.Key))
			continue
		}
		t.ByKey[tg.Key] = tg
	}
	if t.Noise == 0 && len(errs) == 0 {
		errs = append(errs, errors.New("no \"noise N%\" line: the default threshold must be stated"))
	}
	return t, errors.Join(errs...)
}

func percent(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil || !strings.HasSuffix(s, "%") || v < 0 {
		return 0, fmt.Errorf("noise %q: want a percentage like 50%%", s)
	}
	return v / 100, nil
}
