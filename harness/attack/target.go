package attack

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wasmbed/wasmbed/firmware/flash"
	"github.com/wasmbed/wasmbed/harness/tokens"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
	"github.com/wasmbed/wasmbed/sut/pki"
)

// Target is what the attacks are aimed at: a gateway's device port, the
// namespace it serves, and the few things an attacker is assumed to hold
// (a legitimate device's flash, for the stolen-certificate and replay
// attacks). The admin client stages what an attack presupposes (an expired
// token, a revoked device) and observes the outcome; it is never the
// attacker.
type Target struct {
	// Addr is the gateway's device endpoint, host:port.
	Addr string
	// Gateway is the Gateway object's name.
	Gateway string
	// Namespace holds the Gateway, its Devices and Applications.
	Namespace string
	// Client and RESTConfig are cluster-admin: for staging and observing,
	// for SubjectAccessReviews and for impersonation.
	Client     client.Client
	RESTConfig *rest.Config
	// HandshakeTimeout and MaxConnections are the gateway's settings.
	HandshakeTimeout time.Duration
	MaxConnections   int
	// Victim is a legitimate, connected device whose flash the attacker
	// has read: its certificate (without the key, which a secure element
	// would keep) and its enrolment token.
	Victim      string
	VictimFlash flash.Store
	// AppDevice is a connected device the sandbox attacks deploy to.
	AppDevice string
	// SignedDevice is a connected device whose Device spec requires signed
	// modules; ModuleSigner's key is among the gateway's trusted module
	// keys.
	SignedDevice string
	ModuleSigner ed25519.PrivateKey
	// Metric reads the gateway's metric family name, summed over the series
	// whose labels include labels; an error wrapping sutproc.ErrNoFamily if
	// the gateway exposes no such family (sutproc.Gateway.Metric).
	Metric func(ctx context.Context, name string, labels map[string]string) (float64, error)
	// TimeoutScale multiplies the attacks' waits for an effect
	// (WASMBED_TIMEOUT_SCALE); 1 if zero. The bounds an attack asserts on
	// what it measured are not scaled.
	TimeoutScale float64

	sources atomic.Uint32

	mu         sync.Mutex
	created    map[string]bool // "Kind/name"
	identities map[string]*Identity
}

// timeout scales an attack's wait by TimeoutScale.
func (t *Target) timeout(d time.Duration) time.Duration {
	if t.TimeoutScale <= 0 {
		return d
	}
	return time.Duration(float64(d) * t.TimeoutScale)
}

// Source returns a loopback address no other attack of this Target has
// used, so each attack is told apart in the gateway's log and has its own
// rate-limit bucket.
func (t *Target) Source() string {
	n := t.sources.Add(1)
	return fmt.Sprintf("127.10.%d.%d", n/250, n%250+1)
}

// Created lists the objects ("Device/name", "Secret/name") the attacks
// created as setup, sorted: the objects a stray-object check must expect.
func (t *Target) Created() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]string, 0, len(t.created))
	for k := range t.created {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (t *Target) track(kind, name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.created == nil {
		t.created = map[string]bool{}
	}
	t.created[kind+"/"+name] = true
}

// Token provisions a one-time enrolment token as an operator would, and
// records its Secret as setup.
func (t *Target) Token(ctx context.Context, o tokens.Options) (string, error) {
	tok, err := tokens.Create(ctx, t.Client, t.Namespace, o)
	if err != nil {
		return "", err
	}
	id, _, err := wasmbedv1.ParseToken(tok)
	if err != nil {
		return "", err
	}
	t.track("Secret", wasmbedv1.TokenSecretPrefix+id)
	return tok, nil
}

// CA reads the gateway's CA from its Secret. Attacks that need a
// certificate genuinely issued by it (expired, not yet valid, for a key
// with no Device) stand in for the CA with it; the attacker never has it.
func (t *Target) CA(ctx context.Context) (*pki.CA, error) {
	var s corev1.Secret
	if err := t.Client.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: pki.DefaultSecretName}, &s); err != nil {
		return nil, err
	}
	return pki.FromSecret(&s)
}
