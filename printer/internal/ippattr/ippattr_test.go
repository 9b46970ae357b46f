package ippattr

import (
	"slices"
	"testing"

	"github.com/OpenPrinting/goipp"
)

func TestValuesAndInt(t *testing.T) {
	var attrs goipp.Attributes
	sides := goipp.MakeAttribute("sides-supported", goipp.TagKeyword, goipp.String("one-sided"))
	sides.Values.Add(goipp.TagKeyword, goipp.String("two-sided-long-edge"))
	attrs.Add(sides)
	attrs.Add(goipp.MakeAttribute("job-id", goipp.TagInteger, goipp.Integer(7)))
	attrs.Add(goipp.MakeAttribute("job-name", goipp.TagName, goipp.String("x")))
	cases := []struct {
		name   string
		values []string
		n      int
		isInt  bool
	}{
		{"sides-supported", []string{"one-sided", "two-sided-long-edge"}, 0, false},
		{"job-id", []string{"7"}, 7, true},
		{"job-name", []string{"x"}, 0, false},
		{"absent", nil, 0, false},
	}
	for _, c := range cases {
		if got := Values(attrs, c.name); !slices.Equal(got, c.values) {
			t.Errorf("Values(%s) = %q, want %q", c.name, got, c.values)
		}
		if n, ok := Int(attrs, c.name); n != c.n || ok != c.isInt {
			t.Errorf("Int(%s) = %d, %v; want %d, %v", c.name, n, ok, c.n, c.isInt)
		}
	}
}
