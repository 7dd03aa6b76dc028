package kind

import (
	"context"
	"fmt"

	"github.com/moby/moby/client"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/wasmbed/wasmbed/harness/images"
)

// What an in-cluster testbed needs from the cluster besides the API:
// the gateway's host endpoint (Capabilities().GatewayEndpoint, through
// extraPortMappings), SUT faults (a pod deleted, the node frozen) and
// logs for failure artifacts (ExportLogs, PodLogs through the API).

// NodeContainer is the Docker container of the cluster's (only) node.
func (c *Cluster) NodeContainer() string { return c.name + "-control-plane" }

// PauseNode freezes the node container (every process in it, the API
// server and the SUT included) until UnpauseNode. Pausing needs no
// privilege, so it works on every engine kind runs on.
func (c *Cluster) PauseNode(ctx context.Context) error {
	cli, err := images.Connect(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()
	if _, err := cli.ContainerPause(ctx, c.NodeContainer(), client.ContainerPauseOptions{}); err != nil {
		return fmt.Errorf("pause node %s: %w", c.NodeContainer(), err)
	}
	return nil
}

// UnpauseNode resumes a node PauseNode froze.
func (c *Cluster) UnpauseNode(ctx context.Context) error {
	cli, err := images.Connect(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()
	if _, err := cli.ContainerUnpause(ctx, c.NodeContainer(), client.ContainerUnpauseOptions{}); err != nil {
		return fmt.Errorf("unpause node %s: %w", c.NodeContainer(), err)
	}
	return nil
}

// DeletePod deletes a pod at once (grace period 0), as a crash would end
// it; its Deployment starts a replacement.
func (c *Cluster) DeletePod(ctx context.Context, namespace, name string) error {
	cs, err := kubernetes.NewForConfig(c.config)
	if err != nil {
		return err
	}
	zero := int64(0)
	if err := cs.CoreV1().Pods(namespace).Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		return fmt.Errorf("delete pod %s/%s: %w", namespace, name, err)
	}
	return nil
}
