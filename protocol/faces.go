package protocol

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Duplex documents in protocol v1 (issue 19; docs/design-notes.md, "Duplex
// faces in protocol v1").
//
// A request asks for a two-sided document with doc.sides = "two-sided"
// (absent: one-sided, exactly the request of DESIGN §3.1). The ticket and
// the envelope echo doc, so the sides are bound like the options.
//
// An envelope's pages are its faces, in print order. Each page may name
// the face it is: "sheet" (1-based sheet number) and "face" ("front" or
// "back"). Either every page carries both or none does; an envelope
// without them is a single-sided document, page n being the front of
// sheet n (DESIGN §3.2 as it stands).

// Sides is how many sides of each sheet a request asks to be printed.
type Sides string

// SidesTwoSided asks for a back face on every sheet. The zero value (the
// member absent) is one-sided; there is no second spelling of it.
const SidesTwoSided Sides = "two-sided"

// UnmarshalJSON accepts only "two-sided": a one-sided request leaves the
// member out, so one request has one text.
func (s *Sides) UnmarshalJSON(data []byte) error {
	var v string
	if err := json.Unmarshal(data, &v); err != nil {
		return errors.New("sides must be a JSON string")
	}
	if Sides(v) != SidesTwoSided {
		return fmt.Errorf("sides %.20q: only %q (leave it out for one-sided)", v, SidesTwoSided)
	}
	*s = SidesTwoSided
	return nil
}

// Face is which face of a sheet a page is.
type Face string

// The two faces. The zero value means "not declared" (a single-sided
// envelope), never a third face.
const (
	FaceFront Face = "front"
	FaceBack  Face = "back"
)

// UnmarshalJSON accepts only "front" and "back".
func (f *Face) UnmarshalJSON(data []byte) error {
	var v string
	if err := json.Unmarshal(data, &v); err != nil {
		return errors.New("face must be a JSON string")
	}
	if Face(v) != FaceFront && Face(v) != FaceBack {
		return fmt.Errorf("face %.20q: want %q or %q", v, FaceFront, FaceBack)
	}
	*f = Face(v)
	return nil
}

// letter is the face's letter in a QR text: F or B.
func (f Face) letter() string {
	if f == FaceBack {
		return "B"
	}
	return "F"
}

// SheetNo is a 1-based sheet number. The zero value means "not declared";
// an explicit 0 on the wire is refused, so one envelope has one text.
type SheetNo int

// UnmarshalJSON accepts a canonical integer 1..MaxPages.
func (s *SheetNo) UnmarshalJSON(data []byte) error {
	n, err := canonicalInt(string(data))
	if err != nil || n < 1 || n > MaxPages {
		return fmt.Errorf("sheet %.10q: want an integer 1..%d", data, MaxPages)
	}
	*s = SheetNo(n)
	return nil
}

// MaxFaces bounds the faces of one envelope: two per sheet.
const MaxFaces = 2 * MaxPages

// HasFaces reports whether the envelope's pages declare their faces.
func (e *Envelope) HasFaces() bool {
	for _, p := range e.Pages {
		if p.Sheet != 0 || p.Face != "" {
			return true
		}
	}
	return false
}

// FaceOf returns the sheet and face of page i (0-based): as declared, or,
// for an envelope without face fields, the front of sheet i+1.
func (e *Envelope) FaceOf(i int) (SheetNo, Face) {
	p := e.Pages[i]
	if p.Sheet == 0 && p.Face == "" {
		return SheetNo(i + 1), FaceFront
	}
	return p.Sheet, p.Face
}

// Sheets returns the number of sheets: the highest sheet number declared,
// or the page count of an envelope without face fields.
func (e *Envelope) Sheets() int {
	n := 0
	for i := range e.Pages {
		s, _ := e.FaceOf(i)
		n = max(n, int(s))
	}
	return n
}

// validateFaceFields is the shape rule of the face fields (part of
// Envelope.Validate, refused as fields): every page declares sheet and
// face or none does.
func (e *Envelope) validateFaceFields() error {
	with := 0
	for _, p := range e.Pages {
		switch {
		case p.Sheet == 0 && p.Face == "":
		case p.Sheet < 1 || p.Sheet > MaxPages:
			return fmt.Errorf("page %d: sheet %d outside 1..%d", p.N, p.Sheet, MaxPages)
		case p.Face != FaceFront && p.Face != FaceBack:
			return fmt.Errorf("page %d: face %q is not front or back", p.N, p.Face)
		default:
			with++
		}
	}
	if with != 0 && with != len(e.Pages) {
		return fmt.Errorf("%d of %d pages declare their face: all or none", with, len(e.Pages))
	}
	return nil
}

// checkFaces applies the structure rules of the faces (DESIGN §3.4 rule 2
// as extended by the duplex note) to an envelope whose face fields have
// the right shape. In print order the pages must be, for sheet s = 1, 2,
// …: the front of s, then the back of s — required when the request asked
// for two sides, else absent. After a front comes its back or the next
// sheet's front, nothing else (faces); the next sheet's front where a back
// is required is back-missing. It returns the first page that breaks
// this with its reason and a detail, or "".
func checkFaces(e *Envelope, sides Sides) (Reason, int, string) {
	i, backs := 0, 0
	for s := SheetNo(1); i < len(e.Pages); s++ {
		if sh, f := e.FaceOf(i); sh != s || f != FaceFront {
			return ReasonFaces, i + 1, fmt.Sprintf("the %s of sheet %d where the front of sheet %d belongs", f, sh, s)
		}
		i++
		if i < len(e.Pages) {
			sh, f := e.FaceOf(i)
			if sh == s && f == FaceBack {
				i, backs = i+1, backs+1
				continue
			}
			if sh != s+1 || f != FaceFront {
				return ReasonFaces, i + 1, fmt.Sprintf("the %s of sheet %d after the front of sheet %d", f, sh, s)
			}
		}
		if sides == SidesTwoSided {
			return ReasonBackMissing, i, "sheet " + strconv.Itoa(int(s)) + " has no back"
		}
	}
	if sides != SidesTwoSided && backs > 0 {
		return ReasonSides, 0, strconv.Itoa(backs) + " back faces on a one-sided document"
	}
	return "", 0, ""
}
