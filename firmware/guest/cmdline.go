package guest

import (
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ParamPrefix marks the kernel command-line keys meant for the firmware.
const ParamPrefix = "wasmbed."

// Kernel command-line keys (after ParamPrefix). Keys not listed here are
// kept in Config.Params for the firmware's own use.
const (
	// KeyName is the device name (default "device").
	KeyName = "name"
	// KeyProfile is the device profile, e.g. arm64-virt.
	KeyProfile = "profile"
	// KeyDataLine is the data UART, e.g. /dev/ttyS0 (default /dev/ttyS0).
	KeyDataLine = "dataline"
	// KeyBaud is the data UART's baud rate (default 115200).
	KeyBaud = "baud"
	// KeyFlash is the flash block device (default /dev/vda); "none" gives
	// a volatile in-memory flash.
	KeyFlash = "flash"
	// KeyFlashFS is the flash filesystem type (default ext4).
	KeyFlashFS = "flashfs"
	// KeyLog is the log level: debug, info, warn or error (default info).
	KeyLog = "log"
	// KeyKeepAlive is the serial link's keep-alive interval (default 2s).
	KeyKeepAlive = "keepalive"
	// KeyLinkTimeout ends sessions after this long without a frame from
	// the host (default 8s).
	KeyLinkTimeout = "linktimeout"
	// KeyTime is the host's Unix time at boot; the guest clock is moved
	// forward to it if it is behind (TLS needs a sane clock).
	KeyTime = "time"
)

// Config is the firmware's configuration from the kernel command line.
type Config struct {
	Name        string
	Profile     string
	DataLine    string
	Baud        int
	Flash       string
	FlashFS     string
	LogLevel    slog.Level
	KeepAlive   time.Duration
	LinkTimeout time.Duration
	// NotBefore is the clock floor from KeyTime (zero if not given).
	NotBefore time.Time
	// Params holds every wasmbed.* key, prefix removed, known or not.
	Params map[string]string
	// ModuleParams holds module options (module.option=value), by module
	// name with '-' normalised to '_', as "option=value ..." strings for
	// finit_module.
	ModuleParams map[string]string
}

// DefaultConfig is the configuration of an empty command line.
func DefaultConfig() Config {
	return Config{
		Name: "device", DataLine: "/dev/ttyS0", Baud: 115200, Flash: "/dev/vda", FlashFS: "ext4",
		LogLevel: slog.LevelInfo, KeepAlive: 2 * time.Second, LinkTimeout: 8 * time.Second,
		Params: map[string]string{}, ModuleParams: map[string]string{},
	}
}

// SplitCmdline splits a kernel command line into words as the kernel does:
// on spaces, with double quotes grouping (and removed).
func SplitCmdline(s string) []string {
	var words []string
	var cur strings.Builder
	inQuote, have := false, false
	for _, r := range s {
		switch {
		case r == '"':
			inQuote = !inQuote
			have = true
		case !inQuote && (r == ' ' || r == '\t' || r == '\n'):
			if have {
				words = append(words, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteRune(r)
			have = true
		}
	}
	if have {
		words = append(words, cur.String())
	}
	return words
}

// ParseCmdline reads the firmware's configuration from a kernel command
// line. Unknown wasmbed.* keys are kept in Params; malformed values of
// known keys are errors, so a typo in the harness fails the boot loudly
// instead of running with a default.
func ParseCmdline(cmdline string) (Config, error) {
	c := DefaultConfig()
	modParams := map[string][]string{}
	for _, w := range SplitCmdline(cmdline) {
		key, val, _ := strings.Cut(w, "=")
		if k, ok := strings.CutPrefix(key, ParamPrefix); ok && k != "" {
			c.Params[k] = val
			continue
		}
		// module.option[=value], as modprobe reads it from /proc/cmdline.
		if mod, opt, ok := strings.Cut(key, "."); ok && mod != "" && opt != "" && !strings.ContainsAny(mod, "/") {
			mod = strings.ReplaceAll(mod, "-", "_")
			if val != "" || strings.Contains(w, "=") {
				opt += "=" + quoteModParam(val)
			}
			modParams[mod] = append(modParams[mod], opt)
		}
	}
	for mod, opts := range modParams {
		c.ModuleParams[mod] = strings.Join(opts, " ")
	}
	var errs []string
	for k, v := range c.Params {
		var err error
		switch k {
		case KeyName:
			c.Name = v
		case KeyProfile:
			c.Profile = v
		case KeyDataLine:
			c.DataLine = v
		case KeyBaud:
			c.Baud, err = strconv.Atoi(v)
		case KeyFlash:
			c.Flash = v
		case KeyFlashFS:
			c.FlashFS = v
		case KeyLog:
			err = c.LogLevel.UnmarshalText([]byte(v))
		case KeyKeepAlive:
			c.KeepAlive, err = time.ParseDuration(v)
		case KeyLinkTimeout:
			c.LinkTimeout, err = time.ParseDuration(v)
		case KeyTime:
			var sec int64
			sec, err = strconv.ParseInt(v, 10, 64)
			c.NotBefore = time.Unix(sec, 0)
		}
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s%s=%q: %v", ParamPrefix, k, v, err))
		}
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		return c, fmt.Errorf("guest: bad kernel command line: %s", strings.Join(errs, "; "))
	}
	return c, nil
}

// quoteModParam quotes a module option value that contains spaces, as
// the kernel's parameter parser expects.
func quoteModParam(v string) string {
	if strings.ContainsAny(v, " \t") {
		return `"` + v + `"`
	}
	return v
}

// Cmdline renders the wasmbed.* keys of params as kernel command-line
// words, sorted, quoting values with spaces. The harness uses it to build
// the -append string.
func Cmdline(params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	words := make([]string, 0, len(keys))
	for _, k := range keys {
		v := params[k]
		if strings.ContainsAny(v, " \t") {
			v = `"` + v + `"`
		}
		words = append(words, ParamPrefix+k+"="+v)
	}
	return strings.Join(words, " ")
}
