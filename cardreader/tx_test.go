package cardreader_test

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"kofu/cardreader"
	"kofu/cardreader/emucard"
)

// txDialer wraps an emulated card in connections that have transactions
// (cardreader.Transactor), as PC/SC ones do, and logs them: "B" and "E"
// for BeginTransaction and EndTransaction, "X" for Close, and each APDU
// in hex.
type txDialer struct {
	e   *emucard.Card
	log []string
	// failExtended makes the "reader" fail extended-length APDUs in
	// transit, without saying beforehand that it cannot carry them.
	failExtended bool
}

func (d *txDialer) Reader() string { return "tx" }

func (d *txDialer) Dial(ctx context.Context) (cardreader.Conn, error) {
	c, err := d.e.Dialer("tx").Dial(ctx)
	if err != nil {
		return nil, err
	}
	return &txConn{Conn: c, d: d}, nil
}

type txConn struct {
	cardreader.Conn
	d *txDialer
}

func (c *txConn) BeginTransaction(ctx context.Context) error {
	c.d.log = append(c.d.log, "B")
	return ctx.Err()
}

func (c *txConn) EndTransaction() error { c.d.log = append(c.d.log, "E"); return nil }

func (c *txConn) Transmit(ctx context.Context, apdu []byte) ([]byte, error) {
	c.d.log = append(c.d.log, fmt.Sprintf("%X", apdu))
	if c.d.failExtended && apdu[1] == 0xB0 && len(apdu) == 7 {
		return nil, errors.New("reader: command too long for a short-APDU reader")
	}
	return c.Conn.Transmit(ctx, apdu)
}

func (c *txConn) Close(unpower bool) error {
	c.d.log = append(c.d.log, "X")
	return c.Conn.Close(unpower)
}

// TestEverySequenceInATransaction: every APDU kofu sends is inside a
// transaction, and every transaction starts by selecting the applet
// again (no selection is trusted across transactions; Open's, which
// detects the profile, may first try the generation-1 AID); VERIFY →
// SELECT key → sign → logout share one. For both card generations.
func TestEverySequenceInATransaction(t *testing.T) {
	fx := loadFixtures(t)
	for _, tc := range []struct {
		id    string
		short bool
	}{{"R0003", false}, {"R0003", true}, {"G0001", false}, {"G0001", true}} {
		r, short := resident(t, fx, tc.id), tc.short
		e := emu(t, fx, tc.id, emucard.Options{})
		d := &txDialer{e: e}
		ctx := context.Background()
		c, err := cardreader.Open(ctx, d, &cardreader.Options{ShortAPDUs: short})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Token(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := c.AuthCertificate(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := c.AuthPINRetries(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := c.AuthKey(ctx, []byte("0000")); err == nil {
			t.Fatal("a wrong PIN was accepted")
		}
		k, err := c.AuthKey(ctx, []byte(r.PIN))
		if err != nil {
			t.Fatal(err)
		}
		h, hf := make([]byte, 32), crypto.SHA256
		if e.Profile().Key == cardreader.KeyECDSAP384 {
			h, hf = make([]byte, 48), crypto.SHA384
		}
		if _, err := k.Sign(nil, h, hf); err != nil {
			t.Fatal(err)
		}
		c.Close()

		selAP := fmt.Sprintf("00A4040C%02X%X", len(e.Profile().AID), e.Profile().AID)
		selGen1 := fmt.Sprintf("00A4040C0A%X", cardreader.JPKIAID())
		in, first, txs := false, false, 0
		var sign []string // the transaction that signs
		var cur []string
		for _, ev := range d.log {
			switch ev {
			case "B":
				if in {
					t.Fatalf("short %v: nested transaction: %s", short, strings.Join(d.log, " "))
				}
				in, first, cur = true, true, nil
				txs++
			case "E", "X":
				if ev == "E" && !in {
					t.Fatalf("short %v: EndTransaction outside one", short)
				}
				if in && slices.Contains(cur, "2A") {
					sign = cur
				}
				in = false
			default:
				if !in {
					t.Fatalf("short %v: APDU %s outside a transaction: %s", short, ev, strings.Join(d.log, " "))
				}
				if first && ev != selAP && (txs > 1 || ev != selGen1) {
					t.Fatalf("%s short %v: a transaction begins with %s, not SELECT AP", tc.id, short, ev)
				}
				first = false
				cur = append(cur, ev[2:4])
			}
		}
		if want := []string{"A4", "A4", "20", "A4", "2A", "A4"}; !slices.Equal(sign, want) {
			t.Errorf("%s short %v: the signing transaction is %v, want %v (SELECT AP, SELECT PIN, VERIFY, SELECT key, sign, logout)", tc.id, short, sign, want)
		}
		if _, verified := e.PINState(); verified {
			t.Errorf("%s short %v: the card is left verified", tc.id, short)
		}
		t.Logf("%s short %v: %d transactions", tc.id, short, txs)
	}
}

// TestExtendedFailsInTheReader: a reader that fails an extended-length
// APDU in transit (without saying it cannot carry one): the certificate
// is read again with short APDUs on a new connection.
func TestExtendedFailsInTheReader(t *testing.T) {
	fx := loadFixtures(t)
	r := resident(t, fx, "R0003")
	d := &txDialer{e: emu(t, fx, "R0003", emucard.Options{}), failExtended: true}
	c, err := cardreader.Open(context.Background(), d, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cert, err := c.AuthCertificate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(cert.Raw, r.CardCertDER) {
		t.Fatal("wrong certificate")
	}
	ext := 0
	for _, ev := range d.log {
		if strings.HasPrefix(ev, "00B0") && len(ev) == 14 {
			ext++
		}
	}
	if ext != 1 {
		t.Errorf("%d extended READ BINARY, want 1 (then short ones): %v", ext, d.log)
	}
}
