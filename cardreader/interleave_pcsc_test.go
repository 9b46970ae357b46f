//go:build linux && cgo

package cardreader_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ebfe/scard"

	"kofu/cardreader"
	"kofu/cardreader/emucard"
	"kofu/cardreader/pcsctest"
)

// TestPCSCInterleavedSelects: while kofu reads the user-authentication
// certificate in 256-byte READ BINARY chunks, a second PC/SC client of the
// same pcscd keeps selecting the applet, EF 000B (the CA certificate),
// reading from it and selecting another application, with raw APDUs on a
// shared connection and no transaction of its own. kofu must return the
// card's own certificate byte for byte every time: its multi-APDU
// sequences run inside a PC/SC transaction and start by selecting the
// applet again, so no foreign SELECT lands between its APDUs and no stale
// selection is trusted. Without transactions kofu returned a certificate
// stitched from EF 000A and EF 000B (or failed with 6A82/6986).
func TestPCSCInterleavedSelects(t *testing.T) {
	s := pcsctest.Start(t)
	fx := loadFixtures(t)
	r := resident(t, fx, "R0002")
	e := emu(t, fx, "R0002", emucard.Options{})
	s.Insert(t, e, 0)
	pc := pcscContext(t)
	ctx := ctxT(t, 60*time.Second)

	// The other client.
	sc, err := scard.EstablishContext()
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Release()
	other, err := sc.Connect(s.Reader(0), scard.ShareShared, scard.ProtocolAny)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Disconnect(scard.LeaveCard)
	script := []string{
		"00A4040C0A" + hex.EncodeToString(cardreader.JPKIAID()), // SELECT AP
		"00A4020C02000B", // SELECT EF 000B
		"00B0000004",     // READ BINARY 4 bytes of it
		"00A4020C02000B",
		"00A4040C07" + hex.EncodeToString(cardreader.ISDAID()), // another application
	}
	var apdus [][]byte
	for _, h := range script {
		b, _ := hex.DecodeString(h)
		apdus = append(apdus, b)
	}
	stop := make(chan struct{})
	var started, sent, refused atomic.Int64
	var wg sync.WaitGroup
	var otherErr error
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			started.Add(1)
			if _, err := other.Transmit(apdus[i%len(apdus)]); err != nil {
				if errors.Is(err, scard.ErrSharingViolation) {
					refused.Add(1)
					continue // kofu holds the card: wait for it
				}
				otherErr = err
				return
			}
			sent.Add(1)
		}
	})

	const reads = 4
	var failures []string
	contended := 0
	for i := range reads {
		// Let the other client run its whole script (SELECT 000B, the
		// ISD ...) between two of kofu's reads.
		for want := sent.Load() + int64(len(script)); sent.Load() < want && otherErr == nil; {
			select {
			case <-ctx.Done():
				t.Fatal("the other client made no progress")
			case <-time.After(10 * time.Millisecond):
			}
		}
		c, err := pc.Open(ctx, s.Reader(0), &cardreader.Options{ShortAPDUs: true})
		if err != nil {
			failures = append(failures, "open: "+err.Error())
			continue
		}
		before := sent.Load()
		cert, err := c.AuthCertificate(ctx)
		during := sent.Load() - before
		// An APDU of the other client waits in pcscd for kofu's
		// transaction to end.
		waiting := started.Load() > sent.Load()+refused.Load()
		c.Close()
		if during > 0 || waiting {
			contended++
		}
		switch {
		case err != nil:
			failures = append(failures, err.Error())
		case !bytes.Equal(cert.Raw, r.CardCertDER):
			failures = append(failures, "a certificate that is not the card's EF 000A (stitched)")
		}
		t.Logf("read %d: %d APDUs of the other client answered while kofu read, one waiting at its end: %v; err %v", i+1, during, waiting, err)
	}
	close(stop)
	wg.Wait()
	if otherErr != nil {
		t.Fatalf("the other client: %v", otherErr)
	}
	t.Logf("the other client: %d APDUs answered, %d refused while kofu held a transaction", sent.Load(), refused.Load())
	if contended == 0 {
		t.Fatal("the other client never tried to interleave with a read")
	}
	if len(failures) > 0 {
		t.Fatalf("%d of %d certificate reads with another client selecting EF 000B went wrong:\n%v", len(failures), reads, failures)
	}
}
