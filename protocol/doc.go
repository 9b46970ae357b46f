// Package protocol owns kofu protocol v1 (DESIGN §3): the wire messages,
// JWS signing and the kiosk-side verifier of §3.4, the requester binding and
// subject formulas, problem documents, and the kiosk's HTTPS client.
package protocol
