package protocol

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
)

// DocType names a document the service issues (DESIGN §3.1).
type DocType string

// The document types of protocol v1.
const (
	DocJuminhyo      DocType = "juminhyo"       // 住民票の写し
	DocJuminhyoKisai DocType = "juminhyo-kisai" // 住民票記載事項証明書
	DocInkan         DocType = "inkan"          // 印鑑登録証明書
	DocKosekiZenbu   DocType = "koseki-zenbu"   // 戸籍全部事項証明書
	DocKosekiKojin   DocType = "koseki-kojin"   // 戸籍個人事項証明書
	DocKosekiFuhyo   DocType = "koseki-fuhyo"   // 戸籍の附票の写し
	DocKazei         DocType = "kazei"          // 所得・課税証明書
)

// FamilyRegister reports whether t is issued from the 戸籍 (the register
// itself or its supplement): kept by the 本籍地, not the place of residence.
func (t DocType) FamilyRegister() bool {
	return t == DocKosekiZenbu || t == DocKosekiKojin || t == DocKosekiFuhyo
}

// MaxCopies bounds the copies of one request, as a kiosk panel does.
const MaxCopies = 3

// Option is one selectable option of a document type, with its allowed
// values; the first value is the default.
type Option struct {
	Key    string   // wire name in doc.opts
	JA, EN string   // label shown to the resident
	Values []string // allowed values, default first
	// Optional options may be absent from doc.opts, which means the
	// default (Values[0]). A kiosk sends one only when the resident chose
	// another value, so a request that does not use it is byte for byte
	// what it was before the option existed (issue 17; design notes
	// "Foreign residents' items").
	Optional bool
	// Foreign options print items that only a foreign resident's record
	// has (住民基本台帳法 30条の45); on a Japanese national's record they
	// print nothing.
	Foreign bool
}

// DocInfo describes one document type: its names and its options.
type DocInfo struct {
	Type    DocType
	JA, EN  string
	Options []Option
}

// yesNo is the value set of an on/off option ("omit" is the default: the
// less personal data printed, the better). A fresh slice each time, so no
// caller of DocTypes can change another's table.
func yesNo() []string { return []string{"omit", "include"} }

// docTable is THE table of document types and their options (DESIGN §3.1).
// It is built fresh by DocTypes so callers can never mutate shared state.
func docTable() []DocInfo {
	// ScopeMembers (世帯の一部) names the members chosen from the
	// household list the center released after the PIN (household.go;
	// doc.members carries the choice).
	scope := Option{Key: "scope", JA: "記載範囲", EN: "Who is listed", Values: []string{"self", "household", ScopeMembers}}
	// The items of a foreign resident's record (住基法 30条の45): 国籍・地域,
	// the 区分 (中長期在留者, 特別永住者 …), for a 中長期在留者 the 在留資格,
	// 在留期間 and its 満了日, and the date the person became a resident;
	// and, apart, the number of the 在留カード or 特別永住者証明書.
	kokuseki := Option{Key: "kokuseki-zairyu", JA: "国籍・地域と在留資格等", EN: "Nationality or region, residence status and period",
		Values: yesNo(), Optional: true, Foreign: true}
	card := Option{Key: "zairyu-card", JA: "在留カード等の番号", EN: "Residence card number",
		Values: yesNo(), Optional: true, Foreign: true}
	return []DocInfo{
		{DocJuminhyo, "住民票の写し", "Certificate of residence", []Option{
			scope,
			{Key: "honseki", JA: "本籍・筆頭者", EN: "Registered domicile", Values: yesNo()},
			{Key: "zokugara", JA: "世帯主・続柄", EN: "Head of household and relationship", Values: yesNo()},
			{Key: "kojin-bango", JA: "個人番号", EN: "Individual number", Values: yesNo()},
			kokuseki,
			card,
		}},
		// The 記載事項証明書 is the short form (no 続柄, no 個人番号): it
		// takes the foreign resident's counterpart of 本籍 (status and
		// period, what an employer checks) but no card number.
		{DocJuminhyoKisai, "住民票記載事項証明書", "Certificate of resident record items", []Option{
			scope,
			{Key: "honseki", JA: "本籍・筆頭者", EN: "Registered domicile", Values: yesNo()},
			kokuseki,
		}},
		{DocInkan, "印鑑登録証明書", "Seal registration certificate", nil},
		{DocKosekiZenbu, "戸籍全部事項証明書", "Family register (all members)", nil},
		{DocKosekiKojin, "戸籍個人事項証明書", "Family register (one member)", nil},
		{DocKosekiFuhyo, "戸籍の附票の写し", "Family register supplement", []Option{
			{Key: "honseki", JA: "本籍・筆頭者", EN: "Registered domicile", Values: yesNo()},
		}},
		{DocKazei, "所得・課税証明書", "Income and tax certificate", []Option{
			{Key: "year", JA: "年度", EN: "Fiscal year", Values: []string{"2026", "2025", "2024", "2023", "2022"}},
		}},
	}
}

// DocTypes returns the document table, in display order.
func DocTypes() []DocInfo { return docTable() }

// LookupDoc returns the description of a document type.
func LookupDoc(t DocType) (DocInfo, bool) {
	for _, d := range docTable() {
		if d.Type == t {
			return d, true
		}
	}
	return DocInfo{}, false
}

// DocSpec is the document a request asks for: type, options, copies and,
// for a two-sided document, sides (faces.go; absent: one-sided); for
// scope "members" (世帯の一部), the household members chosen (household.go;
// absent otherwise, so a request without them is what it was before).
type DocSpec struct {
	Type    DocType           `json:"type"`
	Opts    map[string]string `json:"opts"`
	Copies  int               `json:"copies"`
	Sides   Sides             `json:"sides,omitempty"`
	Members *MemberChoice     `json:"members,omitempty"`
}

// NewDocSpec returns a spec for t with every option at its default and one
// copy. Optional options are left out (absent is their default).
func NewDocSpec(t DocType) (DocSpec, error) {
	info, ok := LookupDoc(t)
	if !ok {
		return DocSpec{}, fmt.Errorf("unknown document type %q", t)
	}
	opts := map[string]string{}
	for _, o := range info.Options {
		if !o.Optional {
			opts[o.Key] = o.Values[0]
		}
	}
	return DocSpec{Type: t, Opts: opts, Copies: 1}, nil
}

// Validate checks the spec against the document table: a known type, every
// option of that type present with an allowed value (an optional one may
// be absent), no other option, and 1 ≤ copies ≤ MaxCopies; then the
// members: present exactly when scope is "members", well formed, no token
// twice (ErrMemberTwice). A spec whose only fault is that its members are
// not chosen yet fails with ErrMembersNotChosen, checked last: the
// session validates an order before the PIN, and the members are chosen
// after it.
func (d DocSpec) Validate() error {
	if err := d.validateOptions(); err != nil {
		return err
	}
	return d.validateMembers()
}

// validateOptions is Validate without the members.
func (d DocSpec) validateOptions() error {
	info, ok := LookupDoc(d.Type)
	if !ok {
		return fmt.Errorf("unknown document type %q", d.Type)
	}
	if d.Copies < 1 || d.Copies > MaxCopies {
		return fmt.Errorf("copies %d outside 1..%d", d.Copies, MaxCopies)
	}
	if d.Sides != "" && d.Sides != SidesTwoSided {
		return fmt.Errorf("sides %q: only %q or absent", d.Sides, SidesTwoSided)
	}
	for _, k := range slices.Sorted(maps.Keys(d.Opts)) {
		if !slices.ContainsFunc(info.Options, func(o Option) bool { return o.Key == k }) {
			return fmt.Errorf("document %s takes no option %q", d.Type, k)
		}
	}
	for _, o := range info.Options {
		v, ok := d.Opts[o.Key]
		if !ok && o.Optional {
			continue
		}
		if !ok {
			return fmt.Errorf("document %s: option %q missing", d.Type, o.Key)
		}
		if !slices.Contains(o.Values, v) {
			return fmt.Errorf("document %s: option %q=%q not one of %v", d.Type, o.Key, v, o.Values)
		}
	}
	return nil
}

// Equal reports whether two specs ask for the same document: an optional
// option absent from one and at its default in the other is the same.
func (d DocSpec) Equal(o DocSpec) bool {
	return d.Type == o.Type && d.Copies == o.Copies && d.Sides == o.Sides && maps.Equal(d.choices(), o.choices()) &&
		d.Members.Equal(o.Members)
}

// Opt returns the value of option key: the value sent, or the default
// when the option is optional and absent (ok false for an option the
// type does not have and a required one that is missing).
func (d DocSpec) Opt(key string) (string, bool) {
	if v, ok := d.Opts[key]; ok {
		return v, true
	}
	info, _ := LookupDoc(d.Type)
	for _, o := range info.Options {
		if o.Key == key && o.Optional {
			return o.Values[0], true
		}
	}
	return "", false
}

// choices is Opts without the optional options at their default: the
// form in which two specs asking for the same document are equal. It
// is for comparing only; the wire carries Opts as the request sent them.
func (d DocSpec) choices() map[string]string {
	info, _ := LookupDoc(d.Type)
	var out map[string]string
	for k, v := range d.Opts {
		if i := slices.IndexFunc(info.Options, func(o Option) bool { return o.Key == k }); i >= 0 && info.Options[i].Optional && v == info.Options[i].Values[0] {
			continue
		}
		if out == nil {
			out = make(map[string]string, len(d.Opts))
		}
		out[k] = v
	}
	return out
}

// String is a short human form for logs ("juminhyo scope=self ×1").
func (d DocSpec) String() string {
	s := string(d.Type)
	for _, k := range slices.Sorted(maps.Keys(d.Opts)) {
		s += " " + k + "=" + d.Opts[k]
	}
	if d.Members != nil {
		// How many, never which: tokens stay out of logs.
		s += " members=" + strconv.Itoa(len(d.Members.Tokens))
	}
	s += " ×" + strconv.Itoa(d.Copies)
	if d.Sides != "" {
		s += " " + string(d.Sides)
	}
	return s
}
