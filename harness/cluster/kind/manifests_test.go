package kind

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wasmbed/wasmbed/harness/images"
	"github.com/wasmbed/wasmbed/harness/workspace"
)

func render(t *testing.T) *Manifests {
	t.Helper()
	set := images.Set{
		Gateway:    images.Image{Component: "gateway", Ref: "wasmbed/gateway:abc"},
		Controller: images.Image{Component: "controller", Ref: "wasmbed/controller:def"},
		Device:     images.Image{Component: "device", Ref: "wasmbed/device:123"},
	}
	m, err := Render(workspace.MustRoot(), set)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func find(m *Manifests, kind, name string) *unstructured.Unstructured {
	for _, u := range m.Objects {
		if u.GetKind() == kind && u.GetName() == name {
			return u
		}
	}
	return nil
}

func TestManifestsDeployTheSUTLeastPrivilege(t *testing.T) {
	m := render(t)
	if len(m.CRDs) != 3 {
		t.Fatalf("want the 3 generated CRDs, got %d", len(m.CRDs))
	}
	ctl := find(m, "Deployment", "wasmbed-controller")
	if ctl == nil {
		t.Fatal("no controller Deployment")
	}
	if r, _, _ := unstructured.NestedInt64(ctl.Object, "spec", "replicas"); r != 2 {
		t.Errorf("controller replicas = %d, want 2", r)
	}
	cs, _, _ := unstructured.NestedSlice(ctl.Object, "spec", "template", "spec", "containers")
	c := cs[0].(map[string]any)
	if c["image"] != "wasmbed/controller:def" {
		t.Errorf("controller image = %v, want the built tag", c["image"])
	}
	if args := strings.Join(toStrings(c["args"]), " "); !strings.Contains(args, "--leader-elect=true") {
		t.Errorf("controller args lack leader election: %s", args)
	}
	gw := find(m, "Deployment", "wasmbed-gateway")
	gcs, _, _ := unstructured.NestedSlice(gw.Object, "spec", "template", "spec", "containers")
	if img := gcs[0].(map[string]any)["image"]; img != "wasmbed/gateway:abc" {
		t.Errorf("gateway image = %v", img)
	}
	svc := find(m, "Service", "wasmbed-gateway")
	ports, _, _ := unstructured.NestedSlice(svc.Object, "spec", "ports")
	if np := ports[0].(map[string]any)["nodePort"]; np != int64(GatewayNodePort) {
		t.Errorf("gateway nodePort = %v, want %d (the port kind maps to the host)", np, GatewayNodePort)
	}
	// The gateway is bound in its namespace only; the controller cluster-wide,
	// both to the generated ClusterRoles and nothing else.
	rb := find(m, "RoleBinding", "wasmbed-gateway")
	if rb == nil || rb.GetNamespace() != "wasmbed-system" {
		t.Fatal("the gateway's RoleBinding is missing or not namespaced")
	}
	for _, b := range []*unstructured.Unstructured{rb, find(m, "ClusterRoleBinding", "wasmbed-controller")} {
		if b == nil {
			t.Fatal("missing binding")
		}
		role, _, _ := unstructured.NestedString(b.Object, "roleRef", "name")
		if role != "wasmbed-gateway" && role != "wasmbed-controller" {
			t.Errorf("%s binds %s", b.GetName(), role)
		}
	}
	for _, u := range m.Objects {
		if u.GetKind() == "ClusterRole" && u.GetName() != "wasmbed-gateway" && u.GetName() != "wasmbed-controller" {
			t.Errorf("unexpected ClusterRole %s", u.GetName())
		}
	}
	if find(m, "Gateway", "wasmbed-gateway") == nil {
		t.Error("no Gateway object for the in-cluster gateway")
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestUnsupportedQuotesTheEngine(t *testing.T) {
	u := &Unsupported{Command: "docker run --rm --privileged --user 0:0 img", EngineError: "unable to apply caps: operation not permitted"}
	msg := u.Error()
	for _, want := range []string{u.Command, u.EngineError, "WASMBED_CLUSTER=local"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
}
