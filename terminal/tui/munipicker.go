package tui

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/rivo/tview"

	"kofu/protocol"
	"kofu/terminal/localgov"
	"kofu/terminal/uikit"
)

// pickerView finds the municipality a request goes to among Japan's 1,741
// on a kiosk keypad (issue 17, item 1): the resident's own candidates
// first when the kiosk knows them (住所地, 本籍地), then prefecture →
// municipality page by page, or a search typed in kana, in Latin letters
// or as the 6-digit code. Nothing is chosen until the resident chooses;
// every row says whether the document can be issued there now, and why
// not.
type pickerView struct {
	tv *tview.TextView

	// Set by open; nil pick: nobody is choosing.
	role    Text // 住所地 / 本籍地: what the municipality is to the resident
	doc     protocol.DocType
	presets []muniChoice // the kiosk's own candidates, shown first
	pick    func(code string)
	back    func()

	browse  bool   // past the presets: the national list
	pref    string // the prefecture being browsed ("": the prefecture list)
	query   []rune // what the resident typed
	sel     int    // the highlighted row
	msg     Text   // a one-line answer to the last key
	pageLen int    // rows per page, from the last layout

	// From the Customer: the directory, and what can be issued where now.
	dir   *localgov.Directory
	avail func(code string, t protocol.DocType) availability
}

func newPicker(dir *localgov.Directory, avail func(string, protocol.DocType) availability) *pickerView {
	return &pickerView{tv: newBody(), dir: dir, avail: avail}
}

func (v *pickerView) name() string { return "picker" }

// takesText: past the presets, letters go to the search.
func (v *pickerView) takesText() bool { return v.pick != nil && v.browse }

func (v *pickerView) primitive() tview.Primitive { return v.tv }
func (v *pickerView) step() step                 { return stepChoose }
func (v *pickerView) title(l Locale) string {
	return esc(T("請求先の市区町村", "Municipality").In(l))
}

// open starts a choice for doc: role names what the municipality is to
// the resident; presets, when any, are offered first.
func (v *pickerView) open(role Text, doc protocol.DocType, presets []muniChoice, pick func(string), back func()) {
	v.reset()
	v.role, v.doc, v.presets, v.pick, v.back = role, doc, presets, pick, back
	v.browse = len(presets) == 0
}

func (v *pickerView) reset() {
	v.role, v.doc, v.presets, v.pick, v.back = Text{}, "", nil, nil, nil
	v.browse, v.pref, v.query, v.sel, v.msg = false, "", nil, 0, Text{}
}

// pickRow is one line of the list.
type pickRow struct {
	pref  string // a prefecture to open
	code  string // a municipality to choose
	other bool   // "search the national list"
	label Text
	a     availability // for a municipality
}

// rows is what the list holds now.
func (v *pickerView) rows() []pickRow {
	switch {
	case !v.browse:
		out := make([]pickRow, 0, len(v.presets)+1)
		for _, p := range v.presets {
			out = append(out, pickRow{code: p.Code, label: p.Label, a: v.avail(p.Code, v.doc)})
		}
		return append(out, pickRow{other: true, label: T("ほかの市区町村を探す", "Another municipality")})
	case len(v.query) > 0:
		q := string(v.query)
		var out []pickRow
		for _, m := range v.dir.Search(q) {
			out = append(out, v.muniRow(m, true))
		}
		return out
	case v.pref == "":
		prefs := v.dir.Prefectures()
		out := make([]pickRow, 0, len(prefs))
		for _, p := range prefs {
			out = append(out, pickRow{pref: p.JIS, label: Name(p.JIS+"  "+p.Name, p.JIS+"  "+p.English)})
		}
		return out
	}
	var out []pickRow
	for _, m := range v.dir.Search(v.pref) {
		out = append(out, v.muniRow(m, false))
	}
	return out
}

func (v *pickerView) muniRow(m localgov.Municipality, withPref bool) pickRow {
	ja, en := m.Name, m.Romaji
	if withPref {
		p, _ := v.dir.Prefecture(m.Pref())
		ja, en = p.Name+m.Name, v.dir.English(m)
	}
	return pickRow{code: m.Code, label: Name(m.Code+"  "+ja, m.Code+"  "+en), a: v.avail(m.Code, v.doc)}
}

// page is the number of rows shown at once: what fits below the header
// lines in the last layout (at least 3).
func (v *pickerView) page() int {
	if v.pageLen >= 3 {
		return v.pageLen
	}
	return 8
}

func (v *pickerView) render(l Locale) {
	if v.pick == nil {
		v.tv.SetText("")
		return
	}
	_, _, _, h := v.tv.GetInnerRect()
	const chrome = 7 // title, hint, search, blank, blank, page line, message
	v.pageLen = h - chrome
	var b strings.Builder
	b.WriteString(tagTitle + esc(Tf("%sの市区町村を選んでください。", "Choose your %s municipality.", v.role).In(l)) + tagOff + "\n")
	switch {
	case !v.browse:
		b.WriteString(esc(T("↑↓ で選び、Enter で決定します。", "Move with ↑↓ and press Enter.").In(l)) + "\n")
	default:
		b.WriteString(tagDim + esc(T("よみ（かな・ローマ字）か、市区町村コード（6桁）を入力できます。",
			"Type the name (kana or Latin letters) or the 6-digit code.").In(l)) + tagOff + "\n")
	}
	where := T("都道府県を選んでください。", "Choose the prefecture.")
	if p, ok := v.dir.Prefecture(v.pref); ok {
		where = Tf("%sの市区町村", "Municipalities of %s", Name(p.Name, p.English))
	}
	switch {
	case !v.browse:
		b.WriteString("\n\n")
	case len(v.query) > 0:
		fmt.Fprintf(&b, "%s %s[::u]%s[::-]_\n%s\n", esc(T("検索：", "Search:").In(l)), tagTitle, esc(string(v.query)),
			tagOff+tagDim+esc(T("全国から探しています", "Searching all of Japan").In(l))+tagOff)
	default:
		fmt.Fprintf(&b, "%s %s\n%s\n", esc(T("検索：", "Search:").In(l)), tagDim+"＿"+tagOff, esc(where.In(l)))
	}
	rows := v.rows()
	if v.sel >= len(rows) {
		v.sel = max(len(rows)-1, 0)
	}
	if len(rows) == 0 {
		b.WriteString(tagWarn + esc(T("該当する市区町村がありません。", "No municipality matches.").In(l)) + tagOff + "\n")
	}
	n := v.page()
	first := v.sel / n * n
	for i := first; i < len(rows) && i < first+n; i++ {
		b.WriteString(v.rowLine(rows[i], i == v.sel, l) + "\n")
	}
	if pages := (len(rows) + n - 1) / n; pages > 1 {
		fmt.Fprintf(&b, "%s%s%s\n", tagDim, esc(Tf("%d / %d ページ（←→ でページ送り）", "page %d of %d (←→ turns pages)", first/n+1, pages).In(l)), tagOff)
	}
	if !v.msg.Empty() {
		b.WriteString(tagWarn + esc(v.msg.In(l)) + tagOff + "\n")
	}
	v.tv.SetText(b.String())
}

// rowLine is one row: the mark, the name, and for a municipality whether
// the document can be had there now (the fee, or why not).
func (v *pickerView) rowLine(r pickRow, sel bool, l Locale) string {
	mark := "  "
	if sel {
		mark = tagSel + "▶" + tagOff + " "
	}
	label := esc(r.label.In(l))
	switch {
	case r.code == "":
		return mark + label + " ›"
	case r.a.ok:
		return fmt.Sprintf("%s%s○%s %s  %s%s%s", mark, tagOK, tagOff, label, tagDim, esc(Tf("%s／通", "%s/copy", Yen(r.a.fee)).In(l)), tagOff)
	default:
		return fmt.Sprintf("%s%s×%s %s  %s%s%s", mark, tagError, tagOff, label, tagDim, esc(r.a.shortOrWhy().In(l)), tagOff)
	}
}

// bindings is the picker's key table, for where the resident is: among
// the presets, or in the national list (prefectures, a prefecture's
// municipalities, or a search) where ←→ turn pages and letters and
// digits type the search. Backspace erases the search, goes back to the
// prefectures, to the presets, or back out; Esc goes back out.
func (v *pickerView) bindings() []binding {
	if v.pick == nil {
		return nil
	}
	bs := []binding{shown("↑↓", T("選ぶ", "Move"), func(k key) {
		if rows := v.rows(); len(rows) > 0 {
			v.sel = moveSel(v.sel, len(rows), k)
		}
	}, uikit.K(uikit.Up), uikit.K(uikit.Down))}
	if v.browse {
		bs = append(bs, shown("←→", T("ページ", "Page"), func(k key) {
			n := v.page()
			switch rows := v.rows(); {
			case k.Kind == uikit.Left:
				v.sel = max((v.sel/n-1)*n, 0)
			case len(rows) > 0:
				v.sel = min((v.sel/n+1)*n, len(rows)-1)
			}
		}, uikit.K(uikit.Left), uikit.K(uikit.Right)))
	}
	bs = append(bs, shown("Enter", T("決定", "OK"), func(key) { v.enter(v.rows()) }, uikit.K(uikit.Enter)))
	bsKey := uikit.K(uikit.Backspace)
	switch {
	case v.browse && len(v.query) > 0:
		bs = append(bs, shown("BS", T("訂正", "Erase"), func(key) {
			v.query = v.query[:len(v.query)-1]
			v.sel = 0
		}, bsKey))
	case v.browse && v.pref != "":
		bs = append(bs, shown("BS", T("都道府県へ", "Prefectures"), func(key) {
			v.sel = max(v.prefIndex(v.pref), 0)
			v.pref = ""
		}, bsKey))
	case v.browse && len(v.presets) > 0:
		bs = append(bs, hidden(func(key) { v.browse, v.sel = false, len(v.presets) }, bsKey))
	default:
		bs = append(bs, hidden(func(key) { v.back() }, bsKey))
	}
	bs = append(bs, shown("Esc", T("戻る", "Back"), func(key) { v.back() }, uikit.K(uikit.Esc)))
	if v.browse {
		bs = append(bs, hidden(func(k key) {
			if len(v.query) < 12 {
				v.query = append(v.query, k.R)
				v.sel = 0
			}
		}, uikit.AnyRune()))
	}
	return bs
}

func (v *pickerView) hints(Locale) []hint { return hintsOf(v.bindings()) }

func (v *pickerView) handle(k key) {
	if v.pick == nil {
		return
	}
	v.msg = Text{}
	dispatch(k, v.bindings())
}

// enter acts on the highlighted row, or on a typed 6-digit code.
func (v *pickerView) enter(rows []pickRow) {
	if q := string(v.query); utf8.RuneCountInString(q) == 6 && isDigits(q) {
		if !localgov.ValidCode(q) {
			v.msg = T("市区町村コードが正しくありません。6桁の数字をお確かめください。",
				"That code is not valid. Please check the six digits.")
			return
		}
		if _, ok := v.dir.Lookup(q); !ok {
			v.msg = T("そのコードの市区町村はありません。", "No municipality has that code.")
			return
		}
		v.choose(q)
		return
	}
	if len(rows) == 0 {
		return
	}
	r := rows[v.sel]
	switch {
	case r.other:
		v.browse, v.sel = true, 0
	case r.pref != "":
		v.pref, v.sel = r.pref, 0
	default:
		v.choose(r.code)
	}
}

// choose answers with code when the document can be had there now, and
// otherwise says why on screen.
func (v *pickerView) choose(code string) {
	if a := v.avail(code, v.doc); !a.ok {
		v.msg = a.why
		return
	}
	v.pick(code)
}

func (v *pickerView) prefIndex(jis string) int {
	for i, p := range v.dir.Prefectures() {
		if p.JIS == jis {
			return i
		}
	}
	return -1
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
