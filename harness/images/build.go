package images

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/wasmbed/wasmbed/harness/cache"
	"github.com/wasmbed/wasmbed/harness/workspace"
)

// Progress receives progress lines for long steps.
type Progress interface {
	Printf(format string, args ...any)
}

// Options shape an Ensure.
type Options struct {
	// Client talks to the Docker daemon; Build connects with Connect if nil.
	Client *client.Client
	// Progress receives a line per step; nil is silent.
	Progress Progress
	// Force rebuilds images whose tag already exists (for measuring a
	// cold build).
	Force bool
	// CABundle is the PEM bundle copied into every image; the host's
	// /etc/ssl/certs/ca-certificates.crt if empty.
	CABundle string
}

// Image is one built (or found) image.
type Image struct {
	// Component is gateway, controller or device.
	Component string
	// Key is the hex sha256 of the image's content: its binary, the CA
	// bundle and its config.
	Key string
	// Ref is the tag to run: wasmbed/<component>:<Key[:16]>.
	Ref string
	// ID is the daemon's image ID.
	ID string
	// Built is false when the tag already existed and nothing was built.
	Built bool
}

// Set holds the SUT's images.
type Set struct {
	Gateway    Image
	Controller Image
	Device     Image
}

// All returns the images in a fixed order.
func (s Set) All() []Image { return []Image{s.Gateway, s.Controller, s.Device} }

// Ref returns the tag of the named component, or "".
func (s Set) Ref(component string) string {
	for _, im := range s.All() {
		if im.Component == component {
			return im.Ref
		}
	}
	return ""
}

// Ensure returns the SUT's images: it compiles the static binaries and
// builds an image for each component whose content-key tag does not exist
// yet. Concurrent callers (ginkgo -p) are serialised by a lock in the
// cache directory.
func Ensure(ctx context.Context, o Options) (Set, error) {
	start := time.Now()
	pr := o.Progress
	if pr == nil {
		pr = silent{}
	}
	cli := o.Client
	if cli == nil {
		var err error
		if cli, err = Connect(ctx); err != nil {
			return Set{}, err
		}
		defer cli.Close()
	}
	caPath := o.CABundle
	if caPath == "" {
		caPath = "/etc/ssl/certs/ca-certificates.crt"
	}
	ca, err := os.ReadFile(caPath)
	if err != nil {
		return Set{}, fmt.Errorf("the images carry the host's CA bundle, and %s is unreadable (install ca-certificates: make deps): %w", caPath, err)
	}

	lockDir, err := workspace.CacheDir("images")
	if err != nil {
		return Set{}, err
	}
	unlock, err := cache.Lock(filepath.Join(lockDir, ".lock"))
	if err != nil {
		return Set{}, err
	}
	defer unlock()

	binDir, err := os.MkdirTemp("", "wasmbed-images-")
	if err != nil {
		return Set{}, err
	}
	defer os.RemoveAll(binDir)
	if err := compile(ctx, binDir, pr); err != nil {
		return Set{}, err
	}

	var set Set
	for _, c := range Components {
		bin, err := os.ReadFile(filepath.Join(binDir, c.Name))
		if err != nil {
			return Set{}, err
		}
		im, err := buildOne(ctx, cli, c, newLayer(c, bin, ca), o.Force, pr)
		if err != nil {
			return Set{}, err
		}
		switch c.Name {
		case "gateway":
			set.Gateway = im
		case "controller":
			set.Controller = im
		case "device":
			set.Device = im
		}
	}
	pr.Printf("SUT images ready in %s: %s %s %s", time.Since(start).Round(time.Millisecond),
		set.Gateway.Ref, set.Controller.Ref, set.Device.Ref)
	return set, nil
}

// compile builds every component's static binary into dir in one go
// build, so shared packages compile once.
func compile(ctx context.Context, dir string, pr Progress) error {
	root, err := workspace.Root()
	if err != nil {
		return err
	}
	start := time.Now()
	pr.Printf("compiling static gateway, controller and device binaries (CGO_ENABLED=0)")
	args := []string{"build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", dir + "/"}
	for _, c := range Components {
		args = append(args, c.Package)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("compiling the SUT for its images: %w\n%s", err, out)
	}
	pr.Printf("compiled in %s", time.Since(start).Round(time.Millisecond))
	return nil
}

// buildOne imports component c's layer as an image unless its tag exists.
func buildOne(ctx context.Context, cli *client.Client, c Component, l *layer, force bool, pr Progress) (Image, error) {
	key := l.Key()
	ref := fmt.Sprintf("%s/%s:%s", Repository, c.Name, key[:16])
	im := Image{Component: c.Name, Key: key, Ref: ref}
	oldID := ""
	insp, err := cli.ImageInspect(ctx, ref)
	switch {
	case err == nil && !force:
		im.ID = insp.ID
		pr.Printf("%s is up to date", ref)
		return im, nil
	case err == nil:
		oldID = insp.ID // replaced below; removed so no dangling image is left
	case !cerrdefs.IsNotFound(err):
		return Image{}, fmt.Errorf("inspect %s: %w", ref, err)
	}
	start := time.Now()
	pr.Printf("building %s", ref)
	data, err := l.Tar()
	if err != nil {
		return Image{}, err
	}
	res, err := cli.ImageImport(ctx, client.ImageImportSource{Source: bytes.NewReader(data), SourceName: "-"}, ref,
		client.ImageImportOptions{Changes: l.changes, Message: "wasmbed " + c.Name + " FROM scratch, content " + key})
	if err != nil {
		return Image{}, fmt.Errorf("import %s: %w", ref, err)
	}
	err = followStream(res)
	res.Close()
	if err != nil {
		return Image{}, fmt.Errorf("import %s: %w", ref, err)
	}
	insp, err = cli.ImageInspect(ctx, ref)
	if err != nil {
		return Image{}, fmt.Errorf("import %s finished but the image is missing: %w", ref, err)
	}
	im.ID, im.Built = insp.ID, true
	if oldID != "" && oldID != insp.ID {
		_, _ = cli.ImageRemove(ctx, oldID, client.ImageRemoveOptions{})
	}
	pr.Printf("built %s (%s, %d KiB) in %s", ref, shortID(insp.ID), len(data)/1024, time.Since(start).Round(time.Millisecond))
	return im, nil
}

// streamMessage is one line of the daemon's JSON progress stream.
type streamMessage struct {
	Error       string `json:"error"`
	ErrorDetail *struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
}

// followStream drains a JSON progress stream and returns its error, if any.
func followStream(r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var m streamMessage
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("reading daemon output: %w", err)
		}
		if m.Error != "" {
			return errors.New(m.Error)
		}
		if m.ErrorDetail != nil && m.ErrorDetail.Message != "" {
			return errors.New(m.ErrorDetail.Message)
		}
	}
}

func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

type silent struct{}

func (silent) Printf(string, ...any) {}
