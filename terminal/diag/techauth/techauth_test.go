package techauth

import (
	"errors"
	"strings"
	"testing"
)

func TestHashVerify(t *testing.T) {
	h, err := Hash("246810")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatal(h)
	}
	if err := Verify(h, "246810"); err != nil {
		t.Fatal(err)
	}
	if err := Verify(h, "246811"); !errors.Is(err, ErrMismatch) {
		t.Fatalf("wrong PIN: %v", err)
	}
	h2, _ := Hash("246810")
	if h2 == h {
		t.Fatal("the same hash twice: no salt")
	}
	for _, bad := range []string{"", "argon2id$v=19$m=19456,t=2,p=1$AAAA$BBBB", "bcrypt$x", "argon2id$v=19$m=1,t=2,p=1$" + strings.Repeat("A", 22) + "$" + strings.Repeat("A", 43)} {
		if Parse(bad) == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	for _, pin := range []string{"12345", "12345a", strings.Repeat("1", 17)} {
		if _, err := Hash(pin); err == nil {
			t.Errorf("PIN %q accepted", pin)
		}
	}
}
