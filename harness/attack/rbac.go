package attack

import (
	"context"
	"fmt"
	"strings"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
	"github.com/wasmbed/wasmbed/sut/pki"
)

// Request is one API request as RBAC sees it. An empty Namespace is
// cluster scope.
type Request struct {
	Verb, Group, Resource, Subresource, Namespace string
}

// String renders the request as "verb resource.group in namespace".
func (r Request) String() string {
	res := r.Resource
	if r.Subresource != "" {
		res += "/" + r.Subresource
	}
	if r.Group != "" {
		res += "." + r.Group
	}
	where := "cluster-wide"
	if r.Namespace != "" {
		where = "in " + r.Namespace
	}
	return r.Verb + " " + res + " " + where
}

// Privileges are what a subject needs and what it must not be able to do.
type Privileges struct {
	Needs, MustNot []Request
}

func requests(ns, group, resource, sub string, verbs ...string) []Request {
	out := make([]Request, len(verbs))
	for i, v := range verbs {
		out[i] = Request{Verb: v, Group: group, Resource: resource, Subresource: sub, Namespace: ns}
	}
	return out
}

func concat(rs ...[]Request) []Request {
	var out []Request
	for _, r := range rs {
		out = append(out, r...)
	}
	return out
}

const wasmbedGroup = "wasmbed.io"

// escalations are requests no SUT component may make anywhere: reading
// other namespaces' secrets, running code, minting credentials, and
// granting itself more.
func escalations(ns string) []Request {
	return concat(
		requests("kube-system", "", "secrets", "", "get", "list"),
		requests("default", wasmbedGroup, "devices", "", "list", "create"),
		requests("", wasmbedGroup, "devices", "", "list"),
		requests(ns, "", "pods", "", "create"),
		requests(ns, "", "pods", "exec", "create"),
		requests(ns, "", "serviceaccounts", "token", "create"),
		requests(ns, "rbac.authorization.k8s.io", "rolebindings", "", "create"),
		requests("", "rbac.authorization.k8s.io", "clusterrolebindings", "", "create"),
		requests("", "rbac.authorization.k8s.io", "clusterroles", "", "escalate", "bind"),
		requests("", "", "users", "", "impersonate"),
		requests("", "", "serviceaccounts", "", "impersonate"),
	)
}

// GatewayPrivileges are the gateway's: it enrols devices (creates and
// updates Devices, reads and spends tokens, reads the CA), holds sessions
// (device status), reads the apps it deploys and keeps its Lease. It may
// not delete anything, touch Applications or Gateway specs, or leave its
// namespace.
func GatewayPrivileges(ns string) Privileges {
	return Privileges{
		Needs: concat(
			requests(ns, wasmbedGroup, "devices", "", "get", "list", "watch", "create", "update", "patch"),
			requests(ns, wasmbedGroup, "devices", "status", "patch"),
			requests(ns, wasmbedGroup, "applications", "", "get", "list", "watch"),
			requests(ns, wasmbedGroup, "gateways", "", "get", "list", "watch"),
			requests(ns, wasmbedGroup, "gateways", "status", "patch"),
			requests(ns, "", "secrets", "", "get", "list", "watch", "create", "update"),
			requests(ns, "", "configmaps", "", "get"),
			requests(ns, "coordination.k8s.io", "leases", "", "get", "create", "update"),
			requests(ns, "", "events", "", "create"),
		),
		MustNot: concat(
			requests(ns, wasmbedGroup, "devices", "", "delete", "deletecollection"),
			requests(ns, wasmbedGroup, "applications", "", "create", "update", "patch", "delete"),
			requests(ns, wasmbedGroup, "applications", "status", "update", "patch"),
			requests(ns, wasmbedGroup, "gateways", "", "create", "update", "patch", "delete"),
			requests(ns, "", "secrets", "", "delete", "deletecollection"),
			requests(ns, "coordination.k8s.io", "leases", "", "delete"),
			escalations(ns),
		),
	}
}

// ControllerPrivileges are the controller's: it decides enrolments and
// phases (Device status), revokes (the CA Secret), schedules Applications
// and watches gateways' Leases. It may not create or delete Devices —
// only a gateway enrols — nor create Applications or Gateways.
func ControllerPrivileges(ns string) Privileges {
	return Privileges{
		Needs: concat(
			requests(ns, wasmbedGroup, "devices", "", "get", "list", "watch", "update", "patch"),
			requests(ns, wasmbedGroup, "devices", "status", "update", "patch"),
			requests(ns, wasmbedGroup, "applications", "", "get", "list", "watch", "update", "patch"),
			requests(ns, wasmbedGroup, "applications", "status", "update", "patch"),
			requests(ns, wasmbedGroup, "applications", "finalizers", "update"),
			requests(ns, wasmbedGroup, "gateways", "", "get", "list", "watch"),
			requests(ns, wasmbedGroup, "gateways", "status", "patch"),
			requests(ns, "", "secrets", "", "get", "list", "watch", "create", "update", "patch"),
			requests(ns, "", "configmaps", "", "get", "list", "watch"),
			requests(ns, "coordination.k8s.io", "leases", "", "get", "list", "watch", "create", "update", "patch", "delete"),
		),
		MustNot: concat(
			requests(ns, wasmbedGroup, "devices", "", "create", "delete", "deletecollection"),
			requests(ns, wasmbedGroup, "applications", "", "create", "delete"),
			requests(ns, wasmbedGroup, "gateways", "", "create", "update", "patch", "delete"),
			requests(ns, "", "secrets", "", "delete", "deletecollection"),
			requests(ns, "", "configmaps", "", "create", "update", "delete"),
			escalations(ns),
		),
	}
}

// ServiceAccountUser returns the user name and groups the API server
// authenticates a service account's token as.
func ServiceAccountUser(ns, name string) (string, []string) {
	return "system:serviceaccount:" + ns + ":" + name,
		[]string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}
}

// Can asks the API server, with a SubjectAccessReview, whether user (in
// groups) may make r.
func Can(ctx context.Context, c client.Client, user string, groups []string, r Request) (bool, error) {
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User: user, Groups: groups,
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Verb: r.Verb, Group: r.Group, Resource: r.Resource, Subresource: r.Subresource, Namespace: r.Namespace,
		},
	}}
	if err := c.Create(ctx, sar); err != nil {
		return false, err
	}
	return sar.Status.Allowed, nil
}

// Audit checks privileges for user: every need allowed, every forbidden
// request denied. It returns how many were denied, and an error listing
// what is wrong.
func Audit(ctx context.Context, c client.Client, user string, groups []string, p Privileges) (int, error) {
	var missing, excess []string
	for _, r := range p.Needs {
		ok, err := Can(ctx, c, user, groups, r)
		if err != nil {
			return 0, err
		}
		if !ok {
			missing = append(missing, r.String())
		}
	}
	denied := 0
	for _, r := range p.MustNot {
		ok, err := Can(ctx, c, user, groups, r)
		if err != nil {
			return 0, err
		}
		if ok {
			excess = append(excess, r.String())
		} else {
			denied++
		}
	}
	var problems []string
	if len(excess) > 0 {
		problems = append(problems, fmt.Sprintf("%s may %s", user, strings.Join(excess, "; ")))
	}
	if len(missing) > 0 {
		problems = append(problems, fmt.Sprintf("%s may not %s, which it needs", user, strings.Join(missing, "; ")))
	}
	if len(problems) > 0 {
		return denied, fmt.Errorf("%s", strings.Join(problems, ". "))
	}
	return denied, nil
}

// Impersonate returns a client that acts as user: what that user's own
// credentials would get from the API server.
func (t *Target) Impersonate(user string, groups []string) (client.Client, error) {
	cfg := rest.CopyConfig(t.RESTConfig)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: groups}
	return client.New(cfg, client.Options{Scheme: t.Client.Scheme()})
}

// forbiddenCall is one real request an attacker makes; it must be
// refused with 403 Forbidden. Mutating calls are dry runs, so a broken
// RBAC would still change nothing.
type forbiddenCall struct {
	what string
	do   func(ctx context.Context, c client.Client) error
}

// tryForbidden makes every call as c and checks each is Forbidden, and
// that the API server's authorizer counted them
// (authorization_attempts_total: RBAC never denies outright, it has no
// opinion, and a request no authorizer allows is forbidden).
func (t *Target) tryForbidden(ctx context.Context, c client.Client, calls []forbiddenCall) (Outcome, error) {
	before, err := t.authorizerDenials(ctx)
	if err != nil {
		return Outcome{}, err
	}
	out := Outcome{Told: ReasonForbidden}
	for _, call := range calls {
		err := call.do(ctx, c)
		if !apierrors.IsForbidden(err) {
			return out, fmt.Errorf("%s: got %v, want 403 Forbidden", call.what, err)
		}
		out.Refusals++
	}
	after, err := t.authorizerDenials(ctx)
	if err != nil {
		return out, err
	}
	if after-before < float64(len(calls)) {
		return out, fmt.Errorf("the API server's authorizer counted %v denials for %d refused calls", after-before, len(calls))
	}
	return out, nil
}

// authorizerDenials reads the API server's count of requests its
// authorizers did not allow: result "denied" or "no-opinion".
func (t *Target) authorizerDenials(ctx context.Context) (float64, error) {
	cs, err := kubernetes.NewForConfig(t.RESTConfig)
	if err != nil {
		return 0, err
	}
	raw, err := cs.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return 0, fmt.Errorf("read the API server's metrics: %w", err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(string(raw)))
	if err != nil {
		return 0, err
	}
	total := 0.0
	for _, m := range fams["authorization_attempts_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "result" && (l.GetValue() == "denied" || l.GetValue() == "no-opinion") {
				total += m.GetCounter().GetValue()
			}
		}
	}
	return total, nil
}

var dryRun = client.DryRunAll

func (t *Target) probeDevice() *wasmbedv1.Device {
	return &wasmbedv1.Device{
		ObjectMeta: metav1.ObjectMeta{Namespace: t.Namespace, Name: "atk-rogue"},
		Spec: wasmbedv1.DeviceSpec{
			PublicKey: wasmbedv1.EncodePublicKey(mustPublic()), Arch: wasmbedv1.ArchX86_64,
			Enrollment: wasmbedv1.DeviceEnrollment{Method: wasmbedv1.EnrollPreRegistered},
		},
	}
}

func mustPublic() []byte {
	pub, _ := NewKey()
	return pub
}

// rbacComponent audits a SUT component's service account with
// SubjectAccessReviews and then makes some of its forbidden requests for
// real, as that service account.
func rbacComponent(component string, privileges func(ns string) Privileges, calls func(t *Target) []forbiddenCall) func(context.Context, *Target) (Outcome, error) {
	return func(ctx context.Context, t *Target) (Outcome, error) {
		user, groups := ServiceAccountUser(t.Namespace, "wasmbed-"+component)
		denied, err := Audit(ctx, t.Client, user, groups, privileges(t.Namespace))
		if err != nil {
			return Outcome{}, err
		}
		c, err := t.Impersonate(user, nil)
		if err != nil {
			return Outcome{}, err
		}
		out, err := t.tryForbidden(ctx, c, calls(t))
		out.Detail = fmt.Sprintf("%d forbidden requests denied by SubjectAccessReview, %d made for real and refused with 403", denied, out.Refusals)
		out.Refusals += denied
		return out, err
	}
}

func gatewayCalls(t *Target) []forbiddenCall {
	return []forbiddenCall{
		{"delete a Device", func(ctx context.Context, c client.Client) error {
			d := &wasmbedv1.Device{ObjectMeta: metav1.ObjectMeta{Namespace: t.Namespace, Name: t.Victim}}
			return c.Delete(ctx, d, dryRun)
		}},
		{"read a Secret in kube-system", func(ctx context.Context, c client.Client) error {
			return c.Get(ctx, client.ObjectKey{Namespace: "kube-system", Name: "any"}, &corev1.Secret{})
		}},
		{"create an Application", func(ctx context.Context, c client.Client) error {
			a := &wasmbedv1.Application{ObjectMeta: metav1.ObjectMeta{Namespace: t.Namespace, Name: "atk-rogue"},
				Spec: wasmbedv1.ApplicationSpec{Module: wasmbedv1.ModuleSource{Inline: []byte("\x00asm\x01\x00\x00\x00")}, Devices: []string{t.Victim}}}
			return c.Create(ctx, a, dryRun)
		}},
		{"delete the CA Secret", func(ctx context.Context, c client.Client) error {
			s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: t.Namespace, Name: pki.DefaultSecretName}}
			return c.Delete(ctx, s, dryRun)
		}},
	}
}

func controllerCalls(t *Target) []forbiddenCall {
	return []forbiddenCall{
		{"create a Device", func(ctx context.Context, c client.Client) error { return c.Create(ctx, t.probeDevice(), dryRun) }},
		{"delete the CA Secret", func(ctx context.Context, c client.Client) error {
			s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: t.Namespace, Name: pki.DefaultSecretName}}
			return c.Delete(ctx, s, dryRun)
		}},
		{"list Secrets in kube-system", func(ctx context.Context, c client.Client) error {
			return c.List(ctx, &corev1.SecretList{}, client.InNamespace("kube-system"))
		}},
	}
}

// rbacUnprivileged acts as an authenticated user no role binds: it tries
// to register a Device of its own, read the CA, forge an enrolment token,
// deploy an app and un-revoke a device.
func rbacUnprivileged(ctx context.Context, t *Target) (Outcome, error) {
	c, err := t.Impersonate("mallory", []string{"system:authenticated"})
	if err != nil {
		return Outcome{}, err
	}
	out, err := t.tryForbidden(ctx, c, []forbiddenCall{
		{"create a Device", func(ctx context.Context, c client.Client) error { return c.Create(ctx, t.probeDevice(), dryRun) }},
		{"read the CA Secret", func(ctx context.Context, c client.Client) error {
			return c.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: pki.DefaultSecretName}, &corev1.Secret{})
		}},
		{"list Secrets (the enrolment tokens)", func(ctx context.Context, c client.Client) error {
			return c.List(ctx, &corev1.SecretList{}, client.InNamespace(t.Namespace))
		}},
		{"create an enrolment token", func(ctx context.Context, c client.Client) error {
			id, sec := wasmbedv1.NewToken()
			s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: t.Namespace, Name: wasmbedv1.TokenSecretPrefix + id},
				Type: corev1.SecretType(wasmbedv1.TokenSecretType), Data: map[string][]byte{wasmbedv1.TokenKeyID: []byte(id), wasmbedv1.TokenKeySecret: []byte(sec)}}
			return c.Create(ctx, s, dryRun)
		}},
		{"create an Application", func(ctx context.Context, c client.Client) error {
			a := &wasmbedv1.Application{ObjectMeta: metav1.ObjectMeta{Namespace: t.Namespace, Name: "atk-rogue"},
				Spec: wasmbedv1.ApplicationSpec{Module: wasmbedv1.ModuleSource{Inline: []byte("\x00asm\x01\x00\x00\x00")}, Devices: []string{t.Victim}}}
			return c.Create(ctx, a, dryRun)
		}},
		{"un-revoke a Device", func(ctx context.Context, c client.Client) error {
			d := &wasmbedv1.Device{ObjectMeta: metav1.ObjectMeta{Namespace: t.Namespace, Name: t.Victim}}
			return c.Patch(ctx, d, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"revoked":false}}`)), dryRun)
		}},
	})
	out.Detail = fmt.Sprintf("%d requests as an authenticated user with no binding, each refused with 403", out.Refusals)
	return out, err
}
