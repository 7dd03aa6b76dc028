// Package scheme holds the runtime.Scheme Wasmbed's components talk to
// the API server with: client-go's built-in types (Secrets, ConfigMaps,
// Leases, Events) and wasmbed.io/v1alpha1. The gateway and the controller
// binary share it, so the controller links no gateway code to get it.
package scheme

import (
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// Scheme knows client-go's built-in types and wasmbed.io/v1alpha1.
var Scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(wasmbedv1.AddToScheme(s))
	return s
}()
