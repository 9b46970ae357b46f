package cardreader_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"

	"kofu/cardreader"
	"kofu/cardreader/emucard"
	"kofu/internal/fuzzcorpus"
)

// apduRecorder is a Transmitter that passes APDUs to an emulated card and
// keeps each command (copied before the card reader zeroes a VERIFY) and
// its answer.
type apduRecorder struct {
	card *emucard.Card
	cmds [][]byte
	resp [][]byte
}

func (r *apduRecorder) Transmit(ctx context.Context, apdu []byte) ([]byte, error) {
	r.cmds = append(r.cmds, bytes.Clone(apdu))
	resp, err := r.card.Transmit(ctx, apdu)
	r.resp = append(r.resp, bytes.Clone(resp))
	return resp, err
}

// recordSession runs what a kiosk session does with a card through the
// real card reader code: open (SELECT), read the certificate, ask the
// tries left, VERIFY pin, and sign one digest.
func recordSession(t *testing.T, res string, o emucard.Options, pin string) *apduRecorder {
	t.Helper()
	fx := loadFixtures(t)
	r := resident(t, fx, res)
	ec, err := emucard.New(fx, r, o)
	if err != nil {
		t.Fatal(err)
	}
	rec := &apduRecorder{card: ec}
	ctx := context.Background()
	c, err := cardreader.Open(ctx, cardreader.NewDialer("corpus", rec, ec.ATR()), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.AuthCertificate(ctx); err != nil {
		t.Logf("%s: certificate: %v", res, err)
	}
	if _, err := c.AuthPINRetries(ctx); err != nil {
		t.Logf("%s: tries: %v", res, err)
	}
	k, err := c.AuthKey(ctx, []byte(pin))
	if err != nil {
		t.Logf("%s: PIN %s: %v", res, pin, err)
		return rec
	}
	d := sha256.Sum256([]byte("kofu corpus"))
	if _, err := k.Sign(rand.Reader, d[:], crypto.SHA256); err != nil {
		t.Fatal(err)
	}
	return rec
}

// readEF reads a whole transparent EF from an emulated card by READ
// BINARY until the card answers 6B00, as its bytes sit on the card.
func readEF(t *testing.T, ec *emucard.Card, sel string) []byte {
	t.Helper()
	for _, a := range []string{"00A4040C0AD392F000260100000001", sel} {
		if resp := ec.Process(mustHex(a)); !bytes.Equal(resp, []byte{0x90, 0x00}) {
			t.Fatalf("%s: % X", a, resp)
		}
	}
	var file []byte
	for off := 0; off < 1<<15; off += 256 {
		resp := ec.Process([]byte{0x00, 0xB0, byte(off >> 8), byte(off), 0x00})
		if len(resp) < 2 || resp[len(resp)-2] != 0x90 {
			break
		}
		file = append(file, resp[:len(resp)-2]...)
		if len(resp)-2 < 256 {
			break
		}
	}
	return file
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// TestWriteFuzzCorpus writes the committed corpora of the card fuzz
// targets here and in emucard/ from a real session: the APDUs the card
// reader sends and the emulated card's answers, the card's certificate
// file, real DER objects and DigestInfos, and their truncations.
func TestWriteFuzzCorpus(t *testing.T) {
	fuzzcorpus.Skip(t)
	fx := loadFixtures(t)
	r1 := resident(t, fx, "R0001")
	sessions := map[string]*apduRecorder{
		"ok":         recordSession(t, "R0001", emucard.Options{}, r1.PIN),
		"wrong-pin":  recordSession(t, "R0002", emucard.Options{}, "0000"),
		"first-6f00": recordSession(t, "R0003", emucard.Options{FirstAPDU6F00: true}, resident(t, fx, "R0003").PIN),
		"smartphone": recordSession(t, "R0001", emucard.Options{Variant: emucard.Smartphone}, r1.PIN),
	}
	for _, r := range fx.Curated() {
		if r.PINBlocked {
			sessions["blocked"] = recordSession(t, r.ID, emucard.Options{}, "1111")
			break
		}
	}

	// Answers and commands, by session.
	respC, cmdC, seqC := fuzzcorpus.New("FuzzParseResponse"), fuzzcorpus.New("FuzzParseCommand"), fuzzcorpus.New("FuzzCardCommands")
	for name, rec := range sessions {
		var seq []byte
		for i, cmd := range rec.cmds {
			what := fmt.Sprintf("%s-%02d-ins%02x", name, i, cmd[1])
			cmdC.Add(what, cmd)
			resp := rec.resp[i]
			respC.Add(fmt.Sprintf("%s-sw%02x%02x", what, resp[len(resp)-2], resp[len(resp)-1]), resp)
			seq = append(seq, byte(len(cmd)))
			seq = append(seq, cmd...)
		}
		seqC.Add("session-"+name, seq)
	}
	respC.Add("truncated-one-byte", []byte{0x90})
	respC.Add("empty", []byte{})
	cmdC.Add("extended-case4", mustHex("00A40400000002AABB0100"))
	cmdC.Add("extended-le-only", mustHex("00B0000000FFFF"))
	cmdC.Add("lc-beyond-data", mustHex("00200080080102"))
	cmdC.Add("header-only", mustHex("00A4040C"))

	// Certificate files as they sit on the card.
	certC := fuzzcorpus.New("FuzzCertificateRead")
	for _, v := range []struct {
		name string
		o    emucard.Options
	}{{"mynumber", emucard.Options{}}, {"smartphone", emucard.Options{Variant: emucard.Smartphone}}} {
		ec, err := emucard.New(fx, r1, v.o)
		if err != nil {
			t.Fatal(err)
		}
		file := readEF(t, ec, "00A4020C02000A")
		if len(file) == 0 {
			t.Logf("%s: certificate EF not readable without the PIN", v.name)
			continue
		}
		// mode 0: one extended-length READ BINARY; 1: short APDUs; 2: the
		// card refuses extended ones (FuzzCertificateRead).
		for mode, m := range []string{"", "-short", "-6700"} {
			certC.Add("ef000a-"+v.name+m, file, byte(mode))
			certC.Add("ef000a-"+v.name+m+"-cut-at-256", file[:256], byte(mode))
			certC.Add("ef000a-"+v.name+m+"-header-only", file[:4], byte(mode))
		}
	}
	certC.Add("bare-cert-der", r1.CardCertDER, byte(0))
	certC.Add("length-past-file", append([]byte{0x30, 0x82, 0x7F, 0xFF}, r1.CardCertDER[4:]...), byte(1))
	certC.Add("erased", bytes.Repeat([]byte{0xFF}, 2048), byte(0))

	// Real DER objects and their headers.
	ders := map[string][]byte{"card-cert": r1.CardCertDER}
	ders["jpki-ca"] = fx.JPKICA.Cert.Raw
	ders["center-ca"] = fx.CenterCA.Cert.Raw
	ders["operator-ca"] = fx.OperatorCA.Cert.Raw
	hdrC, tlvC, diC := fuzzcorpus.New("FuzzDERHeader"), fuzzcorpus.New("FuzzParseTLV"), fuzzcorpus.New("FuzzDigestInfo")
	for name, der := range ders {
		hdrC.Add(name+"-header", der[:5])
		tlvC.Add(name, der)
		tlvC.Add(name+"-trailing-padding", append(bytes.Clone(der), 0xFF, 0xFF, 0xFF))
		tlvC.Add(name+"-truncated", der[:len(der)/2])
		if _, v, _, err := cardreader.ParseTLV(der); err == nil {
			tlvC.Add(name+"-tbs", v)
		}
	}
	hdrC.Add("long-form-not-minimal", []byte{0x30, 0x81, 0x05})
	hdrC.Add("indefinite", []byte{0x30, 0x80})
	hdrC.Add("four-length-bytes", []byte{0x30, 0x84, 0x00, 0x00, 0x01, 0x00})
	hdrC.Add("high-tag-number", []byte{0x1F, 0x81, 0x01, 0x00})
	for _, hh := range []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512} {
		d := make([]byte, hh.Size())
		for i := range d {
			d[i] = byte(i * 7)
		}
		di, err := cardreader.DigestInfo(d, hh)
		if err != nil {
			t.Fatal(err)
		}
		diC.Add("digestinfo-"+hh.String(), di)
		diC.Add("digestinfo-"+hh.String()+"-truncated", di[:len(di)-1])
		diC.Add("digestinfo-"+hh.String()+"-trailing", append(bytes.Clone(di), 0x00))
		tlvC.Add("digestinfo-"+hh.String(), di)
		hdrC.Add("digestinfo-"+hh.String(), di[:2])
	}
	if rec := sessions["ok"]; rec != nil {
		for _, cmd := range rec.cmds {
			if cmd[1] == 0x2A && len(cmd) > 5 { // the PSO: COMPUTE DIGITAL SIGNATURE data is a DigestInfo
				diC.Add("digestinfo-as-signed", cmd[5:5+int(cmd[4])])
			}
		}
	}
	diC.Add("raw-digest-no-header", bytes.Repeat([]byte{0xAB}, 32))
	diC.Add("digestinfo-sha1-unsupported", append(mustHex("3021300906052B0E03021A05000414"), make([]byte, 20)...))
	diC.Add("digestinfo-sha256-no-null-params", append(mustHex("302f300b06096086480165030402010420"), make([]byte, 32)...))

	for _, c := range []*fuzzcorpus.Corpus{respC, hdrC, tlvC, diC, certC} {
		if err := c.Write("."); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []*fuzzcorpus.Corpus{cmdC, seqC} {
		if err := c.Write("emucard"); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("responses %d, commands %d, sessions %d, certificate files %d", respC.Len(), cmdC.Len(), seqC.Len(), certC.Len())
}
