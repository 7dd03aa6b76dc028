package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Setting declares one setting. Its variable and flag set the same field;
// its Help is the flag's usage and the README's meaning column.
type Setting struct {
	// Var is the environment variable.
	Var string
	// Flag is the flag's name without its dash; empty for a setting that
	// is a variable only (see the package doc).
	Flag string
	// Default is the value, as text, when neither the variable nor the
	// flag is given; empty for a default chosen at run time.
	Default string
	// Shown is the default as the README shows it (Markdown), when Default
	// is empty because it is chosen at run time.
	Shown string
	// Help says what the setting does.
	Help string

	boolean bool
	set     func(c *Config, text string) error
	get     func(c *Config) string
}

// ShownDefault is the default as the README shows it, in Markdown.
func (s *Setting) ShownDefault() string {
	switch {
	case s.Shown != "":
		return s.Shown
	case s.Default == "":
		return "—"
	}
	return "`" + s.Default + "`"
}

// name is how an error names the setting: its variable, and its flag.
func (s *Setting) name() string {
	if s.Flag == "" {
		return s.Var
	}
	return s.Var + " (-" + s.Flag + ")"
}

// Settings are every setting of the harness, in the README's order.
var Settings = []Setting{
	oneOf("WASMBED_CLUSTER", "wasmbed.cluster", "local",
		"cluster provider: local (apiserver+etcd built from source), kind, or existing ($KUBECONFIG)",
		func(c *Config) *string { return &c.Cluster }, "local", "kind", "existing"),
	oneOf("WASMBED_DEVICES", "wasmbed.devices", "process",
		"device backend for device-agnostic specs: process, inprocess or qemu",
		func(c *Config) *string { return &c.Devices }, "process", "inprocess", "qemu"),
	text("WASMBED_QEMU_PROFILES", "wasmbed.qemu-profiles", "arm64-virt,riscv64-virt,x86_64-microvm",
		"QEMU profiles the qemu backend cycles through",
		func(c *Config) *string { return &c.QEMUProfiles }),
	boolean("WASMBED_KEEP_CLUSTER", "wasmbed.keep-cluster",
		"leave the cluster up after the run (kind reuses it next time)",
		func(c *Config) *bool { return &c.KeepCluster }),
	text("WASMBED_KIND_NODE_IMAGE", "wasmbed.kind-node-image", "",
		"a kind node image to use instead of the one built offline (e.g. kindest/node:v1.34.0 where a registry is reachable)",
		func(c *Config) *string { return &c.KindNodeImage }).shown("built offline"),
	text("WASMBED_RUN_ID", "wasmbed.run-id", "",
		"name of the run's folder under reports/",
		func(c *Config) *string { return &c.RunID }).shown("`<timestamp>`"),
	seed(),
	text("PX4_SITL_DIR", "wasmbed.px4-sitl-dir", "",
		"a built PX4 SITL tree (bin/px4, etc/); enables the real-autopilot px4 variants",
		func(c *Config) *string { return &c.PX4SITLDir }),
	positive("WASMBED_SPEED_FACTOR", "wasmbed.speed-factor", "10",
		"simulated-vehicle time per wall-clock second",
		func(c *Config) *float64 { return &c.SpeedFactor }),
	text("WASMBED_BIN_DIR", "wasmbed.bin-dir", "",
		"prebuilt gateway/controller/device binaries (make sets it); empty builds on demand",
		func(c *Config) *string { return &c.SUTBinDir }),
	positive("WASMBED_TIMEOUT_SCALE", "wasmbed.timeout-scale", "1",
		"multiplies every wait of the harness on slow machines: Eventually's default and each spec's timeouts, the SUT's start, the CA",
		func(c *Config) *float64 { return &c.TimeoutScale }),
	boolean("WASMBED_KEEP_ARTIFACTS", "wasmbed.keep-artifacts",
		"keep every spec's logs and dumps under reports/<run-id>/, not only failed ones",
		func(c *Config) *bool { return &c.KeepArtifacts }),
	text("WASMBED_ROOT", "", "",
		"the repository the harness works in (its go.mod declares the module)",
		func(c *Config) *string { return &c.Root }).shown("the clone above the working directory"),
	text("WASMBED_CACHE", "", "",
		"where built binaries and images are cached",
		func(c *Config) *string { return &c.Cache }).shown("`~/.cache/wasmbed`"),
	text("WASMBED_DEBIAN_MIRROR", "", "",
		"the Debian archive the image builders fetch kernels and the kind base from, for every suite but *-security",
		func(c *Config) *string { return &c.DebianMirror }).shown("the machine's apt sources"),
	text("WASMBED_DEBIAN_SECURITY_MIRROR", "", "",
		"the Debian security archive, for the *-security suites",
		func(c *Config) *string { return &c.DebianSecurityMirror }).shown("the machine's apt sources"),
	text("WASMBED_REPORTS", "", "",
		"where the run's reports and failure artifacts go",
		func(c *Config) *string { return &c.Reports }).shown("`reports/<run-id>`"),
	oneOf("WASMBED_KVM", "", "auto",
		"off never tries KVM for QEMU guests; auto probes it and uses it only if a guest boots under it",
		func(c *Config) *string { return &c.KVM }, "auto", "off"),
	boolean("WASMBED_QEMU_TESTS", "",
		"run the package tests that boot QEMU guests and build guest images (make test sets it where QEMU is installed)",
		func(c *Config) *bool { return &c.QEMUTests }),
	boolean("WASMBED_DOCKER_TESTS", "",
		"run the package tests that build images and run containers (make test sets it where a Docker engine answers)",
		func(c *Config) *bool { return &c.DockerTests }),
	boolean("WASMBED_KIND_TESTS", "",
		"run the package tests that boot a kind cluster (make kind-test and make nightly set it; minutes each, so make test does not)",
		func(c *Config) *bool { return &c.KindTests }),
	boolean("WASMBED_BENCH_KIND_COLD", "",
		"the KindClusterReady benchmark also measures a cold start: it removes the cached node images first",
		func(c *Config) *bool { return &c.BenchKindCold }),
	integer("WASMBED_REPEAT", "wasmbed.repeat", "1",
		"every selected spec must pass this many times in a row, each in a fresh namespace (make nightly's smoke-repeat stage)",
		func(c *Config) *int { return &c.Repeat }),
	integer("WASMBED_QEMU_MAX", "", "16",
		"the most guests the QEMUIdleCapacity benchmark starts",
		func(c *Config) *int { return &c.QEMUMax }),
	boolean("WASMBED_UPDATE_README", "",
		"the README table tests rewrite their tables instead of failing",
		func(c *Config) *bool { return &c.UpdateREADME }),
}

func (s Setting) shown(text string) Setting {
	s.Shown = text
	return s
}

func text(v, flag, def, help string, field func(*Config) *string) Setting {
	return Setting{Var: v, Flag: flag, Default: def, Help: help,
		set: func(c *Config, t string) error { *field(c) = t; return nil },
		get: func(c *Config) string { return *field(c) },
	}
}

func oneOf(v, flag, def, help string, field func(*Config) *string, allowed ...string) Setting {
	s := text(v, flag, def, help, field)
	s.set = func(c *Config, t string) error {
		if !slices.Contains(allowed, t) {
			return fmt.Errorf("want %s", strings.Join(allowed, ", "))
		}
		*field(c) = t
		return nil
	}
	return s
}

func boolean(v, flag, help string, field func(*Config) *bool) Setting {
	return Setting{Var: v, Flag: flag, Default: "false", Help: help, boolean: true,
		set: func(c *Config, t string) error {
			b, err := strconv.ParseBool(t)
			if err != nil {
				return fmt.Errorf("want true or false")
			}
			*field(c) = b
			return nil
		},
		get: func(c *Config) string { return strconv.FormatBool(*field(c)) },
	}
}

func positive(v, flag, def, help string, field func(*Config) *float64) Setting {
	return Setting{Var: v, Flag: flag, Default: def, Help: help,
		set: func(c *Config, t string) error {
			f, err := strconv.ParseFloat(t, 64)
			if err != nil || f <= 0 {
				return fmt.Errorf("want a positive number")
			}
			*field(c) = f
			return nil
		},
		get: func(c *Config) string { return strconv.FormatFloat(*field(c), 'g', -1, 64) },
	}
}

func integer(v, flag, def, help string, field func(*Config) *int) Setting {
	return Setting{Var: v, Flag: flag, Default: def, Help: help,
		set: func(c *Config, t string) error {
			n, err := strconv.Atoi(t)
			if err != nil || n <= 0 {
				return fmt.Errorf("want a positive integer")
			}
			*field(c) = n
			return nil
		},
		get: func(c *Config) string { return strconv.Itoa(*field(c)) },
	}
}

// seed is WASMBED_SEED: a uint64, or nothing for a random one.
func seed() Setting {
	return Setting{Var: "WASMBED_SEED", Flag: "wasmbed.seed", Shown: "random",
		Help: "seed of the run's random choices (a uint64); the suite prints it at the start, and setting it repeats the run's choices",
		set: func(c *Config, t string) error {
			if t == "" {
				c.Seed, c.seedGiven = 0, false
				return nil
			}
			n, err := strconv.ParseUint(t, 10, 64)
			if err != nil {
				return fmt.Errorf("want an unsigned 64-bit integer")
			}
			c.Seed, c.seedGiven = n, true
			return nil
		},
		get: func(c *Config) string {
			if !c.seedGiven {
				return ""
			}
			return strconv.FormatUint(c.Seed, 10)
		},
	}
}
