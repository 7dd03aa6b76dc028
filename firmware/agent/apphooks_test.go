package agent

import (
	"crypto/ed25519"
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/wasmbed/wasmbed/sut/abi"
	"github.com/wasmbed/wasmbed/sut/protocol"
	"github.com/wasmbed/wasmbed/sut/refusal"
)

func TestCheckSignature(t *testing.T) {
	trusted := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	stranger := ed25519.NewKeyFromSeed([]byte("a key nobody trusts, 32 bytes..."))
	key := func(k ed25519.PrivateKey) string { return protocol.EncodePublicKey(k.Public().(ed25519.PublicKey)) }
	module := sha256.Sum256([]byte("module"))
	other := sha256.Sum256([]byte("another module"))
	signed := ed25519.Sign(trusted, module[:])

	for name, tc := range map[string]struct {
		profileRequires bool
		deploy          protocol.Deploy
		digest          []byte
		want            refusal.Reason
		msg             string
	}{
		"not required, unsigned":          {deploy: protocol.Deploy{}, digest: module[:]},
		"not required, signed":            {deploy: protocol.Deploy{Signature: signed, TrustedKeys: []string{key(stranger)}}, digest: module[:]},
		"required by the deploy, missing": {deploy: protocol.Deploy{RequireSigned: true}, digest: module[:], want: abi.ReasonSignatureMissing},
		"required by the profile, missing": {profileRequires: true, deploy: protocol.Deploy{TrustedKeys: []string{key(trusted)}}, digest: module[:],
			want: abi.ReasonSignatureMissing},
		"signed by a trusted key": {deploy: protocol.Deploy{RequireSigned: true, Signature: signed, TrustedKeys: []string{key(stranger), key(trusted)}}, digest: module[:]},
		"a malformed key is skipped": {deploy: protocol.Deploy{RequireSigned: true, Signature: signed, TrustedKeys: []string{"not-a-key", key(trusted)}},
			digest: module[:]},
		"signed by an untrusted key": {deploy: protocol.Deploy{RequireSigned: true, Signature: signed, TrustedKeys: []string{key(stranger)}}, digest: module[:],
			want: abi.ReasonSignatureInvalid, msg: "does not verify against any trusted key"},
		"another module's signature": {deploy: protocol.Deploy{RequireSigned: true, Signature: signed, TrustedKeys: []string{key(trusted)}}, digest: other[:],
			want: abi.ReasonSignatureInvalid},
		"no key trusted": {deploy: protocol.Deploy{RequireSigned: true, Signature: signed}, digest: module[:],
			want: abi.ReasonSignatureInvalid, msg: "no trusted signing keys are configured for this device"},
	} {
		a := &Agent{cfg: Config{Profile: Profile{RequireSignedModules: tc.profileRequires}}}
		reason, msg := a.checkSignature(&tc.deploy, tc.digest)
		if reason != tc.want || !strings.Contains(msg, tc.msg) {
			t.Errorf("%s: %q %q, want %q %q", name, reason, msg, tc.want, tc.msg)
		}
	}
}
