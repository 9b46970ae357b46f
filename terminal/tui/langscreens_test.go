package tui

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"kofu/internal/screentext"
	"kofu/internal/testclock"
	"kofu/protocol"
	"kofu/terminal"
	"kofu/terminal/payment"
)

// TestScreensInEachLanguage drives every screen of the customer UI at
// 60×20, 80×24, 100×32 and 160×45, chooses each language on the L key,
// and reads the screen back: nothing cut off (harness.cut: the box's
// text, the keymap), the screen's messages in that language (the first
// and the last of the body, so a screen that runs off the bottom fails;
// at 60×20 less what it may leave out, languageScreen.optional), no
// Japanese left over on a screen in another language but the document
// names kept in parentheses and the languages' own names, no English
// where a translation exists, and no line that breaks inside a word or
// starts with a closing character (screentext.BreakFaults). With
// KOFU_SCREENS set to a folder, each screen is written there as text
// (make screens: docs/screens); without it, the screens are compared
// with the captures committed under docs/screens/customer, and the
// subtest "captures are current" fails when they are stale.
func TestScreensInEachLanguage(t *testing.T) {
	cases := languageScreens()
	cats, err := loadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	msgs := sourceMessages(t)
	english := englishOf(msgs)
	out := os.Getenv(screentext.CapturesEnv)
	drawn := &captureSet{files: map[string]string{}}
	// The screens run side by side: each waits on its own simulated
	// terminal far more than it computes.
	t.Run("screens", func(t *testing.T) {
		for _, size := range screenSizes() {
			for n, tc := range cases {
				for i, lang := range AllLangs() {
					name := filepath.Join("customer", lang.String(), size.String(), fmt.Sprintf("%02d-%s.txt", n+1, slug(tc.name)))
					t.Run(size.String()+"/"+tc.name+"/"+lang.String(), func(t *testing.T) {
						t.Parallel()
						s := captureScreen(t, tc, size, lang, i, cats, msgs, english)
						if out != "" {
							if err := screentext.WriteCapture(filepath.Join(out, name), s); err != nil {
								t.Fatal(err)
							}
						}
						drawn.add(name, s+"\n")
					})
				}
			}
		}
	})
	t.Run("captures are current", func(t *testing.T) {
		if out != "" {
			t.Skipf("%s is set: the captures were written, not compared", screentext.CapturesEnv)
		}
		complete := len(drawn.files) == len(screenSizes())*len(cases)*len(AllLangs())
		if stale := staleCaptures(filepath.Join("..", "..", "docs", "screens"), drawn.files, complete); len(stale) > 0 {
			t.Errorf("the captures under docs/screens/customer are not the screens drawn now (%d files):\n%s\n"+
				"regenerate them with `make screens` and commit docs/screens", len(stale), strings.Join(stale, "\n"))
		}
	})
}

// captureSet collects the screens the parallel subtests drew, by their
// capture's path under docs/screens.
type captureSet struct {
	mu    sync.Mutex
	files map[string]string
}

func (c *captureSet) add(name, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.files[name] = text
}

// staleCaptures compares the screens drawn (path under dir → text) with
// the files under dir/customer: a file that differs or is missing, and,
// when every screen was drawn (complete), a file no screen drew. Each is
// one line: the path and what is wrong (the first row that differs).
func staleCaptures(dir string, drawn map[string]string, complete bool) []string {
	var stale []string
	for name, text := range drawn {
		b, err := os.ReadFile(filepath.Join(dir, name))
		switch {
		case err != nil:
			stale = append(stale, name+": not committed")
		case string(b) != text:
			stale = append(stale, name+": "+firstDiff(string(b), text))
		}
	}
	if complete {
		_ = filepath.WalkDir(filepath.Join(dir, "customer"), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				stale = append(stale, path+": "+err.Error())
				return nil
			}
			if d.IsDir() {
				return nil
			}
			rel, _ := filepath.Rel(dir, path)
			if _, ok := drawn[rel]; !ok {
				stale = append(stale, rel+": no screen draws it any more")
			}
			return nil
		})
	}
	sort.Strings(stale)
	return stale
}

// firstDiff says where two captures part: the first row that differs.
func firstDiff(committed, drawn string) string {
	a, b := strings.Split(committed, "\n"), strings.Split(drawn, "\n")
	for i := 0; i < max(len(a), len(b)); i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return fmt.Sprintf("row %d is %q, the screen now %q", i+1, x, y)
		}
	}
	return "differs"
}

// captureScreen opens screen tc at size in language lang (the i-th of
// AllLangs), checks it (see TestScreensInEachLanguage) and returns it.
func captureScreen(t *testing.T, tc languageScreen, size screenSize, lang Lang, i int, cats *catalogs, msgs []message, english []string) string {
	t.Helper()
	l := cats.locale(lang)
	o := tc.opts
	if tc.coins {
		o.Coins = payment.NewCoins()
	}
	if o.Tick == 0 {
		o.Tick = time.Hour // no blinking: the capture is the screen as it opens
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var advance func()
	if tc.timed > 0 {
		// The question's clock, this screen's own: pinned, and moved on
		// to the last seconds once the language is chosen.
		var now atomic.Int64
		now.Store(testclock.OpenAfter(testclock.Base(t)).UnixNano())
		o.Now = func() time.Time { return time.Unix(0, now.Load()) }
		qctx, qcancel := terminal.Question(ctx, tc.timed, o.Now)
		defer qcancel()
		ctx = qctx
		advance = func() { now.Add(int64(tc.timed - 15*time.Second)) }
	}
	h := newHarnessAt(t, o, size.w, size.h)
	tc.open(ctx, h)
	ready := tc.ready
	if ready.Empty() {
		ready = tc.want[0]
	}
	h.waitFor(ready.In(cats.locale(Japanese))) // the screen is up, not the welcome screen before it
	h.press('L', rune('1'+i))
	h.press(tc.keys...)
	if advance != nil {
		advance()
	}
	want := tc.wanted(l, size)
	h.waitFor(want...)
	s := h.settled()
	if cut := h.cut(); cut != "" {
		t.Errorf("%s:\n%s", cut, s)
	}
	// The checker reads the box from the first column: on a large
	// screen the frame is centered (frameOf).
	for _, f := range screentext.BreakFaults(frameOf(s), lang.String(), knownWords(cats, msgs, lang, want...)) {
		t.Errorf("line break: %s\n%s", f, s)
	}
	if lang == Japanese {
		return s
	}
	if left := leftoverJapanese(lang, without(s, tc.names)); left != "" {
		t.Errorf("Japanese on the %s screen (%q):\n%s", lang, left, s)
	}
	if lang != English {
		for _, en := range english {
			if strings.Contains(norm(s), norm(en)) {
				t.Errorf("English fallback on the %s screen (%q):\n%s", lang, en, s)
			}
		}
	}
	return s
}

// languageScreen is one screen of TestScreensInEachLanguage: how to open
// it, and what it shows in each language.
type languageScreen struct {
	name  string
	opts  Options
	coins bool                                  // a fresh emulated coin unit
	open  func(ctx context.Context, h *harness) // shows the screen (or the one before it)
	ready Text                                  // on screen before the language is chosen (zero: want[0])
	keys  []any                                 // after the language is chosen
	want  []Text                                // on screen, in the language chosen
	also  func(l Locale) []string               // more on screen (values, keymap entries)
	// optional are the messages of want a short screen (60×20) may
	// leave out (fitText): not looked for there.
	optional []Text
	// names are people's names the screen shows as the register writes
	// them, in any language.
	names []string
	// timed, when not zero, is the full time of the question open
	// passes: the screen is captured in its last 15 seconds, counting
	// down (open's ctx is the question's).
	timed time.Duration
}

// wanted is what screen tc shows in l at size: want and also, less
// what a short screen leaves out.
func (tc languageScreen) wanted(l Locale, size screenSize) []string {
	want := make([]string, 0, len(tc.want))
	for _, w := range tc.want {
		if size.h < compactHeight && slices.ContainsFunc(tc.optional, func(o Text) bool { return o.In(l) == w.In(l) }) {
			continue
		}
		want = append(want, w.In(l))
	}
	if tc.also != nil {
		want = append(want, tc.also(l)...)
	}
	return want
}

// languageScreens are the customer UI's main screens, in the order the
// captures number them (docs/screens).
func languageScreens() []languageScreen {
	juminhyo, _ := protocol.LookupDoc(protocol.DocJuminhyo)
	inkan, _ := protocol.LookupDoc(protocol.DocInkan)
	printerName := T("プリンタ", "Printer")
	printerDo := T("プリンタの用紙、紙づまり、カバー、電源とケーブルを確認してください。", "Check the printer's paper, jams, covers, power and cable.")
	session := "4821-9930-1177.abcdefghijklmnop"
	return []languageScreen{
		{
			name:  "welcome",
			opts:  Options{IdleKeys: []IdleKey{{Key: 'Q', Label: T("終了", "Quit"), Quit: true}}},
			open:  func(ctx context.Context, h *harness) { go h.c.Idle(ctx) },
			ready: T("終了", "Quit"), // in the keymap once Idle waits (it starts the session's language anew)
			want: []Text{
				T("マイナンバーカードで、住民票の写しなどの証明書を取得できます。", "Get official certificates, such as a certificate of residence, with your My Number card."),
				ageRule(),
				T("▶ マイナンバーカードをカード置き場に置いてください。", "▶ Please place your My Number card on the card reader."),
				Tf("サービス提供時間：%s", "Service hours: %s", T("6:30〜23:00（12月29日〜1月3日を除く）", "6:30–23:00 (closed Dec 29 – Jan 3)")),
				T("利用者証明用電子証明書の暗証番号（数字4桁）が必要です。", "You need the 4-digit PIN of your card's authentication certificate."),
			},
			also: func(l Locale) []string { return []string{"L ▸ ", "<L> " + hintLangText().In(l)} },
		},
		{
			// cmd/kiosk's emulator adds its note: the welcome screen
			// still fits.
			name:  "welcome with the emulator's note",
			opts:  Options{IdleKeys: []IdleKey{{Key: 'Q', Label: T("終了", "Quit"), Quit: true}}, Note: emulatorNote()},
			open:  func(ctx context.Context, h *harness) { go h.c.Idle(ctx) },
			ready: T("終了", "Quit"),
			want: []Text{
				T("マイナンバーカードで、住民票の写しなどの証明書を取得できます。", "Get official certificates, such as a certificate of residence, with your My Number card."),
				ageRule(),
				T("利用者証明用電子証明書の暗証番号（数字4桁）が必要です。", "You need the 4-digit PIN of your card's authentication certificate."),
				emulatorNote(),
			},
		},
		{
			name:  "language list",
			opts:  Options{IdleKeys: []IdleKey{{Key: 'Q', Label: T("終了", "Quit"), Quit: true}}},
			open:  func(ctx context.Context, h *harness) { go h.c.Idle(ctx) },
			ready: T("終了", "Quit"),
			keys:  []any{'L'},
			want:  []Text{T("言語を番号で選んでください。", "Choose a language by its number.")},
			also: func(Locale) []string {
				var names []string
				for i, l := range AllLangs() {
					names = append(names, fmt.Sprintf("%d %s", i+1, l.Name()))
				}
				return names
			},
		},
		{
			name:     "document list",
			open:     func(ctx context.Context, h *harness) { go h.c.Choose(ctx) },
			optional: []Text{T("取得する証明書を選んでください。", "Which certificate do you need?")}, // the box's title asks it
			want: []Text{
				T("取得する証明書を選んでください。", "Which certificate do you need?"),
				docText(juminhyo), docText(inkan),
				Tf("%d〜%d の戸籍の証明書は、日本国籍の方のみ取得できます。", "%d–%d (family register) are for Japanese nationals only.", 4, 6),
			},
			also: func(l Locale) []string { return []string{yen(l, 250), "<Esc> " + T("中止", "Cancel").In(l)} },
		},
		{
			name:  "options",
			open:  func(ctx context.Context, h *harness) { go h.c.Choose(ctx) },
			ready: T("取得する証明書を選んでください。", "Which certificate do you need?"),
			keys:  []any{'1', '5', '5'}, // copies (row 5) 1 → 3
			want: []Text{
				docText(juminhyo),
				T("内容を確認してください。よろしければ Enter で次へ進みます。", "Check the options, then press Enter to continue."),
				fromTable("記載範囲", "Who is listed"), T("本人のみ", "Only me"),
				Tf("請求先：%s（%s）", "Request to: %s (%s)", T("住所地", "residence"), Name("神奈川県横浜市", "Yokohama-shi, Kanagawa")),
				Tf("手数料のめやす：%s × %d通 ＝ %s（金額は暗証番号の入力後に確定します）",
					"Expected fee: %s × %d = %s (confirmed after your PIN)", Yen(250), 3, Yen(750)),
			},
			also: func(l Locale) []string { return []string{"<Enter> " + T("次へ", "Next").In(l)} },
		},
		{
			name:  "options: My Number caution",
			open:  func(ctx context.Context, h *harness) { go h.c.Choose(ctx) },
			ready: T("取得する証明書を選んでください。", "Which certificate do you need?"),
			keys:  []any{'1', '4'},
			want: []Text{
				docText(juminhyo),
				T("個人番号（マイナンバー）入りの住民票は、法律で定められた提出先（勤務先の手続きなど）にしか出せません。必要な場合だけ選んでください。",
					"A certificate showing your My Number may be given only to the bodies the law allows (e.g. your employer's tax forms). Choose it only if you were asked for it."),
			},
		},
		{
			// The foreign residents' items (issue 17, item 12) with the My
			// Number caution: the fullest options screen still fits.
			name:  "options: foreign residents' items",
			open:  func(ctx context.Context, h *harness) { go h.c.Choose(ctx) },
			ready: T("取得する証明書を選んでください。", "Which certificate do you need?"),
			keys:  []any{'1', '4', '6', '7'},
			// At 60×20 the rows come in pages: row 6 is on the page
			// before the selection's, and at 60 columns a long label
			// takes two lines in its column, its value between them.
			optional: []Text{optionLabel(juminhyo.Options[4]), optionLabel(juminhyo.Options[5])},
			want: []Text{
				docText(juminhyo),
				T("外国人住民の方", "Foreign residents"),
				T("（日本国籍の方には記載されません）", "(not printed for Japanese nationals)"),
				optionLabel(juminhyo.Options[4]), optionLabel(juminhyo.Options[5]), T("記載する", "Include"),
				T("個人番号（マイナンバー）入りの住民票は、法律で定められた提出先（勤務先の手続きなど）にしか出せません。必要な場合だけ選んでください。",
					"A certificate showing your My Number may be given only to the bodies the law allows (e.g. your employer's tax forms). Choose it only if you were asked for it."),
			},
		},
		{
			name:  "municipality picker",
			opts:  Options{Muni: storeMachine},
			open:  func(ctx context.Context, h *harness) { go h.c.Choose(ctx) },
			ready: T("取得する証明書を選んでください。", "Which certificate do you need?"),
			keys:  []any{'3', '2'},
			want: []Text{
				Tf("%sの市区町村を選んでください。", "Choose your %s municipality.", T("住所地", "residence")),
				T("よみ（かな・ローマ字）か、市区町村コード（6桁）を入力できます。", "Type the name (kana or Latin letters) or the 6-digit code."),
				T("都道府県を選んでください。", "Choose the prefecture."),
				Name("01  北海道", "01  Hokkaido"),
			},
			also: func(l Locale) []string { return []string{"<Esc> " + T("戻る", "Back").In(l)} },
		},
		{
			name: "PIN, the last try",
			open: func(ctx context.Context, h *harness) { go h.c.PIN(ctx, 1) },
			keys: []any{"12"},
			want: []Text{
				T("利用者証明用電子証明書の暗証番号（数字4桁）を入力し、Enter を押してください。",
					"Enter the 4-digit PIN of your card's authentication certificate and press Enter."),
				Tf("残りの入力回数：%d回", "Tries left: %d", 1),
				T("ご注意：あと1回間違えると、カードの暗証番号がロックされます。ロックされると、市区町村の窓口での手続きが必要です。暗証番号がわからない場合は、入力せずに Esc で中止してください。",
					"Warning: one more wrong PIN locks your card. A locked card must be reset at your municipal office. If you are not sure of your PIN, press Esc to stop."),
				T("暗証番号は画面に表示されません。周りの人に見られないようご注意ください。", "Your PIN is never shown. Make sure nobody is watching."),
			},
			also: func(l Locale) []string { return []string{"●●--", "<BS> " + T("1桁消す", "Erase").In(l)} },
		},
		{
			name:  "payment with the summary",
			coins: true,
			open: func(ctx context.Context, h *harness) {
				go func() {
					if _, err := h.c.Choose(ctx); err == nil {
						h.c.Pay(ctx, 500)
					}
				}()
			},
			ready:    T("取得する証明書を選んでください。", "Which certificate do you need?"),
			keys:     []any{'1', '1', '5', '5', tcell.KeyEnter, asking("pay"), '3'}, // household, 3 copies; then a 100 yen coin
			optional: []Text{T("ご請求の内容をご確認ください。", "Please check your request.")},
			want: []Text{
				T("ご請求の内容をご確認ください。", "Please check your request."),
				docText(juminhyo), Tf("%d通", "%d", 3),
				Tf("手数料　%s", "Fee: %s", Yen(500)),
				Tf("投入金額　%s", "Inserted: %s", Yen(100)),
				Tf("あと %s を投入してください。", "Please insert %s more.", Yen(400)),
				T("料金は、印刷が完了してからいただきます。印刷できなかった場合はお返しします。",
					"You are only charged once printing is complete; otherwise your money is returned."),
			},
			also: func(l Locale) []string {
				return []string{"<5> " + yen(l, 1000), "<Esc> " + T("中止", "Cancel").In(l)}
			},
		},
		{
			name:  "payment: the cancel question",
			coins: true,
			open: func(ctx context.Context, h *harness) {
				go func() {
					if _, err := h.c.Choose(ctx); err == nil {
						h.c.Pay(ctx, 500)
					}
				}()
			},
			ready: T("取得する証明書を選んでください。", "Which certificate do you need?"),
			keys:  []any{'1', '1', '5', '5', tcell.KeyEnter, asking("pay"), '3', tcell.KeyEscape},
			want: []Text{
				Tf("手数料　%s", "Fee: %s", Yen(500)),
				new(cancelGuard).question(Tf("投入された %s はお返しします。", "The %s you inserted will be returned.", Yen(100))),
			},
			also: func(l Locale) []string { return []string{"<Enter> " + T("続ける", "Go on").In(l)} },
		},
		{
			name: "printing page 2 of 3",
			open: func(_ context.Context, h *harness) {
				h.c.Progress(terminal.Progress{State: terminal.StatePrint, Page: 2, Pages: 3})
			},
			want: []Text{
				T("証明書を印刷しています。", "Printing your certificate."),
				Tf("%dページ目を印刷しています（全%dページ）", "Printing page %d of %d", 2, 3),
				T("この場を離れないでください。印刷まで2分以上かかることがあります。", "Please stay at the machine. Printing can take more than two minutes."),
				T("カードは取り外さないでください。", "Do not remove your card."),
			},
		},
		{
			name: "finish: printed",
			open: finishWith(terminal.Result{Outcome: protocol.ResultPrinted, Pages: 2, Fee: 500, Payment: "captured"}),
			want: []Text{
				T("証明書の印刷が完了しました。", "Your certificate has been printed."),
				Tf("%s印刷しました。", "%s printed.", pageCount(2)),
				Tf("料金 %s をいただきました。おつりがある場合はお取りください。", "You paid %s. Please take any change.", Yen(500)),
				T("カードをお取りください", "Please take your card"),
				T("証明書をお取りください", "Please take your certificate"),
			},
		},
		{
			name: "finish: refused",
			open: finishWith(terminal.Result{Outcome: protocol.ResultRefused, Reason: "envelope-subject", Fee: 250,
				Payment: "released", Session: session}),
			want: []Text{
				T("この証明書は発行できませんでした。", "This certificate could not be issued."),
				T("受信した証明書が、ご本人の申請どおりのものであることを確認できなかったため、印刷していません。",
					"We could not confirm that the certificate we received is the one you asked for, so it was not printed."),
				T("料金はいただいていません。投入したお金は返却しましたので、返却口からお取りください。",
					"You have not been charged. The money you inserted has been returned; please take it from the return slot."),
				Tf("お問い合わせ番号：%s", "Reference: %s", ref(session)),
				T("カードをお取りください", "Please take your card"),
			},
		},
		{
			name: "finish: cancelled",
			open: finishWith(terminal.Result{Outcome: protocol.ResultCancelled, Reason: "pin-cancelled", Payment: "none"}),
			want: []Text{
				T("手続きを中止しました。", "The request was cancelled."),
				T("証明書は発行していません。", "No certificate was issued."),
				T("必要な場合は、最初からやり直してください。", "Start again if you wish."),
				T("料金はいただいていません。", "You have not been charged."),
			},
		},
		{
			name: "finish: paper out after a page",
			open: finishWith(terminal.Result{Outcome: protocol.ResultUnknown, Reason: "print-paper-out", Pages: 1, Fee: 450,
				Payment: "released", Session: session}),
			want: []Text{
				T("用紙切れのため、印刷を中止しました。", "Printing stopped: the printer is out of paper."),
				Tf("印刷された%sをお取りください。", "Please take %s.", printedPages(1)),
				T("店員をお呼びください。", "Please call a member of the store staff."),
				Tf("印刷された%sをお取りください", "Please take %s", printedPages(1)),
			},
		},
		{
			name: "out of service",
			opts: Options{IdleKeys: []IdleKey{{Key: 'Q', Label: T("終了", "Quit"), Quit: true}}},
			open: func(ctx context.Context, h *harness) {
				go h.c.OutOfService(ctx, []Fault{{What: printerName, Do: printerDo, Detail: "printer: paper out"}})
			},
			want: []Text{
				T("ただいま、この端末はご利用いただけません。", "This machine is out of service at the moment."),
				printerName,
				Tf("店員の方へ：%s", "Staff: %s", printerDo),
				T("復旧すると、自動的にご利用いただけるようになります。", "Service resumes by itself once this is fixed."),
				T("係員向け（kiosk selftest）：", "For staff (kiosk selftest):"),
			},
			also: func(l Locale) []string { return []string{"printer: paper out", "<Q> " + T("終了", "Quit").In(l)} },
		},
		// The screens beyond the main flow (issue 17, Show: every screen).
		{
			name: "PIN after a wrong PIN",
			open: func(ctx context.Context, h *harness) {
				go func() {
					if p, err := h.c.PIN(ctx, 3); err == nil {
						clear(p)
						h.c.PIN(ctx, 2)
					}
				}()
				h.waitFor("残りの入力回数：3回")
				h.press("1111", tcell.KeyEnter)
			},
			want: []Text{
				T("利用者証明用電子証明書の暗証番号（数字4桁）を入力し、Enter を押してください。",
					"Enter the 4-digit PIN of your card's authentication certificate and press Enter."),
				T("暗証番号が違います。もう一度入力してください。", "Wrong PIN. Please enter it again."),
				Tf("残りの入力回数：%d回", "Tries left: %d", 2),
				T("暗証番号は画面に表示されません。周りの人に見られないようご注意ください。", "Your PIN is never shown. Make sure nobody is watching."),
			},
			ready: T("暗証番号が違います。もう一度入力してください。", "Wrong PIN. Please enter it again."),
			also:  func(l Locale) []string { return []string{"----", "<BS> " + T("1桁消す", "Erase").In(l)} },
		},
		{
			name: "PIN: the cancel question",
			open: func(ctx context.Context, h *harness) { go h.c.PIN(ctx, 3) },
			ready: T("利用者証明用電子証明書の暗証番号（数字4桁）を入力し、Enter を押してください。",
				"Enter the 4-digit PIN of your card's authentication certificate and press Enter."),
			keys: []any{"12", tcell.KeyEscape},
			want: []Text{
				T("利用者証明用電子証明書の暗証番号（数字4桁）を入力し、Enter を押してください。",
					"Enter the 4-digit PIN of your card's authentication certificate and press Enter."),
				new(cancelGuard).question(Text{}),
			},
			also: func(l Locale) []string {
				return []string{"●●--", "<Esc> " + T("中止する", "Stop").In(l), "<Enter> " + T("続ける", "Go on").In(l)}
			},
		},
		{
			name:  "options at a store: municipality not chosen",
			opts:  Options{Muni: storeMachine},
			open:  func(ctx context.Context, h *harness) { go h.c.Choose(ctx) },
			ready: T("取得する証明書を選んでください。", "Which certificate do you need?"),
			keys:  []any{'1'},
			// At 60 columns a long label takes two lines in its column,
			// its value between them.
			optional: []Text{Tf("請求先（%s）", "Request to (%s)", T("住所地", "residence"))},
			want: []Text{
				docText(juminhyo),
				Tf("請求先（%s）", "Request to (%s)", T("住所地", "residence")),
				T("未選択（Enter で選びます）", "not chosen (press Enter)"),
				T("（日本国籍の方のみ）", "(Japanese nationals only)"),
			},
		},
		{
			name:  "picker: the registered domicile first",
			opts:  Options{HonsekiMuni: "362018"},
			open:  func(ctx context.Context, h *harness) { go h.c.Choose(ctx) },
			ready: T("取得する証明書を選んでください。", "Which certificate do you need?"),
			keys:  []any{'4', '2'},
			want: []Text{
				Tf("%sの市区町村を選んでください。", "Choose your %s municipality.", T("本籍地", "registered domicile")),
				T("↑↓ で選び、Enter で決定します。", "Move with ↑↓ and press Enter."),
				Tf("本籍地（%s）", "Registered domicile (%s)", Name("徳島県徳島市", "Tokushima-shi, Tokushima")),
				Tf("住所地と同じ（%s）", "Same as residence (%s)", Name("神奈川県横浜市", "Yokohama-shi, Kanagawa")),
				T("ほかの市区町村を探す", "Another municipality"),
			},
			// The fees end the rows: words of this screen.
			also: func(l Locale) []string {
				return []string{Tf("%s／通", "%s/copy", Yen(450)).In(l), Tf("%s／通", "%s/copy", Yen(400)).In(l)}
			},
		},
		{
			name:  "picker: search results",
			opts:  Options{Muni: storeMachine},
			open:  func(ctx context.Context, h *harness) { go h.c.Choose(ctx) },
			ready: T("取得する証明書を選んでください。", "Which certificate do you need?"),
			keys:  []any{'3', '2', "yoko"},
			want: []Text{
				Tf("%sの市区町村を選んでください。", "Choose your %s municipality.", T("住所地", "residence")),
				T("全国から探しています", "Searching all of Japan"),
				Name("141003  神奈川県横浜市", "141003  Yokohama-shi, Kanagawa"),
			},
			also: func(l Locale) []string { return []string{"YOKO", "<BS> " + T("訂正", "Erase").In(l)} },
		},
		{
			name:  "picker: a prefecture's municipalities",
			opts:  Options{Muni: storeMachine},
			open:  func(ctx context.Context, h *harness) { go h.c.Choose(ctx) },
			ready: T("取得する証明書を選んでください。", "Which certificate do you need?"),
			keys:  append(append([]any{'3', '2'}, slices.Repeat([]any{tcell.KeyDown}, 13)...), tcell.KeyEnter),
			want: []Text{
				Tf("%sの市区町村", "Municipalities of %s", Name("神奈川県", "Kanagawa")),
				Name("141003  横浜市", "141003  Yokohama-shi"),
			},
			also: func(l Locale) []string { return []string{"<BS> " + T("都道府県へ", "Prefectures").In(l)} },
		},
		{
			name:  "picker: a municipality that does not issue it",
			opts:  Options{Muni: storeMachine},
			open:  func(ctx context.Context, h *harness) { go h.c.Choose(ctx) },
			ready: T("取得する証明書を選んでください。", "Which certificate do you need?"),
			keys:  []any{'7', '3', "362018", tcell.KeyEnter},
			want: []Text{
				Tf("%sの市区町村を選んでください。", "Choose your %s municipality.", T("住所地", "residence")),
				T("この市区町村では、この証明書はコンビニ交付の対象外です。", "This municipality does not issue this certificate here."),
			},
		},
		{
			name: "progress: reading the card",
			open: func(_ context.Context, h *harness) { h.c.Progress(terminal.Progress{State: terminal.StateCard}) },
			want: []Text{T("カードを読み取っています。カードを動かさないでください。", "Reading your card. Please do not move it.")},
		},
		{
			name: "progress: waiting for the center",
			open: func(_ context.Context, h *harness) { h.c.Progress(terminal.Progress{State: terminal.StateSubmit}) },
			want: []Text{
				T("申請を送信し、交付センターの応答を待っています。", "Sending your request and waiting for the issuance center."),
				T("この場を離れないでください。印刷まで2分以上かかることがあります。", "Please stay at the machine. Printing can take more than two minutes."),
				T("カードは取り外さないでください。", "Do not remove your card."),
			},
		},
		{
			name: "progress: verifying the certificate",
			open: func(_ context.Context, h *harness) { h.c.Progress(terminal.Progress{State: terminal.StateFetch}) },
			want: []Text{
				T("証明書を受け取り、ご本人の申請どおりの証明書であることを確認しています。",
					"Receiving the certificate and verifying that it is exactly the one you asked for."),
				T("カードは取り外さないでください。", "Do not remove your card."),
			},
		},
		{
			name: "printing stopped: paper out",
			open: func(_ context.Context, h *harness) {
				h.c.Progress(terminal.Progress{State: terminal.StateSettle, Page: 1, Pages: 3, Stopped: "print-paper-out"})
			},
			want: []Text{
				T("用紙切れのため、印刷を中止しました。", "Printing stopped: the printer is out of paper."),
				T("プリンターの用紙がなくなりました。", "The printer ran out of paper."),
				Tf("印刷された%sをお取りください。", "Please take %s.", printedPages(1)),
				T("店員をお呼びください。", "Please call a member of the store staff."),
				T("お待ちください…", "Please wait…"),
			},
		},
		{
			// The choice's 2 minutes run out: the countdown, and how to
			// go on, above the keymap.
			name:  "document list: the countdown",
			opts:  Options{Tick: 20 * time.Millisecond},
			timed: 2 * time.Minute,
			open:  func(ctx context.Context, h *harness) { go h.c.Choose(ctx) },
			// At 60×20 the countdown takes the question's row; the box's
			// title asks it.
			optional: []Text{T("取得する証明書を選んでください。", "Which certificate do you need?")},
			want: []Text{
				T("取得する証明書を選んでください。", "Which certificate do you need?"),
				Tf("⏱ あと %d 秒で時間切れとなり、手続きを中止します。", "⏱ Time runs out in %d s and the request stops.", 15),
				T("続けるには、いずれかのキーを押してください。", "Press any key to continue."),
			},
		},
		{
			name: "finish: the card taken, the certificate not yet",
			opts: Options{Linger: time.Hour},
			open: func(ctx context.Context, h *harness) {
				gone := make(chan struct{})
				finishing(ctx, h, gone, terminal.Result{Outcome: protocol.ResultPrinted, Pages: 2, Fee: 500, Payment: "captured"})
				h.waitFor("カードをお取りください")
				close(gone)
			},
			ready: T("カードが取り出されました", "Card taken"),
			want: []Text{
				T("証明書の印刷が完了しました。", "Your certificate has been printed."),
				T("カードが取り出されました", "Card taken"),
				T("証明書をお取りください", "Please take your certificate"),
			},
			also: func(l Locale) []string {
				return []string{"✓ ", "<Enter> " + T("受け取りました", "Taken").In(l)}
			},
		},
		{
			name: "finish: card removed",
			opts: Options{Linger: time.Hour},
			open: func(ctx context.Context, h *harness) {
				gone := make(chan struct{})
				close(gone)
				finishing(ctx, h, gone, terminal.Result{Outcome: protocol.ResultCancelled, Reason: terminal.ReasonCardRemoved, Payment: "none"})
			},
			want: []Text{
				T("カードが取り外されたため、手続きを中止しました。", "The card was removed, so the request was cancelled."),
				T("証明書は発行していません。", "No certificate was issued."),
				T("必要な場合は、最初からやり直してください。", "Start again if you wish."),
				T("料金はいただいていません。", "You have not been charged."),
			},
			also: func(l Locale) []string { return []string{"<Enter> " + T("閉じる", "Close").In(l)} },
		},
		{
			name: "card left in the reader",
			open: func(ctx context.Context, h *harness) {
				go h.c.CardLeft(ctx, terminal.Result{Outcome: protocol.ResultCancelled, Reason: "choose-timeout", Payment: "none", Session: session})
			},
			want: []Text{
				T("カードが残っています", "A card has been left in the reader"),
				T("マイナンバーカードがカード置き場に残っています。", "A My Number card is still on the card reader."),
				T("ご自分のカードでしたら、お取りください。", "if this is your card, please take it."),
				T("カードを取り出して保管し、持ち主の方にお返しください。", "take the card out and keep it for its owner."),
				T("持ち主の方が戻られないときは、遺失物として警察に届け出てください。",
					"If the owner does not come back, hand it in to the police as lost property."),
				Tf("お問い合わせ番号：%s", "Reference: %s", ref(session)),
				T("カードを取り出すと、この画面は終わります。", "This screen closes when the card is taken out."),
			},
		},
		{
			name: "finish: card locked",
			open: finishWith(terminal.Result{Outcome: protocol.ResultFailed, Reason: "card-blocked", Payment: "none", Session: session}),
			want: []Text{
				T("カードの暗証番号がロックされています。", "Your card's PIN is locked."),
				T("カードをお持ちのうえ、お住まいの市区町村の窓口で暗証番号の再設定（ロック解除）の手続きをしてください。",
					"Please take your card to your municipal office to have the PIN reset."),
				T("料金はいただいていません。", "You have not been charged."),
				T("カードをお取りください", "Please take your card"),
			},
		},
		{
			name: "finish: certificate expired",
			open: finishWith(terminal.Result{Outcome: protocol.ResultFailed, Reason: "card-certificate-expired", Payment: "none", Session: session}),
			want: []Text{
				T("証明書を発行できませんでした。", "The certificate could not be issued."),
				T("このカードの利用者証明用電子証明書は有効期限が切れています。", "This card's authentication certificate has expired."),
				T("カードをお持ちのうえ、お住まいの市区町村の窓口で電子証明書の更新手続きをしてください。",
					"Please take your card to your municipal office to have the certificate renewed."),
				T("カードをお取りください", "Please take your card"),
			},
		},
		{
			// A 戸籍 sent to the 住所地 when the 本籍地 is elsewhere: what
			// to check, and that a foreign national has no 戸籍.
			name: "finish: family register refused, what to check",
			opts: Options{HonsekiMuni: "362018"},
			open: func(ctx context.Context, h *harness) {
				kosekiToResidence(ctx, h, terminal.Result{Outcome: protocol.ResultFailed, Reason: "center-not-eligible", Payment: "none", Session: session})
			},
			ready: honsekiHint(),
			want: []Text{
				T("証明書を発行できませんでした。", "The certificate could not be issued."),
				honsekiHint(),
				noKoseki(),
				T("料金はいただいていません。", "You have not been charged."),
				T("カードをお取りください", "Please take your card"),
			},
		},
		{
			name: "finish: paper jam after a page",
			open: finishWith(terminal.Result{Outcome: protocol.ResultUnknown, Reason: "print-jam", Pages: 1, Fee: 450,
				Payment: "released", Session: session}),
			want: []Text{
				T("紙づまりのため、印刷を中止しました。", "Printing stopped: paper jam."),
				T("詰まった用紙は店員が取り除きますので、そのままにしてください。", "Please leave the jammed paper; the store staff will remove it."),
				T("店員をお呼びください。", "Please call a member of the store staff."),
				Tf("印刷された%sをお取りください", "Please take %s", printedPages(1)),
			},
		},
		{
			// 世帯の一部: the members are chosen after the PIN, and the
			// options screen says so before it.
			name:  "options: household members chosen later",
			open:  func(ctx context.Context, h *harness) { go h.c.Choose(ctx) },
			ready: T("取得する証明書を選んでください。", "Which certificate do you need?"),
			keys:  []any{'1', '1', '1'}, // 記載範囲: 本人のみ → 世帯全員 → 世帯の一部
			want: []Text{
				docText(juminhyo),
				T("世帯の一部（任意の方）", "Some members"),
				T("世帯の一部：暗証番号の入力後に、記載する方を選びます。",
					"Household members: you choose who is listed after entering your PIN."),
			},
		},
		{
			name:  "members: who is listed",
			open:  func(ctx context.Context, h *harness) { go func() { _, _ = h.c.Members(ctx, household()) }() },
			ready: T("住民票に記載する方を選んでください。", "Choose who is listed on the certificate."),
			keys:  []any{'1', '3'},
			names: householdNames(),
			want: []Text{
				T("住民票に記載する方を選んでください。", "Choose who is listed on the certificate."),
				Tf("%d人を選んでいます。", "%d chosen.", 2),
				T("選んだ方の氏名は、この画面と料金の確認にだけ表示し、手続きが終わると消去します。",
					"The names are shown only here and before you pay, and erased when you finish."),
			},
			also: func(l Locale) []string {
				return []string{"[●]  山田 太郎", "[●]  山田 翔太", relation(household()[1]).In(l), "<Enter> " + T("次へ", "Next").In(l)}
			},
		},
		{
			name:     "payment: the summary names the members",
			coins:    true,
			open:     toPayWithMembers,
			ready:    T("取得する証明書を選んでください。", "Which certificate do you need?"),
			keys:     []any{'1', '1', '1', '5', tcell.KeyEnter, asking("members"), '1', '3', tcell.KeyEnter, asking("pay")},
			names:    householdNames(),
			optional: []Text{T("ご請求の内容をご確認ください。", "Please check your request.")},
			want: []Text{
				T("ご請求の内容をご確認ください。", "Please check your request."),
				docText(juminhyo), T("世帯の一部（任意の方）", "Some members"), T("記載する方", "Listed"), Tf("%d通", "%d", 2),
				Tf("手数料　%s", "Fee: %s", Yen(500)),
			},
			also: func(l Locale) []string { return []string{"山田 太郎", "山田 翔太"} },
		},
	}
}

// householdNames are the names of household(), which a screen in any
// language shows as the register writes them.
func householdNames() []string {
	var out []string
	for _, m := range household() {
		out = append(out, m.Name)
	}
	return out
}

// finishWith opens the finish screen of result r.
func finishWith(r terminal.Result) func(context.Context, *harness) {
	return func(ctx context.Context, h *harness) { go h.c.Finish(ctx, r) }
}

// kosekiToResidence asks for a 戸籍 (全部事項) sent to the 住所地 though
// the 本籍地 (Tokushima) is offered first, and the center answers r:
// the finish screen's hint of where a 戸籍 is issued.
func kosekiToResidence(ctx context.Context, h *harness, r terminal.Result) {
	h.t.Helper()
	go func() {
		if _, err := h.c.Choose(ctx); err == nil {
			h.c.Finish(ctx, r)
		}
	}()
	h.waitFor("取得する証明書を選んでください")
	h.press('4', '2')
	h.waitFor("本籍地（徳島県徳島市）")
	h.press(tcell.KeyDown, tcell.KeyEnter)
	h.waitFor("◀ 神奈川県横浜市 ▶")
	h.press(tcell.KeyEnter)
}

// englishOf are the English sentences of msgs long enough not to match by
// chance: on a screen in a translated language, each is a fallback.
func englishOf(msgs []message) []string {
	var out []string
	for _, m := range msgs {
		if len(m.en) >= 15 && strings.Contains(m.en, " ") && !strings.Contains(m.en, "%") && !slices.Contains(out, m.en) {
			out = append(out, m.en)
		}
	}
	return out
}

// keptJapanese is the Japanese a screen in another language may show: the
// document names residents must recognise on paper (in parentheses after
// the translation), and the languages' own names.
func keptJapanese() []string {
	var out []string
	for _, d := range protocol.DocTypes() {
		out = append(out, d.JA)
	}
	for _, l := range AllLangs() {
		out = append(out, l.Name())
	}
	return append(out, "Language / 言語")
}

// without is s less every name in names.
func without(s string, names []string) string {
	for _, n := range names {
		s = strings.ReplaceAll(s, n, "")
	}
	return s
}

// leftoverJapanese is the first Japanese on screen s, in lang, once the
// kept terms are taken out: any kana, and for a reader of another script
// than Chinese, any kanji. "" when there is none.
func leftoverJapanese(lang Lang, s string) string {
	s = norm(s) // a term wrapped over two lines is whole again
	for _, k := range keptJapanese() {
		s = strings.ReplaceAll(s, norm(k), "")
	}
	re := regexp.MustCompile(`[\p{Hiragana}\p{Katakana}]+`)
	if lang == Chinese {
		// Place names keep their Japanese script for a reader of kanji,
		// with the ヶ of 茅ヶ崎市 (read as 个): not a leftover.
		s = strings.ReplaceAll(s, "ヶ", "")
	}
	if lang != Chinese {
		re = regexp.MustCompile(`[\p{Hiragana}\p{Katakana}\p{Han}]+`)
	}
	return re.FindString(s)
}

// emulatorNote is cmd/kiosk's note on the emulator's welcome screen
// (ui.go), with its test resident.
func emulatorNote() Text {
	return Tf("［エミュレータ］テスト利用者 %s のカード（暗証番号 %s）。C キーでカードを置き、もう一度 C キーで抜きます（手続きの途中でも）。硬貨は 1〜5 キーで投入します。",
		"[emulator] Card of test resident %s (PIN %s). Press C to place the card and C again to pull it (at any step); keys 1–5 insert coins.", "R0001", "1234")
}

// TestLanguageChoice: the L key offers the configured languages only, in
// their order; a digit beyond them does nothing; with one language there
// is no language key; a session's language goes back to the default.
func TestLanguageChoice(t *testing.T) {
	cases := []struct {
		name  string
		langs []Lang
		def   Lang
		keys  []any
		want  []string // after keys
		not   []string
	}{
		{name: "all six by default", keys: []any{'L'},
			want: []string{"1 日本語", "2 English", "3 中文（简体）", "4 한국어", "5 Português", "6 Tiếng Việt", "<1-6>"}},
		{name: "two configured", langs: []Lang{Japanese, Vietnamese}, keys: []any{'L'},
			want: []string{"1 日本語", "2 Tiếng Việt", "<1-2>"}, not: []string{"English", "한국어"}},
		{name: "a digit chooses", langs: []Lang{Japanese, Vietnamese}, keys: []any{'L', '2'},
			want: []string{"Vui lòng đặt thẻ My Number", "L ▸ 日本語", "<L> Ngôn ngữ / Language"}},
		{name: "a digit beyond the list does nothing", langs: []Lang{Japanese, Vietnamese}, keys: []any{'L', '3'},
			want: []string{"1 日本語", "2 Tiếng Việt"}},
		{name: "Esc closes the list", keys: []any{'L', tcell.KeyEscape},
			want: []string{"マイナンバーカードをカード置き場に置いてください"}, not: []string{"1 日本語"}},
		{name: "the default language first", langs: []Lang{Portuguese, English}, def: Portuguese,
			want: []string{"Coloque o seu cartão My Number", "L ▸ English"}},
		{name: "one language: no language key", langs: []Lang{Japanese}, keys: []any{'L'},
			want: []string{"マイナンバーカードをカード置き場に置いてください", "<Q> 終了"}, not: []string{"<L>", "L ▸", "1 日本語"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{Lang: tc.def, Languages: tc.langs, IdleKeys: []IdleKey{{Key: 'Q', Label: T("終了", "Quit"), Quit: true}}})
			go h.c.Idle(context.Background())
			h.waitFor("<Q>")
			h.press(tc.keys...)
			s := h.waitFor(tc.want...)
			absent(t, s, tc.not...)
		})
	}
}

// TestLanguageResets: the language chosen lasts the session, and the next
// session starts in the default language again.
func TestLanguageResets(t *testing.T) {
	h := newHarness(t, Options{IdleKeys: []IdleKey{{Key: 'Q', Label: T("終了", "Quit"), Quit: true}}})
	idle := func() { go h.c.Idle(context.Background()); h.waitFor("<Q>") }
	idle()
	h.press('L', '4')
	h.waitFor("마이넘버 카드를 카드 놓는 곳에 놓아 주십시오")
	go h.c.Finish(context.Background(), terminal.Result{Outcome: protocol.ResultCancelled, Reason: "pin-cancelled", Payment: "none"})
	h.waitFor("절차를 중지했습니다.")
	h.press(tcell.KeyEnter) // the card reminder: Finish wipes the session
	h.waitFor("マイナンバーカードをカード置き場に置いてください")
	idle()
	s := h.waitFor("<L> Language / 言語")
	absent(t, s, "마이넘버")
}

// TestLanguagesRejected: the default must be among the languages offered.
func TestLanguagesRejected(t *testing.T) {
	cases := []struct {
		name string
		o    Options
	}{
		{"default not offered", Options{Muni: "141003", Lang: Korean, Languages: []Lang{Japanese, English}}},
		{"unknown language", Options{Muni: "141003", Languages: []Lang{Japanese, numLangs}}},
	}
	for _, tc := range cases {
		tc.o.Screen = tcell.NewSimulationScreen("UTF-8")
		if _, err := NewCustomer(tc.o); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}

// TestPayQuestionWithMembersFits: the longest payment screen — the
// summary naming the members, with the cancel question open — still
// shows the question whole at every size and in every language (not a
// capture: TestScreensInEachLanguage has the question and the members
// separately).
func TestPayQuestionWithMembersFits(t *testing.T) {
	inEverySize(t, languageScreen{
		name:  "payment: the cancel question, members listed",
		coins: true,
		open:  toPayWithMembers,
		ready: T("取得する証明書を選んでください。", "Which certificate do you need?"),
		keys:  []any{'1', '1', '1', '5', tcell.KeyEnter, asking("members"), '1', '3', tcell.KeyEnter, asking("pay"), '3', tcell.KeyEscape},
		names: householdNames(),
		want: []Text{
			Tf("手数料　%s", "Fee: %s", Yen(500)),
			new(cancelGuard).question(Tf("投入された %s はお返しします。", "The %s you inserted will be returned.", Yen(100))),
		},
	})
}

// toPayWithMembers opens the document choice, then the members of
// household(), then the payment of 500 yen.
func toPayWithMembers(ctx context.Context, h *harness) {
	go func() {
		if _, err := h.c.Choose(ctx); err != nil {
			return
		}
		if _, err := h.c.Members(ctx, household()); err == nil {
			h.c.Pay(ctx, 500)
		}
	}()
}

// inEverySize checks screen tc (captureScreen) at every size in every
// language, side by side, without writing a capture.
func inEverySize(t *testing.T, tc languageScreen) {
	t.Helper()
	cats, err := loadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	msgs := sourceMessages(t)
	english := englishOf(msgs)
	for _, size := range screenSizes() {
		for i, lang := range AllLangs() {
			t.Run(size.String()+"/"+lang.String(), func(t *testing.T) {
				t.Parallel()
				captureScreen(t, tc, size, lang, i, cats, msgs, english)
			})
		}
	}
}
