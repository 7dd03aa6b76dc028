package apps

import (
	"bytes"
	"encoding/json"
	"errors"
	"sort"

	"github.com/wasmbed/wasmbed/firmware/flash"
	"github.com/wasmbed/wasmbed/sut/abi"
)

// kvStore is an app's key-value store: a small map held in memory and
// written through to flash on every change, atomically, so a value an app
// has set survives a power cut the moment kv_set returns. Its total size is
// bounded by abi.MaxKVBytes. Only the app's goroutine uses it.
type kvStore struct {
	store flash.Store
	path  string
	data  map[string][]byte
	size  int // sum of key and value lengths
}

var (
	errKVQuota    = errors.New("key-value store full")
	errKVNotFound = errors.New("no such key")
)

// kvEntry is the on-flash form; keys are bytes, not necessarily UTF-8.
type kvEntry struct {
	K []byte `json:"k"`
	V []byte `json:"v"`
}

// loadKV reads an app's store. A missing file is an empty store; a corrupt
// one is reported and replaced by an empty store on the next write.
func loadKV(store flash.Store, path string) (*kvStore, error) {
	kv := &kvStore{store: store, path: path, data: map[string][]byte{}}
	raw, err := store.Read(path)
	if errors.Is(err, flash.ErrNotExist) {
		return kv, nil
	}
	if err != nil {
		return kv, err
	}
	var entries []kvEntry
	if err := json.Unmarshal(raw, &entries); err != nil {
		return kv, err
	}
	for _, e := range entries {
		if len(e.K) == 0 || len(e.K) > abi.MaxKVKeyBytes || len(e.V) > abi.MaxKVValueBytes ||
			kv.size+len(e.K)+len(e.V) > abi.MaxKVBytes {
			continue
		}
		kv.data[string(e.K)] = e.V
		kv.size += len(e.K) + len(e.V)
	}
	return kv, nil
}

func (kv *kvStore) get(key string) ([]byte, bool) {
	v, ok := kv.data[key]
	return v, ok
}

// set stores a copy of val; on a flash error the store is unchanged.
func (kv *kvStore) set(key string, val []byte) error {
	old, had := kv.data[key]
	size := kv.size + len(val)
	if had {
		if bytes.Equal(old, val) {
			return nil
		}
		size -= len(old)
	} else {
		size += len(key)
	}
	if size > abi.MaxKVBytes {
		return errKVQuota
	}
	kv.data[key] = bytes.Clone(val)
	if err := kv.flush(); err != nil {
		if had {
			kv.data[key] = old
		} else {
			delete(kv.data, key)
		}
		return err
	}
	kv.size = size
	return nil
}

// delete removes key; errKVNotFound if it was not there.
func (kv *kvStore) delete(key string) error {
	old, had := kv.data[key]
	if !had {
		return errKVNotFound
	}
	delete(kv.data, key)
	if err := kv.flush(); err != nil {
		kv.data[key] = old
		return err
	}
	kv.size -= len(key) + len(old)
	return nil
}

func (kv *kvStore) flush() error {
	keys := make([]string, 0, len(kv.data))
	for k := range kv.data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	entries := make([]kvEntry, len(keys))
	for i, k := range keys {
		entries[i] = kvEntry{K: []byte(k), V: kv.data[k]}
	}
	raw, err := json.Marshal(entries)
	if err != nil {
		return err
	}
	return kv.store.Write(kv.path, raw)
}
