package localgov

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Romanization: modified Hepburn as road signs and municipal sites write
// place names — no long-vowel marks (とうきょう → tokyo, おおさか →
// osaka), ん before b/m/p written n, っ doubling the next consonant (っち →
// tch).

// romanizer holds the kana table; build it with newRomanizer.
type romanizer struct {
	syllable map[string]string // one kana, or a kana and a small ya/yu/yo
}

// kanaSyllables lists kana and their romaji, pair by pair.
const kanaSyllables = "あ a い i う u え e お o か ka き ki く ku け ke こ ko が ga ぎ gi ぐ gu げ ge ご go " +
	"さ sa し shi す su せ se そ so ざ za じ ji ず zu ぜ ze ぞ zo た ta ち chi つ tsu て te と to " +
	"だ da ぢ ji づ zu で de ど do な na に ni ぬ nu ね ne の no は ha ひ hi ふ fu へ he ほ ho " +
	"ば ba び bi ぶ bu べ be ぼ bo ぱ pa ぴ pi ぷ pu ぺ pe ぽ po ま ma み mi む mu め me も mo " +
	"や ya ゆ yu よ yo ら ra り ri る ru れ re ろ ro わ wa ゐ i ゑ e を o ん n " +
	"ぁ a ぃ i ぅ u ぇ e ぉ o ゃ ya ゅ yu ょ yo " +
	"きゃ kya きゅ kyu きょ kyo ぎゃ gya ぎゅ gyu ぎょ gyo しゃ sha しゅ shu しょ sho " +
	"じゃ ja じゅ ju じょ jo ぢゃ ja ぢゅ ju ぢょ jo ちゃ cha ちゅ chu ちょ cho " +
	"にゃ nya にゅ nyu にょ nyo ひゃ hya ひゅ hyu ひょ hyo びゃ bya びゅ byu びょ byo " +
	"ぴゃ pya ぴゅ pyu ぴょ pyo みゃ mya みゅ myu みょ myo りゃ rya りゅ ryu りょ ryo"

func newRomanizer() *romanizer {
	f := strings.Fields(kanaSyllables)
	r := &romanizer{syllable: make(map[string]string, len(f)/2)}
	for i := 0; i+1 < len(f); i += 2 {
		r.syllable[f[i]] = f[i+1]
	}
	return r
}

// Romanize writes hiragana in romaji (lower case); characters it does not
// know pass through.
func Romanize(kana string) string { return newRomanizer().romanize(kana) }

func (z *romanizer) romanize(kana string) string {
	rs := []rune(kana)
	var b strings.Builder
	double := false // a っ waits for the next consonant
	for i := 0; i < len(rs); i++ {
		if rs[i] == 'っ' {
			double = true
			continue
		}
		syl, ok := "", false
		if i+1 < len(rs) {
			if syl, ok = z.syllable[string(rs[i:i+2])]; ok {
				i++
			}
		}
		if !ok {
			if syl, ok = z.syllable[string(rs[i])]; !ok {
				syl = string(rs[i])
			}
		}
		if double && syl != "" {
			if strings.HasPrefix(syl, "ch") {
				b.WriteByte('t')
			} else if c := syl[0]; c != 'a' && c != 'i' && c != 'u' && c != 'e' && c != 'o' && c != 'n' {
				b.WriteByte(c)
			}
		}
		double = false
		b.WriteString(syl)
	}
	return simplify(b.String())
}

// simplify applies the sign-board conventions: long vowels written once
// (ou, oo → o; uu → u), and n before b, m, p kept as n (already so).
func simplify(s string) string {
	r := strings.NewReplacer("ou", "o", "oo", "o", "uu", "u")
	return r.Replace(s)
}

// suffix is a kind ending of a municipality's name, with the kana it is
// read as.
type suffix struct{ kanji, kana, roman string }

// suffixes are the kind endings, 町 and 村 with both their readings.
func suffixes() []suffix {
	return []suffix{
		{"市", "し", "shi"},
		{"区", "く", "ku"},
		{"町", "まち", "machi"},
		{"町", "ちょう", "cho"},
		{"村", "むら", "mura"},
		{"村", "そん", "son"},
	}
}

// name is a municipality's romanized name, its kind suffix
// hyphenated and the first letter capitalized: 横浜市/よこはまし →
// Yokohama-shi, 千代田町/ちよだまち → Chiyoda-machi.
func (z *romanizer) name(name, reading string) string {
	base, tail := reading, ""
	for _, s := range suffixes() {
		if strings.HasSuffix(name, s.kanji) && strings.HasSuffix(reading, s.kana) {
			base, tail = strings.TrimSuffix(reading, s.kana), "-"+s.roman
			break
		}
	}
	out := z.romanize(base) + tail
	if out == "" {
		return out
	}
	r, n := utf8.DecodeRuneInString(out)
	return string(unicode.ToUpper(r)) + out[n:]
}
