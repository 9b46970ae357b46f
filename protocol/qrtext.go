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
// KOFU1|<tid>|<binding>|<subject>|<n>/<total>, fields in base64url.
type QRText struct {
	TID, Binding, Subject []byte
	N, Total              int
}

// String renders the symbol text.
func (q QRText) String() string {
	return QRPrefix + "|" + B64(q.TID) + "|" + B64(q.Binding) + "|" + B64(q.Subject) +
		"|" + strconv.Itoa(q.N) + "/" + strconv.Itoa(q.Total)
}

// Equal compares two symbol contents field by field.
func (q QRText) Equal(o QRText) bool {
	return bytes.Equal(q.TID, o.TID) && bytes.Equal(q.Binding, o.Binding) &&
		bytes.Equal(q.Subject, o.Subject) && q.N == o.N && q.Total == o.Total
}

// ErrNotKOFU marks a symbol text that is not a KOFU1 symbol at all.
var ErrNotKOFU = errors.New("not a KOFU1 symbol")

// ParseQRText parses a symbol text strictly: prefix, five fields, exact
// sizes, canonical decimal page numbers with 1 ≤ n ≤ total ≤ MaxPages.
func ParseQRText(s string) (QRText, error) {
	if len(s) > maxQRText {
		return QRText{}, fmt.Errorf("symbol text of %d bytes: %w", len(s), ErrNotKOFU)
	}
	f := strings.Split(s, "|")
	if len(f) != 5 || f[0] != QRPrefix {
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
	if q.N < 1 || q.N > q.Total || q.Total > MaxPages {
		return QRText{}, fmt.Errorf("page %d/%d out of range", q.N, q.Total)
	}
	return q, nil
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
