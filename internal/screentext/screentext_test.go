package screentext

import (
	"testing"

	"github.com/gdamore/tcell/v2"
)

func TestOf(t *testing.T) {
	if Of(nil) != "" {
		t.Fatal("nil screen")
	}
	s := tcell.NewSimulationScreen("UTF-8")
	if err := s.Init(); err != nil {
		t.Fatal(err)
	}
	defer s.Fini()
	s.SetSize(8, 2)
	x := 0
	for _, r := range "交付 ok" {
		s.SetContent(x, 0, r, nil, tcell.StyleDefault)
		if r > 0x7f {
			x += 2
		} else {
			x++
		}
	}
	s.Show()
	if got, want := Of(s), "交付 ok\n"; got != want {
		t.Fatalf("%q, want %q", got, want)
	}
}
