package attack

import (
	"crypto/rand"
	"encoding/binary"
)

// Cipher suites a TLS 1.3 client may offer.
var (
	// StrongSuites are TLS 1.3's own.
	StrongSuites = []uint16{0x1301, 0x1302, 0x1303}
	// WeakSuites are broken or export-grade: RC4, DES, 3DES, NULL and
	// export RC4. No TLS 1.3 server may pick one.
	WeakSuites = []uint16{0x0005, 0x0004, 0x0009, 0x000a, 0x0002, 0x0003}
)

// ClientHello hand-assembles a TLS 1.3 ClientHello record offering only
// suites: what a client Go's crypto/tls would never send (it always offers
// TLS 1.3's suites), and the first flight a slowloris trickles. It offers
// X25519 with a random share and Ed25519 signatures, like a device.
func ClientHello(suites []uint16) []byte {
	var body []byte
	body = append(body, 0x03, 0x03) // legacy_version: TLS 1.2
	random := make([]byte, 32+32+32)
	_, _ = rand.Read(random)
	body = append(body, random[:32]...)   // random
	body = append(body, 32)               // legacy_session_id
	body = append(body, random[32:64]...) //
	body = binary.BigEndian.AppendUint16(body, uint16(2*len(suites)))
	for _, s := range suites {
		body = binary.BigEndian.AppendUint16(body, s)
	}
	body = append(body, 1, 0) // compression: null only

	var ext []byte
	extension := func(typ uint16, data []byte) {
		ext = binary.BigEndian.AppendUint16(ext, typ)
		ext = binary.BigEndian.AppendUint16(ext, uint16(len(data)))
		ext = append(ext, data...)
	}
	extension(0x002b, []byte{2, 0x03, 0x04})                          // supported_versions: TLS 1.3
	extension(0x000a, []byte{0, 2, 0x00, 0x1d})                       // supported_groups: x25519
	extension(0x000d, []byte{0, 4, 0x08, 0x07, 0x04, 0x03})           // signature_algorithms: ed25519, ecdsa_p256
	share := append([]byte{0, 36, 0x00, 0x1d, 0, 32}, random[64:]...) // key_share: x25519
	extension(0x0033, share)
	body = binary.BigEndian.AppendUint16(body, uint16(len(ext)))
	body = append(body, ext...)

	hs := []byte{0x01, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}
	hs = append(hs, body...)
	rec := []byte{0x16, 0x03, 0x01, byte(len(hs) >> 8), byte(len(hs))}
	return append(rec, hs...)
}

// AlertDescription returns the description byte of a TLS alert record at
// the start of b (40 is handshake_failure), or -1 if b does not start with
// one.
func AlertDescription(b []byte) int {
	if len(b) >= 7 && b[0] == 0x15 && b[3] == 0 && b[4] == 2 {
		return int(b[6])
	}
	return -1
}
