package modulecheck

import (
	"fmt"
	"sort"
	"strings"

	"github.com/tetratelabs/wazero/api"
)

// featureFlags maps the Device CRD's wasm feature names to wazero's.
var featureFlags = map[string]api.CoreFeatures{
	"mutable-global":           api.CoreFeatureMutableGlobal,
	"sign-extension-ops":       api.CoreFeatureSignExtensionOps,
	"nontrapping-float-to-int": api.CoreFeatureNonTrappingFloatToIntConversion,
	"multi-value":              api.CoreFeatureMultiValue,
	"bulk-memory":              api.CoreFeatureBulkMemoryOperations,
	"reference-types":          api.CoreFeatureReferenceTypes,
	"simd":                     api.CoreFeatureSIMD,
}

// CoreFeatures converts the Device CRD's feature names (mutable-global,
// sign-extension-ops, nontrapping-float-to-int, multi-value, bulk-memory,
// reference-types, simd) to wazero's flags. None means WebAssembly 2.0.
func CoreFeatures(names []string) (api.CoreFeatures, error) {
	if len(names) == 0 {
		return api.CoreFeaturesV2, nil
	}
	var f api.CoreFeatures
	for _, n := range names {
		flag, ok := featureFlags[n]
		if !ok {
			known := make([]string, 0, len(featureFlags))
			for k := range featureFlags {
				known = append(known, k)
			}
			sort.Strings(known)
			return 0, fmt.Errorf("apps: unknown wasm feature %q (known: %s)", n, strings.Join(known, ", "))
		}
		f |= flag
	}
	return f, nil
}

// FeatureNames lists the features enabled in f, sorted, for messages.
func FeatureNames(f api.CoreFeatures) string {
	var names []string
	for n, flag := range featureFlags {
		if f.IsEnabled(flag) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "none beyond WebAssembly 1.0"
	}
	return strings.Join(names, ", ")
}
