package diag

import "time"

// jst is Japan Standard Time as a fixed offset: Japan has no daylight
// saving time, so it is exact where tzdata is missing.
func jst() *time.Location { return time.FixedZone("JST", 9*3600) }

// Zone is the zone the technician UI shows times in: the machine's own
// zone (Asia/Tokyo on a store machine); a machine left at UTC — no zone
// configured, or no tzdata to read it with — is taken to be a store
// machine in Japan: Asia/Tokyo, or a fixed +09:00 when tzdata is absent.
func Zone() *time.Location {
	return zoneFor(time.Local, time.LoadLocation)
}

// zoneFor is Zone over a given local zone and zone loader (tests).
func zoneFor(local *time.Location, load func(string) (*time.Location, error)) *time.Location {
	if local != nil {
		_, jan := time.Date(2026, 1, 15, 0, 0, 0, 0, local).Zone()
		_, jul := time.Date(2026, 7, 15, 0, 0, 0, 0, local).Zone()
		if jan != 0 || jul != 0 {
			return local
		}
	}
	if z, err := load("Asia/Tokyo"); err == nil {
		return z
	}
	return jst()
}
