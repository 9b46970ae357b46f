package bench

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"kofu/cardreader"
	"kofu/cardreader/emucard"
	"kofu/cardreader/pcsctest"
	"kofu/internal/fixtures"
)

// openscPKCS11 is OpenSC's PKCS#11 module on Debian amd64.
const openscPKCS11 = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"

// cardFigures: read the user-auth certificate, verify the PIN and sign,
// on the same emulated card behind a private pcscd and vsmartcard-vpcd,
// by kofu's cardreader (one process, as the kiosk does) and by OpenSC
// (pkcs15-tool --read-certificate, then pkcs11-tool --login --sign), with
// the APDUs counted at the card.
func cardFigures(ctx context.Context, o Options, fx *fixtures.Set) ([]Figure, error) {
	var missing []string
	for _, tool := range []string{"pkcs15-tool", "pkcs11-tool"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if _, err := os.Stat(openscPKCS11); err != nil {
		missing = append(missing, openscPKCS11)
	}
	if len(missing) > 0 {
		err := fmt.Errorf("OpenSC missing (apt-get install opensc): %s", strings.Join(missing, ", "))
		if o.SkipMissing {
			o.Log.Warn("card figures skipped", "err", err)
			return nil, nil
		}
		return nil, err
	}
	cs, err := startCardStack(fx, o, "card figures", "R0001")
	if cs == nil {
		return nil, err
	}
	defer cs.close()
	res, card, stack, pc := cs.cards[0].res, cs.cards[0].card, cs.stack, cs.pc
	msg := []byte("kofu and OpenSC sign the same message")

	kofuAPDUs := 0
	var byINS map[byte]int
	kofuTime, _, err := median(ctx, o.Runs, func() (struct{}, error) {
		card.ResetStats()
		if err := kofuCardSession(ctx, pc, stack.Reader(0), res.PIN, msg); err != nil {
			return struct{}{}, err
		}
		st := card.Stats()
		kofuAPDUs, byINS = st.APDUs, st.ByINS
		return struct{}{}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("kofu: %w", err)
	}

	dir, err := os.MkdirTemp("", "kofu-bench-card-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	in, sig := filepath.Join(dir, "in"), filepath.Join(dir, "sig")
	if err := os.WriteFile(in, msg, 0o600); err != nil {
		return nil, err
	}
	tool := func(name string, args ...string) error {
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Env = stack.Env()
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %w\n%s", name, err, out)
		}
		return nil
	}
	openscAPDUs := 0
	openscTime, _, err := median(ctx, o.PeerRuns, func() (struct{}, error) {
		card.ResetStats()
		if err := tool("pkcs15-tool", "--reader", "0", "--read-certificate", "01"); err != nil {
			return struct{}{}, err
		}
		_ = os.Remove(sig)
		if err := tool("pkcs11-tool", "--module", openscPKCS11, "--slot-index", "0", "--login", "--pin", res.PIN,
			"--id", "01", "--sign", "-m", "SHA256-RSA-PKCS", "--input-file", in, "--output-file", sig); err != nil {
			return struct{}{}, err
		}
		openscAPDUs = card.Stats().APDUs
		return struct{}{}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("OpenSC: %w", err)
	}
	// The minimum the applet allows in one session: SELECT AP, SELECT EF,
	// one extended READ BINARY, SELECT PIN, VERIFY, SELECT key, sign, the
	// logout SELECT; kofu runs three transactions (open, read, verify +
	// sign), each beginning with a SELECT of the applet: two more. (The
	// short-APDU path is measured beside it by CardPaths.)
	minimum := 8 + 2
	apdus := newFigure("card", "card: read certificate + verify PIN + sign: APDUs", float64(kofuAPDUs), float64(openscAPDUs),
		"OpenSC", "APDUs", goal{op: "<=", value: float64(minimum)})
	apdus.Target = fmt.Sprintf("≤ %d (the applet's minimum with one extended READ BINARY and the logout, plus one SELECT of the applet for each of kofu's two later transactions)", minimum)
	apdus.Note = "kofu's APDUs by instruction: " + insSummary(byINS)
	wall := newFigure("card", "card: read certificate + verify PIN + sign: wall time", ms(kofuTime), ms(openscTime),
		"OpenSC", "ms", goal{op: "<=", value: 0.2, ratio: true})
	wall.Note = "through pcscd + vsmartcard-vpcd, each APDU a loopback round trip; OpenSC as pkcs15-tool then pkcs11-tool processes"
	return []Figure{apdus, wall}, nil
}

// kofuCardSession is the kiosk's card work: open the card in reader
// (SELECT of the applet), read the user-auth certificate, verify the PIN
// and sign msg's digest.
func kofuCardSession(ctx context.Context, pc *cardreader.Context, reader, pin string, msg []byte) error {
	return kofuCardSessionAPDUs(ctx, pc, reader, pin, msg, false)
}

// kofuCardSessionAPDUs is kofuCardSession, with short APDUs only if
// short (else one extended-length READ BINARY where the card and reader
// take it). The digest is msg's SHA-256 for an RSA card, its SHA-384 for
// a P-384 one, as the kiosk's requests have them (RS256, ES384).
func kofuCardSessionAPDUs(ctx context.Context, pc *cardreader.Context, reader, pin string, msg []byte, short bool) error {
	c, err := pc.Open(ctx, reader, &cardreader.Options{ShortAPDUs: short})
	if err != nil {
		return err
	}
	defer c.Close()
	cert, err := c.AuthCertificate(ctx)
	if err != nil {
		return err
	}
	h := crypto.SHA256
	if kt, _ := cardreader.KeyTypeOf(cert.PublicKey); kt == cardreader.KeyECDSAP384 {
		h = crypto.SHA384
	}
	d := h.New()
	d.Write(msg)
	key, err := c.AuthKey(ctx, []byte(pin))
	if err != nil {
		return err
	}
	_, err = key.Sign(nil, d.Sum(nil), h)
	return err
}

// insSummary names the instructions a card saw, e.g. "SELECT×4, READ BINARY×5".
func insSummary(by map[byte]int) string {
	names := map[byte]string{0xa4: "SELECT", 0xb0: "READ BINARY", 0x20: "VERIFY", 0x2a: "PSO/SIGN", 0xc0: "GET RESPONSE", 0x88: "INTERNAL AUTH"}
	var keys []int
	for k := range by {
		keys = append(keys, int(k))
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		n := names[byte(k)]
		if n == "" {
			n = fmt.Sprintf("INS %02X", k)
		}
		parts = append(parts, fmt.Sprintf("%s×%d", n, by[byte(k)]))
	}
	return strings.Join(parts, ", ")
}

// cardStack is emulated cards behind a private pcscd and
// vsmartcard-vpcd (the first in reader 0, the second in reader 1), and a
// PC/SC context on them: what the card figures measure on.
type cardStack struct {
	cards []stackCard
	stack *pcsctest.Stack
	pc    *cardreader.Context
	h     *harness
}

// stackCard is a resident's emulated card in the stack.
type stackCard struct {
	res  *fixtures.Resident
	card *emucard.Card
}

// startCardStack starts the stack with the cards of residents ids (one
// or two: vpcd has two readers). Without the PC/SC test stack it returns
// an error, or with o.SkipMissing logs that what is skipped and returns
// nil and no error.
func startCardStack(fx *fixtures.Set, o Options, what string, ids ...string) (*cardStack, error) {
	if len(ids) == 0 || len(ids) > 2 {
		return nil, fmt.Errorf("%d cards for vpcd's two readers", len(ids))
	}
	cs := &cardStack{h: &harness{}}
	for _, id := range ids {
		res, ok := fx.Resident(id)
		if !ok {
			return nil, fmt.Errorf("no resident %s", id)
		}
		card, err := emucard.New(fx, res, emucard.Options{})
		if err != nil {
			return nil, err
		}
		cs.cards = append(cs.cards, stackCard{res: res, card: card})
	}
	if err := cs.h.do(func(t testing.TB) {
		cs.stack = pcsctest.Start(t)
		for i, c := range cs.cards {
			cs.stack.Insert(t, c.card, i)
		}
	}); err != nil {
		cs.h.close()
		if errors.Is(err, errSkipped) && o.SkipMissing {
			o.Log.Warn(what+" skipped", "err", err)
			return nil, nil
		}
		return nil, err
	}
	var err error
	if cs.pc, err = cardreader.NewContext(); err != nil {
		cs.h.close()
		return nil, err
	}
	return cs, nil
}

func (cs *cardStack) close() {
	cs.pc.Close()
	cs.h.close()
}

// errSkipped: the PC/SC test stack is not available here.
var errSkipped = errors.New("skipped")

// harness runs pcsctest's helpers, written for tests, outside a test: a
// testing.TB whose Fatal and Skip end the helper's goroutine with an
// error, and whose cleanups run at close.
type harness struct {
	testing.TB // not used: every method pcsctest calls is below
	cleanups   []func()
	err        error
}

func (h *harness) do(f func(testing.TB)) error {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(h)
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		return errors.New("PC/SC test stack did not start in 60 s")
	}
	return h.err
}

func (h *harness) close() {
	for i := len(h.cleanups) - 1; i >= 0; i-- {
		h.cleanups[i]()
	}
	h.cleanups = nil
}

func (h *harness) Helper()                   {}
func (h *harness) Cleanup(f func())          { h.cleanups = append(h.cleanups, f) }
func (h *harness) Log(args ...any)           {}
func (h *harness) Logf(string, ...any)       {}
func (h *harness) Name() string              { return "kofu-emu-bench" }
func (h *harness) Error(args ...any)         { h.fail(fmt.Sprint(args...), nil) }
func (h *harness) Errorf(f string, a ...any) { h.fail(fmt.Sprintf(f, a...), nil) }
func (h *harness) Fatal(args ...any)         { h.fail(fmt.Sprint(args...), nil); runtime.Goexit() }
func (h *harness) Fatalf(f string, a ...any) { h.fail(fmt.Sprintf(f, a...), nil); runtime.Goexit() }
func (h *harness) Skip(args ...any)          { h.fail(fmt.Sprint(args...), errSkipped); runtime.Goexit() }
func (h *harness) Skipf(f string, a ...any) {
	h.fail(fmt.Sprintf(f, a...), errSkipped)
	runtime.Goexit()
}

func (h *harness) fail(msg string, kind error) {
	if h.err != nil {
		return
	}
	if kind != nil {
		h.err = fmt.Errorf("%w: %s", kind, msg)
		return
	}
	h.err = errors.New(msg)
}
