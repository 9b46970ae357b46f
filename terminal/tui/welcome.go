package tui

import (
	"strings"

	"github.com/rivo/tview"
)

// IdleKey is a key the idle (welcome) screen answers to besides the
// language key, e.g. the emulator's "quit" (its card is a CardKey).
type IdleKey struct {
	Key   rune // upper case; the lower case works too
	Label Text // shown in the keymap
	Quit  bool // Ctrl-C on the idle screen chooses this key
}

// welcomeView is the idle screen: what the service is, the service hours,
// and "place your card".
type welcomeView struct {
	tv    *tview.TextView
	hours Text
	note  Text
	langs []Lang // the languages offered on the L key
	idleKeys
}

func newWelcome(hours, note Text, keys []IdleKey, langs []Lang) *welcomeView {
	return &welcomeView{tv: newBody(), hours: hours, note: note, langs: langs, idleKeys: idleKeys{keys: keys}}
}

func (v *welcomeView) name() string               { return "welcome" }
func (v *welcomeView) primitive() tview.Primitive { return v.tv }
func (v *welcomeView) step() step                 { return stepNone }
func (v *welcomeView) reset()                     { v.answer = nil }

// open waits for an idle key.
func (v *welcomeView) open(answer func(IdleKey)) { v.answer = answer }
func (v *welcomeView) title(l Locale) string {
	return esc(T("ようこそ", "Welcome").In(l))
}

func (v *welcomeView) render(l Locale) {
	var b strings.Builder
	b.WriteString(tagTitle + esc(T("マイナンバーカードで、住民票の写しなどの証明書を取得できます。",
		"Get official certificates, such as a certificate of residence, with your My Number card.").In(l)) + tagOff + "\n")
	// Who may use the service, said before anyone places a card: the
	// コンビニ交付 is for card holders aged 15 or over (J-LIS).
	b.WriteString(esc(ageRule().In(l)) + "\n\n")
	b.WriteString(tagWarn + esc(T("▶ マイナンバーカードをカード置き場に置いてください。",
		"▶ Please place your My Number card on the card reader.").In(l)) + tagOff + "\n\n")
	// The documents the next screen lists: a short screen may leave
	// them out.
	b.WriteString(optional + esc(T("取得できる証明書：住民票の写し、住民票記載事項証明書、印鑑登録証明書、戸籍証明書、戸籍の附票の写し、所得・課税証明書（市区町村により異なります）",
		"Certificates: residence, resident record items, seal registration, family register, family register supplement, income and tax (depending on the municipality)").In(l)) + "\n\n")
	b.WriteString(esc(Tf("サービス提供時間：%s", "Service hours: %s", v.hours).In(l)) + "\n")
	b.WriteString(esc(T("利用者証明用電子証明書の暗証番号（数字4桁）が必要です。",
		"You need the 4-digit PIN of your card's authentication certificate.").In(l)) + "\n")
	others := v.otherLangs(l.Lang)
	if others != "" {
		// Each language in its own words: a resident finds theirs
		// without reading the one on screen.
		b.WriteString("\n[aqua::b]L[-:-:-] ▸ " + esc(others) + "\n")
	}
	if !v.note.Empty() {
		// The rule sets the note apart, with no blank row after the
		// languages: at 80×24 the welcome screen with the emulator's
		// note has no row to spare.
		if others == "" {
			b.WriteString("\n")
		}
		b.WriteString(tagDim + "──────────" + tagOff + "\n" + esc(v.note.In(l)) + "\n")
	}
	v.tv.SetText(b.String())
}

// ageRule says who may use the service: holders of a My Number card
// aged 15 or over, as the real コンビニ交付 service allows (issue 17: no
// screen said so).
func ageRule() Text {
	return T("マイナンバーカードをお持ちの15歳以上の方がご利用いただけます。",
		"For My Number card holders aged 15 or over.")
}

// otherLangs are the languages offered besides cur, in their own words.
func (v *welcomeView) otherLangs(cur Lang) string {
	var names []string
	for _, l := range v.langs {
		if l != cur {
			names = append(names, l.Name())
		}
	}
	return strings.Join(names, " · ")
}
