package module

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/wasmbed/wasmbed/sut/modulecheck"
)

// Validator compiles modules as a device with a given wasm feature set
// would, and remembers the verdict per digest and feature set: a rollout to
// a thousand devices compiles each module once per kind of device. The
// controller uses it to choose devices that can run a module, the gateway
// to refuse an invalid module before it is sent.
type Validator struct {
	mu      sync.Mutex
	results map[string]error
}

// maxVerdicts bounds the memory of remembered verdicts.
const maxVerdicts = 4096

// Validate returns nil if the module with this digest compiles for
// features, or modulecheck's *abi.Error (reason InvalidModule).
func (v *Validator) Validate(ctx context.Context, data []byte, digest string, features []string) error {
	sorted := slices.Clone(features)
	slices.Sort(sorted)
	key := digest + "|" + strings.Join(sorted, ",")
	v.mu.Lock()
	err, ok := v.results[key]
	v.mu.Unlock()
	if ok {
		return err
	}
	err = modulecheck.Validate(ctx, data, sorted)
	v.mu.Lock()
	if v.results == nil || len(v.results) > maxVerdicts {
		v.results = map[string]error{}
	}
	v.results[key] = err
	v.mu.Unlock()
	return err
}
