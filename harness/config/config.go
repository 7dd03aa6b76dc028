// Package config holds the harness's settings. Every setting has an
// environment variable (for CI and make) and a flag (for ginkgo runs:
// `ginkgo run ./scenarios -- -wasmbed.cluster=kind`); a flag wins over its
// variable. The README lists them all.
package config

import (
	"flag"
	"fmt"
	"os"
	"strconv"
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
	// RunID names the run's report folder; defaults to a timestamp.
	RunID string
	// PX4SITLDir points at a built PX4 SITL tree (bin/px4, etc/); px4
	// specs then also run against the real autopilot.
	PX4SITLDir string
	// SpeedFactor makes simulated vehicles run faster than wall time.
	SpeedFactor float64
	// SUTBinDir holds prebuilt SUT binaries; empty means build on demand.
	SUTBinDir string
	// Timeout scales the harness's waits, for slow machines.
	TimeoutScale float64
	// KeepArtifacts keeps every spec's artifacts, not only failed ones.
	KeepArtifacts bool
	// DebianMirror and DebianSecurityMirror override the Debian archives
	// the image builders fetch from (harness/aptsources); empty means the
	// machine's own apt sources. Variables only: every process that builds
	// an image reads them, not just the suite.
	DebianMirror, DebianSecurityMirror string
}

// Vars documents each variable: name, default, meaning. The README table is
// kept in sync with it by a test.
var Vars = []struct{ Name, Flag, Default, Help string }{
	{"WASMBED_CLUSTER", "wasmbed.cluster", "local", "cluster provider: local (apiserver+etcd built from source), kind, or existing ($KUBECONFIG)"},
	{"WASMBED_DEVICES", "wasmbed.devices", "process", "device backend for device-agnostic specs: process, inprocess or qemu"},
	{"WASMBED_QEMU_PROFILES", "wasmbed.qemu-profiles", "arm64-virt,riscv64-virt,x86_64-microvm", "QEMU profiles the qemu backend cycles through"},
	{"WASMBED_KEEP_CLUSTER", "wasmbed.keep-cluster", "false", "leave the cluster up after the run (kind reuses it next time)"},
	{"WASMBED_RUN_ID", "wasmbed.run-id", "<timestamp>", "name of the run's folder under reports/"},
	{"PX4_SITL_DIR", "wasmbed.px4-sitl-dir", "", "a built PX4 SITL tree (bin/px4, etc/); enables the real-autopilot px4 variants"},
	{"WASMBED_SPEED_FACTOR", "wasmbed.speed-factor", "10", "simulated-vehicle time per wall-clock second"},
	{"WASMBED_BIN_DIR", "wasmbed.bin-dir", "", "prebuilt gateway/controller/device binaries (make sets it); empty builds on demand"},
	{"WASMBED_TIMEOUT_SCALE", "wasmbed.timeout-scale", "1", "multiplies the harness's wait timeouts on slow machines"},
	{"WASMBED_KEEP_ARTIFACTS", "wasmbed.keep-artifacts", "false", "keep every spec's logs and dumps under reports/<run-id>/, not only failed ones"},
	{"WASMBED_CACHE", "", "~/.cache/wasmbed", "where built binaries and images are cached"},
	{"WASMBED_DEBIAN_MIRROR", "", "the machine's apt sources", "the Debian archive the image builders fetch kernels and the kind base from, for every suite but *-security"},
	{"WASMBED_DEBIAN_SECURITY_MIRROR", "", "the machine's apt sources", "the Debian security archive, for the *-security suites"},
	{"WASMBED_REPORTS", "", "reports/<run-id>", "where the run's reports and failure artifacts go"},
}

// Register binds the flags to fs with defaults from the environment, and
// returns the Config they fill when fs is parsed.
func Register(fs *flag.FlagSet) *Config {
	c := &Config{}
	fs.StringVar(&c.Cluster, "wasmbed.cluster", env("WASMBED_CLUSTER", "local"), "cluster provider: local, kind or existing")
	fs.StringVar(&c.Devices, "wasmbed.devices", env("WASMBED_DEVICES", "process"), "device backend: process, inprocess or qemu")
	fs.StringVar(&c.QEMUProfiles, "wasmbed.qemu-profiles", env("WASMBED_QEMU_PROFILES", "arm64-virt,riscv64-virt,x86_64-microvm"), "QEMU profiles for the qemu backend")
	fs.BoolVar(&c.KeepCluster, "wasmbed.keep-cluster", envBool("WASMBED_KEEP_CLUSTER"), "leave the cluster up after the run")
	fs.StringVar(&c.RunID, "wasmbed.run-id", env("WASMBED_RUN_ID", ""), "report folder name")
	fs.StringVar(&c.PX4SITLDir, "wasmbed.px4-sitl-dir", env("PX4_SITL_DIR", ""), "built PX4 SITL tree")
	fs.Float64Var(&c.SpeedFactor, "wasmbed.speed-factor", envFloat("WASMBED_SPEED_FACTOR", 10), "simulated vehicle speed factor")
	fs.StringVar(&c.SUTBinDir, "wasmbed.bin-dir", env("WASMBED_BIN_DIR", ""), "prebuilt SUT binaries")
	fs.Float64Var(&c.TimeoutScale, "wasmbed.timeout-scale", envFloat("WASMBED_TIMEOUT_SCALE", 1), "wait timeout multiplier")
	fs.BoolVar(&c.KeepArtifacts, "wasmbed.keep-artifacts", envBool("WASMBED_KEEP_ARTIFACTS"), "keep every spec's artifacts")
	c.DebianMirror = env("WASMBED_DEBIAN_MIRROR", "")
	c.DebianSecurityMirror = env("WASMBED_DEBIAN_SECURITY_MIRROR", "")
	return c
}

// FromEnv returns the configuration from the environment alone.
func FromEnv() *Config {
	return Register(flag.NewFlagSet("wasmbed", flag.ContinueOnError))
}

// Validate checks the values.
func (c *Config) Validate() error {
	switch c.Cluster {
	case "local", "kind", "existing":
	default:
		return fmt.Errorf("WASMBED_CLUSTER=%q: want local, kind or existing", c.Cluster)
	}
	switch c.Devices {
	case "process", "inprocess", "qemu":
	default:
		return fmt.Errorf("WASMBED_DEVICES=%q: want process, inprocess or qemu", c.Devices)
	}
	if c.SpeedFactor <= 0 {
		return fmt.Errorf("WASMBED_SPEED_FACTOR=%v: must be positive", c.SpeedFactor)
	}
	if c.TimeoutScale <= 0 {
		return fmt.Errorf("WASMBED_TIMEOUT_SCALE=%v: must be positive", c.TimeoutScale)
	}
	if c.RunID == "" {
		c.RunID = time.Now().Format("20060102-150405")
	}
	return nil
}

// Scale multiplies a timeout by TimeoutScale.
func (c *Config) Scale(d time.Duration) time.Duration {
	return time.Duration(float64(d) * c.TimeoutScale)
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

func envBool(name string) bool {
	b, _ := strconv.ParseBool(os.Getenv(name))
	return b
}

func envFloat(name string, def float64) float64 {
	if f, err := strconv.ParseFloat(os.Getenv(name), 64); err == nil {
		return f
	}
	return def
}
