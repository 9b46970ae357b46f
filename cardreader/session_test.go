package cardreader_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"kofu/cardreader/emucard"
	"kofu/internal/emulator"
	"kofu/internal/testclock"
	"kofu/protocol"
	"kofu/terminal"
	"kofu/terminal/journal"
)

// TestKioskSessionWithTheEmulatedCard runs one real kiosk session
// (emulated center, autopilot panel) with the APDU-level card through
// cardreader in place of the emulator's software card: the document is
// printed, the card signed once, and nothing is left verified.
func TestKioskSessionWithTheEmulatedCard(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	env, err := emulator.Start(ctx, emulator.Options{Now: testclock.Now(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	res := resident(t, env.Fixtures, "R0001")
	e := emu(t, env.Fixtures, "R0001", emucard.Options{})
	c := open(t, e, nil)
	j, _, err := journal.Open(filepath.Join(t.TempDir(), "journal"), bytes.Repeat([]byte{7}, 32), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	doc, err := protocol.NewDocSpec(protocol.DocType("juminhyo"))
	if err != nil {
		t.Fatal(err)
	}
	sink := emuPrinter(t, t.TempDir())
	r, _ := env.Autopilot(ctx, j, sink, c, terminal.Order{Muni: res.Muni, Doc: doc}, []byte(res.PIN))
	if r.Outcome != protocol.ResultPrinted {
		t.Fatalf("session: %s/%s", r.Outcome, r.Reason)
	}
	if n := e.Stats().ByINS[0x2A]; n != 1 {
		t.Errorf("%d sign commands", n)
	}
	if tries, verified := e.PINState(); tries != 3 || verified {
		t.Errorf("card after the session: tries %d, verified %v", tries, verified)
	}

	// A wrong PIN: the session must read it as a wrong PIN with the tries
	// left as the card counts them (terminal.PINError), not as a card
	// failure; the autopilot then gives up.
	e2 := emu(t, env.Fixtures, "R0002", emucard.Options{})
	c2 := open(t, e2, nil)
	r, _ = env.Autopilot(ctx, j, sink, c2, terminal.Order{Muni: res.Muni, Doc: doc}, []byte("0000"))
	if r.Outcome == protocol.ResultPrinted || r.Reason.Class() == terminal.ClassCard {
		t.Errorf("wrong-PIN session: %s/%s, want the resident's cancellation, not a card failure", r.Outcome, r.Reason)
	}
	if tries, verified := e2.PINState(); tries != 2 || verified {
		t.Errorf("card tries %d (verified %v) after one wrong PIN", tries, verified)
	}
}

// emuPrinter is the emulated USB printer driven by kofu's printer code,
// writing its output under dir.
func emuPrinter(t testing.TB, dir string) *emulator.Printer {
	t.Helper()
	p, err := emulator.NewPrinter(context.Background(), dir, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}
