package health

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"io"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"kofu/cardreader"
	"kofu/cardreader/emucard"
	"kofu/internal/emulator"
	"kofu/internal/fixtures"
	"kofu/internal/testclock"
	"kofu/printer"
	"kofu/printer/emuprinter"
	"kofu/protocol"
	"kofu/terminal/journal"
)

func loadFixtures(t *testing.T) *fixtures.Set {
	t.Helper()
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	return fx
}

// expect fails unless r has status st and its detail holds every want.
func expect(t *testing.T, r Result, st Status, want ...string) {
	t.Helper()
	if r.Status != st {
		t.Errorf("status %v, want %v: %s", r.Status, st, r.Detail)
	}
	for _, w := range want {
		if !strings.Contains(r.Detail, w) {
			t.Errorf("detail lacks %q: %s", w, r.Detail)
		}
	}
}

type failingLister struct{ err error }

func (f failingLister) Readers(context.Context, string) ([]string, error) { return nil, f.err }

func TestReader(t *testing.T) {
	two := StaticReaders{"Virtual PCD 00 00", "Virtual PCD 00 01"}
	cases := []struct {
		name   string
		l      ReaderLister
		filter string
		st     Status
		want   []string
	}{
		{"any reader", two, "", OK, []string{"Virtual PCD 00 00, Virtual PCD 00 01"}},
		{"filter matches", two, "pcd 00 01", OK, []string{"Virtual PCD 00 01"}},
		{"filter matches none", two, "ACS ACR39U", Fail, []string{`no card reader matches card.reader "ACS ACR39U"`, "connected: Virtual PCD 00 00, Virtual PCD 00 01"}},
		{"no reader at all", StaticReaders{}, "", Fail, []string{"no card reader is connected", "plug the reader in"}},
		{"no pcscd", failingLister{cardreader.ErrNoService}, "", Fail, []string{"pcscd", "is not running"}},
		{"no cgo", failingLister{cardreader.ErrNoBackend}, "", Fail, []string{"built without PC/SC"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := Reader(tc.l, tc.filter)
			if c.Name != "reader" || !c.Blocking {
				t.Fatalf("check %+v", c)
			}
			expect(t, c.Run(context.Background()), tc.st, tc.want...)
		})
	}
}

// notJPKI is a card without the JPKI applet: it answers 6A82 (file not
// found) to everything.
type notJPKI struct{}

func (notJPKI) Reader() string { return "Virtual PCD 00 00" }
func (notJPKI) Dial(context.Context) (cardreader.Conn, error) {
	return notJPKIConn{}, nil
}

type notJPKIConn struct{}

func (notJPKIConn) Transmit(context.Context, []byte) ([]byte, error) { return []byte{0x6A, 0x82}, nil }
func (notJPKIConn) ATR() []byte                                      { return []byte{0x3B, 0x00} }
func (notJPKIConn) Reconnect(context.Context, bool) error            { return nil }
func (notJPKIConn) Close(bool) error                                 { return nil }

func TestCardApplet(t *testing.T) {
	fx := loadFixtures(t)
	card := func(id string) *emucard.Card {
		r, _ := fx.Resident(id)
		c, err := emucard.New(fx, r, emucard.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	removed := card("R0001")
	removed.Remove()
	smartphone, _ := fx.Resident("R0001")
	phone, err := emucard.New(fx, smartphone, emucard.Options{Variant: mustVariant(t, "smartphone")})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		d    cardreader.Dialer
		st   Status
		want []string
	}{
		{"my number card", card("R0001").Dialer("emu 00"), OK, []string{"emu 00: My Number card (JPKIAPICCTOKEN2)", "ATR 3B E0 00 FF 81 31 FE 45 14", "PIN tries left 3"}},
		{"blocked PIN", card("R0007").Dialer("emu 00"), Warn, []string{"PIN tries left 0", "PIN is blocked"}},
		{"no card", removed.Dialer("emu 00"), Warn, []string{"no card inserted", "insert a test card", "does not block"}},
		{"not a JPKI card", notJPKI{}, Fail, []string{"does not answer the JPKI applet"}},
		{"smartphone token", phone.Dialer("emu 00"), Warn, []string{"needs the PIN", "smartphone"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := CardApplet(DialerCard(tc.d))
			if c.Blocking {
				t.Fatal("the applet check must not block")
			}
			expect(t, c.Run(context.Background()), tc.st, tc.want...)
		})
	}
}

func mustVariant(t *testing.T, s string) emucard.Variant {
	t.Helper()
	v, err := emucard.ParseVariant(s)
	if err != nil {
		t.Skipf("emucard has no %s variant: %v", s, err)
	}
	return v
}

// TestProbeCardTrace: the technician's trace shows the applet check's
// APDUs and never a PIN (the check sends none).
func TestProbeCardTrace(t *testing.T) {
	fx := loadFixtures(t)
	r, _ := fx.Resident("R0002")
	ec, err := emucard.New(fx, r, emucard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tr := NewTrace(0)
	info, res := ProbeCard(context.Background(), DialerCard(ec.Dialer("emu 01")), tr, nil)
	expect(t, res, OK, "emu 01")
	if info.Serial != r.CardCert.SerialNumber.Text(16) || info.Tries != 3 || info.Token != cardreader.TokenMyNumber {
		t.Errorf("info %+v", info)
	}
	lines := tr.Lines()
	if len(lines) < 6 || !strings.Contains(tr.String(), "emu 01 > ") || !strings.Contains(tr.String(), "emu 01 < ") {
		t.Fatalf("trace:\n%s", tr)
	}
	// The only VERIFY is the empty one that reads the tries left; the PIN
	// (as ASCII hex, the way a VERIFY would carry it) is nowhere.
	verifies := 0
	pinHex := strings.ToUpper(hex.EncodeToString([]byte(r.PIN)))
	for _, l := range lines {
		if strings.Contains(l, "> 00 20 ") {
			verifies++
			if !strings.HasSuffix(l, "> 00 20 00 80") {
				t.Errorf("VERIFY with data in the trace: %s", l)
			}
		}
		if strings.Contains(strings.ReplaceAll(l, " ", ""), pinHex) {
			t.Errorf("the PIN in the trace: %s", l)
		}
	}
	if verifies != 1 {
		t.Errorf("%d VERIFY commands, want the one that reads the tries left:\n%s", verifies, tr)
	}
	if tries, verified := ec.PINState(); tries != 3 || verified {
		t.Errorf("the check spent a PIN try or verified: %d %v", tries, verified)
	}
	small := NewTrace(2)
	io.WriteString(small, "a\nb\nc\npart")
	if got := small.String(); got != "b\nc" {
		t.Errorf("ring: %q", got)
	}
}

func emulatedPrinter(t *testing.T, cfg emuprinter.Config) (*emuprinter.Printer, *printer.Printer) {
	t.Helper()
	emu := emuprinter.New(cfg)
	p, err := printer.New(context.Background(), printer.OnLink(emu), printer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return emu, p
}

func TestPrinter(t *testing.T) {
	cases := []struct {
		name   string
		cfg    emuprinter.Config
		break_ func(*emuprinter.Printer)
		st     Status
		want   []string
	}{
		{"ready", emuprinter.Config{}, nil, OK, []string{"kofu Emulated Laser 5 (SN EMU0001): ready", "PJL + PCL 5 raster, confirmed"}},
		{"paper out", emuprinter.Config{}, func(e *emuprinter.Printer) { e.SetStatus(printer.StatusPaperEmpty | printer.StatusSelected) },
			Fail, []string{"paper out: load A4 paper", "PJL 41101"}},
		{"jam", emuprinter.Config{}, func(e *emuprinter.Printer) { e.SetStatus(printer.StatusJam | printer.StatusSelected) },
			Fail, []string{"paper jam: open the cover"}},
		{"cover open", emuprinter.Config{}, func(e *emuprinter.Printer) { e.SetStatus(printer.StatusCoverOpen | printer.StatusNotError) },
			Fail, []string{"a cover or door is open"}},
		{"unplugged", emuprinter.Config{}, func(e *emuprinter.Printer) { e.Unplug() }, Fail, []string{"offline or in error", "USB cable"}},
		{"host-based printer", emuprinter.Config{PNP: "MFG:Cheap;MDL:GDI 1;CMD:GDI;"}, nil, Fail,
			[]string{"Cheap GDI 1 cannot be used", "PCL 5 with PJL, PWG Raster or IPP-over-USB"}},
		{"unidirectional", emuprinter.Config{Protocol: 1}, nil, Warn, []string{"cannot be confirmed", `"unknown"`}},
		{"IPP-over-USB", emuprinter.Config{Protocol: 4}, nil, OK, []string{"Emulated IPP Laser", "IPP-over-USB"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			emu, p := emulatedPrinter(t, tc.cfg)
			if tc.break_ != nil {
				tc.break_(emu)
			}
			c := PrinterCheck(Held(p))
			if !c.Blocking {
				t.Fatal("the printer check must block")
			}
			expect(t, c.Run(context.Background()), tc.st, tc.want...)
		})
	}
	t.Run("spec that opens nothing", func(t *testing.T) {
		expect(t, PrinterCheck(OpenSpec("file:/nonexistent/dir/x.pcl", printer.Options{})).Run(context.Background()), Fail, "no printer:", "switched on")
	})
	t.Run("spec opened and closed per check", func(t *testing.T) {
		expect(t, PrinterCheck(OpenSpec("emulator", printer.Options{})).Run(context.Background()), OK, "ready")
	})
}

// centerEnv starts the emulated center and returns a probe of it as
// terminal T0001 over real mutual TLS.
func centerEnv(t *testing.T) (*emulator.Env, Center) {
	t.Helper()
	env, err := emulator.Start(context.Background(), emulator.Options{Now: testclock.Now(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Close() })
	// The kiosk's clock is the world's, which the center's Date header reads.
	return env, Center{URL: env.Center.URL, Now: env.Now, Transport: transport(t, env.Fixtures, env.Fixtures.OperatorCA.Cert, deviceTLS(t, env.Fixtures))}
}

func deviceTLS(t *testing.T, fx *fixtures.Set) tls.Certificate {
	term, ok := fx.Terminal("T0001")
	if !ok {
		t.Fatal("no T0001")
	}
	return term.Device.TLS()
}

func transport(t *testing.T, fx *fixtures.Set, root *x509.Certificate, dev tls.Certificate) *http.Transport {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(root)
	tr, err := protocol.NewTransport(pool, dev)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// selfSigned is a device certificate the operator never issued.
func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	// Valid around now, whatever now is: it is refused for its issuer.
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "T0001", OrganizationalUnit: []string{"S0001"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestCenter(t *testing.T) {
	env, good := centerEnv(t)
	fx := env.Fixtures
	shifted := func(d time.Duration) Center {
		c := good
		c.Now = func() time.Time { return env.Now().Add(d) } // vs the Date header, the center's clock: only d counts
		return c
	}
	wrongCA := good
	wrongCA.Transport = transport(t, fx, fx.CenterCA.Cert, deviceTLS(t, fx))
	stranger := good
	stranger.Transport = transport(t, fx, fx.OperatorCA.Cert, selfSigned(t))
	cases := []struct {
		name string
		c    Center
		st   Status
		want []string
	}{
		{"reachable", good, OK, []string{"reachable over mutual TLS (TLS 1.3)", "clock skew", "(max 2m0s)"}},
		{"kiosk clock 10 minutes fast", shifted(10 * time.Minute), Fail, []string{"the kiosk clock is 10m0s ahead of the center's (center.max_skew 2m0s)", "timedatectl"}},
		{"kiosk clock 5 minutes slow", shifted(-5 * time.Minute), Fail, []string{"the kiosk clock is 5m0s behind the center's"}},
		{"skew within a wider max_skew", func() Center { c := shifted(-5 * time.Minute); c.MaxSkew = 6 * time.Minute; return c }(), OK, []string{"clock skew 5m0s"}},
		{"wrong CA pinned", wrongCA, Fail, []string{"is not signed by the pinned operator CA (center.tls_ca)"}},
		{"device certificate not from the operator", stranger, Fail, []string{"refused this terminal (terminal-refused)", "the operator CA issued to this kiosk"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := CenterCheck(tc.c)
			if !c.Blocking {
				t.Fatal("the center check must block")
			}
			expect(t, c.Run(context.Background()), tc.st, tc.want...)
		})
	}
	t.Run("details for the technician", func(t *testing.T) {
		info, r := ProbeCenter(context.Background(), good)
		expect(t, r, OK)
		if info.TLSVersion != "TLS 1.3" || info.Cipher == "" || !strings.Contains(info.PeerSubject, fx.CenterTLS.Cert.Subject.CommonName) ||
			info.Status != 404 || info.Problem != "unknown-ticket" || !info.HasDate || info.RoundTrip <= 0 {
			t.Errorf("info %+v", info)
		}
	})
	t.Run("center down", func(t *testing.T) {
		env.Center.Close()
		expect(t, CenterCheck(good).Run(context.Background()), Fail, "nothing listens at 127.0.0.1:", "connection refused", "the center is down")
	})
}

// writeJournal records two sessions and returns the journal's path.
func writeJournal(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "journal")
	j, _, err := journal.Open(path, make([]byte, 32), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []journal.Record{
		{Kind: journal.KindState, Session: "s1", State: "card"},
		{Kind: journal.KindState, Session: "s1", State: "fetch", TID: "tid1"},
		{Kind: journal.KindEnd, Session: "s1", State: "printed", TID: "tid1", Fee: 300, Billing: "captured", Pages: 1},
		{Kind: journal.KindState, Session: "s2", State: "card"},
		{Kind: journal.KindEnd, Session: "s2", State: "refused", Reason: "page-qr-mismatch", Billing: "released"},
		{Kind: journal.KindState, Session: "s3", State: "card"},
		{Kind: journal.KindEnd, Session: "s3", State: "refused", Reason: "page-qr-mismatch", Billing: "released"},
	} {
		if err := j.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	return path
}

func TestJournal(t *testing.T) {
	good := writeJournal(t, t.TempDir())
	tampered := writeJournal(t, t.TempDir())
	data, _ := os.ReadFile(tampered)
	os.WriteFile(tampered, []byte(strings.Replace(string(data), `"fee":300`, `"fee":30`, 1)), 0o600)
	cases := []struct {
		name string
		path string
		st   Status
		want []string
	}{
		{"verified and writable", good, OK, []string{"8 records, chain verified", "writable"}},
		{"a record tampered with", tampered, Fail, []string{"chain broken at line 4", "hash does not match", "keep the file unchanged"}},
		{"not created yet", filepath.Join(t.TempDir(), "journal"), OK, []string{"does not exist yet", "directory is writable"}},
		{"no directory", "/nonexistent/kofu/journal", Fail, []string{"directory /nonexistent/kofu does not exist"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			expect(t, JournalCheck(tc.path).Run(context.Background()), tc.st, tc.want...)
		})
	}
	t.Run("read-only directory", func(t *testing.T) {
		dir := t.TempDir()
		path := writeJournal(t, dir)
		readOnly(t, dir)
		expect(t, JournalCheck(path).Run(context.Background()), Fail, "cannot write in "+dir)
	})
}

// readOnly makes dir unwritable, also for root: with chattr +i (the
// immutable attribute) as root, with chmod otherwise.
func readOnly(t *testing.T, dir string) {
	t.Helper()
	if os.Geteuid() != 0 {
		if err := os.Chmod(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o700) })
		return
	}
	if out, err := exec.Command("chattr", "+i", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot make a directory read-only for root here (chattr +i: %v %s)", err, out)
	}
	t.Cleanup(func() { exec.Command("chattr", "-i", dir).Run() })
}

func TestReadJournal(t *testing.T) {
	path := writeJournal(t, t.TempDir())
	s, err := ReadJournal(context.Background(), path, 0)
	if err != nil || s.Chain != nil {
		t.Fatal(err, s.Chain)
	}
	if len(s.Sessions) != 3 || s.Sessions[0].ID != "s3" || s.Sessions[2].ID != "s1" {
		t.Fatalf("sessions %+v", s.Sessions)
	}
	s1 := s.Sessions[2]
	if strings.Join(s1.States, ">") != "card>fetch" || s1.Outcome != "printed" || s1.Fee != 300 || s1.TID != "tid1" {
		t.Errorf("s1 %+v", s1)
	}
	if s.Outcomes["printed"] != 1 || s.Outcomes["refused"] != 2 || s.Refusals["page-qr-mismatch"] != 2 || s.Opens != 1 {
		t.Errorf("counters %+v %+v", s.Outcomes, s.Refusals)
	}
	if got := Sorted(s.Outcomes); got[0] != (Counted{"refused", 2}) || got[1] != (Counted{"printed", 1}) {
		t.Errorf("sorted %v", got)
	}
	if s, _ := ReadJournal(context.Background(), path, 1); len(s.Sessions) != 1 || s.Sessions[0].ID != "s3" {
		t.Errorf("limit: %+v", s.Sessions)
	}
	data, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(data), `"state":"refused"`, `"state":"printed"`, 1)), 0o600)
	s, err = ReadJournal(context.Background(), path, 0)
	var ce *journal.ErrCorrupt
	if err != nil || !errors.As(s.Chain, &ce) || ce.Line != 6 || s.Records != 5 {
		t.Fatalf("tampered: %v %v records %d", err, s.Chain, s.Records)
	}
}

func TestDisk(t *testing.T) {
	dir := t.TempDir()
	free := func(n uint64) FreeSpace { return func(string) (uint64, error) { return n, nil } }
	cases := []struct {
		name string
		min  uint64
		free FreeSpace
		st   Status
		want []string
	}{
		{"plenty", 0, free(10 << 30), OK, []string{"10 GiB free on the filesystem of " + dir, "(minimum 256 MiB)"}},
		{"close to the minimum", 0, free(300 << 20), Warn, []string{"300 MiB free", "close to the minimum 256 MiB"}},
		{"below the minimum", 0, free(12 << 20), Fail, []string{"only 12 MiB free on the filesystem of " + dir, "free space there"}},
		{"real filesystem below a huge threshold", 1 << 60, nil, Fail, []string{"minimum 1 EiB"}},
		{"statfs fails", 0, func(string) (uint64, error) { return 0, errors.New("boom") }, Fail, []string{"cannot read the free space", "boom"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			expect(t, DiskCheck(filepath.Join(dir, "journal"), tc.min, tc.free).Run(context.Background()), tc.st, tc.want...)
		})
	}
	for in, want := range map[string]uint64{"256MiB": 256 << 20, "1G": 1 << 30, "1.5GiB": 3 << 29, "4096": 4096, "10kb": 10 << 10} {
		if got, err := ParseBytes(in); err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	if _, err := ParseBytes("lots"); err == nil {
		t.Error("ParseBytes(lots) accepted")
	}
}

func TestRun(t *testing.T) {
	hang := Check{Name: "hang", Blocking: true, Run: func(ctx context.Context) Result {
		time.Sleep(5 * time.Second) // ignores its context
		return ok("late")
	}}
	checks := []Check{
		{Name: "a", Blocking: true, Run: func(context.Context) Result { return ok("fine") }},
		{Name: "b", Run: func(context.Context) Result { return fail("broken, not blocking") }},
		hang,
	}
	rep := Run(context.Background(), checks, 100*time.Millisecond)
	if len(rep.Outcomes) != 3 || rep.Outcomes[0].Name != "a" || rep.Outcomes[2].Name != "hang" {
		t.Fatalf("%+v", rep)
	}
	if rep.OK() || len(rep.Blocking()) != 1 || rep.Blocking()[0].Name != "hang" || !strings.Contains(rep.Outcomes[2].Detail, "no answer within 100ms") {
		t.Errorf("%+v", rep)
	}
	if !Run(context.Background(), checks[:2], 0).OK() {
		t.Error("a failing non-blocking check blocked")
	}
}

// TestOneAtATime: concurrent applet checks of one card take turns.
func TestOneAtATime(t *testing.T) {
	fx := loadFixtures(t)
	r, _ := fx.Resident("R0001")
	ec, err := emucard.New(fx, r, emucard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	inUse, most := 0, 0
	inner := DialerCard(ec.Dialer("emu 00"))
	counting := func(ctx context.Context, trace io.Writer) (Card, error) {
		c, err := inner(ctx, trace)
		if err == nil {
			mu.Lock()
			inUse++
			most = max(most, inUse)
			mu.Unlock()
			c = &countedCard{Card: c, done: func() { mu.Lock(); inUse--; mu.Unlock() }}
		}
		return c, err
	}
	open := OneAtATime(counting)
	var wg sync.WaitGroup
	results := make([]Result, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[i] = ProbeCard(context.Background(), open, nil, nil)
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r.Status != OK {
			t.Errorf("probe %d: %v %s", i, r.Status, r.Detail)
		}
	}
	if most != 1 {
		t.Errorf("%d cards in use at once", most)
	}
}

type countedCard struct {
	Card
	done func()
}

func (c *countedCard) Close() error { c.done(); return c.Card.Close() }
