package protocol

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// QRPrefix starts the text of every page's QR symbol (DESIGN §3.2).
const QRPrefix = "KOFU1"

// maxQRText bounds the text a page's symbol may carry.
const maxQRText = 256

// QRText is the content of a page's QR symbol:
// KOFU1|<tid>|<binding>|<subject>|<n>/<total>, fields in base64url; on a
// page of an envelope that declares faces, a sixth field names the face:
// KOFU1|…|<n>/<total>|<sheet>/<sheets><F|B> (F front, B back), e.g.
// "4/6|2/3B" for the back of sheet 2 of 3, the 4th of 6 faces.
type QRText struct {
	TID, Binding, Subject []byte
	N, Total              int
	// The face, when the envelope declares faces (Face != ""): the sheet
	// number, the document's sheet count and the face.
	Sheet  SheetNo
	Sheets int
	Face   Face
}

// String renders the symbol text.
func (q QRText) String() string {
	s := QRPrefix + "|" + B64(q.TID) + "|" + B64(q.Binding) + "|" + B64(q.Subject) +
		"|" + strconv.Itoa(q.N) + "/" + strconv.Itoa(q.Total)
	if q.Face != "" {
		s += "|" + strconv.Itoa(int(q.Sheet)) + "/" + strconv.Itoa(q.Sheets) + q.Face.letter()
	}
	return s
}

// Equal compares two symbol contents field by field.
func (q QRText) Equal(o QRText) bool {
	return q.sameDocument(o) && q.N == o.N && q.Total == o.Total &&
		q.Sheet == o.Sheet && q.Sheets == o.Sheets && q.Face == o.Face
}

// sameDocument reports whether two symbols name the same ticket, request
// and subject.
func (q QRText) sameDocument(o QRText) bool {
	return bytes.Equal(q.TID, o.TID) && bytes.Equal(q.Binding, o.Binding) && bytes.Equal(q.Subject, o.Subject)
}

// ErrNotKOFU marks a symbol text that is not a KOFU1 symbol at all.
var ErrNotKOFU = errors.New("not a KOFU1 symbol")

// ParseQRText parses a symbol text strictly: prefix, five fields, exact
// sizes, canonical decimal page numbers with 1 ≤ n ≤ total ≤ MaxPages;
// or six fields, the sixth the face (1 ≤ sheet ≤ sheets ≤ MaxPages,
// sheets ≤ total ≤ 2·sheets, F or B), and then total ≤ MaxFaces.
func ParseQRText(s string) (QRText, error) {
	if len(s) > maxQRText {
		return QRText{}, fmt.Errorf("symbol text of %d bytes: %w", len(s), ErrNotKOFU)
	}
	f := strings.Split(s, "|")
	if (len(f) != 5 && len(f) != 6) || f[0] != QRPrefix {
		return QRText{}, ErrNotKOFU
	}
	var q QRText
	var err error
	for i, dst := range []*[]byte{&q.TID, &q.Binding, &q.Subject} {
		if *dst, err = B64Decode(f[i+1]); err != nil {
			return QRText{}, fmt.Errorf("field %d: %w", i+1, err)
		}
	}
	if len(q.TID) != TIDSize || len(q.Binding) != DigestSize || len(q.Subject) != DigestSize {
		return QRText{}, errors.New("symbol fields have wrong sizes")
	}
	n, total, ok := strings.Cut(f[4], "/")
	if !ok {
		return QRText{}, errors.New("page field is not n/total")
	}
	if q.N, err = canonicalInt(n); err != nil {
		return QRText{}, err
	}
	if q.Total, err = canonicalInt(total); err != nil {
		return QRText{}, err
	}
	limit := MaxPages
	if len(f) == 6 {
		limit = MaxFaces
		if err := q.parseFace(f[5]); err != nil {
			return QRText{}, err
		}
	}
	if q.N < 1 || q.N > q.Total || q.Total > limit {
		return QRText{}, fmt.Errorf("page %d/%d out of range", q.N, q.Total)
	}
	if q.Face != "" && (q.Total < q.Sheets || q.Total > 2*q.Sheets) {
		return QRText{}, fmt.Errorf("%d faces on %d sheets", q.Total, q.Sheets)
	}
	return q, nil
}

// parseFace parses the sixth field, <sheet>/<sheets><F|B>.
func (q *QRText) parseFace(f string) error {
	if f == "" {
		return errors.New("empty face field")
	}
	switch f[len(f)-1] {
	case 'F':
		q.Face = FaceFront
	case 'B':
		q.Face = FaceBack
	default:
		return errors.New("face field does not end in F or B")
	}
	sheet, sheets, ok := strings.Cut(f[:len(f)-1], "/")
	if !ok {
		return errors.New("face field is not sheet/sheets")
	}
	a, err := canonicalInt(sheet)
	if err != nil {
		return err
	}
	if q.Sheets, err = canonicalInt(sheets); err != nil {
		return err
	}
	if a < 1 || a > q.Sheets || q.Sheets > MaxPages {
		return fmt.Errorf("sheet %d/%d out of range", a, q.Sheets)
	}
	q.Sheet = SheetNo(a)
	return nil
}

// canonicalInt parses a small decimal with no sign and no leading zero.
func canonicalInt(s string) (int, error) {
	if len(s) == 0 || len(s) > 3 || (len(s) > 1 && s[0] == '0') {
		return 0, fmt.Errorf("page number %q not canonical", s)
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("page number %q not decimal", s)
		}
	}
	return strconv.Atoi(s)
}
