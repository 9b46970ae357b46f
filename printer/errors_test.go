package printer

import (
	"errors"
	"testing"
)

// TestKindTable: every Kind has exactly one row, with its own reason
// code, names and sentinel, and every question about a Kind reads it.
func TestKindTable(t *testing.T) {
	codes, sentinels := map[string]Kind{}, map[error]Kind{}
	for k := KindUnconfirmed; k <= KindNoDuplex; k++ {
		n := 0
		for _, i := range kinds() {
			if i.kind == k {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d: %d rows", int(k), n)
		}
		i, _ := k.info()
		if i.code == "" || i.name == "" || i.ja == "" || i.sentinel == nil || i.clerk == "" {
			t.Errorf("%v: incomplete row %+v", k, i)
		}
		if prev, dup := codes[i.code]; dup {
			t.Errorf("%v and %v share the code %q", prev, k, i.code)
		}
		if prev, dup := sentinels[i.sentinel]; dup {
			t.Errorf("%v and %v share a sentinel", prev, k)
		}
		codes[i.code], sentinels[i.sentinel] = k, k
		e := newError(k, false, "", nil)
		if e.ReasonCode() != i.code || k.String() != i.name || k.Japanese() != i.ja || k.ClerkAction() != i.clerk ||
			k.Fatal() != i.fatal || !errors.Is(e, i.sentinel) {
			t.Errorf("%v: the methods do not read the table", k)
		}
	}
	if len(kinds()) != int(KindNoDuplex) {
		t.Errorf("%d rows for %d kinds", len(kinds()), int(KindNoDuplex))
	}
	if k := Kind(0); k.String() != "kind(0)" || (&Error{Kind: k}).ReasonCode() != "error" || k.sentinel() != nil {
		t.Error("the zero Kind reads as a row")
	}
	// The kinds that stop a printer until someone acts, and those that
	// do not.
	for k, fatal := range map[Kind]bool{KindPaperOut: true, KindJam: true, KindCoverOpen: true, KindOffline: true,
		KindHardware: true, KindUnconfirmed: false, KindCanceled: false, KindGroundPattern: false, KindNoDuplex: true} {
		if k.Fatal() != fatal {
			t.Errorf("%v: fatal %v", k, k.Fatal())
		}
	}
}
