//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"kofu/cardreader"
	"kofu/cardreader/emucard"
	"kofu/cardreader/pcsctest"
	"kofu/internal/fixtures"
	"kofu/internal/testclock"
	"kofu/printer"
	"kofu/protocol"
	"kofu/protocol/center"
	"kofu/terminal"
	"kofu/terminal/config"
	"kofu/terminal/health"
	"kofu/terminal/journal"
	"kofu/terminal/tui"
)

// writeMunicipalities writes the fixtures' municipality list in the
// format ui.municipalities names.
func writeMunicipalities(t *testing.T, fx *fixtures.Set, path string) {
	t.Helper()
	var b strings.Builder
	for _, m := range fx.Municipalities {
		fmt.Fprintf(&b, "[[municipality]]\ncode = %q\nname = %q\nkoseki_weekdays_only = %v\n[municipality.fees]\n", m.Code, m.Name, m.KosekiWeekdaysOnly)
		for doc, fee := range m.Fees {
			fmt.Fprintf(&b, "%q = %d\n", doc, fee)
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

// storeWorld is a store machine's surroundings: a private pcscd with
// vpcd, the emulated center as a separate mutual-TLS server, and the
// emulated card of resident id (not yet inserted).
func storeWorld(t *testing.T, id string) (*pcsctest.Stack, *fixtures.Set, *center.Server, *fixtures.Resident, *emucard.Card) {
	t.Helper()
	s := pcsctest.Start(t)
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := center.Start(center.Config{Fixtures: fx, Now: testclock.Now(t)}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	res, ok := fx.Resident(id)
	if !ok {
		t.Fatalf("no resident %s", id)
	}
	card, err := emucard.New(fx, res, emucard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s, fx, srv, res, card
}

// TestStoreMachineAutopilot runs `kiosk run --config FILE --autopilot` as
// on a store machine: the emulated center as a separate server over real
// mutual TLS on loopback, the card through a real pcscd with the emulated
// card on vsmartcard-vpcd, found by the host loop in the configured
// reader. One session prints; in the next the card is pulled as it signs
// the request, and the session ends cancelled/card-removed with nothing
// printed and no fee; the journal holds both.
func TestStoreMachineAutopilot(t *testing.T) {
	s, fx, srv, res, card := storeWorld(t, "R0004")
	s.Insert(t, card, 0)

	dir := t.TempDir()
	cfgPath := storeConfig(t, dir, srv.URL, "operator-ca.crt.pem", s.Reader(0))
	writeMunicipalities(t, fx, filepath.Join(dir, "municipalities.toml"))
	f, err := os.OpenFile(cfgPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, "[ui]\nmunicipalities = \"municipalities.toml\"")
	f.Close()

	run := func(t *testing.T) (int, terminal.Result, string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		var out, errb bytes.Buffer
		code, err := runWith(ctx, []string{"--config", cfgPath, "--autopilot", "--doc", "juminhyo", "--muni", res.Muni,
			"--pin", res.PIN, "--log-format", "text"}, &out, &errb, runHooks{now: testclock.Now(t)})
		if err != nil {
			t.Fatalf("kiosk run: %v\n%s", err, errb.String())
		}
		var r terminal.Result
		if err := json.Unmarshal(out.Bytes(), &r); err != nil {
			t.Fatalf("JSON line %q: %v\n%s", out.String(), err, errb.String())
		}
		return code, r, errb.String()
	}

	code, r, logs := run(t)
	if code != 0 || r.Outcome != protocol.ResultPrinted || r.Pages != 1 || r.Payment != "captured" || r.Billing != "captured" {
		t.Fatalf("exit %d, result %+v\n%s", code, r, logs)
	}
	if strings.Contains(logs, res.PIN) || strings.Contains(logs, res.Name) {
		t.Fatal("the log holds the PIN or the name")
	}

	// Pulled while the card signs the request: the host's watch and the
	// card's own error both say removal.
	card.SetFaults(emucard.Faults{RemoveOn: emucard.Trigger{INS: 0x2A, N: 1}})
	code, r2, logs := run(t)
	if code != 1 || r2.Outcome != protocol.ResultCancelled || r2.Reason != "card-removed" || r2.Pages != 0 ||
		r2.Payment != "none" || r2.TID != "" {
		t.Fatalf("exit %d, result %+v\n%s", code, r2, logs)
	}

	var ends []string
	if err := journal.Each(filepath.Join(dir, "journal"), func(rec journal.Record) error {
		if rec.Kind == journal.KindEnd {
			ends = append(ends, rec.State+"/"+rec.Reason)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ends, " "); got != "printed/ cancelled/card-removed" {
		t.Fatalf("journal ends: %s", got)
	}
}

// TestStoreMachineUI runs the store machine's customer UI loop on a
// simulation screen through a real pcscd: the welcome screen until the
// card is placed on the reader, the session with the municipality picked
// from the list, the finish screen, the welcome screen again only once
// the card has left the reader, then Q.
func TestStoreMachineUI(t *testing.T) {
	s, fx, srv, res, card := storeWorld(t, "R0001")
	dir := t.TempDir()
	cfg, err := config.Load(storeConfig(t, dir, srv.URL, "operator-ca.crt.pem", s.Reader(0)))
	if err != nil {
		t.Fatal(err)
	}
	trust, err := cfg.LoadTrust()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sink, err := openTarget(ctx, "emulator", printer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	j, _, err := journal.Open(cfg.Journal.Path, trust.JournalKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	pc, err := cardreader.NewContext()
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	// The finish time pinned short: the resident walks away from the card.
	m, err := newStoreMachine(cfg, trust, "kofu-kiosk/test", protocol.Timeouts{}, terminal.Timeouts{Finish: 3 * time.Second}, sink, j, pc)
	if err != nil {
		t.Fatal(err)
	}
	m.now = testclock.Now(t) // the center's instant: an open service day
	m.verify.Now = m.now
	var munis []tui.Municipality
	pick := -1
	for i, mu := range fx.Municipalities {
		munis = append(munis, tui.Municipality{Code: mu.Code, Name: mu.Name, Fees: mu.Fees, KosekiWeekdaysOnly: mu.KosekiWeekdaysOnly})
		if mu.Code == res.Muni {
			pick = i
		}
	}
	if pick < 0 {
		t.Fatalf("no municipality %s in the list", res.Muni)
	}
	// A blocking check that fails until the test mends it: the gate.
	var broken atomic.Bool
	broken.Store(true)
	paper := health.Check{Name: "printer", Blocking: true, Run: func(context.Context) health.Result {
		if broken.Load() {
			return health.Result{Status: health.Fail, Detail: "paper out: load A4 paper"}
		}
		return health.Result{Status: health.OK, Detail: "ready"}
	}}
	sim := tcell.NewSimulationScreen("UTF-8")
	u, err := newStoreUI(m, munis, "ja", []health.Check{paper}, sim)
	if err != nil {
		t.Fatal(err)
	}
	u.recheck = 100 * time.Millisecond
	sim.SetSize(100, 35)
	results := make(chan terminal.Result, 1)
	u.onResult = func(r terminal.Result) { results <- r }
	done := make(chan error, 1)
	go func() { done <- u.run(ctx) }()
	snap := u.customer.Snapshot
	key := func(k tcell.Key, r rune) {
		sim.InjectKey(k, r, tcell.ModNone)
		time.Sleep(30 * time.Millisecond)
	}
	typeText := func(s string) {
		for _, r := range s {
			key(tcell.KeyRune, r)
		}
	}

	// Out of service first: a card placed now starts nothing.
	waitScreen(t, snap, 10*time.Second, "● プリンタ", "printer: paper out: load A4 paper")
	unplug := s.Insert(t, card, 0)
	time.Sleep(500 * time.Millisecond)
	if strings.Contains(norm(snap()), norm("取得する証明書を選んでください")) {
		t.Fatal("a session started while out of service")
	}
	broken.Store(false)
	waitScreen(t, snap, 20*time.Second, "取得する証明書を選んでください")
	typeText("3") // 印鑑登録証明書: copies, then the municipality
	// Nothing is chosen for the resident (issue 17, item 1): the
	// municipality row waits, and Enter there opens the picker, where the
	// resident types the 6-digit code.
	waitScreen(t, snap, 10*time.Second, "請求先（住所地）", "未選択")
	key(tcell.KeyDown, 0)
	key(tcell.KeyEnter, 0)
	waitScreen(t, snap, 10*time.Second, "住所地の市区町村を選んでください")
	typeText(res.Muni)
	key(tcell.KeyEnter, 0)
	name := fx.Municipalities[pick].Name
	waitScreen(t, snap, 10*time.Second, "◀ "+name+" ▶")
	key(tcell.KeyEnter, 0)
	waitScreen(t, snap, 20*time.Second, "残りの入力回数：3回")
	typeText(res.PIN)
	key(tcell.KeyEnter, 0)
	fee := fx.Municipalities[pick].Fees["inkan"]
	waitScreen(t, snap, 20*time.Second, fmt.Sprintf("手数料%d円", fee))
	typeText("4") // 500 yen
	key(tcell.KeyEnter, 0)
	waitScreen(t, snap, 30*time.Second, "証明書の印刷が完了しました", fmt.Sprintf("料金 %d円 をいただきました", fee),
		"▶▶ カードをお取りください ◀◀")
	key(tcell.KeyEnter, 0) // keys do not take the card (issue 17, item 7)
	key(tcell.KeyEnter, 0)
	waitScreen(t, snap, 2*time.Second, "▶▶ カードをお取りください ◀◀")
	var r terminal.Result
	select {
	case r = <-results:
	case <-time.After(20 * time.Second):
		t.Fatalf("session did not end:\n%s", snap())
	}
	if r.Outcome != protocol.ResultPrinted || r.Pages != 1 || r.Payment != "captured" {
		t.Fatalf("result %+v", r)
	}
	// The resident walked away: the card is still on the reader. The
	// staff's card-left screen shows, no new session starts, and the
	// welcome screen returns only once the card is taken.
	left := waitScreen(t, snap, 20*time.Second, "カードが残っています", "店員の方へ", "カードを取り出すと、この画面は終わります")
	if strings.Contains(norm(left), norm("カード置き場に置いてください")) {
		t.Fatalf("the welcome screen over the card:\n%s", left)
	}
	time.Sleep(500 * time.Millisecond)
	select {
	case r := <-results:
		t.Fatalf("a second session ran with the card left on the reader: %+v", r)
	default:
	}
	waitScreen(t, snap, time.Second, "カードが残っています")
	unplug()
	waitScreen(t, snap, 20*time.Second, "マイナンバーカードをカード置き場に置いてください")
	// A resident cannot close a store machine (issue 17, item 9): no
	// quit key on the welcome screen, and none works. The machine stops
	// when its service is stopped (SIGTERM: ctx ends).
	if sc := snap(); strings.Contains(sc, "終了") || strings.Contains(sc, "<Q>") {
		t.Fatalf("the store welcome screen offers to quit:\n%s", sc)
	}
	typeText("Q")
	key(tcell.KeyCtrlC, 0)
	select {
	case err := <-done:
		t.Fatalf("a key closed the store UI (%v):\n%s", err, snap())
	case <-time.After(time.Second):
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("stopping the service did not stop the UI")
	}
}
