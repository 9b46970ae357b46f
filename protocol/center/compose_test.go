package center

import (
	"slices"
	"testing"
	"time"

	"kofu/internal/fixtures"
	"kofu/protocol"
)

// TestHouseholdHeadRow: the 住民票's 世帯主 item names the member whose
// 続柄 is 世帯主, not the first of the household (who is the card's
// holder): R0002, 山田 花子 (妻), gets 山田 太郎 as her 世帯主 on every
// scope. Without 続柄 the item is not printed; a record that does not say
// who the head is (none, or two) prints no 世帯主 rather than a guess.
func TestHouseholdHeadRow(t *testing.T) {
	c, asof := composer(t)
	resident := func(id string) *fixtures.Resident { return mustResident(t, c.fx, id) }
	// edited is a copy of R0002 whose household's relations are rels.
	edited := func(rels ...string) *fixtures.Resident {
		res := *resident("R0002")
		res.Household = slices.Clone(res.Household)
		for i, r := range rels {
			res.Household[i].Relation = r
		}
		return &res
	}
	include := map[string]string{"zokugara": "include"}
	cases := []struct {
		name    string
		res     *fixtures.Resident
		typ     protocol.DocType
		opts    map[string]string
		members []int // places chosen, for scope members
		want    []string
	}{
		{"R0001 self", resident("R0001"), protocol.DocJuminhyo, include, nil, []string{"山田 太郎"}},
		{"R0002 self", resident("R0002"), protocol.DocJuminhyo, include, nil, []string{"山田 太郎"}},
		{"R0002 kisai", resident("R0002"), protocol.DocJuminhyoKisai, include, nil, []string{"山田 太郎"}},
		{"R0001 household", resident("R0001"), protocol.DocJuminhyo,
			map[string]string{"scope": "household", "zokugara": "include"}, nil, []string{"山田 太郎"}},
		{"R0002 household", resident("R0002"), protocol.DocJuminhyo,
			map[string]string{"scope": "household", "zokugara": "include"}, nil, []string{"山田 太郎"}},
		{"R0001 members, the head not chosen", resident("R0001"), protocol.DocJuminhyo,
			map[string]string{"scope": protocol.ScopeMembers, "zokugara": "include"}, []int{1, 3}, []string{"山田 太郎"}},
		{"R0002 members, herself", resident("R0002"), protocol.DocJuminhyo,
			map[string]string{"scope": protocol.ScopeMembers, "zokugara": "include"}, []int{0}, []string{"山田 太郎"}},
		{"R0016 household, head listed second", resident("R0016"), protocol.DocJuminhyo,
			map[string]string{"scope": "household", "zokugara": "include"}, nil, []string{"松本 聡"}},
		{"R0002 without zokugara", resident("R0002"), protocol.DocJuminhyo, nil, nil, nil},
		{"a record with no head", edited("妻", "夫"), protocol.DocJuminhyo, include, nil, nil},
		{"a record with two heads", edited("世帯主", "世帯主"), protocol.DocJuminhyo, include, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := protocol.NewDocSpec(tc.typ)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.opts {
				doc.Opts[k] = v
			}
			var got []string
			for _, p := range c.composeMembers(tc.res, doc, tc.members, asof, "T-1") {
				for _, r := range p.Rows {
					if r.Label == "世帯主" {
						got = append(got, r.Value)
					}
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("世帯主 rows %q, want %q", got, tc.want)
			}
		})
	}
}

// composer is a center over the committed fixtures for the tests that
// lay out documents without serving them (composeDoc, composeMembers),
// and the instant they lay them out at.
func composer(t *testing.T) (*Center, time.Time) {
	t.Helper()
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	return &Center{fx: fx, cfg: Config{DPI: 300}}, time.Date(2026, 12, 7, 10, 0, 0, 0, jst())
}

// mustResident is the fixtures' resident id.
func mustResident(t *testing.T, fx *fixtures.Set, id string) *fixtures.Resident {
	t.Helper()
	res, ok := fx.Resident(id)
	if !ok {
		t.Fatalf("no resident %s", id)
	}
	return res
}
