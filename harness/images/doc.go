// Package images builds the SUT's container images — the gateway, the
// controller and the device firmware — without a registry.
//
// Each image is FROM scratch: one static Go binary (CGO_ENABLED=0) and the
// CA bundle, nothing else, so an image is a few megabytes and there is no
// base image to pull (this machine can pull none). The harness compiles the
// binaries itself and sends the Docker daemon a build context it assembles
// in memory, through the Docker API.
//
// An image's Key is the sha256 of its content (the binary, the CA bundle
// and the image config) and its tag is derived from it: the same source
// gives the same tag, a change gives a new one, and a tag that already
// exists is not built again. That is the cache; the daemon's image store
// holds it. Specs and the kind provider refer to images only through the
// Set that Ensure returns.
//
// The image builders share their words (README, "Image builders"):
// Ensure(ctx, Options) returns the artifact, building it only if the cache
// has none with the same Key; Options.Progress receives a line per step.
package images
