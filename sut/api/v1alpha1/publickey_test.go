package v1alpha1

import (
	"crypto/ed25519"
	"crypto/rand"
	"regexp"
	"strings"
	"testing"

	"os"
	"sigs.k8s.io/yaml"
)

// The CRD pattern must accept every encoded key and nothing with another
// prefix; this ties the Go encoder to the schema controller-gen emits.
func TestEncodePublicKeyMatchesCRDPattern(t *testing.T) {
	crd, err := os.ReadFile("../../config/crd/wasmbed.io_devices.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Spec struct {
			Versions []struct {
				Schema struct {
					OpenAPIV3Schema struct {
						Properties struct {
							Spec struct {
								Properties struct {
									PublicKey struct {
										Pattern string `json:"pattern"`
									} `json:"publicKey"`
								} `json:"properties"`
							} `json:"spec"`
						} `json:"properties"`
					} `json:"openAPIV3Schema"`
				} `json:"schema"`
			} `json:"versions"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(crd, &doc); err != nil {
		t.Fatal(err)
	}
	pattern := doc.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties.Spec.Properties.PublicKey.Pattern
	re := regexp.MustCompile(pattern)
	for range 200 {
		pub, _, _ := ed25519.GenerateKey(rand.Reader)
		s := EncodePublicKey(pub)
		if len(s) != 59 || !re.MatchString(s) {
			t.Fatalf("%q (len %d) does not match %s", s, len(s), pattern)
		}
		back, err := DecodePublicKey(s)
		if err != nil || !back.Equal(pub) {
			t.Fatalf("round trip: %v", err)
		}
	}
	if re.MatchString(strings.Repeat("A", 59)) {
		t.Fatal("pattern accepts a non-Ed25519 prefix")
	}
}
