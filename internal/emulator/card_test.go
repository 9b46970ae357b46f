package emulator_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"testing"

	"kofu/internal/emulator"
	"kofu/internal/fixtures"
	"kofu/internal/testclock"
	"kofu/protocol"
)

// TestCardsOfBothGenerationsSignRequests: a resident's card, as the
// APDU-level emulated card behind the real cardreader code (CardSlot) and
// as the software card (SoftCard), signs a request the center accepts:
// RS256 for a generation-1 card, ES384 for a generation-2 one.
func TestCardsOfBothGenerationsSignRequests(t *testing.T) {
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	now := testclock.Open(t)
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(fx.JPKICA.Cert)
	inter.AddCert(fx.JPKIP384CA.Cert)
	trust := protocol.CardTrust{Roots: roots, Intermediates: inter}
	doc, err := protocol.NewDocSpec(protocol.DocJuminhyo)
	if err != nil {
		t.Fatal(err)
	}
	type card interface {
		AuthCertificate(context.Context) (*x509.Certificate, error)
		AuthKey(context.Context, []byte) (crypto.Signer, error)
	}
	for _, tc := range []struct {
		id, alg string
	}{{"R0001", "RS256"}, {"G0001", "ES384"}, {"G0002", "ES384"}} {
		res, ok := fx.Resident(tc.id)
		if !ok {
			t.Fatalf("no %s", tc.id)
		}
		slot, err := emulator.NewCardSlot(fx, res)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []struct {
			name string
			open func(context.Context) (card, func(), error)
		}{
			{"CardSlot", func(ctx context.Context) (card, func(), error) {
				c, err := slot.Open(ctx)
				if err != nil {
					return nil, nil, err
				}
				return c, func() { c.Close() }, nil
			}},
			{"SoftCard", func(context.Context) (card, func(), error) { return emulator.NewSoftCard(res), func() {}, nil }},
		} {
			t.Run(tc.id+"/"+k.name, func(t *testing.T) {
				ctx := context.Background()
				c, done, err := k.open(ctx)
				if err != nil {
					t.Fatal(err)
				}
				defer done()
				cert, err := c.AuthCertificate(ctx)
				if err != nil {
					t.Fatal(err)
				}
				key, err := c.AuthKey(ctx, []byte(res.PIN))
				if err != nil {
					t.Fatal(err)
				}
				req, err := protocol.NewRequest("T0001", "S0001", res.Muni, doc, now, "kofu-kiosk/test")
				if err != nil {
					t.Fatal(err)
				}
				compact, err := protocol.SignRequest(ctx, key, cert.Raw, req)
				if err != nil {
					t.Fatal(err)
				}
				hdr, err := base64.RawURLEncoding.DecodeString(string(compact[:bytes.IndexByte(compact, '.')]))
				if err != nil {
					t.Fatal(err)
				}
				var h struct{ Alg string }
				if err := json.Unmarshal(hdr, &h); err != nil || h.Alg != tc.alg {
					t.Errorf("header %s, want alg %s", hdr, tc.alg)
				}
				got, signer, err := protocol.ParseRequestIn(compact, trust, now)
				if err != nil {
					t.Fatalf("the center refuses the request: %v", err)
				}
				if !bytes.Equal(signer.Raw, res.CardCertDER) || !bytes.Equal(got.RID, req.RID) {
					t.Error("the request parsed is not the one signed")
				}
			})
		}
	}
}
