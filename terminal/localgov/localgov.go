// Package localgov is the national directory of Japan's local governments
// the kiosk's municipality picker searches: the 47 prefectures and 1,741
// municipalities with their 6-digit codes, readings (kana) and romanized
// names. It holds names only; which municipalities take part in the
// service, their fees and hours come from the store's configuration.
package localgov

import (
	"bufio"
	_ "embed"
	"fmt"
	"sort"
	"strings"
	"unicode"
)

//go:embed municipalities.tsv
var municipalitiesTSV string

//go:embed prefectures.tsv
var prefecturesTSV string

// Prefecture is one of the 47 prefectures.
type Prefecture struct {
	JIS     string // "14" (JIS X 0401, the first two digits of its municipalities' codes)
	Name    string // 神奈川県
	Reading string // かながわけん
	English string // Kanagawa
}

// Municipality is one municipality (市区町村).
type Municipality struct {
	Code    string // 141003 (全国地方公共団体コード, check digit included)
	Name    string // 横浜市
	Reading string // よこはまし
	// Romaji is the name in Hepburn without long-vowel marks, the kind
	// suffix hyphenated: Yokohama-shi.
	Romaji string
}

// Pref is the JIS prefecture code of m.
func (m Municipality) Pref() string { return m.Code[:2] }

// Directory is the loaded directory. Build it with Load; it is read-only
// and safe for concurrent use.
type Directory struct {
	prefs  []Prefecture
	munis  []Municipality // by code
	byCode map[string]int
	prefOf map[string]int
}

// Load parses the embedded directory (about a millisecond; callers keep
// the result).
func Load() (*Directory, error) {
	d := &Directory{byCode: map[string]int{}, prefOf: map[string]int{}}
	err := eachRow(prefecturesTSV, 4, func(f []string) error {
		if len(f[0]) != 2 {
			return fmt.Errorf("prefecture code %q", f[0])
		}
		d.prefOf[f[0]] = len(d.prefs)
		d.prefs = append(d.prefs, Prefecture{JIS: f[0], Name: f[1], Reading: f[2], English: f[3]})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("localgov: prefectures: %w", err)
	}
	z := newRomanizer()
	err = eachRow(municipalitiesTSV, 3, func(f []string) error {
		if !ValidCode(f[0]) {
			return fmt.Errorf("municipality code %q", f[0])
		}
		if _, ok := d.prefOf[f[0][:2]]; !ok {
			return fmt.Errorf("municipality %s: no prefecture %s", f[0], f[0][:2])
		}
		d.byCode[f[0]] = len(d.munis)
		d.munis = append(d.munis, Municipality{Code: f[0], Name: f[1], Reading: f[2], Romaji: z.name(f[1], f[2])})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("localgov: municipalities: %w", err)
	}
	sort.Slice(d.munis, func(i, j int) bool { return d.munis[i].Code < d.munis[j].Code })
	for i, m := range d.munis {
		d.byCode[m.Code] = i
	}
	return d, nil
}

func eachRow(data string, fields int, fn func([]string) error) error {
	sc := bufio.NewScanner(strings.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != fields {
			return fmt.Errorf("line %d: %d fields, want %d", n, len(f), fields)
		}
		if err := fn(f); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
	}
	return sc.Err()
}

// Prefectures lists the 47 prefectures in JIS order (北海道 first).
func (d *Directory) Prefectures() []Prefecture { return append([]Prefecture(nil), d.prefs...) }

// Prefecture looks up a prefecture by its JIS code ("14").
func (d *Directory) Prefecture(jis string) (Prefecture, bool) {
	i, ok := d.prefOf[jis]
	if !ok {
		return Prefecture{}, false
	}
	return d.prefs[i], true
}

// Lookup finds a municipality by its 6-digit code.
func (d *Directory) Lookup(code string) (Municipality, bool) {
	i, ok := d.byCode[code]
	if !ok {
		return Municipality{}, false
	}
	return d.munis[i], true
}

// Len is the number of municipalities.
func (d *Directory) Len() int { return len(d.munis) }

// FullName is a municipality's name with its prefecture: 神奈川県横浜市.
func (d *Directory) FullName(m Municipality) string {
	p, _ := d.Prefecture(m.Pref())
	return p.Name + m.Name
}

// English is a municipality's name for a reader of English:
// "Yokohama-shi, Kanagawa".
func (d *Directory) English(m Municipality) string {
	p, _ := d.Prefecture(m.Pref())
	return m.Romaji + ", " + p.English
}

// ValidCode reports whether code is six ASCII digits whose last is the
// check digit of the first five ((11 − Σ dᵢ·wᵢ mod 11) mod 10, weights
// 6,5,4,3,2): a mistyped digit is caught before any lookup.
func ValidCode(code string) bool {
	if len(code) != 6 {
		return false
	}
	sum := 0
	for i := range 6 {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
		if i < 5 {
			sum += int(code[i]-'0') * (6 - i)
		}
	}
	return int(code[5]-'0') == (11-sum%11)%10
}

// Normalize folds what a resident may type into the form the search
// compares: katakana to hiragana, full-width letters and digits to ASCII,
// Latin letters to lower case, spaces, hyphens and the long-vowel mark
// dropped.
func Normalize(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'ァ' && r <= 'ヶ':
			r -= 'ァ' - 'ぁ'
		case r >= '！' && r <= '～':
			r -= '！' - '!'
		}
		if unicode.IsSpace(r) || r == '-' || r == 'ー' || r == '・' {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// key is the Latin form search compares: romaji lower-cased, hyphens
// dropped.
func key(romaji string) string { return Normalize(romaji) }

// Search returns the municipalities matching q, in code order: a reading
// that starts with q (kana, either script), a name that contains q
// (kanji), a romanized name that starts with q (Latin letters), or a code
// that starts with q (digits). An empty q matches nothing.
func (d *Directory) Search(q string) []Municipality {
	q = Normalize(q)
	if q == "" {
		return nil
	}
	var out []Municipality
	for _, m := range d.munis {
		if matches(m, q) {
			out = append(out, m)
		}
	}
	return out
}

func matches(m Municipality, q string) bool {
	switch {
	case isDigits(q):
		return strings.HasPrefix(m.Code, q)
	case isLatin(q):
		return strings.HasPrefix(key(m.Romaji), q)
	}
	return strings.HasPrefix(m.Reading, q) || strings.Contains(m.Name, q)
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func isLatin(s string) bool {
	for _, r := range s {
		if r >= 0x80 || !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}
