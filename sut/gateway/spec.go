package gateway

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// Durations from the Gateway spec, with the schema's defaults for objects
// created before a default existed.
func heartbeatInterval(s *wasmbedv1.GatewaySpec) time.Duration {
	return durationOr(s.HeartbeatInterval, 10*time.Second)
}

func heartbeatTimeout(s *wasmbedv1.GatewaySpec) time.Duration {
	return durationOr(s.HeartbeatTimeout, 30*time.Second)
}

func statusFlushInterval(s *wasmbedv1.GatewaySpec) time.Duration {
	return durationOr(s.StatusFlushInterval, 60*time.Second)
}

func certValidity(s *wasmbedv1.GatewaySpec) time.Duration {
	return durationOr(s.Enrollment.CertificateValidity, 720*time.Hour)
}

func allowTokens(s *wasmbedv1.GatewaySpec) bool {
	return s.Enrollment.AllowTokens == nil || *s.Enrollment.AllowTokens
}

func allowPreRegistered(s *wasmbedv1.GatewaySpec) bool {
	return s.Enrollment.AllowPreRegistered == nil || *s.Enrollment.AllowPreRegistered
}

func durationOr(p *metav1.Duration, def time.Duration) time.Duration {
	if p == nil || p.Duration <= 0 {
		return def
	}
	return p.Duration
}
