package tui

import (
	"strings"
	"testing"

	"kofu/protocol"
	"kofu/terminal"
)

// TestExplain: every way a session ends is said in plain words, in both
// languages, with whether a fee was taken, and never with its code.
func TestExplain(t *testing.T) {
	cases := []struct {
		outcome protocol.Result
		reason  string
		payment string
		ja      []string // in the words, Japanese
		en      []string
		office  bool
		staff   bool
		paper   bool
	}{
		{protocol.ResultPrinted, "", "captured", []string{"印刷が完了しました", "料金 300円 をいただきました"}, []string{"printed", "You paid ¥300"}, false, false, true},
		{protocol.ResultRefused, "envelope-subject", "released", []string{"この証明書は発行できませんでした。", "ご本人の申請どおり", "料金はいただいていません。", "店員にお知らせください"},
			[]string{"could not be issued", "You have not been charged"}, false, true, false},
		{protocol.ResultRefused, "page-qr-mismatch", "released", []string{"ご本人の申請どおり", "印刷していません"}, []string{"was not printed"}, false, true, false},
		{protocol.ResultRefused, "ticket-binding", "none", []string{"交付センターからの応答", "料金はいただいていません。"}, []string{"issuance center's answer"}, false, true, false},
		{protocol.ResultUnknown, "print-error", "released", []string{"確認できませんでした", "店員にお知らせください", "料金はいただいていません"}, []string{"could not confirm"}, false, true, true},
		{protocol.ResultFailed, "card-blocked", "none", []string{"ロックされています", "市区町村の窓口"}, []string{"locked", "municipal office"}, true, false, false},
		{protocol.ResultFailed, "card-pin-counter", "none", []string{"市区町村の窓口"}, []string{"municipal office"}, true, false, false},
		{protocol.ResultCancelled, "card-removed", "none", []string{"カードが取り外された"}, []string{"card was removed"}, false, false, false},
		{protocol.ResultFailed, "center-card-revoked", "none", []string{"失効しています"}, []string{"revoked"}, true, false, false},
		{protocol.ResultFailed, "center-not-eligible", "none", []string{"コンビニ交付では発行できません"}, []string{"cannot be issued at a store"}, true, false, false},
		{protocol.ResultFailed, "center-outside-service-hours", "none", []string{"6:30〜23:00"}, []string{"open 6:30–23:00"}, false, false, false},
		{protocol.ResultFailed, "center-no-such-type", "none", []string{"システムエラー"}, []string{"system error"}, false, true, false},
		{protocol.ResultCancelled, "choose-cancelled", "none", []string{"中止しました"}, []string{"cancelled"}, false, false, false},
		{protocol.ResultCancelled, "pin-timeout", "none", []string{"一定時間操作がなかった"}, []string{"Nothing was pressed"}, false, false, false},
		{protocol.ResultCancelled, "pay-timeout", "none", []string{"一定時間操作がなかった"}, []string{"Nothing was pressed"}, false, false, false},
		{protocol.ResultFailed, "household-unsupported", "none", []string{"「世帯の一部（任意の方）」の指定は", "「世帯全員」または「本人のみ」"},
			[]string{"“Some members” is not available", "“Whole household” or “Only me”"}, false, false, false},
		{protocol.ResultFailed, "submit-timeout", "none", []string{"応答がありませんでした"}, []string{"did not answer"}, false, false, false},
		{protocol.ResultFailed, "document-transport", "released", []string{"応答がありませんでした", "返却しました"}, []string{"has been returned"}, false, false, false},
		{protocol.ResultFailed, "print-error", "released", []string{"印刷できませんでした", "店員"}, []string{"could not be printed"}, false, true, false},
		{protocol.ResultFailed, "payment-insufficient", "none", []string{"投入金額が足りません"}, []string{"Not enough money"}, false, false, false},
		{protocol.ResultFailed, "card-certificate-error", "none", []string{"カードを読み取れませんでした"}, []string{"could not be read"}, false, false, false},
		{protocol.ResultFailed, "card-certificate-missing", "none", []string{"利用者証明用電子証明書が入っていません", "市区町村の窓口"}, []string{"no user-authentication certificate"}, true, false, false},
		{protocol.ResultFailed, "journal-error", "none", []string{"システムの不具合", "店員"}, []string{"system problem"}, false, true, false},
		{protocol.ResultFailed, "internal-illegal-transition", "none", []string{"システムの不具合"}, []string{"system problem"}, false, true, false},
		{protocol.ResultPrinted, "", "capture-failed", []string{"精算が完了していません", "店員"}, []string{"Payment could not be completed"}, false, false, true},
		{protocol.ResultFailed, "print-error", "release-failed", []string{"返却できませんでした"}, []string{"could not be returned"}, false, true, false},
		// The printer said why it stopped (issue 17, item 2): the fault by
		// name, the page that came out, the rest not printed, no fee.
		{protocol.ResultUnknown, "print-paper-out", "released",
			[]string{"用紙切れ", "印刷された1枚をお取りください。", "残りのページは印刷されていません。", "店員をお呼びください。", "料金はいただいていません"},
			[]string{"out of paper", "Please take the page that was printed.", "The rest of the certificate was not printed.", "call a member of the store staff", "You have not been charged"},
			false, true, true},
		{protocol.ResultUnknown, "print-jam", "released",
			[]string{"紙づまり", "印刷された1枚をお取りください。", "詰まった用紙は店員が取り除きます", "店員をお呼びください。"},
			[]string{"paper jam", "Please take the page that was printed.", "leave the jammed paper", "You have not been charged"}, false, true, true},
		{protocol.ResultUnknown, "print-cover-open", "released", []string{"カバーが開いています", "印刷された1枚をお取りください。", "店員をお呼びください。"},
			[]string{"cover is open", "Please take the page that was printed."}, false, true, true},
		{protocol.ResultUnknown, "print-offline", "released", []string{"プリンターが停止", "出てきた用紙があればお取りください", "店員をお呼びください。"},
			[]string{"stopped working", "any paper that came out"}, false, true, true},
		{protocol.ResultUnknown, "print-unconfirmed", "released", []string{"確認できませんでした", "店員にお知らせください"}, []string{"could not confirm"}, false, true, true},
		// The printer could not take the job: nothing went out.
		{protocol.ResultFailed, "print-paper-out", "released", []string{"用紙切れ", "印刷していません", "店員をお呼びください。", "返却しました"},
			[]string{"out of paper", "Nothing was printed.", "has been returned"}, false, true, false},
		{protocol.ResultFailed, "print-jam", "none", []string{"紙づまり", "印刷していません"}, []string{"paper jam", "Nothing was printed."}, false, true, false},
		{protocol.ResultFailed, "print-cover-open", "none", []string{"カバーが開いています", "印刷していません"}, []string{"cover is open"}, false, true, false},
		{protocol.ResultFailed, "print-offline", "none", []string{"プリンター", "印刷していません"}, []string{"not available"}, false, true, false},
	}
	for _, tc := range cases {
		t.Run(string(tc.outcome)+"/"+tc.reason+"/"+tc.payment, func(t *testing.T) {
			w := explain(terminal.Result{Outcome: tc.outcome, Reason: terminal.Reason(tc.reason), Payment: tc.payment, Fee: 300, Pages: 1}, seen{})
			for _, l := range []Locale{{Lang: Japanese}, {Lang: English}} {
				all := ""
				for i, x := range []Text{w.Title, w.What, w.Do, w.Fee} {
					// A center's message may carry its own advice
					// (TestCenterAdviceSaidOnce).
					centerDo := i == 2 && terminal.Reason(tc.reason).Class() == terminal.ClassCenter
					if x.In(l) == "" && !centerDo {
						t.Errorf("%s: empty part in %+v", l, w)
					}
					all += x.In(l) + "\n"
				}
				want := tc.ja
				if l.Lang == English {
					want = tc.en
				}
				for _, s := range want {
					if !strings.Contains(all, s) {
						t.Errorf("%s: %q missing from\n%s", l, s, all)
					}
				}
				if tc.reason != "" && strings.Contains(all, tc.reason) {
					t.Errorf("%s: the code %q reaches the screen", l, tc.reason)
				}
			}
			if w.Office != tc.office || w.Staff != tc.staff || w.Paper.Empty() == tc.paper {
				t.Errorf("office %v staff %v paper %q", w.Office, w.Staff, w.Paper.JA)
			}
		})
	}
}

// TestYen: money as a reader of each language writes it.
func TestYen(t *testing.T) {
	cases := []struct {
		n    int
		want [numLangs]string // by Lang
	}{
		{0, [numLangs]string{"0円", "¥0", "0日元", "0엔", "¥0", "0 yên"}},
		{250, [numLangs]string{"250円", "¥250", "250日元", "250엔", "¥250", "250 yên"}},
		{1000, [numLangs]string{"1,000円", "¥1,000", "1,000日元", "1,000엔", "¥1.000", "1.000 yên"}},
		{1234567, [numLangs]string{"1,234,567円", "¥1,234,567", "1,234,567日元", "1,234,567엔", "¥1.234.567", "1.234.567 yên"}},
		{-50, [numLangs]string{"-50円", "-¥50", "-50日元", "-50엔", "-¥50", "-50 yên"}},
	}
	for _, tc := range cases {
		for _, l := range AllLangs() {
			if got := yen(Locale{Lang: l}, tc.n); got != tc.want[l] {
				t.Errorf("%d in %s: %q, want %q", tc.n, l, got, tc.want[l])
			}
		}
	}
}

// TestCounts: pages read naturally in each language, never "page(s)".
func TestCounts(t *testing.T) {
	cases := []struct {
		v    localized
		want [numLangs]string
	}{
		{pageCount(1), [numLangs]string{"1枚", "1 page", "1页", "1장", "1 página", "1 trang"}},
		{pageCount(3), [numLangs]string{"3枚", "3 pages", "3页", "3장", "3 páginas", "3 trang"}},
		{printedPages(1), [numLangs]string{"1枚", "the page that was printed", "1页", "1장", "1 página", "1 trang"}},
		{printedPages(2), [numLangs]string{"2枚", "the 2 pages that were printed", "2页", "2장", "2 páginas", "2 trang"}},
		{timeRange{9 * 60, 17*60 + 15}, [numLangs]string{"9:00〜17:15", "9:00–17:15", "9:00–17:15", "9:00~17:15", "9:00–17:15", "9:00–17:15"}},
	}
	for _, tc := range cases {
		for _, l := range AllLangs() {
			if got := tc.v.in(Locale{Lang: l}); got != tc.want[l] {
				t.Errorf("%v in %s: %q, want %q", tc.v, l, got, tc.want[l])
			}
		}
	}
}

func TestParseLang(t *testing.T) {
	cases := []struct {
		in   string
		want Lang
		ok   bool
	}{
		{"", Japanese, true}, {"ja", Japanese, true}, {"EN", English, true}, {"zh", Chinese, true}, {"zh-Hans", Chinese, true},
		{"ko", Korean, true}, {"pt", Portuguese, true}, {"pt-BR", Portuguese, true}, {"vi", Vietnamese, true},
		{"fr", Japanese, false}, {"zh-tw", Japanese, false},
	}
	for _, tc := range cases {
		got, err := ParseLang(tc.in)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("%q: %v %v", tc.in, got, err)
		}
	}
	for _, l := range AllLangs() {
		if got, err := ParseLang(l.String()); got != l || err != nil {
			t.Errorf("%s does not read back: %v %v", l, got, err)
		}
	}
}

// TestRefundFailedAfterCapture: the fee taken and the rest not given back
// are both said; neither hides the other.
func TestRefundFailedAfterCapture(t *testing.T) {
	w := explain(terminal.Result{Outcome: protocol.ResultPrinted, Payment: "captured", Refund: "return-failed", Fee: 300, Pages: 1}, seen{})
	for l, want := range map[Lang][]string{
		Japanese: {"料金 300円 をいただきました", "一部を返却できませんでした", "店員"},
		English:  {"You paid ¥300", "could not be returned", "store staff"},
	} {
		l := Locale{Lang: l}
		for _, s := range want {
			if !strings.Contains(w.Fee.In(l), s) {
				t.Errorf("%s: %q missing from %q", l, s, w.Fee.In(l))
			}
		}
	}
	if en := w.Fee.In(Locale{Lang: English}); strings.Contains(en, "not been charged") {
		t.Errorf("says not charged: %q", en)
	}
}

// TestJoins: sentences join with nothing after 。 and a space after "."; a
// list with its own separator; empty parts left out.
func TestJoins(t *testing.T) {
	a, b := T("証明書は印刷していません。", "Nothing was printed."), T("店員にお知らせください。", "Please tell the store staff.")
	cases := []struct {
		name string
		t    Text
		want [numLangs]string
	}{
		{"sentences", Cat(a, Text{}, b), [numLangs]string{
			"証明書は印刷していません。店員にお知らせください。", "Nothing was printed. Please tell the store staff.",
			"证明书未打印。请告知店员。", "증명서는 인쇄하지 않았습니다. 점원에게 알려 주십시오.",
			"Nada foi impresso. Avise um funcionário da loja.", "Giấy tờ chưa được in. Vui lòng báo cho nhân viên cửa hàng."}},
		{"list", List(T("本人のみ", "Only me"), Text{}, T("記載しない", "Omit")), [numLangs]string{
			"本人のみ、記載しない", "Only me; Omit", "仅本人；不记载", "본인만; 기재 안 함", "Somente eu; Não incluir", "Chỉ bản thân; Không ghi"}},
		{"a list of sentences", List(Cat(a, b)), [numLangs]string{
			"証明書は印刷していません。店員にお知らせください。", "Nothing was printed. Please tell the store staff.",
			"证明书未打印。请告知店员。", "증명서는 인쇄하지 않았습니다. 점원에게 알려 주십시오.",
			"Nada foi impresso. Avise um funcionário da loja.", "Giấy tờ chưa được in. Vui lòng báo cho nhân viên cửa hàng."}},
		{"a name", Name("神奈川県横浜市", "Yokohama-shi, Kanagawa"), [numLangs]string{
			"神奈川県横浜市", "Yokohama-shi, Kanagawa", "神奈川県横浜市", "Yokohama-shi, Kanagawa", "Yokohama-shi, Kanagawa", "Yokohama-shi, Kanagawa"}},
		{"a value in a format", Tf("料金 %s をいただきました。おつりがある場合はお取りください。", "You paid %s. Please take any change.", Yen(1250)),
			[numLangs]string{"料金 1,250円 をいただきました。おつりがある場合はお取りください。", "You paid ¥1,250. Please take any change.",
				"已收取费用 1,250日元。如有找零，请取走。", "요금 1,250엔을 받았습니다. 거스름돈이 있으면 가져가 주십시오.",
				"Você pagou ¥1.250. Se houver troco, retire-o.", "Đã thu lệ phí 1.250 yên. Nếu có tiền thừa, vui lòng lấy lại."}},
		{"no translation: the English", T("テストだけの文", "A test-only sentence"), [numLangs]string{
			"テストだけの文", "A test-only sentence", "A test-only sentence", "A test-only sentence", "A test-only sentence", "A test-only sentence"}},
	}
	cats, err := loadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		for _, l := range AllLangs() {
			if got := tc.t.In(cats.locale(l)); got != tc.want[l] {
				t.Errorf("%s in %s: %q, want %q", tc.name, l, got, tc.want[l])
			}
		}
	}
}

// TestChangeWords: the finish screen states the exact change, or nothing
// about change when there is none, and the exact amount given back after
// a failure (issue 17, item 11) — in every language; without the UI's own
// coin unit it cannot know the amounts and says so generally.
func TestChangeWords(t *testing.T) {
	cats, err := loadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	printed := terminal.Result{Outcome: protocol.ResultPrinted, Payment: "captured", Fee: 250, Pages: 1}
	refused := terminal.Result{Outcome: protocol.ResultRefused, Reason: "envelope-subject", Payment: "released", Fee: 250}
	cancelled := terminal.Result{Outcome: protocol.ResultCancelled, Reason: "pay-cancelled", Payment: "returned", Fee: 250}
	cases := []struct {
		name string
		r    terminal.Result
		m    seen
		want [numLangs]string
		not  []string // in Japanese
	}{
		{"change", printed, seen{known: true, inserted: 300}, [numLangs]string{
			"料金 250円 をいただきました。おつり 50円 をお取りください。", "You paid ¥250. Please take your change of ¥50.",
			"已收取费用 250日元。请取走找零 50日元。", "요금 250엔을 받았습니다. 거스름돈 50엔을 가져가 주십시오.",
			"Você pagou ¥250. Retire seu troco de ¥50.", "Đã thu lệ phí 250 yên. Vui lòng lấy tiền thừa 50 yên."}, nil},
		{"exact", printed, seen{known: true, inserted: 250}, [numLangs]string{
			"料金 250円 をいただきました。", "You paid ¥250.", "已收取费用 250日元。", "요금 250엔을 받았습니다.", "Você pagou ¥250.", "Đã thu lệ phí 250 yên."},
			[]string{"おつり"}},
		{"refused after paying", refused, seen{known: true, inserted: 1000}, [numLangs]string{
			"料金はいただいていません。投入された 1,000円 をお返しします。返却口からお取りください。",
			"You have not been charged. The ¥1,000 you inserted is returned; please take it from the return slot.",
			"未收取费用。您投入的 1,000日元 已退还，请从退币口取走。",
			"요금은 받지 않았습니다. 투입하신 1,000엔을 돌려드립니다. 반환구에서 가져가 주십시오.",
			"Nenhuma taxa foi cobrada. O valor inserido (¥1.000) foi devolvido; retire-o na saída de devolução.",
			"Quý khách chưa bị thu phí. Số tiền 1.000 yên đã cho vào được trả lại, vui lòng lấy ở cửa trả tiền."}, nil},
		{"cancelled with coins in", cancelled, seen{known: true, inserted: 100}, [numLangs]string{
			"料金はいただいていません。投入された 100円 をお返しします。返却口からお取りください。", "You have not been charged. The ¥100 you inserted is returned; please take it from the return slot.",
			"", "", "", ""}, nil},
		{"a payment device outside the UI", printed, seen{}, [numLangs]string{
			"料金 250円 をいただきました。おつりがある場合はお取りください。", "You paid ¥250. Please take any change.", "", "", "", ""}, nil},
		{"change not given back", terminal.Result{Outcome: protocol.ResultPrinted, Payment: "captured", Refund: "return-failed", Fee: 250, Pages: 1},
			seen{known: true, inserted: 300}, [numLangs]string{"料金 250円 をいただきました。投入したお金の一部を返却できませんでした。店員にお知らせください。"},
			[]string{"おつり 50円"}},
		{"nothing inserted", terminal.Result{Outcome: protocol.ResultFailed, Reason: "card-blocked", Payment: "none"}, seen{known: true},
			[numLangs]string{"料金はいただいていません。"}, []string{"投入", "返却"}},
	}
	for _, tc := range cases {
		w := explain(tc.r, tc.m)
		for _, l := range AllLangs() {
			if tc.want[l] == "" {
				continue
			}
			if got := w.Fee.In(cats.locale(l)); got != tc.want[l] {
				t.Errorf("%s in %s: %q, want %q", tc.name, l, got, tc.want[l])
			}
		}
		for _, n := range tc.not {
			if ja := w.Fee.In(Locale{}); strings.Contains(ja, n) {
				t.Errorf("%s: %q in %q", tc.name, n, ja)
			}
		}
	}
}

// TestHonsekiHint: a 戸籍 request the center cannot serve at the chosen
// municipality adds what to check — the 本籍地 and whether it issues 戸籍
// at stores (利用登録) — in every language, without the reason code; any
// other document or reason gets no such hint.
func TestHonsekiHint(t *testing.T) {
	cats, err := loadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	koseki := seen{doc: protocol.DocKosekiZenbu}
	cases := []struct {
		reason string
		m      seen
		hint   bool
	}{
		{"center-not-eligible", koseki, true},
		{"center-document-unavailable", koseki, true},
		{"center-unknown-municipality", seen{doc: protocol.DocKosekiFuhyo}, true},
		{"center-not-eligible", seen{doc: protocol.DocJuminhyo}, false},
		{"center-document-unavailable", seen{doc: protocol.DocInkan}, false},
		{"center-not-eligible", seen{}, false},
		{"center-card-revoked", koseki, false},
		{"card-blocked", koseki, false},
		{"center-outside-service-hours", koseki, false},
	}
	for _, tc := range cases {
		w := explain(terminal.Result{Outcome: protocol.ResultFailed, Reason: terminal.Reason(tc.reason), Payment: "none"}, tc.m)
		if w.Hint.Empty() == tc.hint {
			t.Errorf("%s for %q: hint %q", tc.reason, tc.m.doc, w.Hint.JA)
			continue
		}
		if !tc.hint {
			continue
		}
		if !strings.Contains(w.Hint.JA, "本籍地") || !strings.Contains(w.Hint.JA, "コンビニ交付") || !strings.Contains(w.Hint.JA, "利用登録") {
			t.Errorf("hint %q", w.Hint.JA)
		}
		for _, l := range AllLangs() {
			s := w.Hint.In(cats.locale(l))
			if strings.Contains(s, tc.reason) || strings.Contains(s, "not-eligible") || strings.Contains(s, "unavailable") {
				t.Errorf("%s: a code on screen: %q", l, s)
			}
			if l != Japanese && l != Chinese && strings.ContainsRune(s, '籍') {
				t.Errorf("%s: untranslated: %q", l, s)
			}
		}
	}
}

// TestCenterAdviceSaidOnce: under every refusal the center can send, the
// resident reads what to do exactly once, and the card is left to the
// blinking reminder (the center's own message often names the action
// already; a second "please take your card" above the reminder was noise).
func TestCenterAdviceSaidOnce(t *testing.T) {
	for _, p := range protocol.ProblemTypes() {
		t.Run(string(p.Type), func(t *testing.T) {
			w := explain(terminal.Result{Outcome: protocol.ResultFailed, Reason: terminal.Reason("center-" + string(p.Type)), Payment: "none"}, seen{})
			for _, l := range []Locale{{Lang: Japanese}, {Lang: English}} {
				what, do := w.What.In(l), w.Do.In(l)
				all := what + "\n" + do
				action := []string{"ください"}
				if l.Lang == English {
					action = []string{"Please", "please", "Start again"}
				}
				n := 0
				for _, a := range action {
					n += strings.Count(all, a)
				}
				if n == 0 {
					t.Errorf("%s: nothing to do in %q", l, all)
				}
				if do != "" && strings.Contains(what, do) {
					t.Errorf("%s: advice %q repeats the message", l, do)
				}
				if strings.Contains(all, "カードをお取り") || strings.Contains(all, "take your card") {
					t.Errorf("%s: the card is asked for above the reminder: %q", l, all)
				}
			}
		})
	}
}

// TestPrintedLeavesTheTakingToTheReminders: after a print the words above
// the reminders do not ask for the card or the certificate again — the
// blinking reminders under them do, until each is taken.
func TestPrintedLeavesTheTakingToTheReminders(t *testing.T) {
	w := explain(terminal.Result{Outcome: protocol.ResultPrinted, Payment: "captured", Fee: 300, Pages: 2}, seen{})
	for _, l := range []Locale{{Lang: Japanese}, {Lang: English}} {
		all := w.Title.In(l) + w.What.In(l) + w.Do.In(l)
		for _, s := range []string{"お取りください", "take your"} {
			if strings.Contains(all, s) {
				t.Errorf("%s: %q above the reminders: %q", l, s, all)
			}
		}
	}
	if w.Paper.Empty() {
		t.Error("no reminder for the certificate")
	}
}
