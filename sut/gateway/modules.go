package gateway

import (
	"context"
	"errors"
	"sync"

	"sigs.k8s.io/controller-runtime/pkg/client"

	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
	"github.com/wasmbed/wasmbed/sut/module"
)

// moduleCache keeps module bytes by digest, so a rollout to a thousand
// devices reads a referenced ConfigMap once, and validation verdicts, so
// each module compiles once per kind of device.
type moduleCache struct {
	limit int

	mu        sync.Mutex
	bytes     map[string][]byte
	size      int
	order     []string // insertion order, for eviction
	validator module.Validator
}

func newModuleCache(limit int) *moduleCache {
	return &moduleCache{limit: limit, bytes: map[string][]byte{}}
}

// get returns the module with the given digest, resolving app's source if
// it is not cached. It returns nil if the source no longer has that digest.
func (c *moduleCache) get(ctx context.Context, r client.Reader, app *wasmbedv1.Application, digest string) ([]byte, error) {
	c.mu.Lock()
	b, ok := c.bytes[digest]
	c.mu.Unlock()
	if ok {
		return b, nil
	}
	data, got, err := module.Resolve(ctx, r, app)
	var merr *module.Error
	if errors.As(err, &merr) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if got != digest {
		return nil, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.bytes[digest] = data
	c.order = append(c.order, digest)
	c.size += len(data)
	for c.size > c.limit && len(c.order) > 1 {
		old := c.order[0]
		c.order = c.order[1:]
		c.size -= len(c.bytes[old])
		delete(c.bytes, old)
	}
	return data, nil
}

// validate compiles the module for a device's features, once per pair.
func (c *moduleCache) validate(ctx context.Context, data []byte, digest string, features []string) error {
	return c.validator.Validate(ctx, data, digest, features)
}
