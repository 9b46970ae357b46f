package localgov

import (
	"testing"
)

func load(t testing.TB) *Directory {
	t.Helper()
	d, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDirectoryCounts(t *testing.T) {
	d := load(t)
	if got := len(d.Prefectures()); got != 47 {
		t.Errorf("prefectures: %d, want 47", got)
	}
	// 1,718 cities, towns and villages and Tokyo's 23 special wards.
	if d.Len() != 1741 {
		t.Errorf("municipalities: %d, want 1741", d.Len())
	}
}

func TestLookupAndNames(t *testing.T) {
	d := load(t)
	for _, tc := range []struct{ code, full, english string }{
		{"131016", "東京都千代田区", "Chiyoda-ku, Tokyo"},
		{"141003", "神奈川県横浜市", "Yokohama-shi, Kanagawa"},
		{"141305", "神奈川県川崎市", "Kawasaki-shi, Kanagawa"},
		{"362018", "徳島県徳島市", "Tokushima-shi, Tokushima"},
		{"402206", "福岡県宗像市", "Munakata-shi, Fukuoka"},
		{"011002", "北海道札幌市", "Sapporo-shi, Hokkaido"},
		{"105236", "群馬県千代田町", "Chiyoda-machi, Gunma"},
		{"272124", "大阪府八尾市", "Yao-shi, Osaka"},
		{"473821", "沖縄県与那国町", "Yonaguni-cho, Okinawa"},
	} {
		m, ok := d.Lookup(tc.code)
		if !ok {
			t.Errorf("%s: not found", tc.code)
			continue
		}
		if got := d.FullName(m); got != tc.full {
			t.Errorf("%s: FullName %q, want %q", tc.code, got, tc.full)
		}
		if got := d.English(m); got != tc.english {
			t.Errorf("%s: English %q, want %q", tc.code, got, tc.english)
		}
	}
	if _, ok := d.Lookup("141011"); ok {
		t.Error("a designated city's ward (横浜市鶴見区) is in the directory: requests go to the city")
	}
}

func TestRomanize(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"とうきょう", "tokyo"},
		{"おおさか", "osaka"},
		{"きょうと", "kyoto"},
		{"はっちょう", "hatcho"},
		{"さっぽろ", "sapporo"},
		{"しんじゅく", "shinjuku"},
		{"ちゅうおう", "chuo"},
		{"ふくおか", "fukuoka"},
		{"ぢ", "ji"},
	} {
		if got := Romanize(tc.in); got != tc.want {
			t.Errorf("Romanize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestEveryNameRomanized(t *testing.T) {
	d := load(t)
	for _, p := range d.Prefectures() {
		for _, m := range d.Search(p.JIS) {
			for _, r := range m.Romaji {
				if r >= 0x80 {
					t.Errorf("%s %s: romaji %q keeps %q", m.Code, m.Name, m.Romaji, r)
					break
				}
			}
		}
	}
}

func TestValidCode(t *testing.T) {
	for _, tc := range []struct {
		code string
		want bool
	}{
		{"131016", true}, {"131017", false}, {"13101", false}, {"1310160", false}, {"13101a", false}, {"141003", true},
	} {
		if got := ValidCode(tc.code); got != tc.want {
			t.Errorf("ValidCode(%q) = %v", tc.code, got)
		}
	}
}

func TestSearch(t *testing.T) {
	d := load(t)
	has := func(ms []Municipality, code string) bool {
		for _, m := range ms {
			if m.Code == code {
				return true
			}
		}
		return false
	}
	for _, tc := range []struct {
		q, code string
		max     int
	}{
		{"よこはま", "141003", 2}, // 横浜市 and 青森県横浜町,
		{"ヨコハマ", "141003", 2},
		{"ｙｏｋｏｈａｍａ", "141003", 2},
		{"Yokohama", "141003", 2},
		{"横浜", "141003", 2},
		{"1410", "141003", 0},
		{"むなかた", "402206", 1},
		{"ちよだ", "131016", 0},
		{"ちよだ", "105236", 0},
	} {
		got := d.Search(tc.q)
		if !has(got, tc.code) {
			t.Errorf("Search(%q) misses %s (%d hits)", tc.q, tc.code, len(got))
		}
		if tc.max > 0 && len(got) > tc.max {
			t.Errorf("Search(%q): %d hits, want ≤ %d", tc.q, len(got), tc.max)
		}
	}
	if got := d.Search(""); got != nil {
		t.Errorf("empty query: %d hits", len(got))
	}
}

func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		load(b)
	}
}

func BenchmarkSearch(b *testing.B) {
	d := load(b)
	for b.Loop() {
		d.Search("か")
	}
}
