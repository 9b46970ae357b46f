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
		bad(k.String(), "an unknown key", "code, name, fees, koseki_weekdays_only")
	}
	if len(doc.Municipality) == 0 {
		bad("municipality", "", "at least one [[municipality]]")
	}
	seen := map[string]bool{}
	for i, m := range doc.Municipality {
		key := fmt.Sprintf("municipality[%d]", i)
		if !muniCodeRe.MatchString(m.Code) {
			bad(key+".code", strconv.Quote(m.Code), "6 digits (the local government code)")
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
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return doc.Municipality, nil
}
