package diag

import (
	"context"
	"crypto/x509"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/gdamore/tcell/v2"

	"kofu/cardreader/emucard"
	"kofu/internal/emulator"
	"kofu/internal/testclock"
	"kofu/printer"
	"kofu/printer/emuprinter"
	"kofu/protocol"
	"kofu/terminal/health"
	"kofu/terminal/journal"
)

// world is the technician UI over emulated parts driven by kofu's real
// code: the card APDU by APDU, the printer over its USB link, the center
// over mutual TLS, a real journal.
type world struct {
	env   *emulator.Env
	card  *emucard.Card
	emu   *emuprinter.Printer
	parts Parts
}

func newWorld(t *testing.T, sc emuprinter.Scenario) *world {
	t.Helper()
	ctx := context.Background()
	env, err := emulator.Start(ctx, emulator.Options{Now: testclock.Now(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Close() })
	fx := env.Fixtures
	res, _ := fx.Resident("R0002")
	card, err := emucard.New(fx, res, emucard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	emu := emuprinter.New(emuprinter.Config{Scenario: sc})
	p, err := printer.New(ctx, printer.OnLink(emu), printer.Options{ConfirmTimeout: 2 * time.Second, PerPage: time.Millisecond,
		StallTimeout: 30 * time.Millisecond, WriteTimeout: 2 * time.Second, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	term, _ := fx.Terminal("T0001")
	roots := x509.NewCertPool()
	roots.AddCert(fx.OperatorCA.Cert)
	tr, err := protocol.NewTransport(roots, term.Device.TLS())
	if err != nil {
		t.Fatal(err)
	}
	jpath := filepath.Join(t.TempDir(), "journal")
	j, _, err := journal.Open(jpath, make([]byte, 32), func() time.Time { return base().Add(-time.Hour) })
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []journal.Record{
		{Kind: journal.KindState, Session: "aaaaaaaa1111", State: "card"},
		{Kind: journal.KindState, Session: "aaaaaaaa1111", State: "print"},
		{Kind: journal.KindEnd, Session: "aaaaaaaa1111", State: "printed", Fee: 300, Billing: "captured", Pages: 1},
		{Kind: journal.KindState, Session: "bbbbbbbb2222", State: "card"},
		{Kind: journal.KindState, Session: "bbbbbbbb2222", State: "verify"},
		{Kind: journal.KindEnd, Session: "bbbbbbbb2222", State: "refused", Reason: "page-qr-mismatch", Billing: "released"},
	} {
		if err := j.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	w := &world{env: env, card: card, emu: emu}
	reader := "kofu emulated reader 00"
	w.parts = Parts{
		Readers: health.StaticReaders{reader},
		Card:    health.DialerCard(card.Dialer(reader)),
		Printer: health.Held(p),
		TestPage: func(ctx context.Context) health.Result {
			page, err := protocol.TechnicianTestPage(image.NewGray(image.Rect(0, 0, 2480, 3508)), 300)
			if err != nil {
				return health.Result{Status: health.Fail, Detail: err.Error()}
			}
			n, err := p.Print(ctx, nil, []*protocol.VerifiedPage{page})
			if err != nil {
				return health.Result{Status: health.Fail, Detail: fmt.Sprintf("test page NOT printed: %v", err)}
			}
			return health.Result{Status: health.OK, Detail: fmt.Sprintf("test page printed and confirmed (%d page)", n)}
		},
		Center:  health.Center{URL: env.Center.URL, Transport: tr, Now: env.Now}, // the world's clock, as the Date header
		Journal: jpath,
	}
	w.parts.Checks = []health.Check{
		health.Reader(w.parts.Readers, ""), health.CardApplet(w.parts.Card), health.PrinterCheck(w.parts.Printer),
		health.CenterCheck(w.parts.Center), health.JournalCheck(jpath),
	}
	return w
}

func (h *harness) press(keys ...any) {
	for _, k := range keys {
		switch k := k.(type) {
		case rune:
			h.sim.InjectKey(tcell.KeyRune, k, tcell.ModNone)
		case tcell.Key:
			h.sim.InjectKey(k, 0, tcell.ModNone)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// norm removes what layout adds: spaces, line breaks and box drawing.
func norm(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || (r >= 0x2500 && r <= 0x257f) {
			return -1
		}
		return r
	}, s)
}

// waitFor waits until every want is on screen and returns the screen.
func (h *harness) waitFor(want ...string) string {
	h.t.Helper()
	deadline := time.Now().Add(15 * time.Second) // a deadline for polling: elapsed time only
	for {
		s := h.d.Snapshot()
		missing := ""
		for _, w := range want {
			if !strings.Contains(norm(s), norm(w)) {
				missing = w
				break
			}
		}
		if missing == "" {
			return s
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("screen never showed %q; it shows:\n%s", missing, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func absent(t *testing.T, s string, not ...string) {
	t.Helper()
	for _, n := range not {
		if strings.Contains(norm(s), norm(n)) {
			t.Errorf("screen shows %q:\n%s", n, s)
		}
	}
}

// TestScreens opens each screen with its key and reads it back, over
// kofu's real parts (emulated card, printer, center; a real journal).
func TestScreens(t *testing.T) {
	w := newWorld(t, emuprinter.Scenario{})
	fx := w.env.Fixtures
	res, _ := fx.Resident("R0002")
	cases := []struct {
		name string
		key  rune
		want []string
		not  []string
	}{
		{"overview", '1', []string{"1 Overview", "2 Reader", "7 Outbox", "OK reader blocking kofu emulated reader 00",
			"OK card info kofu emulated reader 00: My Number card", "OK printer blocking kofu Emulated Laser 5 (SN EMU0001): ready",
			"OK center blocking", "reachable over mutual TLS (TLS 1.3)", "OK journal blocking", "READY: no blocking check fails",
			"<?> help", "<R> refresh", "<Q> quit", "sw kofu-kiosk/test+abc", "profile laptop", "up 1d02h", "refreshed 10:00"}, nil},
		{"reader and card", '2', []string{"Readers", "kofu emulated reader 00", "Card (JPKI applet check, no PIN)",
			"ATR 3B E0 00 FF 81 31 FE 45 14", "token JPKIAPICCTOKEN2", "serial " + res.CardCert.SerialNumber.Text(16),
			"PIN tries left 3", "APDU trace of this check", "kofu emulated reader 00 > 00 A4 04 0C"},
			[]string{res.PIN + " "}},
		{"printer", '3', []string{"OK kofu Emulated Laser 5 (SN EMU0001): ready", "state ready", "port status 0x18 (selected)", "PJL 10001",
			"manufacturer kofu", "model Emulated Laser 5", "command set PJL,PCL,PCL5E,PWG", "device 0525:a4a8",
			"protocol 2 (bidirectional)", "path pjl+pcl5", "confirmation yes", "<T> print a test page"}, nil},
		{"center", '4', []string{"OK 127.0.0.1:", "URL " + w.env.Center.URL, "answer HTTP 404 unknown-ticket", "version TLS 1.3",
			"cipher TLS_", "peer subject " + fx.CenterTLS.Cert.Subject.String(), "peer expires", "skew 0s"}, nil},
		{"journal", '5', []string{"OK chain verified: 7 records", "Sessions, newest first", "bbbbbbbb", "refused page-qr-mismatch",
			"aaaaaaaa printed - 300 1 card → print", "TIME JST REFERENCE OUTCOME REASON FEE PAGES STATES"}, nil},
		{"counters", '6', []string{"Sessions by outcome", "printed 1", "refused 1", "Refusals by reason", "Refused because of a page",
			"page-qr-mismatch 1", "Failed, unknown and cancelled sessions by reason", "none", "starts 1", "records 7"}, nil},
		{"outbox", '7', []string{"Outcomes the center has not heard yet (0)", "none: the center has heard every outcome", "<S> send"}, nil},
	}
	h := newHarness(t, w.parts.Backend(), 110, 40)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h.t = t
			h.press(tc.key)
			s := h.waitFor(tc.want...)
			absent(t, s, tc.not...)
		})
	}
	if tries, verified := w.card.PINState(); tries != 3 || verified {
		t.Errorf("diag spent a PIN try or verified the PIN: %d %v", tries, verified)
	}
}

// TestScreensShowFaults: the screens say what is wrong when parts break,
// and R checks again.
func TestScreensShowFaults(t *testing.T) {
	w := newWorld(t, emuprinter.Scenario{PaperOutAt: 1})
	h := newHarness(t, w.parts.Backend(), 110, 40)
	h.waitFor("READY")

	// The test page runs the printer out of paper: FAIL with the reason,
	// and the printer screen says so.
	h.press('3')
	h.waitFor("state ready")
	h.press('T')
	h.waitFor("Test page", "FAIL test page NOT printed", "paper out", "FAIL kofu Emulated Laser 5 (SN EMU0001): paper out: load A4 paper",
		"state NOT READY", "fault PAPER OUT: load A4 paper and close the tray")
	h.press('1', 'R')
	h.waitFor("FAIL printer blocking", "OUT OF SERVICE: the customer UI stays closed while printer fails")

	// The card is pulled: the applet check asks for a test card.
	w.card.Remove()
	h.press('2', 'R')
	h.waitFor("WARN no card inserted: insert a test card", "no APDU exchanged")

	// The journal is tampered with.
	data, _ := os.ReadFile(w.parts.Journal)
	os.WriteFile(w.parts.Journal, []byte(strings.Replace(string(data), `"fee":300`, `"fee":3000`, 1)), 0o600)
	h.press('5', 'R')
	h.waitFor("FAIL CHAIN BROKEN: journal line 4", "the first 3 records verify", "aaaaaaaa open")
	absent(t, h.d.Snapshot(), "aaaaaaaa printed", "bbbbbbbb")

	// The center goes down.
	w.env.Center.Close()
	h.press('4')
	h.waitFor("FAIL nothing listens at 127.0.0.1:", "connection refused")

	h.press('Q', 'Y')
	deadline := time.Now().Add(5 * time.Second) // a deadline for polling: elapsed time only
	for h.d.Snapshot() != "" {
		if time.Now().After(deadline) {
			t.Fatal("Q Y did not quit")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestTestPagePrinted: T prints a test page the printer confirms.
func TestTestPagePrinted(t *testing.T) {
	w := newWorld(t, emuprinter.Scenario{})
	h := newHarness(t, w.parts.Backend(), 110, 40)
	h.press('3')
	h.waitFor("state ready")
	h.press('T')
	h.waitFor("OK test page printed and confirmed (1 page)")
	if n := len(w.emu.Pages()); n != 1 {
		t.Errorf("%d pages on the emulated printer", n)
	}
}
