// Package summary turns Ginkgo's JSON report into the short pass/fail summary
// `make run` prints and writes next to the JUnit report.
package summary

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"
)

// Load reads a Ginkgo JSON report.
func Load(path string) ([]types.Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var reports []types.Report
	if err := json.Unmarshal(data, &reports); err != nil {
		return nil, fmt.Errorf("%s is not a Ginkgo JSON report: %w", path, err)
	}
	return reports, nil
}

// Counts tallies spec outcomes.
type Counts struct {
	Passed, Failed, Skipped, Pending int
	Duration                         time.Duration
}

// Write prints the summary: totals, failures with their locations and
// artifact folders, and the slowest specs.
func Write(w io.Writer, reports []types.Report) Counts {
	var c Counts
	var failed, all []types.SpecReport
	for _, r := range reports {
		c.Duration += r.RunTime
		for _, s := range r.SpecReports {
			if s.LeafNodeType != types.NodeTypeIt {
				if s.State.Is(types.SpecStateFailureStates) {
					failed = append(failed, s)
					c.Failed++
				}
				continue
			}
			all = append(all, s)
			switch {
			case s.State == types.SpecStatePassed:
				c.Passed++
			case s.State.Is(types.SpecStateFailureStates):
				c.Failed++
				failed = append(failed, s)
			case s.State == types.SpecStatePending:
				c.Pending++
			default:
				c.Skipped++
			}
		}
	}
	verdict := "PASS"
	if c.Failed > 0 {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "\n=== Wasmbed scenarios: %s — %d passed, %d failed, %d skipped, %d pending in %s\n",
		verdict, c.Passed, c.Failed, c.Skipped, c.Pending, c.Duration.Round(time.Second))
	for _, s := range failed {
		fmt.Fprintf(w, "  FAIL %s\n       %s\n       %s\n", SpecName(s), s.Failure.Location, firstLine(s.Failure.Message))
		for _, e := range s.ReportEntries {
			if e.Name == "artifacts" {
				fmt.Fprintf(w, "       artifacts: %s\n", e.StringRepresentation())
			}
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].RunTime > all[j].RunTime })
	if len(all) > 0 {
		fmt.Fprintf(w, "  slowest:\n")
		for _, s := range all[:min(5, len(all))] {
			fmt.Fprintf(w, "    %7s  %s\n", s.RunTime.Round(10*time.Millisecond), SpecName(s))
		}
	}
	return c
}

// SpecName is a spec's full text: its containers' and its own, as the
// summary, the run report and the quarantine list name it.
func SpecName(s types.SpecReport) string {
	return strings.TrimSpace(strings.Join(append(append([]string{}, s.ContainerHierarchyTexts...), s.LeafNodeText), " "))
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
