package sutproc

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/wasmbed/wasmbed/harness/env"
	"github.com/wasmbed/wasmbed/harness/workspace"
)

// Roles are the SUT's ClusterRoles, by component.
var Roles = map[string]string{
	"gateway":    "wasmbed-gateway",
	"controller": "wasmbed-controller",
}

// EnsureClusterRoles installs or updates the ClusterRoles generated from
// the SUT's RBAC markers.
func EnsureClusterRoles(ctx context.Context, c client.Client) error {
	root, err := workspace.Root()
	if err != nil {
		return err
	}
	for component := range Roles {
		data, err := os.ReadFile(filepath.Join(root, "sut", "config", "rbac", component, "role.yaml"))
		if err != nil {
			return err
		}
		var role rbacv1.ClusterRole
		if err := yaml.Unmarshal(data, &role); err != nil {
			return fmt.Errorf("%s role.yaml: %w", component, err)
		}
		var cur rbacv1.ClusterRole
		err = c.Get(ctx, client.ObjectKey{Name: role.Name}, &cur)
		switch {
		case apierrors.IsNotFound(err):
			if err := c.Create(ctx, &role); err != nil && !apierrors.IsAlreadyExists(err) {
				return err
			}
		case err != nil:
			return err
		default:
			cur.Rules = role.Rules
			if err := c.Update(ctx, &cur); err != nil && !apierrors.IsConflict(err) {
				return err
			}
		}
	}
	return nil
}

// serviceAccountKubeconfig creates a ServiceAccount bound (in the Env's
// namespace only) to the component's ClusterRole, and writes a kubeconfig
// with a token for it.
func serviceAccountKubeconfig(ctx context.Context, e *env.Env, component string) (string, error) {
	name := "wasmbed-" + component
	ns := e.Namespace
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	if err := e.Client.Create(ctx, sa); err != nil && !apierrors.IsAlreadyExists(err) {
		return "", err
	}
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: Roles[component]},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: ns, Name: name}},
	}
	if err := e.Client.Create(ctx, rb); err != nil && !apierrors.IsAlreadyExists(err) {
		return "", err
	}
	cs, err := kubernetes.NewForConfig(e.RESTConfig)
	if err != nil {
		return "", err
	}
	tok, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To(int64(24 * 3600))},
	}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("token for %s: %w", name, err)
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["c"] = &clientcmdapi.Cluster{Server: e.RESTConfig.Host, CertificateAuthorityData: e.RESTConfig.CAData}
	cfg.AuthInfos["u"] = &clientcmdapi.AuthInfo{Token: tok.Status.Token}
	cfg.Contexts["c"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u", Namespace: ns}
	cfg.CurrentContext = "c"
	path := filepath.Join(e.ArtifactDir, name+".kubeconfig")
	return path, clientcmd.WriteToFile(*cfg, path)
}
