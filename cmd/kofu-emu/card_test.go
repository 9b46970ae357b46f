//go:build linux

package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha512"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"kofu/cardreader"
	"kofu/cardreader/pcsctest"
	"kofu/internal/fixtures"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestCardFlags(t *testing.T) {
	for _, args := range [][]string{
		{},                                     // no resident
		{"--resident", "R9999"},                // unknown
		{"--resident", "R0001", "--pin", "12"}, // bad PIN
		{"--resident", "R0001", "--variant", "sim"},
		{"--resident", "R0001", "--atr", "zz"},
		{"--resident", "R0001", "extra"},
	} {
		var out, errb syncBuffer
		if code, err := runCard(context.Background(), args, &out, &errb); code != 2 || err == nil {
			t.Errorf("%q: code %d, err %v; want a usage error", args, code, err)
		}
	}
}

// TestCardThroughVPCD runs `kofu-emu card` against a real pcscd and reads
// it with cardreader: the resident's certificate, the overridden PIN.
func TestCardThroughVPCD(t *testing.T) {
	s := pcsctest.Start(t)
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	r, _ := fx.Resident("R0003")
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan error, 1)
	go func() {
		code, err := runCard(ctx, []string{"--vpcd", s.Addr(0), "--resident", "R0003", "--pin", "4321", "-v"}, &out, &errb)
		if err == nil && code != 0 {
			err = fmt.Errorf("exit code %d", code)
		}
		done <- err
	}()
	if err := s.WaitCard(0, 10*time.Second); err != nil {
		cancel()
		t.Fatalf("card not seen: %v\n%s", err, errb.String())
	}
	pc, err := cardreader.NewContext()
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	c, err := pc.Open(ctx, s.Reader(0), nil)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := c.AuthCertificate(ctx)
	if err != nil || !bytes.Equal(cert.Raw, r.CardCertDER) {
		t.Fatalf("certificate: %v", err)
	}
	if _, err := c.AuthKey(ctx, []byte(r.PIN)); err == nil && r.PIN != "4321" {
		t.Error("the resident's PIN still works after --pin")
	}
	k, err := c.AuthKey(ctx, []byte("4321"))
	if err != nil {
		t.Fatalf("--pin 4321: %v", err)
	}
	k.(*cardreader.Key).Close()
	c.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var events []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("stdout line %q: %v", line, err)
		}
		events = append(events, ev)
	}
	if len(events) < 3 || events[0]["event"] != "card" || events[0]["resident"] != "R0003" || events[1]["event"] != "inserted" ||
		events[len(events)-1]["event"] != "stopped" || events[len(events)-1]["apdus"].(float64) < 10 {
		t.Errorf("events %v", events)
	}
	log := errb.String()
	if !strings.Contains(log, "[4 bytes redacted]") || strings.Contains(log, "34333231") {
		t.Errorf("-v log does not redact the PIN:\n%s", log)
	}
}

// TestCardHelpSaysGen2IsAssumed: `kofu-emu card --help` says the
// generation-2 card's APDU profile is an assumption, and where it lives.
func TestCardHelpSaysGen2IsAssumed(t *testing.T) {
	var out, errb syncBuffer
	if _, err := runCard(context.Background(), []string{"--help"}, &out, &errb); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: %v", err)
	}
	help := errb.String()
	for _, want := range []string{"ITS APDU\n          PROFILE IS AN ASSUMPTION", "no specification", "cardreader.ProfileGen2Assumed", "cardreader/profile.go", "G…"} {
		if !strings.Contains(help, want) {
			t.Errorf("help lacks %q:\n%s", want, help)
		}
	}
}

// TestGen2CardThroughVPCD: a G… resident's card through pcscd is a
// generation-2 card: kofu detects the assumed profile and its P-384 key
// signs a SHA-384 digest.
func TestGen2CardThroughVPCD(t *testing.T) {
	s := pcsctest.Start(t)
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	r, _ := fx.Resident("G0002")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan error, 1)
	go func() {
		code, err := runCard(ctx, []string{"--vpcd", s.Addr(1), "--resident", "G0002"}, &out, &errb)
		if err == nil && code != 0 {
			err = fmt.Errorf("exit code %d", code)
		}
		done <- err
	}()
	if err := s.WaitCard(1, 10*time.Second); err != nil {
		cancel()
		t.Fatalf("card not seen: %v\n%s", err, errb.String())
	}
	pc, err := cardreader.NewContext()
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	c, err := pc.Open(ctx, s.Reader(1), nil)
	if err != nil {
		t.Fatal(err)
	}
	if p := c.Profile(); p.Name != "gen2-assumed" {
		t.Errorf("profile %v", p)
	}
	k, err := c.AuthKey(ctx, []byte(r.PIN))
	if err != nil {
		t.Fatal(err)
	}
	d := sha512.Sum384([]byte("m"))
	sig, err := k.Sign(nil, d[:], crypto.SHA384)
	if err != nil {
		t.Fatal(err)
	}
	if !ecdsa.VerifyASN1(r.CardCert.PublicKey.(*ecdsa.PublicKey), d[:], sig) {
		t.Error("signature does not verify")
	}
	c.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	first := strings.SplitN(out.String(), "\n", 2)[0]
	var ev map[string]any
	if err := json.Unmarshal([]byte(first), &ev); err != nil || ev["profile"] != "gen2-assumed" || ev["profile_assumed"] != true || ev["key"] != "ECDSA P-384" {
		t.Errorf("first event %s (%v)", first, err)
	}
}
