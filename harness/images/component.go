package images

// Component is one SUT image: which Go package becomes its binary and how
// the container runs it.
type Component struct {
	// Name is the image's repository suffix and the binary's name:
	// gateway, controller or device.
	Name string
	// Package is the Go package built into the binary.
	Package string
	// User is the numeric user the image runs as by default. The device
	// backend overrides it so the firmware can write a bind-mounted flash.
	User string
	// Ports are documented in the image (EXPOSE); nothing publishes them.
	Ports []string
}

// Components are the images Build produces, in build order.
var Components = []Component{
	{Name: "gateway", Package: "./sut/cmd/gateway", User: "65532:65532", Ports: []string{"4443/tcp", "9090/tcp"}},
	{Name: "controller", Package: "./sut/cmd/controller", User: "65532:65532", Ports: []string{"8080/tcp", "8081/tcp"}},
	{Name: "device", Package: "./firmware/cmd/device", User: "65532:65532"},
}

// Repository is the name every image of this repository is tagged under;
// there is no registry, so it has no host part. In a kind node the runtime
// sees it as docker.io/wasmbed/<name>.
const Repository = "wasmbed"

// CABundlePath is where the CA bundle lands in every image: the path Go's
// crypto/x509 reads first on Linux.
const CABundlePath = "/etc/ssl/certs/ca-certificates.crt"

// BinaryPath is where a component's binary lands in its image.
func BinaryPath(name string) string { return "/usr/local/bin/" + name }
