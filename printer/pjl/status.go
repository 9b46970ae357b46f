package pjl

import "fmt"

// Class is what a PJL status code means for a job.
type Class int

// Status classes, from the code's leading digits (HP PJL Technical
// Reference, "Status codes").
const (
	Unknown      Class = iota // not in a known range
	Info                      // 10xxx–12xxx: ready, printing, warming up…
	Warning                   // 2xxxx PJL errors, 30xxx/35xxx auto-continuable
	Intervention              // 40xxx, 45xxx–49xxx: operator must act
	PaperOut                  // 41xxx: paper must be loaded
	Jam                       // 42xxx–44xxx: paper jam
	CoverOpen                 // a door or cover is open
	Hardware                  // 50xxx–59xxx: hardware error
)

func (c Class) String() string {
	switch c {
	case Unknown:
		return "unknown"
	case Info:
		return "info"
	case Warning:
		return "warning"
	case Intervention:
		return "intervention"
	case PaperOut:
		return "paper-out"
	case Jam:
		return "jam"
	case CoverOpen:
		return "cover-open"
	case Hardware:
		return "hardware"
	}
	return fmt.Sprintf("class(%d)", int(c))
}

// Fatal reports whether a code of this class means the job cannot be
// trusted to have printed.
func (c Class) Fatal() bool { return c >= Intervention }

// codeRange maps a range of codes to a class; the first match wins, so
// exceptions precede their range.
type codeRange struct {
	lo, hi int
	class  Class
}

// codeClasses is the classification table, kept as data.
func codeClasses() []codeRange {
	return []codeRange{
		{40000, 40000, Info},      // sleep mode
		{40021, 40021, CoverOpen}, // printer open / door open
		{10000, 12999, Info},
		{20000, 29999, Warning},
		{30000, 39999, Warning},
		{41000, 41999, PaperOut},
		{42000, 44999, Jam},
		{40000, 49999, Intervention},
		{50000, 59999, Hardware},
	}
}

// Classify returns code's class.
func Classify(code int) Class {
	for _, r := range codeClasses() {
		if code >= r.lo && code <= r.hi {
			return r.class
		}
	}
	return Unknown
}
