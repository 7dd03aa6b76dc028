package v1alpha1

// Condition types and reasons shared by the controller and the gateways.
const (
	// ConditionEnrolled on a Device: True once the controller approved its
	// enrolment. False with reason Denied (whose message names the denied
	// certificate serial) or AwaitingApproval otherwise, and with reason
	// Revoked once spec.revoked is set.
	ConditionEnrolled = "Enrolled"
	// ConditionConnected on a Device mirrors whether it has a live session.
	ConditionConnected = "Connected"

	// ConditionResolved on an Application: the module was found and its
	// digest verified.
	ConditionResolved = "Resolved"
	// ConditionScheduled on an Application: target devices were selected.
	ConditionScheduled = "Scheduled"
	// ConditionReady on an Application: every target runs the module; on a
	// Gateway: it serves devices.
	ConditionReady = "Ready"
	// ConditionLive on a Gateway: its Lease is being renewed.
	ConditionLive = "Live"

	ReasonApproved         = "Approved"
	ReasonDenied           = "Denied"
	ReasonAwaitingApproval = "AwaitingApproval"
	ReasonRevoked          = "Revoked"

	// FinalizerApplication keeps an Application until its app is stopped on
	// every device that can be reached.
	FinalizerApplication = "wasmbed.io/stop-on-devices"
)

// LeaseName is the name of the Lease a gateway renews.
func LeaseName(gateway string) string { return "wasmbed-gateway-" + gateway }
