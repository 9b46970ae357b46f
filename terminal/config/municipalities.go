package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"

	"github.com/BurntSushi/toml"

	"kofu/protocol"
	"kofu/terminal/localgov"
)

// Municipality is one municipality of the service's list as the customer
// UI offers it: its code, its name and the fee per copy of each document
// it issues (the fee charged is always the verified ticket's; these are
// shown beforehand).
type Municipality struct {
	Code               string         `toml:"code"`
	Name               string         `toml:"name"`
	Fees               map[string]int `toml:"fees"` // document type → yen per copy
	KosekiWeekdaysOnly bool           `toml:"koseki_weekdays_only"`
	// Hours are the hours, "HH:MM-HH:MM" in Japan time, at which a
	// document type is issued where the municipality issues it for less
	// than the service's 6:30–23:00 (its record system's hours).
	Hours map[string]string `toml:"hours"`
}

var muniCodeRe = regexp.MustCompile(`^[0-9]{6}$`)

// LoadMunicipalities reads the list named by ui.municipalities:
//
//	[[municipality]]
//	code = "131016"
//	name = "千代田区"
//	fees = { juminhyo = 300, inkan = 300 }
//
// Every problem is a *FieldError naming the entry.
func LoadMunicipalities(path string) ([]Municipality, error) {
	if path == "" {
		return nil, &FieldError{Key: "ui.municipalities", Allowed: "the service's municipality list (store mode's customer UI needs it)"}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, &FieldError{Key: "ui.municipalities", Value: strconv.Quote(path), Allowed: fmt.Sprintf("a readable file (%v)", err)}
	}
	defer f.Close()
	return ParseMunicipalities(f)
}

// ParseMunicipalities reads a municipality list strictly: unknown keys,
// bad codes, duplicate codes, unknown document types and negative fees
// are refused.
func ParseMunicipalities(r io.Reader) ([]Municipality, error) {
	var doc struct {
		Municipality []Municipality `toml:"municipality"`
	}
	md, err := toml.NewDecoder(io.LimitReader(r, 1<<20)).Decode(&doc)
	if err != nil {
		return nil, fmt.Errorf("municipality list: %w", err)
	}
	var errs []error
	bad := func(key, value, allowed string) { errs = append(errs, &FieldError{key, value, allowed}) }
	for _, k := range md.Undecoded() {
		bad(k.String(), "an unknown key", "code, name, fees, koseki_weekdays_only, hours")
	}
	if len(doc.Municipality) == 0 {
		bad("municipality", "", "at least one [[municipality]]")
	}
	seen := map[string]bool{}
	for i, m := range doc.Municipality {
		key := fmt.Sprintf("municipality[%d]", i)
		if !muniCodeRe.MatchString(m.Code) || !localgov.ValidCode(m.Code) {
			bad(key+".code", strconv.Quote(m.Code), "6 digits (the local government code, its check digit last)")
		} else if seen[m.Code] {
			bad(key+".code", strconv.Quote(m.Code), "each code once")
		}
		seen[m.Code] = true
		if m.Name == "" || len(m.Name) > 64 {
			bad(key+".name", strconv.Quote(m.Name), "1–64 bytes")
		}
		for t, fee := range m.Fees {
			if _, ok := protocol.LookupDoc(protocol.DocType(t)); !ok {
				bad(key+".fees", strconv.Quote(t), "a document type of DESIGN §3 (juminhyo, inkan, …)")
			}
			if fee < 0 || fee > 10000 {
				bad(key+".fees."+t, strconv.Itoa(fee), "0 to 10000 yen")
			}
		}
		for t, h := range m.Hours {
			if _, ok := m.Fees[t]; !ok {
				bad(key+".hours", strconv.Quote(t), "a document type this municipality has a fee for")
			}
			if !validHours(h) {
				bad(key+".hours."+t, strconv.Quote(h), `"HH:MM-HH:MM" within 00:00-24:00, from before until`)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return doc.Municipality, nil
}

// validHours checks "HH:MM-HH:MM" (from before until, within the day).
func validHours(s string) bool {
	var h1, m1, h2, m2 int
	if n, err := fmt.Sscanf(s, "%2d:%2d-%2d:%2d", &h1, &m1, &h2, &m2); err != nil || n != 4 {
		return false
	}
	if fmt.Sprintf("%02d:%02d-%02d:%02d", h1, m1, h2, m2) != s {
		return false
	}
	return h1 >= 0 && h2 <= 24 && m1 < 60 && m2 < 60 && h1*60+m1 < h2*60+m2 && h2*60+m2 <= 24*60
}
