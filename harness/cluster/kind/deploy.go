package kind

import (
	"context"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// fieldOwner names the harness in server-side apply.
const fieldOwner = "wasmbed-harness"

// Deploy applies m (CRDs first, waiting until they are established) and
// waits until every Deployment in it is available.
func Deploy(ctx context.Context, rc *rest.Config, m *Manifests, pr Progress, timeoutScale float64) error {
	scaled := func(d time.Duration) time.Duration {
		if timeoutScale <= 0 {
			return d
		}
		return time.Duration(float64(d) * timeoutScale)
	}
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = apiextensionsv1.AddToScheme(s)
	c, err := client.New(rc, client.Options{Scheme: s})
	if err != nil {
		return err
	}
	for _, u := range m.CRDs {
		if err := apply(ctx, c, u); err != nil {
			return err
		}
	}
	for _, u := range m.CRDs {
		if err := waitFor(ctx, scaled(60*time.Second), "CRD "+u.GetName()+" established", func() (bool, error) {
			var crd apiextensionsv1.CustomResourceDefinition
			if err := c.Get(ctx, client.ObjectKey{Name: u.GetName()}, &crd); err != nil {
				return false, err
			}
			for _, cond := range crd.Status.Conditions {
				if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
					return true, nil
				}
			}
			return false, nil
		}); err != nil {
			return err
		}
	}
	for _, u := range m.Objects {
		if err := apply(ctx, c, u); err != nil {
			return err
		}
	}
	for _, u := range m.Objects {
		if u.GetKind() != "Deployment" {
			continue
		}
		key := client.ObjectKey{Namespace: u.GetNamespace(), Name: u.GetName()}
		pr.Printf("waiting for Deployment %s", key)
		if err := waitFor(ctx, scaled(3*time.Minute), "Deployment "+key.String()+" available", func() (bool, error) {
			var d appsv1.Deployment
			if err := c.Get(ctx, key, &d); err != nil {
				return false, err
			}
			want := int32(1)
			if d.Spec.Replicas != nil {
				want = *d.Spec.Replicas
			}
			return d.Status.ObservedGeneration >= d.Generation && d.Status.UpdatedReplicas == want &&
				d.Status.AvailableReplicas == want, nil
		}); err != nil {
			return fmt.Errorf("%w\n%s", err, podReport(ctx, c, u.GetNamespace()))
		}
	}
	return nil
}

// podReport says, pod by pod, why a namespace's containers are not
// ready: the waiting reason and the last termination message.
func podReport(ctx context.Context, c client.Client, ns string) string {
	var pods corev1.PodList
	if err := c.List(ctx, &pods, client.InNamespace(ns)); err != nil {
		return "pods of " + ns + ": " + err.Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "pods in %s:", ns)
	for _, p := range pods.Items {
		fmt.Fprintf(&b, "\n  %s: %s", p.Name, p.Status.Phase)
		for _, st := range p.Status.ContainerStatuses {
			fmt.Fprintf(&b, "; %s ready=%v restarts=%d", st.Name, st.Ready, st.RestartCount)
			if w := st.State.Waiting; w != nil {
				fmt.Fprintf(&b, " waiting: %s %s", w.Reason, w.Message)
			}
			if t := st.LastTerminationState.Terminated; t != nil {
				fmt.Fprintf(&b, " last exit %d: %s %s", t.ExitCode, t.Reason, t.Message)
			}
		}
	}
	return b.String()
}

func apply(ctx context.Context, c client.Client, u *unstructured.Unstructured) error {
	u = u.DeepCopy()
	u.SetManagedFields(nil)
	u.SetResourceVersion("")
	//nolint:staticcheck // client.Apply with an unstructured object is server-side apply.
	if err := c.Patch(ctx, u, client.Apply, client.FieldOwner(fieldOwner), client.ForceOwnership); err != nil {
		return fmt.Errorf("apply %s %s: %w", u.GetKind(), client.ObjectKeyFromObject(u), err)
	}
	return nil
}

// waitFor polls cond every 500 ms until it holds or timeout passes; an
// error from cond is remembered for the timeout message, not fatal (the
// API server may not serve the kind yet).
func waitFor(ctx context.Context, timeout time.Duration, what string, cond func() (bool, error)) error {
	var last error
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		ok, err := cond()
		last = err
		return ok, nil
	})
	if err != nil && last != nil {
		return fmt.Errorf("timed out waiting for %s: %w", what, last)
	}
	if err != nil {
		return fmt.Errorf("timed out waiting for %s", what)
	}
	return nil
}
