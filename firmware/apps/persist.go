package apps

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"strings"

	"github.com/wasmbed/wasmbed/firmware/flash"
)

// recordVersion is the version of the spec file format.
const recordVersion = 1

// record is the content of apps/<name>.json: the install's commit record.
type record struct {
	Version int  `json:"version"`
	Spec    Spec `json:"spec"`
}

// maxBaseLen keeps file names under the usual 255-byte limit: base, '@',
// 64 hex digits and ".wasm" make at most 170.
const maxBaseLen = 100

// fileBase is the file name stem of an app. Names are DNS subdomains and
// never contain '~' or '@', so neither a shortened name nor the '@' before
// a digest can collide with another app's files.
func fileBase(name string) string {
	if len(name) <= maxBaseLen {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return name[:maxBaseLen-17] + "~" + hex.EncodeToString(sum[:8])
}

func specPath(name string) string { return path.Join(flash.AppsDir, fileBase(name)+".json") }
func kvPath(name string) string   { return path.Join(flash.AppsDir, fileBase(name)+".kv") }
func modulePath(name, digest string) string {
	return path.Join(flash.AppsDir, fileBase(name)+"@"+digest+".wasm")
}

// persist commits an install: the module under its digest's name, then the
// spec that points at it (the commit), then the previous module goes. A
// power cut before the spec is written leaves the old install intact and
// an orphan module that Restore deletes; after it, the new install is
// complete and the old module is the orphan.
func persist(store flash.Store, spec Spec, module []byte, oldDigest string, log *slog.Logger) error {
	if err := store.Write(modulePath(spec.Name, spec.Digest), module); err != nil {
		return fmt.Errorf("write module: %w", err)
	}
	raw, err := json.Marshal(record{Version: recordVersion, Spec: spec})
	if err != nil {
		return err
	}
	if err := store.Write(specPath(spec.Name), raw); err != nil {
		return fmt.Errorf("write spec: %w", err)
	}
	if oldDigest != "" && oldDigest != spec.Digest {
		if err := store.Remove(modulePath(spec.Name, oldDigest)); err != nil {
			log.Warn("could not remove the previous module; Restore will", "app", spec.Name, "error", err)
		}
	}
	return nil
}

// unpersist removes an app's files, spec first so that a power cut midway
// leaves only orphans.
func unpersist(store flash.Store, name string) error {
	if err := store.Remove(specPath(name)); err != nil {
		return err
	}
	names, err := store.List(flash.AppsDir)
	if err != nil {
		return err
	}
	var errs []error
	prefix := fileBase(name) + "@"
	for _, n := range names {
		if strings.HasPrefix(n, prefix) && strings.HasSuffix(n, ".wasm") {
			errs = append(errs, store.Remove(path.Join(flash.AppsDir, n)))
		}
	}
	errs = append(errs, store.Remove(kvPath(name)))
	return errors.Join(errs...)
}

// installed is an app found in flash.
type installed struct {
	spec   Spec
	module []byte
}

// loadInstalled returns every complete install in flash and deletes what
// is left of incomplete ones: a spec that does not decode or validate, a
// spec whose module is missing or does not match its digest, a module or
// key-value store no spec references.
func loadInstalled(store flash.Store, log *slog.Logger) ([]installed, error) {
	names, err := store.List(flash.AppsDir)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", flash.AppsDir, err)
	}
	var (
		apps []installed
		keep = map[string]bool{}
		errs []error
	)
	discard := func(name, why string) {
		log.Warn("discarding "+why, "file", name)
		if err := store.Remove(path.Join(flash.AppsDir, name)); err != nil {
			errs = append(errs, err)
		}
	}
	for _, n := range names {
		if !strings.HasSuffix(n, ".json") {
			continue
		}
		raw, err := store.Read(path.Join(flash.AppsDir, n))
		if err != nil {
			errs = append(errs, err)
			keep[n] = true // unreadable is not proof of garbage
			continue
		}
		var rec record
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rec); err != nil || rec.Version != recordVersion || rec.Spec.Validate() != nil ||
			specPath(rec.Spec.Name) != path.Join(flash.AppsDir, n) {
			discard(n, "an unreadable app spec")
			continue
		}
		spec := rec.Spec.withDefaults()
		module, err := store.Read(modulePath(spec.Name, spec.Digest))
		if errors.Is(err, flash.ErrNotExist) {
			discard(n, "an app spec whose module is missing")
			continue
		}
		if err != nil {
			errs = append(errs, err)
			keep[n] = true
			continue
		}
		if sum := sha256.Sum256(module); hex.EncodeToString(sum[:]) != spec.Digest {
			discard(path.Base(modulePath(spec.Name, spec.Digest)), "a module that does not match its digest")
			discard(n, "the spec of a corrupt module")
			continue
		}
		keep[n] = true
		keep[path.Base(modulePath(spec.Name, spec.Digest))] = true
		keep[path.Base(kvPath(spec.Name))] = true
		apps = append(apps, installed{spec: spec, module: module})
	}
	for _, n := range names {
		if keep[n] {
			continue
		}
		switch {
		case strings.HasSuffix(n, ".wasm"):
			discard(n, "a module no app spec references (an interrupted install or removal)")
		case strings.HasSuffix(n, ".kv"):
			discard(n, "a key-value store of an app that is not installed")
		case strings.HasSuffix(n, ".json"):
		default:
			log.Warn("unexpected file in the apps directory; leaving it", "file", n)
		}
	}
	return apps, errors.Join(errs...)
}
