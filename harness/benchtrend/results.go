package benchtrend

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"golang.org/x/perf/benchfmt"
)

// Key names one figure: a benchmark (without the Benchmark prefix and the
// GOMAXPROCS suffix, with its sub-benchmarks) and a unit.
type Key struct {
	Benchmark string
	Unit      string
}

func (k Key) String() string { return k.Benchmark + " " + k.Unit }

// Results are one run's figures: every value of every unit, by key.
type Results map[Key][]float64

// Keys lists the results' keys, sorted.
func (r Results) Keys() []Key {
	keys := make([]Key, 0, len(r))
	for k := range r {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].Benchmark != keys[j].Benchmark {
			return keys[i].Benchmark < keys[j].Benchmark
		}
		return keys[i].Unit < keys[j].Unit
	})
	return keys
}

// ReadFile reads a file of `go test -bench` output.
func ReadFile(path string) (Results, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Read(bytes.NewReader(b), path)
}

// Read reads `go test -bench` output; lines that are not results (test
// logs, the harness's own printout) are skipped, as benchstat skips them.
// Units keep the names the benchmarks gave them: "ns/op" stays "ns/op",
// not benchstat's tidied "sec/op", so they match the targets file.
func Read(r io.Reader, name string) (Results, error) {
	out := Results{}
	br := benchfmt.NewReader(r, name)
	var errs []error
	for br.Scan() {
		switch rec := br.Result().(type) {
		case *benchfmt.Result:
			bench := benchName(rec.Name)
			for _, v := range rec.Values {
				// benchfmt tidies units it knows (ns/op to sec/op) and
				// keeps the original beside; others are left as they are.
				unit, val := v.Unit, v.Value
				if v.OrigUnit != "" {
					unit, val = v.OrigUnit, v.OrigValue
				}
				k := Key{bench, unit}
				out[k] = append(out[k], val)
			}
		case *benchfmt.SyntaxError:
			errs = append(errs, rec)
		}
	}
	if err := br.Err(); err != nil {
		return out, err
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("benchtrend: %w", errors.Join(errs...))
	}
	return out, nil
}

// benchName is the benchmark's name with its sub-benchmarks and without
// the GOMAXPROCS suffix, which says nothing about the figure.
func benchName(n benchfmt.Name) string {
	base, parts := n.Parts()
	var b strings.Builder
	b.Write(base)
	for _, p := range parts {
		if len(p) > 0 && p[0] == '-' {
			continue
		}
		b.Write(p)
	}
	return b.String()
}
