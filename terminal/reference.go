package terminal

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"math/big"
	"strings"
)

// A session id begins with the resident's reference number (お問い合わせ
// 番号): twelve decimal digits in groups of four, 4821-9930-1177. A
// resident reads it aloud to a clerk or a help desk over the phone, so it
// has no letters to confuse (l, I, 1; 0, O), no case and no '_' (issue
// 17). Twelve digits keep two sessions of one kiosk apart for years: at
// 200 sessions a day, the chance that any two of ten years' sessions share
// a reference is about 0.3 %, and a technician who meets it sees both
// (diag lists every session with that reference). The rest of the id — a
// dot and 16 base32 characters, 80 more random bits — keeps ids unique in
// the journal and the logs without the resident ever seeing it.

// refDigits is the length of the reference in digits.
const refDigits = 12

// newSessionID returns a fresh session id, every part from crypto/rand.
func newSessionID() (string, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Exp(big.NewInt(10), big.NewInt(refDigits), nil))
	if err != nil {
		return "", fmt.Errorf("crypto/rand: %w", err)
	}
	d := fmt.Sprintf("%0*d", refDigits, n)
	tail := make([]byte, 10)
	if _, err := rand.Read(tail); err != nil {
		return "", fmt.Errorf("crypto/rand: %w", err)
	}
	return d[0:4] + "-" + d[4:8] + "-" + d[8:12] + "." +
		strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(tail)), nil
}

// Reference returns the reference number a resident is shown for a
// session id: its grouped digits. For an id of the earlier form (base64url,
// before issue 17) it returns the first 8 characters, as those screens
// showed.
func Reference(session string) string {
	if ref, _, ok := strings.Cut(session, "."); ok && isReference(ref) {
		return ref
	}
	return session[:min(8, len(session))]
}

// isReference reports whether s is a reference number: NNNN-NNNN-NNNN.
func isReference(s string) bool {
	if len(s) != refDigits+2 {
		return false
	}
	for i, c := range s {
		if i == 4 || i == 9 {
			if c != '-' {
				return false
			}
		} else if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// MatchReference reports whether the session id has the reference a
// person typed or read out: digits compared, separators and spaces
// ignored (4821 9930 1177, 482199301177 and 4821-9930-1177 all match). A
// prefix of at least four digits matches too, so a clerk can look up a
// reference read out in part.
func MatchReference(session, typed string) bool {
	ref := Reference(session)
	if !isReference(ref) {
		typed = strings.TrimSpace(typed)
		return len(typed) >= 4 && strings.HasPrefix(session, typed)
	}
	want := digitsOf(typed)
	return len(want) >= 4 && strings.HasPrefix(digitsOf(ref), want)
}

// digitsOf keeps the ASCII digits of s (full-width digits are folded).
func digitsOf(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			b.WriteRune(c)
		case c >= '０' && c <= '９':
			b.WriteRune('0' + c - '０')
		}
	}
	return b.String()
}
