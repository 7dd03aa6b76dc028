package abi

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// The defaults are the Application CRD's: an Application that leaves a
// limit out gets the same value from the API server's defaulting as from
// the gateway or a device filling in a zero.
func TestAppLimitDefaultsAreTheCRDs(t *testing.T) {
	data, err := os.ReadFile("../config/crd/wasmbed.io_applications.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.Unmarshal(data, &crd); err != nil {
		t.Fatal(err)
	}
	limits := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"].Properties["limits"].Properties
	crdDefault := func(field string, into any) {
		t.Helper()
		d := limits[field].Default
		if d == nil {
			t.Fatalf("the CRD gives %s no default", field)
		}
		if err := json.Unmarshal(d.Raw, into); err != nil {
			t.Fatal(err)
		}
	}
	var pages, restarts int
	var execution string
	crdDefault("maxMemoryPages", &pages)
	crdDefault("maxRestarts", &restarts)
	crdDefault("maxExecutionTime", &execution)
	if pages != DefaultMaxMemoryPages {
		t.Errorf("maxMemoryPages: the CRD defaults to %d, abi to %d", pages, DefaultMaxMemoryPages)
	}
	if restarts != DefaultMaxRestarts {
		t.Errorf("maxRestarts: the CRD defaults to %d, abi to %d", restarts, DefaultMaxRestarts)
	}
	if d, err := time.ParseDuration(execution); err != nil || d != DefaultMaxExecution {
		t.Errorf("maxExecutionTime: the CRD defaults to %q, abi to %v", execution, DefaultMaxExecution)
	}
}
