package images

import (
	"context"
	"fmt"
	"os"

	"github.com/moby/moby/client"
)

// Connect returns a Docker client for the daemon in $DOCKER_HOST (or the
// local socket). The API version is negotiated down to the daemon's, so
// an old engine (API 1.41, Docker 20.10) is served as well as a new one.
// It fails with a message a person can act on when no daemon answers.
func Connect(ctx context.Context) (*client.Client, error) {
	cli, err := client.New(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	if _, err := cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		cli.Close()
		host := os.Getenv("DOCKER_HOST")
		if host == "" {
			host = "unix:///var/run/docker.sock"
		}
		return nil, fmt.Errorf("no Docker daemon answers at %s (start dockerd, or set DOCKER_HOST): %w", host, err)
	}
	return cli, nil
}
