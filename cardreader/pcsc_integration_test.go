//go:build linux

package cardreader_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"
	"time"

	"kofu/cardreader"
	"kofu/cardreader/emucard"
	"kofu/cardreader/pcsctest"
)

// These tests run the real stack: pcscd + vsmartcard-vpcd, started by the
// test, with emulated cards plugged in over TCP. They skip only when the
// tools are missing and CI is unset (pcsctest.Require).

func pcscContext(t *testing.T) *cardreader.Context {
	t.Helper()
	pc, err := cardreader.NewContext()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestPCSCReadVerifySign(t *testing.T) {
	s := pcsctest.Start(t)
	fx := loadFixtures(t)
	r := resident(t, fx, "R0001")
	e := emu(t, fx, "R0001", emucard.Options{})
	s.Insert(t, e, 0)
	pc := pcscContext(t)
	ctx := ctxT(t, 30*time.Second)

	readers, err := pc.Readers(ctx, "virtual pcd")
	if err != nil || len(readers) != 2 {
		t.Fatalf("Readers = %v, %v; want the two vpcd readers", readers, err)
	}
	e.ResetStats()
	t0 := time.Now() // measures elapsed time only
	c, err := pc.OpenFirst(ctx, "Virtual PCD", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Reader() != s.Reader(0) || !bytes.Equal(c.ATR(), emucard.DefaultATR) {
		t.Errorf("reader %q ATR % X", c.Reader(), c.ATR())
	}
	cert, err := c.AuthCertificate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(cert.Raw, r.CardCertDER) {
		t.Fatal("certificate differs from the fixtures'")
	}
	pin := []byte(r.PIN)
	key, err := c.AuthKey(ctx, pin)
	if err != nil {
		t.Fatal(err)
	}
	if !allZero(pin) {
		t.Error("PIN not zeroed")
	}
	h := sha256.Sum256([]byte("over pcscd"))
	sig, err := key.Sign(nil, h[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(t0)
	if err := rsa.VerifyPKCS1v15(cert.PublicKey.(*rsa.PublicKey), crypto.SHA256, h[:], sig); err != nil {
		t.Fatal(err)
	}
	// Open's SELECT AP; SELECT AP, SELECT EF, one extended-length READ
	// BINARY; SELECT AP, SELECT PIN, VERIFY, SELECT key, sign; the logout.
	want := 10
	if got := e.Stats().APDUs; got != want {
		t.Errorf("%d APDUs at the card, want %d", got, want)
	}
	if _, verified := e.PINState(); verified {
		t.Error("PIN verified after the signature: no logout/reset")
	}
	t.Logf("kofu over pcscd+vpcd: read-cert+verify+sign %d APDUs (incl. logout) in %s", e.Stats().APDUs, elapsed.Round(time.Millisecond))
}

func TestPCSCPINLocksOnThirdTry(t *testing.T) {
	s := pcsctest.Start(t)
	fx := loadFixtures(t)
	r := resident(t, fx, "R0011")
	e := emu(t, fx, "R0011", emucard.Options{})
	s.Insert(t, e, 0)
	pc := pcscContext(t)
	ctx := ctxT(t, 30*time.Second)
	c, err := pc.Open(ctx, s.Reader(0), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i, want := range []int{2, 1, 0} {
		_, err := c.AuthKey(ctx, []byte("0000"))
		var ae *cardreader.AuthError
		if !errors.As(err, &ae) || ae.Retries != want {
			t.Fatalf("wrong PIN #%d: %v, want %d tries left", i+1, err, want)
		}
		if n, err := c.AuthPINRetries(ctx); n != want || err != nil {
			t.Fatalf("AuthPINRetries after #%d = %d, %v", i+1, n, err)
		}
	}
	_, err = c.AuthKey(ctx, []byte(r.PIN))
	var se *cardreader.StatusError
	if !errors.As(err, &se) || se.SW != 0x6984 || !errors.Is(err, cardreader.ErrPINBlocked) {
		t.Fatalf("right PIN after the lock: %v, want 6984", err)
	}
}

func TestPCSCCardPulledDuringSign(t *testing.T) {
	s := pcsctest.Start(t)
	fx := loadFixtures(t)
	r := resident(t, fx, "R0013")
	e := emu(t, fx, "R0013", emucard.Options{})
	s.Insert(t, e, 0)
	pc := pcscContext(t)
	ctx := ctxT(t, 30*time.Second)
	c, err := pc.Open(ctx, s.Reader(0), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	key, err := c.AuthKey(ctx, []byte(r.PIN))
	if err != nil {
		t.Fatal(err)
	}
	e.SetFaults(emucard.Faults{RemoveOn: emucard.Trigger{INS: 0x2A, N: 1}})
	h := sha256.Sum256(nil)
	if _, err := key.Sign(nil, h[:], crypto.SHA256); !errors.Is(err, cardreader.ErrCardRemoved) {
		t.Fatalf("Sign with the card pulled: %v, want ErrCardRemoved", err)
	}
	if _, err := c.AuthPINRetries(ctx); !errors.Is(err, cardreader.ErrCardRemoved) {
		t.Errorf("Card after the pull: %v", err)
	}
	// Put back: a new Card works, with nothing left verified.
	e.Insert()
	if err := s.WaitCard(0, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	c2, err := pc.Open(ctx, s.Reader(0), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if n, err := c2.AuthPINRetries(ctx); n != 3 || err != nil {
		t.Errorf("reinserted card: %d, %v", n, err)
	}
}

// TestPCSCRestartWhileIdle: pcscd restarts between two uses of an open
// Card; the Context re-establishes itself and the Card reconnects, checks
// it is the same card, and signs.
func TestPCSCRestartWhileIdle(t *testing.T) {
	s := pcsctest.Start(t)
	fx := loadFixtures(t)
	r := resident(t, fx, "R0014")
	e := emu(t, fx, "R0014", emucard.Options{})
	s.Insert(t, e, 0)
	pc := pcscContext(t)
	ctx := ctxT(t, 60*time.Second)

	wctx, stopWatch := context.WithCancel(ctx)
	events := pc.Watch(wctx, s.Reader(0))
	var seen []cardreader.EventKind
	var mu sync.Mutex
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		for ev := range events {
			mu.Lock()
			seen = append(seen, ev.Kind)
			mu.Unlock()
		}
	}()

	c, err := pc.Open(ctx, s.Reader(0), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cert, err := c.AuthCertificate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.Restart(t)
	if err := s.WaitCard(0, 15*time.Second); err != nil {
		t.Fatalf("card after restart: %v\n%s", err, s.Tail(20))
	}
	if n, err := c.AuthPINRetries(ctx); n != 3 || err != nil {
		t.Fatalf("AuthPINRetries after pcscd restart = %d, %v", n, err)
	}
	key, err := c.AuthKey(ctx, []byte(r.PIN))
	if err != nil {
		t.Fatalf("AuthKey after restart: %v", err)
	}
	h := sha256.Sum256([]byte("after restart"))
	sig, err := key.Sign(nil, h[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPKCS1v15(cert.PublicKey.(*rsa.PublicKey), crypto.SHA256, h[:], sig); err != nil {
		t.Error(err)
	}
	if _, err := pc.Readers(ctx, ""); err != nil {
		t.Errorf("Readers after restart: %v", err)
	}
	// The watcher saw the service go and come back, and the card again.
	deadline := time.Now().Add(5 * time.Second) // a deadline for polling: elapsed time only
	for {
		mu.Lock()
		got := append([]cardreader.EventKind(nil), seen...)
		mu.Unlock()
		if containsSeq(got, cardreader.CardInserted, cardreader.ServiceLost, cardreader.ServiceRestored, cardreader.CardInserted) {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("events %v: want card-inserted … service-lost … service-restored … card-inserted", got)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	stopWatch()
	<-watchDone
}

func containsSeq(got []cardreader.EventKind, want ...cardreader.EventKind) bool {
	i := 0
	for _, k := range got {
		if i < len(want) && k == want[i] {
			i++
		}
	}
	return i == len(want)
}

func TestPCSCTwoReaders(t *testing.T) {
	s := pcsctest.Start(t)
	fx := loadFixtures(t)
	ids := [2]string{"R0016", "R0017"}
	var cards [2]*emucard.Card
	for i, id := range ids {
		cards[i] = emu(t, fx, id, emucard.Options{})
		s.Insert(t, cards[i], i)
	}
	pc := pcscContext(t)
	ctx := ctxT(t, 60*time.Second)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, id := range ids {
		wg.Go(func() {
			r := resident(t, fx, id)
			c, err := pc.Open(ctx, s.Reader(i), nil)
			if err != nil {
				errs[i] = err
				return
			}
			defer c.Close()
			cert, err := c.AuthCertificate(ctx)
			if err != nil {
				errs[i] = err
				return
			}
			if !bytes.Equal(cert.Raw, r.CardCertDER) {
				errs[i] = errors.New("wrong certificate in " + s.Reader(i))
				return
			}
			key, err := c.AuthKey(ctx, []byte(r.PIN))
			if err != nil {
				errs[i] = err
				return
			}
			h := sha256.Sum256([]byte(id))
			sig, err := key.Sign(nil, h[:], crypto.SHA256)
			if err == nil {
				err = rsa.VerifyPKCS1v15(cert.PublicKey.(*rsa.PublicKey), crypto.SHA256, h[:], sig)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("%s: %v", s.Reader(i), err)
		}
	}
}

func TestPCSCEventsAndExclusivity(t *testing.T) {
	s := pcsctest.Start(t)
	fx := loadFixtures(t)
	r := resident(t, fx, "R0018")
	e := emu(t, fx, "R0018", emucard.Options{})
	pc := pcscContext(t)
	ctx := ctxT(t, 60*time.Second)
	events := pc.Watch(ctx, s.Reader(0))
	next := func(kind cardreader.EventKind) cardreader.Event {
		t.Helper()
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					t.Fatalf("watch ended waiting for %v", kind)
				}
				if ev.Kind == kind {
					return ev
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("no %v event", kind)
			}
		}
	}
	next(cardreader.ReaderAdded)
	// The reader's first report says it is empty, rather than nothing.
	select {
	case ev := <-events:
		if ev.Kind != cardreader.ReaderEmpty || ev.Reader != s.Reader(0) {
			t.Fatalf("after reader-added: %v, want reader-empty", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no reader-empty event for the empty reader")
	}
	s.Insert(t, e, 0)
	if ev := next(cardreader.CardInserted); !bytes.Equal(ev.ATR, emucard.DefaultATR) || ev.Reader != s.Reader(0) {
		t.Errorf("insert event %v ATR % X", ev, ev.ATR)
	}

	// While a key holds the card, another application cannot use it.
	c, err := pc.Open(ctx, s.Reader(0), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	key, err := c.AuthKey(ctx, []byte(r.PIN))
	if err != nil {
		t.Fatal(err)
	}
	other, err := cardreader.NewContext()
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Open(ctx, s.Reader(0), nil); !errors.Is(err, cardreader.ErrSharingViolation) {
		t.Errorf("second application while the key is open: %v, want ErrSharingViolation", err)
	}
	key.(*cardreader.Key).Close()
	c2, err := other.Open(ctx, s.Reader(0), nil)
	if err != nil {
		t.Errorf("second application after the key closed: %v", err)
	} else {
		c2.Close()
	}

	e.Remove()
	next(cardreader.CardRemoved)
	e.Insert()
	next(cardreader.CardInserted)
	if reader, atr, err := pc.WaitCard(ctx, "PCD 00 00"); err != nil || reader != s.Reader(0) || len(atr) == 0 {
		t.Errorf("WaitCard = %q, % X, %v", reader, atr, err)
	}
}

// TestPCSCReaderReplug: the reader goes away under an open Card and
// comes back with the same card in it. The Card reports the reader gone
// meanwhile, then reconnects (checking it is the same card) and signs;
// the watcher reports the reader leaving and returning; all in the same
// process. (pcsctest emulates the re-plug with pcscd restarts, see
// Stack.Unplug.)
func TestPCSCReaderReplug(t *testing.T) {
	s := pcsctest.Start(t)
	fx := loadFixtures(t)
	r := resident(t, fx, "R0019")
	e := emu(t, fx, "R0019", emucard.Options{})
	s.Insert(t, e, 0)
	pc := pcscContext(t)
	ctx := ctxT(t, 60*time.Second)
	events := pc.Watch(ctx, s.Reader(0))
	next := func(kind cardreader.EventKind) {
		t.Helper()
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					t.Fatalf("watch ended waiting for %v", kind)
				}
				if ev.Kind == kind {
					return
				}
			case <-time.After(15 * time.Second):
				t.Fatalf("no %v event\n%s", kind, s.Tail(20))
			}
		}
	}
	next(cardreader.CardInserted)
	c, err := pc.Open(ctx, s.Reader(0), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cert, err := c.AuthCertificate(ctx)
	if err != nil {
		t.Fatal(err)
	}

	s.Unplug(t)
	next(cardreader.ReaderRemoved)
	if _, err := c.AuthPINRetries(ctx); !errors.Is(err, cardreader.ErrReaderUnavailable) {
		t.Errorf("Card with its reader gone: %v, want ErrReaderUnavailable", err)
	}
	if rs, err := pc.Readers(ctx, "Virtual PCD"); err != nil || len(rs) != 0 {
		t.Errorf("Readers with the reader gone: %v, %v", rs, err)
	}

	s.Plug(t)
	next(cardreader.ReaderAdded)
	next(cardreader.CardInserted)
	key, err := c.AuthKey(ctx, []byte(r.PIN))
	if err != nil {
		t.Fatalf("the same Card after the re-plug: %v", err)
	}
	h := sha256.Sum256([]byte("replugged"))
	sig, err := key.Sign(nil, h[:], crypto.SHA256)
	if err != nil {
		t.Fatalf("sign after re-plug: %v", err)
	}
	if err := rsa.VerifyPKCS1v15(cert.PublicKey.(*rsa.PublicKey), crypto.SHA256, h[:], sig); err != nil {
		t.Error(err)
	}
}
