package attack

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/wasmbed/wasmbed/sut/refusal"
)

// Category groups attacks by the defence they test.
type Category string

// The categories, in the order the catalogue lists them.
const (
	CategoryTLS        Category = "TLS"
	CategoryEnrollment Category = "Enrollment"
	CategoryProtocol   Category = "Protocol"
	CategoryRBAC       Category = "Kubernetes RBAC"
	CategorySandbox    Category = "WASM sandbox"
	CategorySigned     Category = "Signed modules"
)

// An attack is refused at one of the gateway's stages (refusal.Stage*, the
// stage label of wasmbed_gateway_refusals_total) with one of the SUT's
// reason codes (sut/protocol, sut/refusal, sut/abi), or by the API server.

// StageAPIServer is no stage of the gateway's: the Kubernetes API
// server's authorizer refused the request (403, reason Forbidden).
const StageAPIServer refusal.Stage = "apiserver"

// ReasonForbidden is the API server's reason for a request RBAC denies.
const ReasonForbidden = refusal.Reason(metav1.StatusReasonForbidden)

// Attack is one entry of the catalogue.
type Attack struct {
	// Name is a stable kebab-case identifier.
	Name string
	// Category is the defence it tests.
	Category Category
	// Does says what the attacker does, in one sentence.
	Does string
	// Stage and Reason are the refusal it must meet.
	Stage  refusal.Stage
	Reason refusal.Reason
	// Tells is true when the attacker itself is told Reason (in an Error,
	// an EnrollResponse, an API status or its Application's status), false
	// when all it sees is a TLS alert or a closed connection.
	Tells bool
	// Run stages the attack against t. It returns an error if the attack
	// could not be staged or was not refused: an Outcome says how it was
	// refused, for the caller to check against the gateway's log and
	// metrics.
	Run func(ctx context.Context, t *Target) (Outcome, error)
}

// Counted reports whether the gateway counts the attack's refusals in
// wasmbed_gateway_refusals_total{stage,reason}. App failures are counted
// by the device (its log and status); RBAC denials by the API server
// (authorization_attempts_total{result="no-opinion"}: no authorizer
// allowed it).
func (a Attack) Counted() bool {
	return a.Stage != refusal.StageApp && a.Stage != StageAPIServer
}

// Outcome is what an attack provoked.
type Outcome struct {
	// Told is the reason code the attacker was told; empty if it was not
	// told one (see Attack.Tells).
	Told refusal.Reason
	// Refusals is how many refusals the attack provoked: one per hostile
	// connection or request. At least 1.
	Refusals int
	// Evidence are fragments ("source=127.10.0.3:", "app=atk-oob") that,
	// with "reason=<Reason>", single out the attack's refusal lines in
	// LogOf's log: at least Refusals lines hold all of them.
	Evidence []string
	// LogOf names whose log holds the evidence: "" for the gateway, a
	// device name for that device. Unused for StageAPIServer.
	LogOf string
	// Detail says what the attacker saw, for the report.
	Detail string
}
