package benchtrend

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// DefaultBaselineRuns is how many earlier runs make the baseline.
const DefaultBaselineRuns = 5

// Previous reads the last n result files in dir (reports/bench), oldest
// first, leaving out the current run's. Files are ordered by modification
// time: run ids need not sort by date. A file that does not read is
// skipped and named in the error, which comes with the rest.
func Previous(dir, currentID string, n int) ([]Run, []string, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	type file struct {
		id  string
		mod int64
	}
	var files []file
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".txt")
		if !ok || e.IsDir() || id == currentID {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		files = append(files, file{id, info.ModTime().UnixNano()})
	}
	sort.Slice(files, func(i, j int) bool {
		if files[i].mod != files[j].mod {
			return files[i].mod < files[j].mod
		}
		return files[i].id < files[j].id
	})
	if len(files) > n {
		files = files[len(files)-n:]
	}
	var runs []Run
	var bad []string
	for _, f := range files {
		res, err := ReadFile(filepath.Join(dir, f.id+".txt"))
		if err != nil && len(res) == 0 {
			bad = append(bad, f.id+": "+err.Error())
			continue
		}
		if len(res) == 0 {
			continue // a run whose benchmarks never reported: no baseline
		}
		runs = append(runs, Run{ID: f.id, Results: res})
	}
	return runs, bad, nil
}
