// Package pages owns the A4 page images of protocol v1 (DESIGN §3.2, §3.4):
// the issuance center's certificate renderer and PNG encoder, and the
// kiosk's hostile-input page checker (PNG structure and limits, QR search).
package pages
