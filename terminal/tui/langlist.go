package tui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rivo/tview"

	"kofu/terminal/uikit"
)

// offered checks the languages a Customer offers (Options.Languages, nil:
// all) and that the default is one of them.
func offered(def Lang, langs []Lang) ([]Lang, error) {
	if len(langs) == 0 {
		langs = AllLangs()
	}
	out := make([]Lang, 0, len(langs))
	for _, l := range langs {
		if l < 0 || l >= numLangs {
			return nil, fmt.Errorf("tui: language %d is unknown", l)
		}
		if !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	if !slices.Contains(out, def) {
		return nil, fmt.Errorf("tui: the default language %s is not one of the languages offered", def)
	}
	return out, nil
}

// langView is the language list the L key opens over the current screen:
// each language in its own words, a digit (or ↑↓ and Enter) chooses, Esc
// or L again closes it. The session goes on underneath; a new screen
// closes the list.
type langView struct {
	tv     *tview.TextView
	langs  []Lang
	shown  bool
	sel    int
	under  view       // the screen underneath (its step stays in the crumbs)
	choose func(Lang) // the resident's choice
}

func newLangView(langs []Lang) *langView { return &langView{tv: newBody(), langs: langs} }

func (v *langView) name() string               { return "languages" }
func (v *langView) primitive() tview.Primitive { return v.tv }
func (v *langView) title(l Locale) string      { return esc(hintLangText().In(l)) }

func (v *langView) step() step {
	if v.under == nil {
		return stepNone
	}
	return v.under.step()
}

// open shows the list with cur highlighted; choose takes the choice.
func (v *langView) open(cur Lang, choose func(Lang)) {
	v.shown, v.choose, v.sel = true, choose, max(slices.Index(v.langs, cur), 0)
}

func (v *langView) reset() { v.shown, v.choose, v.under, v.sel = false, nil, nil, 0 }

func (v *langView) render(l Locale) {
	if !v.shown {
		v.tv.SetText("")
		return
	}
	var b strings.Builder
	b.WriteString(tagTitle + esc(T("言語を番号で選んでください。", "Choose a language by its number.").In(l)) + tagOff + "\n\n")
	for i, lang := range v.langs {
		line := fmt.Sprintf(" %d  %s", i+1, esc(lang.Name()))
		if i == v.sel {
			b.WriteString(tagSel + "▶" + tagOff + line + "\n")
		} else {
			b.WriteString(" " + line + "\n")
		}
	}
	v.tv.SetText(b.String())
}

// bindings is the language list's key table: a number chooses, ↑↓ and
// Enter choose too, Esc (Backspace, or L again) closes the list.
func (v *langView) bindings() []binding {
	if !v.shown {
		return nil
	}
	n := min(len(v.langs), 9)
	return []binding{
		shown(fmt.Sprintf("1-%d", n), T("選択", "Choose"), func(k key) { v.pick(k.digit() - 1) }, uikit.Digits(1, n)...),
		shown("↑↓", T("移動", "Move"), func(k key) { v.sel = moveSel(v.sel, len(v.langs), k) }, uikit.K(uikit.Up), uikit.K(uikit.Down)),
		shown("Enter", T("決定", "OK"), func(key) { v.pick(v.sel) }, uikit.K(uikit.Enter)),
		shown("Esc", T("閉じる", "Close"), func(key) { v.reset() }, uikit.K(uikit.Esc), uikit.K(uikit.Backspace), uikit.R('L')),
	}
}

func (v *langView) hints(Locale) []hint { return hintsOf(v.bindings()) }
func (v *langView) handle(k key)        { dispatch(k, v.bindings()) }

// pick chooses the i-th language and closes the list.
func (v *langView) pick(i int) {
	choose := v.choose
	v.reset()
	if choose != nil {
		choose(v.langs[i])
	}
}

// hintLangText is the language key's label, readable by a resident who
// does not read the language on screen: "Language / 言語" (in the other
// languages, their own word, then "Language").
func hintLangText() Text { return T("Language / 言語", "Language / 言語") }
