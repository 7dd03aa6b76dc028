package images

import (
	"archive/tar"
	"bytes"
	"io"
	"testing"
)

func TestLayerDigestFollowsContent(t *testing.T) {
	c := Components[0]
	a := newLayer(c, []byte("binary-1"), []byte("ca"))
	if a.Key() != newLayer(c, []byte("binary-1"), []byte("ca")).Key() {
		t.Fatal("equal content gave different digests")
	}
	if a.Key() == newLayer(c, []byte("binary-2"), []byte("ca")).Key() {
		t.Fatal("a changed binary kept the digest")
	}
	if a.Key() == newLayer(c, []byte("binary-1"), []byte("other ca")).Key() {
		t.Fatal("a changed CA bundle kept the digest")
	}
	if a.Key() == newLayer(Components[1], []byte("binary-1"), []byte("ca")).Key() {
		t.Fatal("two components with the same bytes share a digest")
	}
}

func TestLayerTarHoldsBinaryAndCABundle(t *testing.T) {
	l := newLayer(Component{Name: "gateway", User: "65532:65532"}, []byte("ELF"), []byte("PEM"))
	data, err := l.Tar()
	if err != nil {
		t.Fatal(err)
	}
	again, _ := l.Tar()
	if !bytes.Equal(data, again) {
		t.Fatal("the layer tar is not reproducible")
	}
	got := map[string]string{}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		got[h.Name] = string(b)
		if h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s is not owned by root", h.Name)
		}
	}
	if got["usr/local/bin/gateway"] != "ELF" || got["etc/ssl/certs/ca-certificates.crt"] != "PEM" {
		t.Fatalf("layer content: %v", got)
	}
	if _, ok := got["tmp/"]; !ok {
		t.Error("no /tmp in the layer")
	}
}
