// Package ippattr reads IPP attributes (OpenPrinting/goipp) the way both
// sides of kofu's IPP code need them: the printer's client
// (printer/ipp.go) and the emulated IPP printer (printer/emuprinter).
package ippattr

import "github.com/OpenPrinting/goipp"

// Values returns the values of the attribute name as strings; nil when
// attrs has no such attribute.
func Values(attrs goipp.Attributes, name string) []string {
	for _, a := range attrs {
		if a.Name == name {
			out := make([]string, len(a.Values))
			for i, v := range a.Values {
				out[i] = v.V.String()
			}
			return out
		}
	}
	return nil
}

// Int returns the first value of the integer attribute name.
func Int(attrs goipp.Attributes, name string) (int, bool) {
	for _, a := range attrs {
		if a.Name == name && len(a.Values) > 0 {
			if v, ok := a.Values[0].V.(goipp.Integer); ok {
				return int(v), true
			}
		}
	}
	return 0, false
}
