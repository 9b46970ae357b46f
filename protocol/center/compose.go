package center

import (
	"fmt"
	"strings"
	"time"

	"kofu/internal/fixtures"
	"kofu/protocol"
	"kofu/protocol/pages"
)

// composeDoc lays out a document's pages from a resident record: the
// content a municipality's issuer would print. Copies repeat the pages;
// every page of every copy has its own number, so its QR symbol differs.
func (c *Center) composeDoc(res *fixtures.Resident, doc protocol.DocSpec, asof time.Time, serial string) []pages.Spec {
	return c.composeMembers(res, doc, nil, asof, serial)
}

// composeMembers is composeDoc for a 住民票 of the household members at
// places members (世帯の一部, doc scope "members"); nil for any other
// document.
func (c *Center) composeMembers(res *fixtures.Resident, doc protocol.DocSpec, members []int, asof time.Time, serial string) []pages.Spec {
	muni, _ := c.fx.Municipality(res.RecordMuni(doc.Type))
	info, _ := protocol.LookupDoc(doc.Type)
	issuer := muni.Name + "長"
	base := pages.Spec{DPI: c.cfg.DPI, Title: info.JA, Issuer: issuer, Serial: serial,
		AsOf: asof.In(jst()).Format("2006年01月02日 15:04")}

	var bodies [][]pages.Row
	var notes []string
	switch doc.Type {
	case protocol.DocJuminhyo, protocol.DocJuminhyoKisai:
		bodies = paginate(juminhyoRows(res, doc, members), maxRowsPerPage)
		if doc.Opts["scope"] == "household" {
			notes = append(notes, "この写しは、世帯全員の住民票の原本と相違ないことを証明する。")
		} else {
			notes = append(notes, "この写しは、住民票の原本と相違ないことを証明する。")
		}
	case protocol.DocInkan:
		rows := []pages.Row{row("登録番号", res.Seal.Number), row("氏名", res.Name), row("生年月日", wareki(res.Birth)),
			row("住所", res.Address), row("印影", "【"+firstRunes(res.Name, 2)+"】"), row("登録年月日", res.Seal.Registered)}
		bodies = [][]pages.Row{rows}
		notes = append(notes, "この写しは、登録されている印影と相違ないことを証明する。")
	case protocol.DocKosekiZenbu:
		bodies = kosekiPages(res, res.Koseki)
		notes = append(notes, "これは、戸籍に記録されている事項の全部を証明した書面である。")
	case protocol.DocKosekiKojin:
		self := fixtures.Member{Name: res.Name, Kana: res.Kana, Birth: res.Birth, Sex: res.Sex, Relation: "本人"}
		for _, m := range res.Koseki {
			if m.Name == res.Name && m.Birth == res.Birth {
				self = m
			}
		}
		bodies = kosekiPages(res, nil)
		bodies[0] = append(bodies[0], row("戸籍に記録されている者", self.Name+"（"+self.Kana+"）"),
			row("生年月日", wareki(self.Birth)+"　"+self.Sex), row("続柄", self.Relation))
		notes = append(notes, "これは、戸籍中の一部の者について記録されている事項を証明した書面である。")
	case protocol.DocKosekiFuhyo:
		rows := []pages.Row{row("氏名", res.Name), row("住所", res.Address), row("住所を定めた日", "令和5年4月1日")}
		if doc.Opts["honseki"] == "include" {
			rows = append(rows, row("本籍", res.Honseki), row("筆頭者", res.Hittosha))
		}
		bodies = [][]pages.Row{rows}
		notes = append(notes, "この写しは、戸籍の附票の原本と相違ないことを証明する。")
	case protocol.DocKazei:
		income := 2_000_000 + int(res.ID[len(res.ID)-1]-'0')*310_000
		rows := []pages.Row{row("年度", doc.Opts["year"]+"年度"), row("氏名", res.Name), row("住所", res.Address),
			row("総所得金額", yen(income)), row("市町村民税", yen(income*6/100)), row("道府県民税", yen(income*4/100))}
		bodies = [][]pages.Row{rows}
		notes = append(notes, "上記のとおり証明する。")
	}
	var out []pages.Spec
	for range doc.Copies {
		for _, rows := range bodies {
			s := base
			s.Rows = rows
			s.Notes = notes
			out = append(out, s)
		}
	}
	for i := range out {
		out[i].N, out[i].Total = i+1, len(out)
	}
	return out
}

// juminhyoRows are the rows of a 住民票: the whole household (scope
// household), the members at places chosen (scope members: the issuer
// renders exactly those, in the household's order), else the resident
// alone (first in the household).
func juminhyoRows(res *fixtures.Resident, doc protocol.DocSpec, chosen []int) []pages.Row {
	var places []int
	switch {
	case doc.Opts["scope"] == "household":
		for i := range res.Household {
			places = append(places, i)
		}
	case doc.WantsMembers():
		for _, i := range chosen {
			if i >= 0 && i < len(res.Household) {
				places = append(places, i)
			}
		}
	case len(res.Household) > 0:
		places = []int{0}
	}
	rows := []pages.Row{row("住所", res.Address)}
	if head, ok := householdHead(res.Household); ok && doc.Opts["zokugara"] == "include" {
		rows = append(rows, row("世帯主", head))
	}
	for _, i := range places {
		m := res.Household[i]
		rows = append(rows, row("氏名", m.Name+"（"+m.Kana+"）"),
			row("生年月日", wareki(m.Birth)+"　"+m.Sex))
		if doc.Opts["zokugara"] == "include" {
			rows = append(rows, row("続柄", m.Relation))
		}
		if doc.Opts["kojin-bango"] == "include" {
			rows = append(rows, row("個人番号", fakeNumber(res.ID, i)))
		}
		rows = append(rows, foreignRows(m.Foreign, doc)...)
	}
	// A foreign resident has no 本籍: the item prints nothing, as the
	// foreign items print nothing on a Japanese national's record.
	if doc.Opts["honseki"] == "include" && res.Honseki != "" {
		rows = append(rows, row("本籍", res.Honseki), row("筆頭者", res.Hittosha))
	}
	return rows
}

// householdHead is the name of the household's 世帯主: the one member
// whose 続柄 is 世帯主, wherever the record lists them (a household lists
// the card's holder first, who is often not the head). A record with no
// head, or with more than one, gives no name: a certificate states what
// the register records, and an issuer that cannot tell who the head is
// leaves the item out rather than print a guess (the first member would
// name the holder as head of their own household, as R0002's 妻 once was).
func householdHead(hh []fixtures.Member) (string, bool) {
	var head string
	n := 0
	for _, m := range hh {
		if m.Relation == "世帯主" {
			head, n = m.Name, n+1
		}
	}
	return head, n == 1
}

// foreignRows are the items of a foreign resident's record that doc asks
// for (住基法 30条の45; design notes "Foreign residents' items"): nothing
// for a Japanese national (f nil), whatever doc asks. Absent optional
// options are their default, omit.
func foreignRows(f *fixtures.Foreign, doc protocol.DocSpec) []pages.Row {
	if f == nil {
		return nil
	}
	var rows []pages.Row
	if v, _ := doc.Opt("kokuseki-zairyu"); v == "include" {
		rows = append(rows, row("国籍・地域", f.Nationality), row("30条45規定区分", f.Category))
		if f.Status != "" {
			rows = append(rows, row("在留資格", f.Status),
				row("在留期間等", f.Period+"（満了の日 "+wareki(f.Expires)+"）"))
		}
		// The long label broken where a reader would break it.
		rows = append(rows, row("外国人住民と\nなった年月日", wareki(f.Since)))
	}
	if v, _ := doc.Opt("zairyu-card"); v == "include" {
		rows = append(rows, row("在留カード等番号", f.Card+"（試験用）"))
	}
	return rows
}

// maxRowsPerPage is how many table rows fit above a page's QR band.
const maxRowsPerPage = 16

// paginate splits a long table over pages, as a large household's 住民票
// continues onto a second sheet.
func paginate(rows []pages.Row, n int) [][]pages.Row {
	var out [][]pages.Row
	for len(rows) > n {
		out = append(out, rows[:n])
		rows = rows[n:]
	}
	return append(out, rows)
}

// kosekiPages lays out a family register: page 1 carries the register's
// header and its first member (the 筆頭者); the others follow, four to a
// page, so a household of 2–9 gives a 2- or 3-page certificate as the
// real ones run.
func kosekiPages(res *fixtures.Resident, members []fixtures.Member) [][]pages.Row {
	member := func(m fixtures.Member) []pages.Row {
		return []pages.Row{row("戸籍に記録されている者", m.Name+"（"+m.Kana+"）"),
			row("生年月日", wareki(m.Birth)+"　"+m.Sex), row("続柄", m.Relation)}
	}
	first := []pages.Row{row("本籍", res.Honseki), row("氏名", res.Hittosha), row("戸籍事項", "戸籍編製　令和2年4月1日")}
	if len(members) > 0 {
		first = append(first, member(members[0])...)
	}
	out := [][]pages.Row{first}
	for i := 1; i < len(members); i += 4 {
		var rows []pages.Row
		for _, m := range members[i:min(i+4, len(members))] {
			rows = append(rows, member(m)...)
		}
		out = append(out, rows)
	}
	return out
}

// wareki renders YYYY-MM-DD in the Japanese era calendar.
func wareki(ymd string) string {
	t, err := time.Parse("2006-01-02", ymd)
	if err != nil {
		return ymd
	}
	eras := []struct {
		name  string
		start time.Time
	}{
		{"令和", time.Date(2019, 5, 1, 0, 0, 0, 0, time.UTC)},
		{"平成", time.Date(1989, 1, 8, 0, 0, 0, 0, time.UTC)},
		{"昭和", time.Date(1926, 12, 25, 0, 0, 0, 0, time.UTC)},
	}
	for _, e := range eras {
		if !t.Before(e.start) {
			y := t.Year() - e.start.Year() + 1
			ys := fmt.Sprint(y)
			if y == 1 {
				ys = "元"
			}
			return fmt.Sprintf("%s%s年%d月%d日", e.name, ys, t.Month(), t.Day())
		}
	}
	return fmt.Sprintf("%d年%d月%d日", t.Year(), t.Month(), t.Day())
}

func firstRunes(s string, n int) string {
	r := []rune(strings.ReplaceAll(strings.ReplaceAll(s, " ", ""), "　", ""))
	return string(r[:min(n, len(r))])
}

func yen(v int) string {
	s := fmt.Sprint(v)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String() + "円"
}

// fakeNumber is a visibly fake individual number for test documents.
func fakeNumber(id string, i int) string {
	d := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, id)
	return fmt.Sprintf("0000 %04s %04d（試験用）", d, i+1)
}

// row is one label/value line of a page's table.
func row(label, value string) pages.Row { return pages.Row{Label: label, Value: value} }
