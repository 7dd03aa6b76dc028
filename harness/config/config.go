// Package config holds the harness's settings. Each one is declared once,
// in Settings: its environment variable (for CI and make), its flag (for
// ginkgo runs: `ginkgo run ./scenarios -- -wasmbed.cluster=kind`), its
// default, its meaning and its parser. The flags, the parsing of the
// variables and the README's configuration table all come from that one
// declaration; a flag wins over its variable.
//
// Some settings are variables only. They apply to every process of a run —
// the harness CLI, package tests, the image builder — and not just to the
// scenario suite that parses the flags, so a flag could not reach them all.
//
// Nothing else in the harness reads a WASMBED_* variable: it reads the
// Config, from Register (the suite, with flags) or FromEnv.
package config

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"
)

// Config is the harness configuration.
type Config struct {
	// Cluster selects the cluster provider: local, kind or existing.
	Cluster string
	// Devices selects the backend for device-agnostic specs: process,
	// inprocess or qemu.
	Devices string
	// QEMUProfiles lists the QEMU profiles the qemu backend cycles through.
	QEMUProfiles string
	// KeepCluster leaves the cluster running after the suite (kind reuses it).
	KeepCluster bool
	// KindNodeImage names a kind node image to use instead of the one
	// built offline (harness/kindnode), e.g. kindest/node:v1.34.0 where a
	// registry is reachable.
	KindNodeImage string
	// RunID names the run's report folder; Validate sets a timestamp if
	// empty.
	RunID string
	// Seed seeds every random choice of the run; Validate picks one at
	// random if none was given, and the suite prints it.
	Seed uint64
	// PX4SITLDir points at a built PX4 SITL tree (bin/px4, etc/); px4
	// specs then also run against the real autopilot.
	PX4SITLDir string
	// SpeedFactor makes simulated vehicles run faster than wall time.
	SpeedFactor float64
	// SUTBinDir holds prebuilt SUT binaries; empty means build on demand.
	SUTBinDir string
	// TimeoutScale multiplies the harness's waits, for slow machines.
	TimeoutScale float64
	// KeepArtifacts keeps every spec's artifacts, not only failed ones.
	KeepArtifacts bool

	// Root is the repository root; empty means the clone above the
	// working directory (harness/workspace finds it).
	Root string
	// Cache is where built artifacts are cached; empty means
	// $XDG_CACHE_HOME/wasmbed or ~/.cache/wasmbed.
	Cache string
	// Reports is the run's report folder; empty means
	// <root>/reports/<run-id>.
	Reports string
	// KVM is "off" to never try KVM for QEMU guests, "auto" to probe it.
	KVM string
	// DebianMirror and DebianSecurityMirror override the Debian archives
	// the image builders fetch from (harness/aptsources); empty means the
	// machine's own apt sources.
	DebianMirror, DebianSecurityMirror string

	// QEMUTests and DockerTests enable the package tests that boot QEMU
	// guests and build images or run containers.
	QEMUTests, DockerTests bool
	// KindTests enables the package tests that boot a kind cluster.
	KindTests bool
	// BenchKindCold makes the kind benchmark measure a cold start too.
	BenchKindCold bool
	// Repeat is how many times in a row every selected spec must pass.
	Repeat int
	// QEMUMax caps the QEMU capacity benchmark's fleet.
	QEMUMax int
	// UpdateREADME makes the README table tests rewrite the tables
	// instead of failing.
	UpdateREADME bool

	seedGiven bool
	errs      map[string]error // by variable: values from the environment that did not parse
}

// Register binds the flags to fs with defaults from the environment, and
// returns the Config they fill when fs is parsed.
func Register(fs *flag.FlagSet) *Config {
	c := FromEnv()
	for i := range Settings {
		s := &Settings[i]
		if s.Flag != "" {
			fs.Var(value{c, s}, s.Flag, s.Help)
		}
	}
	return c
}

// FromEnv returns the configuration from the environment alone. A
// variable that does not parse leaves its default in place; Validate
// reports it.
func FromEnv() *Config {
	c := &Config{errs: map[string]error{}}
	for i := range Settings {
		s := &Settings[i]
		text, ok := os.LookupEnv(s.Var)
		if !ok || text == "" {
			text = s.Default
		}
		if err := s.set(c, text); err != nil {
			c.errs[s.Var] = fmt.Errorf("%s=%q: %w", s.Var, text, err)
			_ = s.set(c, s.Default)
		}
	}
	return c
}

// Validate reports the values that did not parse, checks the others and
// fills in what is chosen per run: the run id and, if none was given, the
// seed.
func (c *Config) Validate() error {
	var errs []error
	for i := range Settings {
		s := &Settings[i]
		if err := c.errs[s.Var]; err != nil {
			errs = append(errs, err)
			continue
		}
		// A value set in code rather than parsed is checked the same way.
		if err := s.set(&Config{}, s.get(c)); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", s.name(), s.get(c), err))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if c.RunID == "" {
		c.RunID = time.Now().Format("20060102-150405")
	}
	if !c.seedGiven {
		var b [8]byte
		_, _ = rand.Read(b[:])
		c.Seed, c.seedGiven = binary.LittleEndian.Uint64(b[:]), true
	}
	return nil
}

// Scale multiplies a timeout by TimeoutScale. Every wait of the harness
// for a condition goes through it; the windows over which a spec asserts
// that nothing changes do not, because they are part of what is asserted.
func (c *Config) Scale(d time.Duration) time.Duration {
	if c.TimeoutScale <= 0 {
		return d
	}
	return time.Duration(float64(d) * c.TimeoutScale)
}

// SetSeed fixes the run's seed, as the first process of a parallel run
// hands it to the others.
func (c *Config) SetSeed(seed uint64) {
	c.Seed, c.seedGiven = seed, true
}

// value is a setting bound to a Config, as a flag.Value.
type value struct {
	c *Config
	s *Setting
}

func (v value) String() string {
	if v.s == nil { // the flag package's zero value, for its usage text
		return ""
	}
	if v.c == nil {
		return v.s.Default
	}
	return v.s.get(v.c)
}

func (v value) Set(text string) error {
	if err := v.s.set(v.c, text); err != nil {
		return err
	}
	delete(v.c.errs, v.s.Var) // the flag overrides a bad variable
	return nil
}

// IsBoolFlag lets a boolean setting's flag stand alone: -wasmbed.keep-cluster.
func (v value) IsBoolFlag() bool { return v.s.boolean }
