package apps

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wasmbed/wasmbed/sut/abi"
	"github.com/wasmbed/wasmbed/sut/protocol"
)

// RestartPolicy says when a failed or completed app is restarted. The
// values are the Application CRD's.
type RestartPolicy string

// Restart policies, as for Pods.
const (
	// RestartAlways restarts after a failure and after the app completes.
	RestartAlways RestartPolicy = "Always"
	// RestartOnFailure restarts only after a failure.
	RestartOnFailure RestartPolicy = "OnFailure"
	// RestartNever leaves a failed app Failed and a completed one Stopped.
	RestartNever RestartPolicy = "Never"
)

// Limits bound one instance of an app.
type Limits struct {
	// MaxMemoryPages caps linear memory, in 64 KiB pages; 0 means
	// abi.DefaultMaxMemoryPages.
	MaxMemoryPages uint32 `json:"maxMemoryPages,omitempty"`
	// MaxExecution caps each call into the app; 0 means
	// abi.DefaultMaxExecution.
	MaxExecution time.Duration `json:"maxExecution,omitempty"`
	// MaxRestarts is how many times a failing app is restarted before it is
	// left Failed. 0 means never: the gateway always sends the
	// Application's value, whose default is 5.
	MaxRestarts uint32 `json:"maxRestarts"`
}

// Capabilities are what an app may use. Imports beyond them are refused
// before the module is instantiated.
type Capabilities struct {
	// Log grants wasmbed.log.
	Log bool `json:"log,omitempty"`
	// Clock grants wasmbed.clock_ms, time_unix_ms, sleep_ms and yield.
	Clock bool `json:"clock,omitempty"`
	// KV grants wasmbed.kv_get, kv_set and kv_delete.
	KV bool `json:"kv,omitempty"`
	// WASI grants WASI preview1, without any filesystem.
	WASI bool `json:"wasi,omitempty"`
	// Publish lists the topics (or patterns, see abi.TopicMatches) the app
	// may publish to; non-empty grants wasmbed.publish.
	Publish []string `json:"publish,omitempty"`
	// Subscribe lists the topics (or patterns) delivered to on_message.
	Subscribe []string `json:"subscribe,omitempty"`
	// MAVLink lists the vehicle commands the app may send; non-empty grants
	// wasmbed.vehicle_command.
	MAVLink []string `json:"mavlink,omitempty"`
}

// Grants reports whether the capabilities grant c.
func (c Capabilities) Grants(cp abi.Capability) bool {
	switch cp {
	case abi.CapNone:
		return true
	case abi.CapLog:
		return c.Log
	case abi.CapClock:
		return c.Clock
	case abi.CapKV:
		return c.KV
	case abi.CapWASI:
		return c.WASI
	case abi.CapPublish:
		return len(c.Publish) > 0
	case abi.CapMAVLink:
		return len(c.MAVLink) > 0
	}
	return false
}

// Spec is an app as a device installs it: what the gateway's Deploy
// carries, minus the transfer and signature fields.
type Spec struct {
	// Name is the Application's name, a DNS subdomain.
	Name string `json:"name"`
	// Digest is the module's hex sha256.
	Digest        string            `json:"digest"`
	Limits        Limits            `json:"limits"`
	Capabilities  Capabilities      `json:"capabilities"`
	Env           map[string]string `json:"env,omitempty"`
	Args          []string          `json:"args,omitempty"`
	Config        map[string]string `json:"config,omitempty"`
	RestartPolicy RestartPolicy     `json:"restartPolicy,omitempty"`
}

var (
	nameRE   = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`)
	digestRE = regexp.MustCompile(`^[a-f0-9]{64}$`)
	envRE    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// Validate reports why the spec cannot be installed, as an *abi.Error with
// reason abi.ReasonInvalidSpec, or nil. Zero limits and an empty restart
// policy are valid: they mean the defaults.
func (s Spec) Validate() error {
	bad := func(format string, args ...any) error {
		e := failf(s.Name, abi.ReasonInvalidSpec, format, args...)
		e.Permanent = true
		return e
	}
	if len(s.Name) > 253 || !nameRE.MatchString(s.Name) {
		return bad("name %q is not a DNS subdomain (lowercase letters, digits, '-' and '.', at most 253)", s.Name)
	}
	if !digestRE.MatchString(s.Digest) {
		return bad("digest %q is not a lowercase hex sha256", s.Digest)
	}
	switch s.RestartPolicy {
	case "", RestartAlways, RestartOnFailure, RestartNever:
	default:
		return bad("restart policy %q is not Always, OnFailure or Never", s.RestartPolicy)
	}
	if s.Limits.MaxMemoryPages > 65536 {
		return bad("maxMemoryPages %d exceeds 65536 (4 GiB)", s.Limits.MaxMemoryPages)
	}
	if s.Limits.MaxExecution < 0 {
		return bad("negative maxExecution %v", s.Limits.MaxExecution)
	}
	for _, list := range []struct {
		field    string
		patterns []string
	}{{"publish", s.Capabilities.Publish}, {"subscribe", s.Capabilities.Subscribe}} {
		for _, p := range list.patterns {
			if err := validPattern(p); err != nil {
				return bad("capabilities.%s: %v", list.field, err)
			}
		}
	}
	for _, c := range s.Capabilities.MAVLink {
		if !abi.IsVehicleCommand(c) {
			return bad("capabilities.mavlink: %q is not one of %s", c, strings.Join(abi.VehicleCommands(), ", "))
		}
	}
	for k, v := range s.Env {
		if !envRE.MatchString(k) || strings.ContainsRune(v, 0) {
			return bad("env %q is not a valid variable", k)
		}
	}
	for _, a := range s.Args {
		if strings.ContainsRune(a, 0) {
			return bad("args contain a NUL byte")
		}
	}
	if _, err := s.tickInterval(time.Second); err != nil {
		return bad("%v", err)
	}
	return nil
}

// validPattern checks a publish or subscribe entry: a topic, "#", "*", or
// a topic followed by "/#" or "/*".
func validPattern(p string) error {
	if p == "#" || p == "*" {
		return nil
	}
	base := p
	if strings.HasSuffix(p, "/#") || strings.HasSuffix(p, "/*") {
		base = p[:len(p)-2]
	}
	if err := abi.ValidTopic(base); err != nil {
		return fmt.Errorf("%q: %v (a wildcard may only be \"#\", \"*\" or a trailing \"/#\" or \"/*\")", p, err)
	}
	return nil
}

// withDefaults fills zero limits and the restart policy.
func (s Spec) withDefaults() Spec {
	if s.Limits.MaxMemoryPages == 0 {
		s.Limits.MaxMemoryPages = abi.DefaultMaxMemoryPages
	}
	if s.Limits.MaxExecution == 0 {
		s.Limits.MaxExecution = abi.DefaultMaxExecution
	}
	if s.RestartPolicy == "" {
		s.RestartPolicy = RestartAlways
	}
	return s
}

// tickInterval returns the app's tick period: config wasmbed.tick_ms, or
// def.
func (s Spec) tickInterval(def time.Duration) (time.Duration, error) {
	v, ok := s.Config[abi.ConfigTickMs]
	if !ok {
		return def, nil
	}
	ms, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
	if err != nil || ms < abi.MinTickMs {
		return 0, fmt.Errorf("config %s=%q is not a whole number of milliseconds >= %d", abi.ConfigTickMs, v, abi.MinTickMs)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// equal reports whether two specs describe the same install.
func (s Spec) equal(o Spec) bool {
	eqMap := func(a, b map[string]string) bool {
		if len(a) != len(b) {
			return false
		}
		for k, v := range a {
			if w, ok := b[k]; !ok || w != v {
				return false
			}
		}
		return true
	}
	c, d := s.Capabilities, o.Capabilities
	return s.Name == o.Name && s.Digest == o.Digest && s.Limits == o.Limits && s.RestartPolicy == o.RestartPolicy &&
		c.Log == d.Log && c.Clock == d.Clock && c.KV == d.KV && c.WASI == d.WASI &&
		slices.Equal(c.Publish, d.Publish) && slices.Equal(c.Subscribe, d.Subscribe) && slices.Equal(c.MAVLink, d.MAVLink) &&
		eqMap(s.Env, o.Env) && slices.Equal(s.Args, o.Args) && eqMap(s.Config, o.Config)
}

// SpecFromDeploy converts a gateway's Deploy and validates the result.
// Signature checking is the caller's: Deploy's signature fields are not
// part of a Spec.
func SpecFromDeploy(d *protocol.Deploy) (Spec, error) {
	s := Spec{
		Name:   d.App,
		Digest: d.Digest,
		Limits: Limits{
			MaxMemoryPages: d.Limits.MaxMemoryPages,
			MaxExecution:   time.Duration(d.Limits.MaxExecutionMs) * time.Millisecond,
			MaxRestarts:    d.Limits.MaxRestarts,
		},
		Capabilities: Capabilities{
			Log:       d.Capabilities.Log,
			Clock:     d.Capabilities.Clock,
			KV:        d.Capabilities.KV,
			WASI:      d.Capabilities.WASI,
			Publish:   slices.Clone(d.Capabilities.Publish),
			Subscribe: slices.Clone(d.Capabilities.Subscribe),
			MAVLink:   slices.Clone(d.Capabilities.MAVLink),
		},
		Env:           cloneMap(d.Env),
		Args:          slices.Clone(d.Args),
		Config:        cloneMap(d.Config),
		RestartPolicy: RestartPolicy(d.RestartPolicy),
	}
	if d.Limits.MaxExecutionMs > uint64(1<<62)/uint64(time.Millisecond) {
		return s, failf(d.App, abi.ReasonInvalidSpec, "maxExecutionMs %d is out of range", d.Limits.MaxExecutionMs)
	}
	return s, s.Validate()
}

// Deploy converts the spec to the fields of a Deploy message; the caller
// sets Size, Chunks and the signature fields.
func (s Spec) Deploy() protocol.Deploy {
	return protocol.Deploy{
		App:    s.Name,
		Digest: s.Digest,
		Limits: protocol.AppLimits{
			MaxMemoryPages: s.Limits.MaxMemoryPages,
			MaxExecutionMs: uint64(s.Limits.MaxExecution / time.Millisecond),
			MaxRestarts:    s.Limits.MaxRestarts,
		},
		Capabilities: protocol.AppCapabilities{
			Log:       s.Capabilities.Log,
			Clock:     s.Capabilities.Clock,
			KV:        s.Capabilities.KV,
			WASI:      s.Capabilities.WASI,
			Publish:   slices.Clone(s.Capabilities.Publish),
			Subscribe: slices.Clone(s.Capabilities.Subscribe),
			MAVLink:   slices.Clone(s.Capabilities.MAVLink),
		},
		Env:           cloneMap(s.Env),
		Args:          slices.Clone(s.Args),
		Config:        cloneMap(s.Config),
		RestartPolicy: string(s.RestartPolicy),
	}
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
