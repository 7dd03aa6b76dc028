package images

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"time"
)

// layer is a FROM scratch image held in memory: the one filesystem layer
// (a tar of the files) and the config changes applied when importing it.
type layer struct {
	entries []entry
	changes []string
}

type entry struct {
	path string // inside the image, without the leading slash
	mode int64
	dir  bool
	data []byte
}

// newLayer lays out component c's image: its binary, the CA bundle and
// an empty /tmp, with the entrypoint, user, ports and labels as config.
func newLayer(c Component, binary, caBundle []byte) *layer {
	bin := BinaryPath(c.Name)[1:]
	l := &layer{entries: []entry{
		{path: "etc/", dir: true, mode: 0o755},
		{path: "etc/ssl/", dir: true, mode: 0o755},
		{path: "etc/ssl/certs/", dir: true, mode: 0o755},
		{path: CABundlePath[1:], mode: 0o644, data: caBundle},
		{path: "tmp/", dir: true, mode: 0o1777},
		{path: "usr/", dir: true, mode: 0o755},
		{path: "usr/local/", dir: true, mode: 0o755},
		{path: "usr/local/bin/", dir: true, mode: 0o755},
		{path: bin, mode: 0o755, data: binary},
	}}
	l.changes = append(l.changes,
		fmt.Sprintf(`ENTRYPOINT ["%s"]`, BinaryPath(c.Name)),
		"USER "+c.User,
		fmt.Sprintf(`LABEL org.opencontainers.image.title="wasmbed-%s" org.opencontainers.image.source="github.com/wasmbed/wasmbed" wasmbed.io/component="%s"`, c.Name, c.Name),
	)
	for _, p := range c.Ports {
		l.changes = append(l.changes, "EXPOSE "+p)
	}
	return l
}

// Key is the hex sha256 of the layer and its config, so equal content
// gives an equal tag.
func (l *layer) Key() string {
	h := sha256.New()
	for _, c := range l.changes {
		fmt.Fprintf(h, "%s\x00", c)
	}
	for _, e := range l.entries {
		fmt.Fprintf(h, "%s\x00%o\x00%t\x00%d\x00", e.path, e.mode, e.dir, len(e.data))
		h.Write(e.data)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Tar returns the layer as a tar stream, owned by root, with fixed times
// so the stream depends on content only.
func (l *layer) Tar() ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0)
	for _, e := range l.entries {
		hdr := &tar.Header{Name: e.path, Mode: e.mode, ModTime: epoch, Typeflag: tar.TypeReg, Size: int64(len(e.data))}
		if e.dir {
			hdr.Typeflag, hdr.Size = tar.TypeDir, 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := io.Copy(tw, bytes.NewReader(e.data)); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
