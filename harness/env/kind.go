package env

import (
	"errors"

	"github.com/wasmbed/wasmbed/harness/cluster"
)

// kindProvider returns the kind provider.
func kindProvider() (cluster.Provider, error) {
	return nil, errors.New("WASMBED_CLUSTER=kind is not implemented yet; use local or existing")
}
