package tui

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"kofu/protocol"
	"kofu/terminal"
	"kofu/terminal/payment"
)

// TestScreens drives each screen with keys and reads it back, in Japanese
// and, after the language key, in English.
func TestScreens(t *testing.T) {
	cases := []struct {
		name  string
		opts  Options
		setup func(ctx context.Context, h *harness)
		ja    []string
		en    []string
		not   []string // never on screen, in either language
	}{
		{
			name: "welcome with service hours and emulator note",
			opts: Options{Note: T("テスト利用者 R0001（暗証番号 1234）", "Test resident R0001 (PIN 1234)"),
				IdleKeys: []IdleKey{{Key: 'C', Label: T("カードを挿入", "Insert card")}}},
			setup: func(ctx context.Context, h *harness) { go h.c.Idle(ctx) },
			ja: []string{"マイナンバーカードをカード置き場に置いてください", "サービス提供時間：6:30〜23:00", "R0001（暗証番号 1234）", "<C> カードを挿入",
				"<L> Language / 言語", "L ▸ English · 中文（简体） · 한국어 · Português · Tiếng Việt"},
			en: []string{"Please place your My Number card", "Service hours: 6:30–23:00", "<C> Insert card", "<L> Language / 言語",
				"L ▸ 日本語 · 中文（简体） · 한국어 · Português · Tiếng Việt"},
		},
		{
			name:  "document list with fees",
			setup: func(ctx context.Context, h *harness) { go h.c.Choose(ctx) },
			ja:    []string{"取得する証明書を選んでください", "1 住民票の写し 250円", "3 印鑑登録証明書", "7 所得・課税証明書", "<1-7> 選択", "<Esc> 中止", "4〜6 の戸籍の証明書は、日本国籍の方のみ取得できます。"},
			en:    []string{"Which certificate do you need?", "1 Certificate of residence ¥250", "Seal registration certificate", "<Esc> Cancel", "4–6 (family register) are for Japanese nationals only."},
		},
		{
			name: "options, copies and fee estimate",
			setup: func(ctx context.Context, h *harness) {
				go h.c.Choose(ctx)
				h.waitFor("取得する証明書を選んでください")
				h.press('1')
				h.waitFor("記載範囲")
				h.press('5', '5') // copies (row 5) 1 → 3
			},
			ja: []string{"記載範囲", "本人のみ", "個人番号", "記載しない", "部数", "◀ 3通 ▶", "請求先：住所地（神奈川県横浜市）", "手数料のめやす：250円 × 3通 ＝ 750円"},
			en: []string{"Who is listed", "Only me", "My Number", "Copies", "◀ 3 ▶", "Expected fee: ¥250 × 3 = ¥750", "Request to: residence (Yokohama-shi, Kanagawa)"},
		},
		{
			name: "koseki offers the 本籍地 when it differs",
			opts: Options{HonsekiMuni: "362018"},
			setup: func(ctx context.Context, h *harness) {
				go h.c.Choose(ctx)
				h.waitFor("戸籍全部事項証明書")
				h.press('4')
				h.waitFor("請求先（本籍地）", "未選択")
				h.press(tcell.KeyUp, tcell.KeyRight) // the picker, presets first
				h.waitFor("本籍地（徳島県徳島市）", "住所地と同じ（神奈川県横浜市）")
				h.press(tcell.KeyEnter)
			},
			ja: []string{"戸籍全部事項証明書", "請求先（本籍地）", "◀ 徳島県徳島市 ▶", "450円 × 1通", "戸籍の証明書は平日のみ取得できます",
				"本籍地が住所地と異なる場合は、事前に本籍地の市区町村への利用登録申請が必要です。"},
			en: []string{"Family register (all members)", "Request to (registered domicile)", "Tokushima-shi, Tokushima", "weekdays only"},
		},
		{
			name: "PIN masked with tries left",
			setup: func(ctx context.Context, h *harness) {
				go h.c.PIN(ctx, 3)
				h.waitFor("残りの入力回数")
				h.press("86")
			},
			ja:  []string{"暗証番号（数字4桁）", "●●--", "残りの入力回数：3回", "<0-9> 入力", "<Esc> 中止"},
			en:  []string{"4-digit PIN", "●●--", "Tries left: 3"},
			not: []string{"8", "6", "あと1回", "one more wrong PIN"},
		},
		{
			name: "PIN warning when one try remains",
			setup: func(ctx context.Context, h *harness) {
				go h.c.PIN(ctx, 1)
			},
			ja: []string{"残りの入力回数：1回", "あと1回間違えると、カードの暗証番号がロックされます", "市区町村の窓口"},
			en: []string{"Tries left: 1", "one more wrong PIN locks your card", "municipal office"},
		},
		{
			name: "fee and amount inserted",
			opts: Options{Coins: payment.NewCoins()},
			setup: func(ctx context.Context, h *harness) {
				go h.c.Pay(ctx, 250)
				h.waitFor("手数料")
				h.press('3')
			},
			ja: []string{"手数料250円", "投入金額100円", "あと150円を投入してください", "<1> 10円", "<5> 1,000円", "<Enter> 印刷開始"},
			en: []string{"Fee: ¥250", "Inserted: ¥100", "Please insert ¥150 more", "<3> ¥100"},
		},
		{
			// Issue 17, item 8: the request is summed up before paying.
			name: "summary before paying",
			opts: Options{Coins: payment.NewCoins()},
			setup: func(ctx context.Context, h *harness) {
				go func() {
					if _, err := h.c.Choose(ctx); err == nil {
						h.c.Pay(ctx, 500)
					}
				}()
				h.waitFor("取得する証明書を選んでください")
				h.press('1')
				h.waitFor("記載範囲")
				h.press('1', '5', '5', tcell.KeyEnter) // household; copies 1 → 2 → 3
			},
			ja: []string{"ご請求の内容をご確認ください。", "証明書", "住民票の写し", "記載範囲", "世帯全員", "部数", "3通", "請求先", "神奈川県横浜市", "手数料　500円"},
			en: []string{"Please check your request.", "Certificate of residence", "Whole household", "Copies", "Yokohama-shi, Kanagawa", "Fee: ¥500"},
		},
		{
			name:  "waiting for the center",
			setup: func(_ context.Context, h *harness) { h.c.Progress(terminal.Progress{State: terminal.StateSubmit}) },
			ja:    []string{"交付センター", "この場を離れないでください"},
			en:    []string{"issuance center", "Please stay at the machine"},
		},
		{
			name:  "verification",
			setup: func(_ context.Context, h *harness) { h.c.Progress(terminal.Progress{State: terminal.StateFetch}) },
			ja:    []string{"ご本人の申請どおりの証明書であることを確認しています"},
			en:    []string{"verifying that it is exactly the one you asked for"},
		},
		{
			name: "printing page k of n",
			setup: func(_ context.Context, h *harness) {
				h.c.Progress(terminal.Progress{State: terminal.StatePrint, Page: 2, Pages: 3})
			},
			ja: []string{"2ページ目を印刷しています（全3ページ）", "カードは取り外さないでください"},
			en: []string{"Printing page 2 of 3"},
		},
		{
			name: "printed: fee taken, take card",
			setup: func(ctx context.Context, h *harness) {
				go h.c.Finish(ctx, terminal.Result{Outcome: protocol.ResultPrinted, Pages: 1, Fee: 250, Payment: "captured"})
			},
			ja: []string{"証明書の印刷が完了しました", "料金 250円 をいただきました", "▶▶ カードをお取りください ◀◀", "証明書をお取りください", "<Enter> 受け取りました"},
			en: []string{"Your certificate has been printed", "You paid ¥250", "Please take your card"},
		},
		{
			name: "printed: take the paper after the card",
			setup: func(ctx context.Context, h *harness) {
				go h.c.Finish(ctx, terminal.Result{Outcome: protocol.ResultPrinted, Pages: 1, Fee: 250, Payment: "captured"})
				h.waitFor("カードをお取りください")
				h.press(tcell.KeyEnter)
			},
			ja: []string{"✓ カードをお取りください", "▶▶ 証明書をお取りください ◀◀"},
			en: []string{"✓ Please take your card", "▶▶ Please take your certificate ◀◀"},
		},
		{
			name: "refused: not issued, no fee, ask staff",
			opts: Options{Helpdesk: "ヘルプデスク 0120-000-000"},
			setup: func(ctx context.Context, h *harness) {
				go h.c.Finish(ctx, terminal.Result{Outcome: protocol.ResultRefused, Reason: "envelope-subject", Fee: 250,
					Payment: "released", Session: "4821-9930-1177.abcdefghijklmnop"})
			},
			ja: []string{"この証明書は発行できませんでした。", "料金はいただいていません。", "店員にお知らせください", "お問い合わせ番号：4821-9930-1177", "カードをお取りください",
				"店員の方へ：ヘルプデスク 0120-000-000にお問い合わせ番号をお伝えください。"},
			en:  []string{"This certificate could not be issued.", "You have not been charged.", "tell the store staff"},
			not: []string{"envelope", "subject", "証明書をお取りください"},
		},
		{
			name: "blocked card: go to the municipal office",
			setup: func(ctx context.Context, h *harness) {
				go h.c.Finish(ctx, terminal.Result{Outcome: protocol.ResultFailed, Reason: "card-blocked", Payment: "none"})
			},
			ja:  []string{"カードの暗証番号がロックされています", "お住まいの市区町村の窓口", "料金はいただいていません"},
			en:  []string{"Your card's PIN is locked", "municipal office", "You have not been charged"},
			not: []string{"card-blocked"},
		},
		{
			name: "center problem in the resident's words",
			setup: func(ctx context.Context, h *harness) {
				go h.c.Finish(ctx, terminal.Result{Outcome: protocol.ResultFailed, Reason: "center-card-revoked", Payment: "none"})
			},
			ja:  []string{"このカードの利用者証明用電子証明書は失効しています", "料金はいただいていません"},
			en:  []string{"This card's authentication certificate has been revoked", "You have not been charged"},
			not: []string{"center-", "revoked)"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.opts)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			tc.setup(ctx, h)
			s := h.waitFor(tc.ja...)
			absent(t, s, tc.not...)
			h.press('L', '2') // the language list, then English
			s = h.waitFor(tc.en...)
			absent(t, s, tc.not...)
			h.press('l', '1') // and back to Japanese
			h.waitFor(tc.ja...)
		})
	}
}

// TestPINEntry checks what the PIN screen hands over and what it keeps.
func TestPINEntry(t *testing.T) {
	type result struct {
		pin []byte
		err error
	}
	cases := []struct {
		name    string
		keys    []any
		pin     string
		err     error
		pending bool // no answer may come: the UI never submits on its own
	}{
		{name: "four digits and Enter", keys: []any{"1234", tcell.KeyEnter}, pin: "1234"},
		{name: "erase then retype", keys: []any{"129", tcell.KeyBackspace2, "34", tcell.KeyEnter}, pin: "1234"},
		{name: "leading zero", keys: []any{"0042", tcell.KeyEnter}, pin: "0042"},
		{name: "extra digits ignored", keys: []any{"123456", tcell.KeyEnter}, pin: "1234"},
		{name: "Esc twice cancels", keys: []any{"12", tcell.KeyEscape, tcell.KeyEscape}, err: terminal.ErrCancelled},
		{name: "one Esc only asks", keys: []any{"123", tcell.KeyEscape}, pending: true},
		{name: "Esc, then another key goes on", keys: []any{"12", tcell.KeyEscape, "9", "34", tcell.KeyEnter}, pin: "1234"},
		{name: "Backspace on empty does not cancel", keys: []any{"1", tcell.KeyBackspace2, tcell.KeyBackspace2, tcell.KeyBackspace2, "123"}, pending: true},
		{name: "Backspace on empty, then the PIN", keys: []any{tcell.KeyBackspace2, tcell.KeyBackspace2, "1234", tcell.KeyEnter}, pin: "1234"},
		{name: "four digits without Enter are not submitted", keys: []any{"1234"}, pending: true},
		{name: "Enter with three digits is not submitted", keys: []any{"123", tcell.KeyEnter}, pending: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			got := make(chan result, 1)
			go func() {
				p, err := h.c.PIN(ctx, 3)
				got <- result{p, err}
			}()
			h.waitFor("残りの入力回数")
			h.press(tc.keys...)
			if tc.pending {
				select {
				case r := <-got:
					t.Fatalf("PIN returned %v without the resident's Enter", r.err)
				case <-time.After(300 * time.Millisecond):
				}
				h.waitFor("●●●")
				cancel()
				r := <-got
				if !errors.Is(r.err, context.Canceled) || r.pin != nil {
					t.Fatalf("after ctx ended: %v %v", r.pin, r.err)
				}
			} else {
				var r result
				select {
				case r = <-got:
				case <-time.After(5 * time.Second):
					t.Fatalf("no answer; screen:\n%s", h.c.Snapshot())
				}
				if !errors.Is(r.err, tc.err) || string(r.pin) != tc.pin {
					t.Fatalf("got %q %v, want %q %v", r.pin, r.err, tc.pin, tc.err)
				}
			}
			h.loop(func() {
				if h.c.pin.n != 0 || !bytes.Equal(h.c.pin.buf[:], make([]byte, pinLen)) {
					t.Errorf("PIN buffer not zeroed: n=%d", h.c.pin.n)
				}
			})
		})
	}
}

// TestPINWrongThenAgain: after a refused PIN the next question says so and
// starts empty; it never resubmits.
func TestPINWrongThenAgain(t *testing.T) {
	h := newHarness(t, Options{})
	ctx := context.Background()
	done := make(chan []byte)
	go func() { p, _ := h.c.PIN(ctx, 3); done <- p }()
	h.waitFor("残りの入力回数：3回")
	h.press("1111", tcell.KeyEnter)
	clear(<-done)
	go func() { p, _ := h.c.PIN(ctx, 2); done <- p }()
	s := h.waitFor("暗証番号が違います", "残りの入力回数：2回", "----")
	absent(t, s, "●")
	h.press(tcell.KeyEscape)
	h.waitFor("もう一度 Esc を押してください", "<Esc> 中止する")
	h.press(tcell.KeyEscape)
	if p := <-done; p != nil {
		t.Fatalf("got %q after Esc", p)
	}
}

// TestPayNeedsTheFee: Enter does nothing until the fee is in; Esc cancels.
func TestPayNeedsTheFee(t *testing.T) {
	coins := payment.NewCoins()
	h := newHarness(t, Options{Coins: coins})
	got := make(chan error, 1)
	go func() { got <- h.c.Pay(context.Background(), 250) }()
	s0 := h.waitFor("手数料250円", "250円を投入してください")
	absent(t, s0, "あと")
	h.press('3', '3', tcell.KeyEnter)
	h.waitFor("投入金額200円", "投入金額が足りません")
	select {
	case err := <-got:
		t.Fatalf("Pay returned %v with 200 of 250 yen", err)
	default:
	}
	h.press('2')
	h.waitFor("投入金額250円", "Enter を押すと印刷を始めます")
	h.press('4') // the fee is covered: no more is taken
	h.waitFor("投入金額250円", "料金は投入済みです")
	h.press(tcell.KeyEnter)
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if c := coins.Ledger().Credit; c != 250 {
		t.Fatalf("credit %d", c)
	}

	// Coins in: Backspace does nothing, one Esc asks and says the money
	// comes back, another key withdraws the question, two Escs cancel.
	go func() { got <- h.c.Pay(context.Background(), 250) }()
	h.waitFor("手数料250円")
	h.press('3', tcell.KeyBackspace2)
	h.waitFor("投入金額250円") // still in from the first payment; no more is taken
	h.press(tcell.KeyEscape)
	h.waitFor("手続きを中止しますか", "投入された250円はお返しします")
	h.press('3') // withdraws the question only
	s := h.waitFor("投入金額250円", "<Esc> 中止")
	absent(t, s, "手続きを中止しますか")
	select {
	case err := <-got:
		t.Fatalf("Pay returned %v before a second Esc", err)
	default:
	}
	h.press(tcell.KeyEscape, tcell.KeyEscape)
	if err := <-got; !errors.Is(err, terminal.ErrCancelled) {
		t.Fatalf("Esc Esc: %v", err)
	}
}

// TestChooseOrder: the order is what the screen showed; Esc on the list
// cancels, Esc on the options goes back to the list.
func TestChooseOrder(t *testing.T) {
	type got struct {
		o   terminal.Order
		err error
	}
	cases := []struct {
		name    string
		honseki string
		muni    string
		keys    []any
		want    terminal.Order
		err     error
	}{
		{name: "defaults", keys: []any{'1', tcell.KeyEnter},
			want: terminal.Order{Muni: "141003", Doc: protocol.DocSpec{Type: protocol.DocJuminhyo, Copies: 1,
				Opts: map[string]string{"scope": "self", "honseki": "omit", "zokugara": "omit", "kojin-bango": "omit"}}}},
		// ↑ from the first row wraps to the last: the foreign residents'
		// two items, then the copies.
		{name: "household, two copies, by arrows", keys: []any{tcell.KeyEnter, tcell.KeyRight, tcell.KeyUp, tcell.KeyUp, tcell.KeyUp, tcell.KeyRight, tcell.KeyEnter},
			want: terminal.Order{Muni: "141003", Doc: protocol.DocSpec{Type: protocol.DocJuminhyo, Copies: 2,
				Opts: map[string]string{"scope": "household", "honseki": "omit", "zokugara": "omit", "kojin-bango": "omit"}}}},
		{name: "back to the list, then seal certificate", keys: []any{'1', tcell.KeyEscape, tcell.KeyDown, tcell.KeyDown, tcell.KeyEnter, tcell.KeyEnter},
			want: terminal.Order{Muni: "141003", Doc: protocol.DocSpec{Type: protocol.DocInkan, Copies: 1, Opts: map[string]string{}}}},
		{name: "koseki at the 本籍地", honseki: "362018", keys: []any{'4', '2', tcell.KeyEnter, tcell.KeyEnter},
			want: terminal.Order{Muni: "362018", Doc: protocol.DocSpec{Type: protocol.DocKosekiZenbu, Copies: 1, Opts: map[string]string{}}}},
		{name: "koseki: Enter with nothing chosen leads to the choice, 住所地 chosen explicitly", honseki: "362018",
			keys: []any{'4', tcell.KeyEnter, tcell.KeyEnter, tcell.KeyDown, tcell.KeyEnter, tcell.KeyEnter},
			want: terminal.Order{Muni: "141003", Doc: protocol.DocSpec{Type: protocol.DocKosekiZenbu, Copies: 1, Opts: map[string]string{}}}},
		{name: "koseki: another 本籍地 found by its reading", honseki: "362018",
			keys: []any{'4', '2', tcell.KeyDown, tcell.KeyDown, tcell.KeyEnter, "むなかた", tcell.KeyEnter, tcell.KeyEnter},
			want: terminal.Order{Muni: "402206", Doc: protocol.DocSpec{Type: protocol.DocKosekiZenbu, Copies: 1, Opts: map[string]string{}}}},
		// Row 6 would be the 本籍地 choice: it is the first foreign
		// resident's item instead (the municipality is fixed).
		{name: "no 本籍地 choice for a residence document", honseki: "362018", keys: []any{'1', '6', tcell.KeyEnter},
			want: terminal.Order{Muni: "141003", Doc: protocol.DocSpec{Type: protocol.DocJuminhyo, Copies: 1,
				Opts: map[string]string{"scope": "self", "honseki": "omit", "zokugara": "omit", "kojin-bango": "omit", "kokuseki-zairyu": "include"}}}},
		{name: "Esc on the list cancels", keys: []any{tcell.KeyEscape}, err: terminal.ErrCancelled},
		{name: "store machine: by the 6-digit code", muni: storeMachine, keys: []any{'3', tcell.KeyEnter, tcell.KeyEnter, "141003", tcell.KeyEnter, tcell.KeyEnter},
			want: terminal.Order{Muni: "141003", Doc: protocol.DocSpec{Type: protocol.DocInkan, Copies: 1, Opts: map[string]string{}}}},
		{name: "store machine: prefecture, then municipality", muni: storeMachine,
			keys: []any{'3', '2', down(13), tcell.KeyEnter, tcell.KeyEnter, tcell.KeyEnter},
			want: terminal.Order{Muni: "141003", Doc: protocol.DocSpec{Type: protocol.DocInkan, Copies: 1, Opts: map[string]string{}}}},
		{name: "store machine: by reading in Latin letters", muni: storeMachine, keys: []any{'3', '2', "tokushima", tcell.KeyEnter, tcell.KeyEnter},
			want: terminal.Order{Muni: "362018", Doc: protocol.DocSpec{Type: protocol.DocInkan, Copies: 1, Opts: map[string]string{}}}},
		{name: "store machine: Esc in the picker keeps nothing chosen", muni: storeMachine,
			keys: []any{'3', '2', "1410", tcell.KeyEscape, tcell.KeyEnter, "141003", tcell.KeyEnter, tcell.KeyEnter},
			want: terminal.Order{Muni: "141003", Doc: protocol.DocSpec{Type: protocol.DocInkan, Copies: 1, Opts: map[string]string{}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{HonsekiMuni: tc.honseki, Muni: tc.muni})
			ch := make(chan got, 1)
			go func() {
				o, err := h.c.Choose(context.Background())
				ch <- got{o, err}
			}()
			h.waitFor("取得する証明書を選んでください")
			for _, k := range tc.keys {
				if d, ok := k.(down); ok {
					for range int(d) {
						h.press(tcell.KeyDown)
					}
					continue
				}
				h.press(k)
				time.Sleep(20 * time.Millisecond)
			}
			var g got
			select {
			case g = <-ch:
			case <-time.After(5 * time.Second):
				t.Fatalf("no order; screen:\n%s", h.c.Snapshot())
			}
			if !errors.Is(g.err, tc.err) {
				t.Fatalf("err %v, want %v", g.err, tc.err)
			}
			if tc.err == nil {
				if g.o.Muni != tc.want.Muni || !g.o.Doc.Equal(tc.want.Doc) {
					t.Fatalf("order %+v, want %+v", g.o, tc.want)
				}
				if err := g.o.Doc.Validate(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestChooseForeignItems (issue 17, item 12): the options screen offers
// the foreign residents' items after the other rows, under their
// heading, off; the order carries them only when chosen (an unchanged
// request has no such key at all), and the rows before them keep their
// numbers.
func TestChooseForeignItems(t *testing.T) {
	base := map[string]string{"scope": "self", "honseki": "omit", "zokugara": "omit", "kojin-bango": "omit"}
	with := func(kv ...string) map[string]string {
		m := maps.Clone(base)
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	cases := []struct {
		name string
		muni string
		keys []any
		typ  protocol.DocType
		want map[string]string
	}{
		{"defaults: no optional key", "", []any{'1', tcell.KeyEnter}, protocol.DocJuminhyo, base},
		{"both items by number", "", []any{'1', '6', '7', tcell.KeyEnter}, protocol.DocJuminhyo,
			with("kokuseki-zairyu", "include", "zairyu-card", "include")},
		{"the card number by arrows", "", []any{'1', tcell.KeyUp, tcell.KeyRight, tcell.KeyEnter}, protocol.DocJuminhyo,
			with("zairyu-card", "include")},
		{"switched on and off again: not sent", "", []any{'1', '6', '6', '7', tcell.KeyLeft, tcell.KeyEnter}, protocol.DocJuminhyo, base},
		// On a store machine the municipality is row 6; the items follow.
		{"store machine: municipality, then an item", storeMachine, []any{'1', '8', '6', "141003", tcell.KeyEnter, tcell.KeyEnter}, protocol.DocJuminhyo,
			with("zairyu-card", "include")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{Muni: tc.muni})
			type got struct {
				o   terminal.Order
				err error
			}
			ch := make(chan got, 1)
			go func() {
				o, err := h.c.Choose(context.Background())
				ch <- got{o, err}
			}()
			h.waitFor("取得する証明書を選んでください")
			for _, k := range tc.keys {
				h.press(k)
				time.Sleep(20 * time.Millisecond)
			}
			var g got
			select {
			case g = <-ch:
			case <-time.After(5 * time.Second):
				t.Fatalf("no order; screen:\n%s", h.c.Snapshot())
			}
			if g.err != nil || g.o.Doc.Type != tc.typ || !maps.Equal(g.o.Doc.Opts, tc.want) {
				t.Fatalf("order %+v, %v; want %s opts %v", g.o, g.err, tc.typ, tc.want)
			}
			if err := g.o.Doc.Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
	// The screen: the heading after copies, the items off.
	h := newHarness(t, Options{})
	go h.c.Choose(context.Background())
	h.waitFor("取得する証明書を選んでください")
	h.press('1')
	s := h.waitFor("外国人住民の方", "在留カード等の番号")
	lines := strings.Split(s, "\n")
	at := func(sub string) int {
		return slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, sub) })
	}
	if !(at("部数") < at("外国人住民の方") && at("外国人住民の方") < at("国籍・地域と在留資格等") && at("国籍・地域と在留資格等") < at("在留カード等の番号")) {
		t.Errorf("foreign residents' items not after the other rows under their heading:\n%s", s)
	}
	for _, l := range []string{lines[at("国籍・地域と在留資格等")], lines[at("在留カード等の番号")]} {
		if !strings.Contains(l, "記載しない") {
			t.Errorf("item not off by default: %q", l)
		}
	}
}

// TestFinishDeadlineWipes: nobody acknowledges; when the Finish deadline
// passes the screen shows the welcome screen and nothing of the session.
func TestFinishDeadlineWipes(t *testing.T) {
	h := newHarness(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() {
		h.c.Finish(ctx, terminal.Result{Outcome: protocol.ResultPrinted, Pages: 2, Fee: 400, Payment: "captured", Session: "SESSIONREF"})
		close(done)
	}()
	h.waitFor("証明書の印刷が完了しました", "料金 400円 をいただきました")
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Finish did not return at its deadline")
	}
	s := h.waitFor("マイナンバーカードをカード置き場に置いてください")
	absent(t, s, "400", "印刷が完了", "printed", "カードをお取りください", "SESSIONR")
}

// TestFinishAcknowledged: the card reminder repeats until acknowledged,
// then the paper reminder, then the screen is wiped.
func TestFinishAcknowledged(t *testing.T) {
	h := newHarness(t, Options{Tick: 50 * time.Millisecond})
	done := make(chan struct{})
	go func() {
		h.c.Finish(context.Background(), terminal.Result{Outcome: protocol.ResultPrinted, Pages: 1, Fee: 250, Payment: "captured"})
		close(done)
	}()
	h.waitFor("▶▶ カードをお取りください ◀◀", "（くりかえしお知らせしています）")
	h.press('L', '2')
	h.waitFor("(reminder repeating)")
	h.press('L', '1', tcell.KeyEnter)
	h.waitFor("▶▶ 証明書をお取りください ◀◀")
	select {
	case <-done:
		t.Fatal("Finish returned before the paper was acknowledged")
	case <-time.After(100 * time.Millisecond):
	}
	h.press(tcell.KeyEnter)
	<-done
	s := h.waitFor("マイナンバーカードをカード置き場に置いてください")
	absent(t, s, "250", "印刷が完了")
}

// TestIdleKeys: an idle key is answered; Ctrl-C quits only as the Quit key
// and never stops the application by itself.
func TestIdleKeys(t *testing.T) {
	h := newHarness(t, Options{IdleKeys: []IdleKey{
		{Key: 'c', Label: T("カードを挿入", "Insert card")},
		{Key: 'Q', Label: T("終了", "Quit"), Quit: true},
	}})
	cases := []struct {
		key  any
		want rune
	}{{'c', 'C'}, {'C', 'C'}, {'q', 'Q'}, {tcell.KeyCtrlC, 'Q'}}
	for _, tc := range cases {
		got := make(chan IdleKey, 1)
		go func() { k, _ := h.c.Idle(context.Background()); got <- k }()
		h.waitFor("<C> カードを挿入", "<Q> 終了")
		h.press('x', '1', tcell.KeyEnter, tc.key)
		if k := <-got; k.Key != tc.want {
			t.Fatalf("key %v: got %q, want %q", tc.key, k.Key, tc.want)
		}
	}
	select {
	case <-h.c.Done():
		t.Fatal("the UI stopped")
	default:
	}
	h.press(tcell.KeyCtrlC)
	time.Sleep(50 * time.Millisecond)
	select {
	case <-h.c.Done():
		t.Fatal("Ctrl-C outside Idle stopped the UI")
	default:
	}
}

// TestStoppedUIReturns: once the UI stops, questions end as cancelled.
func TestStoppedUIReturns(t *testing.T) {
	h := newHarness(t, Options{})
	h.waitFor("マイナンバーカード")
	h.c.Stop()
	<-h.c.Done()
	if _, err := h.c.Choose(context.Background()); !errors.Is(err, terminal.ErrCancelled) {
		t.Fatalf("Choose: %v", err)
	}
	if _, err := h.c.PIN(context.Background(), 3); !errors.Is(err, terminal.ErrCancelled) {
		t.Fatalf("PIN: %v", err)
	}
	if _, err := h.c.Idle(context.Background()); !errors.Is(err, ErrStopped) {
		t.Fatalf("Idle: %v", err)
	}
	h.c.Progress(terminal.Progress{State: terminal.StateFetch})
	h.c.Finish(context.Background(), terminal.Result{})
}

func TestNewCustomerRejects(t *testing.T) {
	cases := []struct {
		name string
		o    Options
	}{
		{"no municipality and no list", Options{}},
		{"digit idle key", Options{Muni: "141003", IdleKeys: []IdleKey{{Key: '1'}}}},
		{"language idle key", Options{Muni: "141003", IdleKeys: []IdleKey{{Key: 'l'}}}},
	}
	for _, tc := range cases {
		tc.o.Screen = tcell.NewSimulationScreen("UTF-8")
		if _, err := NewCustomer(tc.o); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}

// down is n presses of ↓ in a key list.
type down int

// TestPickerRefuses: the picker says why and chooses nothing for a
// municipality outside the service, a document it does not issue, a code
// whose check digit is wrong, or a family register on a weekend where it
// is issued on weekdays only.
func TestPickerRefuses(t *testing.T) {
	saturday := time.Date(2026, 12, 12, 10, 0, 0, 0, time.FixedZone("JST", 9*3600))
	cases := []struct {
		name string
		now  time.Time
		keys []any
		want []string
	}{
		{name: "not in the service", keys: []any{'3', '2', "011002", tcell.KeyEnter},
			want: []string{"この市区町村はコンビニ交付を行っていません。"}},
		{name: "check digit", keys: []any{'3', '2', "141004", tcell.KeyEnter},
			want: []string{"市区町村コードが正しくありません"}},
		{name: "document not issued there", keys: []any{'7', '3', "362018", tcell.KeyEnter},
			want: []string{"この市区町村では、この証明書はコンビニ交付の対象外です。"}},
		{name: "weekdays only, on a Saturday", now: saturday, keys: []any{'4', '2', "362018", tcell.KeyEnter},
			want: []string{"戸籍の証明書は平日のみの発行です（本日は土曜日）。"}},
		{name: "a document's own hours", now: time.Date(2026, 12, 7, 18, 30, 0, 0, time.FixedZone("JST", 9*3600)),
			keys: []any{'4', '2', "402206", tcell.KeyEnter}, want: []string{"この証明書の発行は 9:00〜17:00 です。"}},
		{name: "the service's hours", now: time.Date(2026, 12, 7, 23, 30, 0, 0, time.FixedZone("JST", 9*3600)),
			keys: []any{'1', '6', "141003", tcell.KeyEnter}, want: []string{"証明書を発行できるのは 6:30〜23:00 です。"}},
		{name: "year-end closure", now: time.Date(2026, 12, 30, 10, 0, 0, 0, time.FixedZone("JST", 9*3600)),
			keys: []any{'1', '6', "141003", tcell.KeyEnter}, want: []string{"年末年始（12月29日〜1月3日）は証明書を発行できません。"}},
		{name: "the list says so before anything is chosen", now: saturday, keys: []any{'4', '2', "とくしま"},
			want: []string{"× 362018  徳島県徳島市  平日のみ（本日は発行できません）"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := Options{Muni: storeMachine}
			if !tc.now.IsZero() {
				o.Now = func() time.Time { return tc.now }
			}
			h := newHarness(t, o)
			ordered := make(chan terminal.Order, 1)
			go func() {
				if o, err := h.c.Choose(context.Background()); err == nil {
					ordered <- o
				}
			}()
			h.waitFor("取得する証明書を選んでください")
			for _, k := range tc.keys {
				h.press(k)
				time.Sleep(20 * time.Millisecond)
			}
			h.waitFor(tc.want...)
			h.press(tcell.KeyEnter)
			select {
			case o := <-ordered:
				t.Fatalf("ordered %+v", o)
			case <-time.After(100 * time.Millisecond):
			}
		})
	}
}

// TestPickerTakesLetters: in the search field C and L are letters, not
// the emulator's card key or the language key (千代田 is Chiyoda).
func TestPickerTakesLetters(t *testing.T) {
	var toggled int
	present := true
	h := newHarness(t, Options{Muni: storeMachine, Card: &CardKey{Key: 'C', Present: func() bool { return present }, Toggle: func() { toggled++ }}})
	go h.c.Choose(context.Background())
	h.waitFor("取得する証明書を選んでください")
	h.press('1', '6')
	h.waitFor("住所地の市区町村を選んでください。")
	h.press("chiyoda")
	s := h.waitFor("東京都千代田区", "群馬県千代田町", "検索： CHIYODA_")
	absent(t, s, "<C>", "<L>")
	if toggled != 0 {
		t.Fatalf("typing C in the search pulled the card %d times", toggled)
	}
}
