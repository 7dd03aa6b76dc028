package shrink

import "context"

// ddmin is Zeller and Hildebrandt's minimising delta debugging
// ("Simplifying and Isolating Failure-Inducing Input", 2002) over a
// configuration of n items, 0..n-1, all of which fail together. test
// reports whether a subset (in increasing order) still fails.
//
// It first tries the empty subset (a failure that needs none of the items
// is worth knowing at once), then subsets and complements at growing
// granularity. The result is 1-minimal when minimal is true: the result
// fails, and removing any one item from it passes. An error from test
// ends it early, with the smallest failing subset found so far.
func ddmin(ctx context.Context, n int, test func(context.Context, []int) (bool, error)) (result []int, minimal bool, err error) {
	c := make([]int, n)
	for i := range c {
		c[i] = i
	}
	if n == 0 {
		return c, true, nil
	}
	if failed, err := test(ctx, nil); err != nil || failed {
		if failed {
			return nil, true, nil
		}
		return c, false, err
	}
	gran := 2
	for len(c) >= 2 {
		parts := split(c, gran)
		reduced := false
		for _, part := range parts {
			failed, err := test(ctx, part)
			if err != nil {
				return c, false, err
			}
			if failed {
				c, gran, reduced = part, 2, true
				break
			}
		}
		if !reduced && gran > 2 {
			// With two parts each complement is the other part, tried
			// above.
			for i := range parts {
				comp := complement(parts, i)
				failed, err := test(ctx, comp)
				if err != nil {
					return c, false, err
				}
				if failed {
					c, gran, reduced = comp, max(gran-1, 2), true
					break
				}
			}
		}
		if reduced {
			continue
		}
		if gran >= len(c) {
			return c, true, nil
		}
		gran = min(2*gran, len(c))
	}
	// One item left; the empty set was found to pass at the start.
	return c, true, nil
}

// split cuts c into n parts of near-equal size, in order.
func split(c []int, n int) [][]int {
	parts := make([][]int, 0, n)
	start := 0
	for i := range n {
		end := start + (len(c)-start)/(n-i)
		parts = append(parts, c[start:end])
		start = end
	}
	return parts
}

// complement is every part but parts[skip], in order.
func complement(parts [][]int, skip int) []int {
	var out []int
	for i, p := range parts {
		if i != skip {
			out = append(out, p...)
		}
	}
	return out
}
