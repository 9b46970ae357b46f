package tui

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"kofu/protocol"
	"kofu/terminal"
)

// finishing runs Finish of the panel for a session whose card a card loop
// follows, closing done when it returns.
func finishing(ctx context.Context, h *harness, gone <-chan struct{}, r terminal.Result) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		h.c.WithCard(gone).Finish(ctx, r)
		close(done)
	}()
	return done
}

// returned fails unless done is closed within d (or, with want false,
// fails if it is).
func returned(t *testing.T, done <-chan struct{}, d time.Duration, want bool) {
	t.Helper()
	select {
	case <-done:
		if !want {
			t.Fatal("Finish returned too early")
		}
	case <-time.After(d):
		if want {
			t.Fatal("Finish did not return")
		}
	}
}

// TestFinishFollowsTheCard: following the card, the card reminder is
// ticked off by the card leaving the reader, never by Enter; then the
// paper reminder, which Enter (or the linger time) closes, and the
// welcome screen shows nothing of the session.
func TestFinishFollowsTheCard(t *testing.T) {
	printed := terminal.Result{Outcome: protocol.ResultPrinted, Pages: 1, Fee: 250, Payment: "captured", Session: "SESSIONREF"}
	refused := terminal.Result{Outcome: protocol.ResultRefused, Reason: "envelope-subject", Payment: "released", Session: "4821-9930-1177.x"}
	cases := []struct {
		name     string
		r        terminal.Result
		linger   time.Duration
		in       []string // with the card in the reader
		out      []string // once it has left
		outEN    []string
		key      bool // Enter closes it (else: the linger time)
		notAfter []string
	}{
		{name: "printed: the card, then the paper", r: printed, linger: time.Minute,
			in:    []string{"証明書の印刷が完了しました", "▶▶ カードをお取りください ◀◀", "証明書をお取りください"},
			out:   []string{"✓ カードが取り出されました", "▶▶ 証明書をお取りください ◀◀", "<Enter> 受け取りました"},
			outEN: []string{"✓ Card taken", "▶▶ Please take your certificate ◀◀", "<Enter> Taken"},
			key:   true, notAfter: []string{"250", "印刷が完了"}},
		{name: "refused: the reference stays for a while", r: refused, linger: 300 * time.Millisecond,
			in:       []string{"この証明書は発行できませんでした。", "▶▶ カードをお取りください ◀◀", "お問い合わせ番号：4821-9930-1177"},
			out:      []string{"✓ カードが取り出されました", "お問い合わせ番号：4821-9930-1177", "<Enter> 閉じる"},
			outEN:    []string{"✓ Card taken", "Reference: 4821-9930-1177", "<Enter> Close"},
			notAfter: []string{"4821", "発行できません"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{Tick: 50 * time.Millisecond, Linger: tc.linger})
			gone := make(chan struct{})
			done := finishing(context.Background(), h, gone, tc.r)
			s := h.waitFor(append(tc.in, "（くりかえしお知らせしています）")...)
			absent(t, s, "<Enter>", "✓")
			h.press(tcell.KeyEnter, tcell.KeyEnter) // keys do not take the card
			returned(t, done, 200*time.Millisecond, false)
			h.waitFor("▶▶ カードをお取りください ◀◀")

			close(gone)
			h.waitFor(tc.out...)
			h.press('L', '2') // English
			h.waitFor(tc.outEN...)
			h.press('L', '1') // Japanese
			if tc.key {
				returned(t, done, 200*time.Millisecond, false)
				h.press(tcell.KeyEnter)
			}
			returned(t, done, 5*time.Second, true)
			s = h.waitFor("マイナンバーカードをカード置き場に置いてください")
			absent(t, s, tc.notAfter...)
		})
	}
}

// TestFinishCardAlreadyOut: a card pulled during the session is not asked
// for again: the card-removed screen never says カードをお取りください.
func TestFinishCardAlreadyOut(t *testing.T) {
	h := newHarness(t, Options{Tick: 50 * time.Millisecond, Linger: 500 * time.Millisecond})
	gone := make(chan struct{})
	close(gone)
	done := finishing(context.Background(), h, gone, terminal.Result{Outcome: protocol.ResultCancelled, Reason: "card-removed", Payment: "none"})
	s := h.waitFor("カードが取り外されたため、手続きを中止しました", "<Enter> 閉じる")
	absent(t, s, "カードをお取りください", "▶▶", "✓")
	h.press('L', '2')
	s = h.waitFor("The card was removed")
	absent(t, s, "Please take your card")
	h.press('L', '1')
	returned(t, done, 5*time.Second, true) // the linger time
	h.waitFor("マイナンバーカードをカード置き場に置いてください")
}

// TestFinishCardLeft: the finish time runs out with the card in the
// reader: the screen turns into the staff's card-left screen (never the
// welcome screen), which CardLeft keeps until the card is taken out.
func TestFinishCardLeft(t *testing.T) {
	cases := []struct {
		name  string
		r     terminal.Result
		ja    []string
		en    []string
		paper bool
	}{
		{"printed", terminal.Result{Outcome: protocol.ResultPrinted, Pages: 1, Fee: 250, Payment: "captured", Session: "4821-9930-1177.x"},
			[]string{"カードが残っています", "店員の方へ", "遺失物", "お問い合わせ番号：4821-9930-1177", "カードを取り出すと、この画面は終わります"},
			[]string{"A card has been left in the reader", "Store staff", "lost property", "Reference: 4821-9930-1177"}, true},
		{"cancelled", terminal.Result{Outcome: protocol.ResultCancelled, Reason: "choose-timeout", Payment: "none", Session: "1111-2222-3333.x"},
			[]string{"カードが残っています", "店員の方へ", "お問い合わせ番号：1111-2222-3333"},
			[]string{"A card has been left in the reader"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{Tick: 50 * time.Millisecond})
			gone := make(chan struct{})
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			done := finishing(ctx, h, gone, tc.r)
			h.waitFor("▶▶ カードをお取りください ◀◀")
			returned(t, done, 5*time.Second, true)
			s := h.waitFor(tc.ja...)
			absent(t, s, "ようこそ", "カード置き場に置いてください", "<Enter>", "料金")
			if got := strings.Contains(norm(s), norm("取り出し口に残っていれば")); got != tc.paper {
				t.Errorf("paper note shown %v, want %v:\n%s", got, tc.paper, s)
			}

			// The loop keeps it up until the card is out; no key ends it.
			lctx, lcancel := context.WithCancel(context.Background())
			left := make(chan struct{})
			go func() { h.c.CardLeft(lctx, tc.r); close(left) }()
			h.press(tcell.KeyEnter, tcell.KeyEscape, tcell.KeyCtrlC, 'L', '2')
			h.waitFor(tc.en...)
			h.press('L', '1')
			h.waitFor(tc.ja...)
			returned(t, left, 200*time.Millisecond, false)
			lcancel()
			returned(t, left, 5*time.Second, true)
			s = h.waitFor("マイナンバーカードをカード置き場に置いてください")
			absent(t, s, "カードが残っています", "4821", "1111")
		})
	}
}

// TestCardKey: the emulator's card key places and pulls the card on
// every screen, says which in the keymap, and while out of service only
// pulls a card that is there.
func TestCardKey(t *testing.T) {
	var present atomic.Bool
	var toggles atomic.Int32
	ck := &CardKey{Key: 'c', Present: present.Load, Toggle: func() { toggles.Add(1); present.Store(!present.Load()) }}
	h := newHarness(t, Options{Card: ck, IdleKeys: []IdleKey{{Key: 'Q', Label: T("終了", "Quit"), Quit: true}}})

	steps := []struct {
		name    string
		screen  func(ctx context.Context)
		key     rune
		want    []string
		not     []string
		present bool
	}{
		{name: "welcome: place", screen: func(ctx context.Context) { go h.c.Idle(ctx) },
			key: 'c', want: []string{"<C> カードを抜く", "<Q> 終了"}, present: true},
		{name: "PIN: pull, no digit typed", screen: func(ctx context.Context) { go h.c.PIN(ctx, 3) },
			key: 'C', want: []string{"<C> カードを置く", "残りの入力回数：3回"}, not: []string{"●"}, present: false},
		{name: "out of service: no placing", screen: func(ctx context.Context) {
			go h.c.OutOfService(ctx, []Fault{{What: T("プリンタ", "Printer"), Detail: "printer: paper out"}})
		}, key: 'C', want: []string{"● プリンタ"}, not: []string{"<C>"}, present: false},
	}
	for _, st := range steps {
		ctx, cancel := context.WithCancel(context.Background())
		st.screen(ctx)
		time.Sleep(100 * time.Millisecond)
		h.press(st.key)
		s := h.waitFor(st.want...)
		absent(t, s, st.not...)
		if present.Load() != st.present {
			t.Fatalf("%s: card present %v, want %v", st.name, present.Load(), st.present)
		}
		cancel()
		h.waitFor("お待ちください") // abandoned before the next screen opens
	}
	if n := toggles.Load(); n != 2 {
		t.Fatalf("%d toggles, want 2", n)
	}

	// Out of service with the card in: it can be pulled.
	present.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.c.OutOfService(ctx, []Fault{{What: T("プリンタ", "Printer"), Detail: "printer: paper out"}})
	h.waitFor("● プリンタ", "<C> カードを抜く")
	h.press('C')
	s := h.waitFor("● プリンタ")
	absent(t, s, "<C>")
	if present.Load() {
		t.Fatal("the card was not pulled while out of service")
	}
}

// TestCardKeyRejected: the card key cannot take a key the UI uses.
func TestCardKeyRejected(t *testing.T) {
	ck := func(k rune) *CardKey {
		return &CardKey{Key: k, Present: func() bool { return false }, Toggle: func() {}}
	}
	cases := []struct {
		name string
		o    Options
	}{
		{"language key", Options{Card: ck('l')}},
		{"digit", Options{Card: ck('5')}},
		{"an idle key too", Options{Card: ck('c'), IdleKeys: []IdleKey{{Key: 'C'}}}},
		{"no Toggle", Options{Card: &CardKey{Key: 'C', Present: func() bool { return false }}}},
	}
	for _, tc := range cases {
		tc.o.Muni = "141003"
		tc.o.Screen = tcell.NewSimulationScreen("UTF-8")
		if _, err := NewCustomer(tc.o); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}
