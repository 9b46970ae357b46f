package center

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// FaultName names a fault mode of DESIGN §4.
type FaultName string

// The fault modes. Each reproduces a way a real center went wrong; see
// DESIGN §4 and research/konbini-incidents.md.
const (
	FaultLockTimeoutRelease FaultName = "lock-timeout-release"  // Yokohama 2023
	FaultSameSecond         FaultName = "same-second-overwrite" // Kawasaki 2023
	FaultSyncOverwrite      FaultName = "sync-overwrite"        // Adachi 2023
	FaultSingleServer       FaultName = "single-server-build"   // Takamatsu 2024
	FaultFIFODispatch       FaultName = "fifo-dispatch"
	FaultWrongRecord        FaultName = "wrong-record"
	FaultPageSwap           FaultName = "page-swap" // Tokushima 2023
	FaultStaleReplay        FaultName = "stale-replay"
	FaultForeignTerminal    FaultName = "foreign-terminal"
	FaultBadSignature       FaultName = "bad-signature"
	FaultExpired            FaultName = "expired"
	FaultErrorWithDocument  FaultName = "error-with-document"
	FaultSlow               FaultName = "slow"
	FaultDrop               FaultName = "drop"
	FaultLateDelivery       FaultName = "late-delivery"

	// Attacks on the printed bitmap (issue 14): pages whose 8-bit image
	// and whose 1-bit print (cut at gray 0x80) carry different symbols,
	// or whose extra symbols sit where a search of the bottom band alone
	// never looks. See faults_paper.go.
	FaultQRFaintOwn       FaultName = "qr-faint-own"       // own symbol gray 160, foreign one 120 on 136: paper shows only the foreign
	FaultQRGrayOnly       FaultName = "qr-gray-only"       // own symbol in grays 128..180 only: paper shows none
	FaultQRInvertedSecond FaultName = "qr-inverted-second" // a second, light-on-dark KOFU symbol in the band
	FaultQRInBody         FaultName = "qr-in-body"         // a foreign KOFU symbol in the page body
	FaultQRBandStraddle   FaultName = "qr-band-straddle"   // a foreign KOFU symbol across the top of the band
	FaultQREdge           FaultName = "qr-edge"            // own symbol ending 2 mm above the sheet's bottom edge

	// Faults of two-sided documents (issue 19): the faces of a sheet
	// mixed up. They only strike a ticket whose request asked for two
	// sides (doc.sides); see faults_duplex.go.
	FaultBackForeign   FaultName = "back-foreign"    // one sheet's back replaced by the same sheet's back of another document
	FaultBackMissing   FaultName = "back-missing"    // one sheet's back lost; the envelope lists the faces that are left
	FaultFrontBackSwap FaultName = "front-back-swap" // every sheet's front served as its back and the back as its front
)

// Duplex reports whether the fault needs a two-sided document.
func (f Fault) Duplex() bool {
	switch f.Name {
	case FaultBackForeign, FaultBackMissing, FaultFrontBackSwap:
		return true
	}
	return false
}

// Fault is one configured fault mode; Delay is the DUR of slow:DUR.
type Fault struct {
	Name  FaultName
	Delay time.Duration
}

func (f Fault) String() string {
	if f.Name == FaultSlow {
		return fmt.Sprintf("%s:%s", f.Name, f.Delay)
	}
	return string(f.Name)
}

// Mixup reports whether the fault makes the center serve a document that
// is not bound to the request, or whose paper would not prove it is (the
// class a kiosk must never print).
func (f Fault) Mixup() bool {
	switch f.Name {
	case FaultSlow, FaultDrop, FaultLateDelivery:
		return false
	}
	return true
}

// AllFaults lists every fault mode with its default parameters, in the
// order of DESIGN §4, then the attacks on the printed bitmap (issue 14),
// then the faults of two-sided documents (issue 19), then those of
// household members chosen individually (issue 17, faults_household.go).
func AllFaults() []Fault {
	names := []FaultName{FaultLockTimeoutRelease, FaultSameSecond, FaultSyncOverwrite, FaultSingleServer,
		FaultFIFODispatch, FaultWrongRecord, FaultPageSwap, FaultStaleReplay, FaultForeignTerminal,
		FaultBadSignature, FaultExpired, FaultErrorWithDocument, FaultSlow, FaultDrop, FaultLateDelivery,
		FaultQRFaintOwn, FaultQRGrayOnly, FaultQRInvertedSecond, FaultQRInBody, FaultQRBandStraddle, FaultQREdge,
		FaultBackForeign, FaultBackMissing, FaultFrontBackSwap,
		FaultMemberExtra, FaultMemberDropped, FaultHouseholdOtherList, FaultHouseholdWrongRecord}
	out := make([]Fault, len(names))
	for i, n := range names {
		out[i] = Fault{Name: n}
		if n == FaultSlow {
			out[i].Delay = 5 * time.Second
		}
	}
	return out
}

// ParseFaults parses the --fault list: NAME[,NAME…], where a name is one
// of AllFaults, "slow:DUR", or "all".
func ParseFaults(s string) ([]Fault, error) {
	var out []Fault
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	known := AllFaults()
	for _, tok := range strings.Split(s, ",") {
		tok = strings.TrimSpace(tok)
		if tok == "all" {
			out = append(out, known...)
			continue
		}
		name, arg, hasArg := strings.Cut(tok, ":")
		i := slices.IndexFunc(known, func(f Fault) bool { return string(f.Name) == name })
		if i < 0 {
			return nil, fmt.Errorf("unknown fault %q (known: %s, all)", name, faultNames(known))
		}
		f := known[i]
		if hasArg {
			if f.Name != FaultSlow {
				return nil, fmt.Errorf("fault %q takes no argument", name)
			}
			d, err := time.ParseDuration(arg)
			if err != nil || d < 0 || d > time.Hour {
				return nil, fmt.Errorf("fault slow:%s: want a duration up to 1h", arg)
			}
			f.Delay = d
		}
		out = append(out, f)
	}
	return out, nil
}

func faultNames(fs []Fault) string {
	var s []string
	for _, f := range fs {
		s = append(s, string(f.Name))
	}
	return strings.Join(s, ", ")
}
