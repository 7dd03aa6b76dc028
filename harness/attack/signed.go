package attack

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"

	fixtures "github.com/wasmbed/wasmbed/fixtures/apps"
	"github.com/wasmbed/wasmbed/harness/appspec"
	"github.com/wasmbed/wasmbed/sut/abi"
	"github.com/wasmbed/wasmbed/sut/protocol"
	"github.com/wasmbed/wasmbed/sut/refusal"
)

// SignModule returns what Application.spec.module.signature carries for
// module: the base64 of key's Ed25519 signature over the module's raw
// 32-byte sha256 digest.
func SignModule(key ed25519.PrivateKey, module []byte) string {
	sum := sha256.Sum256(module)
	return base64.StdEncoding.EncodeToString(ed25519.Sign(key, sum[:]))
}

// TrustedKey renders a signer's public key as trustedModuleKeys lists it
// (base64url SPKI, like Device.spec.publicKey).
func TrustedKey(pub ed25519.PublicKey) string { return protocol.EncodePublicKey(pub) }

// signedUnsigned ships a module without a signature to a device that
// requires them.
func signedUnsigned(ctx context.Context, t *Target) (Outcome, error) {
	app := appspec.FromFixture(t.Namespace, "atk-unsigned", fixtures.Hello, appspec.Options{})
	return t.hostileApp(ctx, app, t.SignedDevice, refusal.StageDeploy, abi.ReasonSignatureMissing, "")
}

// signedTampered ships another module under a trusted signer's genuine
// signature of hello: the module was swapped after signing.
func signedTampered(ctx context.Context, t *Target) (Outcome, error) {
	app := appspec.FromFixture(t.Namespace, "atk-tampered", fixtures.HelloV2, appspec.Options{})
	app.Spec.Module.Signature = SignModule(t.ModuleSigner, fixtures.Hello.Wasm())
	return t.hostileApp(ctx, app, t.SignedDevice, refusal.StageDeploy, abi.ReasonSignatureInvalid, "")
}

// signedUntrusted ships a module correctly signed by a key nobody trusts.
func signedUntrusted(ctx context.Context, t *Target) (Outcome, error) {
	_, key := NewKey()
	app := appspec.FromFixture(t.Namespace, "atk-untrusted", fixtures.Hello, appspec.Options{})
	app.Spec.Module.Signature = SignModule(key, fixtures.Hello.Wasm())
	return t.hostileApp(ctx, app, t.SignedDevice, refusal.StageDeploy, abi.ReasonSignatureInvalid, "")
}
