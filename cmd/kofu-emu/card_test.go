//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
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
