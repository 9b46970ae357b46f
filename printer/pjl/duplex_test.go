package pjl

import (
	"strings"
	"testing"
)

func TestDuplexHeader(t *testing.T) {
	j := testJob
	if strings.Contains(string(j.Header()), "DUPLEX") {
		t.Error("one-sided header sets DUPLEX")
	}
	j.Duplex = true
	h := string(j.Header())
	want := "@PJL JOB NAME=\"kofu-0123456789abcdef01234567\"\r\n@PJL SET DUPLEX=ON\r\n@PJL SET BINDING=LONGEDGE\r\n@PJL ENTER LANGUAGE=PCL\r\n"
	if !strings.HasSuffix(h, want) {
		t.Errorf("duplex header ends\n%q\nwant\n%q", h[len(h)-len(want):], want)
	}
}

// TestTrackerDuplexCounts: a two-sided job of 3 sheets, 6 faces, is
// confirmed only by the PAGES the printer's semantics expects, exactly;
// the other count is ambiguous and refused.
func TestTrackerDuplexCounts(t *testing.T) {
	end := func(pages string) string {
		return "@PJL USTATUS JOB\r\nEND\r\nNAME=\"kofu-0123456789abcdef01234567\"\r\nPAGES=" + pages + "\r\nRESULT=OK\r\n\f"
	}
	faces := Count{Faces: 6, Sheets: 3, Duplex: true}
	sheets := Count{Faces: 6, Sheets: 3, Duplex: true, PagesCountSheets: true}
	for _, c := range []struct {
		name   string
		count  Count
		pages  string
		state  State
		reason string
	}{
		{"faces: 6 of 6", faces, "6", Printed, ""},
		{"faces: PAGES=3 is the sheet count", faces, "3", NotOK, "half the faces"},
		{"faces: 5", faces, "5", NotOK, "expected"},
		{"faces: 7", faces, "7", NotOK, "expected"},
		{"sheets: 3 of 3", sheets, "3", Printed, ""},
		{"sheets: PAGES=6 is the face count", sheets, "6", NotOK, "a sheet of its own"},
		{"sheets: 2", sheets, "2", NotOK, "expected"},
		{"one-sided: more is still printed", Simplex(2), "3", Printed, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := feedAll(t, NewCountTracker(testJob, c.count), echoMsg+startMsg+end(c.pages))
			if v.State != c.state || !strings.Contains(v.Reason, c.reason) {
				t.Fatalf("verdict %+v, want %v with reason containing %q", v, c.state, c.reason)
			}
		})
	}
}

func TestCountConversions(t *testing.T) {
	faces := Count{Faces: 6, Sheets: 3, Duplex: true}
	sheets := faces
	sheets.PagesCountSheets = true
	for _, c := range []struct {
		c               Count
		n, wantF, wantS int
	}{
		{faces, 3, 3, 1}, {faces, 6, 6, 3}, {faces, 9, 6, 3}, {faces, -1, 0, 0},
		{sheets, 1, 2, 1}, {sheets, 3, 6, 3}, {sheets, 4, 6, 3},
		{Simplex(3), 2, 2, 2},
	} {
		if f, s := c.c.FacesOf(c.n), c.c.SheetsOf(c.n); f != c.wantF || s != c.wantS {
			t.Errorf("%+v of %d: %d faces %d sheets, want %d %d", c.c, c.n, f, s, c.wantF, c.wantS)
		}
	}
	if faces.Pages() != 6 || sheets.Pages() != 3 || Simplex(2).Pages() != 2 {
		t.Error("Pages")
	}
}
