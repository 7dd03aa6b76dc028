package apps

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/wasmbed/wasmbed/firmware/abi"
)

// engine is the device's one wazero runtime with its host modules
// instantiated: wasmbed and WASI preview1. Apps are instances in it.
type engine struct {
	rt       wazero.Runtime
	features api.CoreFeatures
	// host and wasi are the host modules' function definitions, for
	// checking an app's imports against them.
	host map[string]api.FunctionDefinition
	wasi map[string]api.FunctionDefinition
	// seq makes instance names unique within the runtime.
	seq atomic.Uint64
}

// featureFlags maps the Device CRD's feature names to wazero's.
var featureFlags = map[string]api.CoreFeatures{
	"mutable-global":           api.CoreFeatureMutableGlobal,
	"sign-extension-ops":       api.CoreFeatureSignExtensionOps,
	"nontrapping-float-to-int": api.CoreFeatureNonTrappingFloatToIntConversion,
	"multi-value":              api.CoreFeatureMultiValue,
	"bulk-memory":              api.CoreFeatureBulkMemoryOperations,
	"reference-types":          api.CoreFeatureReferenceTypes,
	"simd":                     api.CoreFeatureSIMD,
}

// coreFeatures converts feature names; none means WebAssembly 2.0.
func coreFeatures(names []string) (api.CoreFeatures, error) {
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

func newEngine(ctx context.Context, o Options) (*engine, error) {
	features, err := coreFeatures(o.Features)
	if err != nil {
		return nil, err
	}
	cfg := wazero.NewRuntimeConfig()
	if o.Interpreter {
		cfg = wazero.NewRuntimeConfigInterpreter()
	}
	// CloseOnContextDone makes a call's deadline stop even a guest loop
	// that never calls the host.
	cfg = cfg.WithCoreFeatures(features).WithCloseOnContextDone(true)
	e := &engine{rt: wazero.NewRuntimeWithConfig(ctx, cfg), features: features}

	host, err := instantiateHostModule(ctx, e.rt)
	if err != nil {
		e.rt.Close(ctx)
		return nil, fmt.Errorf("apps: instantiate the %s host module: %w", abi.ModuleName, err)
	}
	e.host = host.ExportedFunctionDefinitions()
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, e.rt); err != nil {
		e.rt.Close(ctx)
		return nil, fmt.Errorf("apps: instantiate WASI: %w", err)
	}
	e.wasi = e.rt.Module(wasi_snapshot_preview1.ModuleName).ExportedFunctionDefinitions()
	return e, nil
}

func (e *engine) close(ctx context.Context) error { return e.rt.Close(ctx) }

// featureNames lists the enabled features for messages.
func (e *engine) featureNames() string {
	var names []string
	for n, f := range featureFlags {
		if e.features.IsEnabled(f) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "none beyond WebAssembly 1.0"
	}
	return strings.Join(names, ", ")
}
