package center

import (
	"slices"
	"strings"
	"testing"

	"kofu/protocol"
	"kofu/protocol/pages"
)

// TestForeignResidentItems (issue 17, item 12): the juminhyo's optional
// foreign-resident items print on a foreign resident's record when asked
// for, per member; on a Japanese national's they print nothing (the
// document is the same as without them), and absent is omit.
func TestForeignResidentItems(t *testing.T) {
	c, asof := composer(t)
	render := func(id string, typ protocol.DocType, opts map[string]string) []pages.Spec {
		t.Helper()
		res := mustResident(t, c.fx, id)
		doc, err := protocol.NewDocSpec(typ)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range opts {
			doc.Opts[k] = v
		}
		if err := doc.Validate(); err != nil {
			t.Fatalf("%s %v: %v", id, opts, err)
		}
		return c.composeDoc(res, doc, asof, "T-1")
	}
	text := func(ps []pages.Spec) string {
		var b strings.Builder
		for _, p := range ps {
			for _, r := range p.Rows {
				b.WriteString(r.Label + "=" + r.Value + "\n")
			}
		}
		return b.String()
	}
	both := map[string]string{"kokuseki-zairyu": "include", "zairyu-card": "include"}
	all := map[string]string{"scope": "household", "honseki": "include", "zokugara": "include", "kojin-bango": "include",
		"kokuseki-zairyu": "include", "zairyu-card": "include"}

	// R0017, a 中長期在留者: every item, in the page's rows.
	got := text(render("R0017", protocol.DocJuminhyo, both))
	for _, want := range []string{"国籍・地域=英国\n", "30条45規定区分=中長期在留者\n", "在留資格=技術・人文知識・国際業務\n",
		"在留期間等=3年（満了の日 令和9年9月30日）\n", "外国人住民と\nなった年月日=平成30年4月2日\n", "在留カード等番号=TE00001701ST（試験用）\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("R0017 with both items: no %q in\n%s", want, got)
		}
	}
	// Each item alone prints only its own rows.
	got = text(render("R0017", protocol.DocJuminhyo, map[string]string{"zairyu-card": "include"}))
	if !strings.Contains(got, "在留カード等番号=") || strings.Contains(got, "国籍・地域") {
		t.Errorf("R0017 with the card number only:\n%s", got)
	}
	got = text(render("R0017", protocol.DocJuminhyo, map[string]string{"kokuseki-zairyu": "include"}))
	if strings.Contains(got, "在留カード等番号") || !strings.Contains(got, "国籍・地域=英国") {
		t.Errorf("R0017 with nationality and status only:\n%s", got)
	}
	// Absent and an explicit omit print the same as before: no item.
	none := text(render("R0017", protocol.DocJuminhyo, nil))
	if strings.Contains(none, "国籍") || strings.Contains(none, "在留") {
		t.Errorf("R0017 without the items:\n%s", none)
	}
	if omit := text(render("R0017", protocol.DocJuminhyo, map[string]string{"kokuseki-zairyu": "omit", "zairyu-card": "omit"})); omit != none {
		t.Errorf("explicit omit differs from absent:\n%s\n---\n%s", omit, none)
	}

	// R0025, a 特別永住者 with a Japanese wife: his rows have no 在留資格
	// or 在留期間, hers no foreign item at all; no empty 本籍 for him.
	ps := render("R0025", protocol.DocJuminhyo, all)
	got = text(ps)
	for _, want := range []string{"30条45規定区分=特別永住者\n", "国籍・地域=韓国\n", "外国人住民と\nなった年月日=平成24年7月9日\n", "在留カード等番号=TE00002501ST（試験用）\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("R0025: no %q in\n%s", want, got)
		}
	}
	if strings.Contains(got, "在留資格") || strings.Contains(got, "在留期間") || strings.Contains(got, "本籍") {
		t.Errorf("R0025: a 特別永住者's page with a status, period or 本籍:\n%s", got)
	}
	if n := strings.Count(got, "国籍・地域="); n != 1 {
		t.Errorf("R0025's household page has %d nationality rows, want his alone", n)
	}
	if wife := got[strings.Index(got, "氏名=佐藤 美咲"):]; strings.Contains(wife, "国籍") || strings.Contains(wife, "在留") {
		t.Errorf("the Japanese wife's rows carry foreign items:\n%s", wife)
	}
	if len(ps) != 1 {
		t.Errorf("R0025 with every item: %d pages, want 1", len(ps))
	}

	// Japanese nationals: the items change nothing, on either document.
	for _, id := range []string{"R0001", "R0004", "R0023", "P0001", "G0001"} {
		for _, typ := range []protocol.DocType{protocol.DocJuminhyo, protocol.DocJuminhyoKisai} {
			base := map[string]string{"scope": "household", "honseki": "include"}
			with := map[string]string{"scope": "household", "honseki": "include", "kokuseki-zairyu": "include"}
			if typ == protocol.DocJuminhyo {
				with["zairyu-card"] = "include"
			}
			a, b := render(id, typ, base), render(id, typ, with)
			if !slices.EqualFunc(a, b, func(x, y pages.Spec) bool { return slices.Equal(x.Rows, y.Rows) }) {
				t.Errorf("%s %s: the foreign items changed a Japanese national's document:\n%s---\n%s", id, typ, text(a), text(b))
			}
		}
	}

	// The 記載事項証明書 carries nationality and status, never a card
	// number (it has no such option).
	got = text(render("R0017", protocol.DocJuminhyoKisai, map[string]string{"kokuseki-zairyu": "include"}))
	if !strings.Contains(got, "在留資格=技術・人文知識・国際業務") || strings.Contains(got, "在留カード") {
		t.Errorf("R0017 kisai:\n%s", got)
	}
}
