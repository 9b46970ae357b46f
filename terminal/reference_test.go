package terminal

import (
	"regexp"
	"testing"
)

// TestSessionIDReference: a session id begins with a reference a person
// reads aloud — digits only, grouped by four — and ids never repeat.
func TestSessionIDReference(t *testing.T) {
	form := regexp.MustCompile(`^[0-9]{4}-[0-9]{4}-[0-9]{4}\.[a-z2-7]{16}$`)
	seen := map[string]bool{}
	for range 1000 {
		id, err := newSessionID()
		if err != nil {
			t.Fatal(err)
		}
		if !form.MatchString(id) {
			t.Fatalf("session id %q: want NNNN-NNNN-NNNN.<16 base32>", id)
		}
		if seen[id] {
			t.Fatalf("session id %q twice", id)
		}
		seen[id] = true
		if ref := Reference(id); ref != id[:14] {
			t.Fatalf("Reference(%q) = %q", id, ref)
		}
	}
}

func TestReference(t *testing.T) {
	cases := []struct{ id, ref string }{
		{"4821-9930-1177.abcdefghijklmnop", "4821-9930-1177"},
		{"l5cC6ssKq3rPz0wXyY1aBc", "l5cC6ssK"}, // the earlier base64url form
		{"-MN-uAjq", "-MN-uAjq"},
		{"short", "short"},
		{"", ""},
		{"4821-9930-117x.abcdefghijklmnop", "4821-993"}, // not digits: not a reference
	}
	for _, c := range cases {
		if got := Reference(c.id); got != c.ref {
			t.Errorf("Reference(%q) = %q, want %q", c.id, got, c.ref)
		}
	}
}

func TestMatchReference(t *testing.T) {
	id := "4821-9930-1177.abcdefghijklmnop"
	cases := []struct {
		typed string
		want  bool
	}{
		{"4821-9930-1177", true},
		{"482199301177", true},
		{"4821 9930 1177", true},
		{"４８２１　９９３０　１１７７", true}, // full-width, as an IME types them
		{"4821", true},           // a prefix read out in part
		{"4821-9930", true},
		{"482", false}, // too short to mean anything
		{"9930", false},
		{"4821-9930-1178", false},
		{"", false},
	}
	for _, c := range cases {
		if got := MatchReference(id, c.typed); got != c.want {
			t.Errorf("MatchReference(%q, %q) = %v, want %v", id, c.typed, got, c.want)
		}
	}
	if !MatchReference("l5cC6ssKq3rPz0wXyY1aBc", "l5cC6ssK") || MatchReference("l5cC6ssKq3rPz0wXyY1aBc", "x5cC") {
		t.Error("earlier ids are matched by their prefix")
	}
}
