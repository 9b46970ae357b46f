package pjl

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// configHP4 is the HP LaserJet 4's answer as HP's PJL reference shows
// it (no duplex unit in that printer: nothing listed).
const configHP4 = "IN TRAYS [3 ENUMERATED]\r\n\tINTRAY1 MP\r\n\tINTRAY2 PC\r\n\tINTRAY3 LC\r\nENVELOPE TRAY\r\n" +
	"OUT TRAYS [1 ENUMERATED]\r\n\tNORMAL FACEDOWN\r\nPAPERS [9 ENUMERATED]\r\n\tLETTER\r\n\tLEGAL\r\n\tA4\r\n\tEXECUTIVE\r\n" +
	"\tMONARCH\r\n\tCOM10\r\n\tDL\r\n\tC5\r\n\tB5\r\nLANGUAGES [2 ENUMERATED]\r\n\tPCL\r\n\tPOSTSCRIPT\r\n" +
	"USTATUS [4 ENUMERATED]\r\n\tDEVICE\r\n\tJOB\r\n\tPAGE\r\n\tTIMED\r\nFONT CARTRIDGE SLOTS [1 ENUMERATED]\r\n\tCARTRIDGE\r\n" +
	"MEMORY=2097152\r\nDISPLAY LINES=1\r\nDISPLAY CHARACTER SIZE=16\r\n"

// configKM is the Konica Minolta magicolor form: the duplex unit as a
// feature with a value and the values it may take.
func configKM(duplex string) string {
	return "IN TRAYS [1 ENUMERATED]\r\n\tINTRAY1 MP\r\nLANGUAGES [1 ENUMERATED]\r\n\tLAVAFLOW\r\n" +
		"TRAY2=NOTINSTALLED [2 ENUMERATED]\r\n\tINSTALLED\r\n\tNOTINSTALLED\r\n" +
		"DUPLEX=" + duplex + " [2 ENUMERATED]\r\n\tINSTALLED\r\n\tNOTINSTALLED\r\nMEMORY=134217728\r\n"
}

// TestParseConfig: real answers parse to what they say of the duplex
// unit; every malformed or hostile answer is a *ConfigError naming its
// line, never a verdict.
func TestParseConfig(t *testing.T) {
	for _, c := range []struct {
		name   string
		body   string
		duplex DuplexUnit
		feats  int
	}{
		{"HP LaserJet 4 (reference sample)", configHP4, DuplexUnsaid, 10},
		{"magicolor, duplex installed", configKM("INSTALLED"), DuplexInstalled, 5},
		{"magicolor, no duplex unit", configKM("NOTINSTALLED"), DuplexNotInstalled, 5},
		{"lower case value", configKM("notinstalled"), DuplexNotInstalled, 5},
		{"bare DUPLEX listed", "IN TRAYS [1 ENUMERATED]\n\tINTRAY1 MP\nDUPLEX\nMEMORY=1\n", DuplexInstalled, 3},
		{"bare DUPLEX UNIT listed", "DUPLEX UNIT\n", DuplexInstalled, 1},
		{"DUPLEX with options, no value", "DUPLEX [2 ENUMERATED]\n\tON\n\tOFF\n", DuplexInstalled, 1},
		{"a setting, not a unit", "DUPLEX=OFF [2 ENUMERATED]\n\tOFF\n\tON\n", DuplexUnsaid, 1},
		{"both names agree", "DUPLEX UNIT\nDUPLEX=INSTALLED\n", DuplexInstalled, 2},
		{"duplexer is not a duplex feature name", "DUPLEXER=NOTINSTALLED\n", DuplexUnsaid, 1},
		{"empty answer", "", DuplexUnsaid, 0},
		{"blank lines", "\r\n\r\n", DuplexUnsaid, 0},
		{"options indented with spaces", "IN TRAYS [1 ENUMERATED]\n        INTRAY1 MP\nDUPLEX=NOTINSTALLED\n", DuplexNotInstalled, 2},
		{"zero count", "PAPERS [0 ENUMERATED]\nDUPLEX\n", DuplexInstalled, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := ParseConfig(c.body)
			if err != nil {
				t.Fatal(err)
			}
			d, f := cfg.Duplex()
			if d != c.duplex || len(cfg.Features) != c.feats || (d == DuplexUnsaid) != (f == nil) {
				t.Fatalf("duplex %v (by %+v), %d features; want %v, %d", d, f, len(cfg.Features), c.duplex, c.feats)
			}
			again, err := ParseConfig(cfg.String())
			if err != nil || !reflect.DeepEqual(again, cfg) {
				t.Fatalf("String does not read back: %v\n%q", err, cfg.String())
			}
		})
	}
	hp, err := ParseConfig(configHP4)
	if err != nil {
		t.Fatal(err)
	}
	if f := hp.Features[0]; f.Name != "IN TRAYS" || f.Count != 3 || f.Info != "ENUMERATED" || strings.Join(f.Options, ",") != "INTRAY1 MP,INTRAY2 PC,INTRAY3 LC" {
		t.Errorf("IN TRAYS read as %+v", f)
	}
	if f := hp.Features[9]; f.Name != "DISPLAY CHARACTER SIZE" || f.Value != "16" || f.Info != "" {
		t.Errorf("last feature read as %+v", f)
	}

	for _, c := range []struct {
		name string
		body string
		line int
		why  string
	}{
		{"option before any feature", "\tINTRAY1 MP\nDUPLEX\n", 1, "before any feature"},
		{"option after a bare feature", "ENVELOPE TRAY\n\tSTRAY\n", 2, "announces none"},
		{"fewer options than announced", "IN TRAYS [3 ENUMERATED]\n\tA\n\tB\nDUPLEX=NOTINSTALLED\n", 4, "3 returned options, 2 given"},
		{"fewer options at the end", "DUPLEX=NOTINSTALLED [2 ENUMERATED]\n\tINSTALLED\n", 3, "1 given"},
		{"more options than announced", "DUPLEX=INSTALLED [1 ENUMERATED]\n\tINSTALLED\n\tNOTINSTALLED\n", 3, "more follow"},
		{"bracket not closed", "DUPLEX=INSTALLED [2 ENUMERATED\n\tA\n\tB\n", 1, "not closed"},
		{"text after the bracket", "DUPLEX [1 ENUMERATED] X\n\tA\n", 1, "not closed"},
		{"count not a number", "PAPERS [many ENUMERATED]\n", 1, "bracket count"},
		{"count not canonical", "PAPERS [01 ENUMERATED]\n\tA4\n", 1, "bracket count"},
		{"huge count", "PAPERS [99999999999 ENUMERATED]\n", 1, "bracket count"},
		{"count without information", "PAPERS [2]\n\tA4\n\tA5\n", 1, "without a count"},
		{"information not letters", "PAPERS [1 ENUM3RATED]\n\tA4\n", 1, "bracket information"},
		{"empty value", "DUPLEX=\n", 1, "value"},
		{"value with =", "DUPLEX=NOT=INSTALLED\n", 1, "value"},
		{"no name", "=INSTALLED\n", 1, "without a name"},
		{"name starts with a digit", "2 SIDED\n", 1, "feature name"},
		{"name with a quote", "DUP\"LEX\n", 1, "feature name"},
		{"NUL byte", "DUPLEX=NOTINSTALLED\x00\n", 1, "not printable"},
		{"escape sequence", "\x1b%-12345XDUPLEX\n", 1, "not printable"},
		{"non-ASCII", "DUPLEX=設置\n", 1, "not printable"},
		{"feature twice", "DUPLEX=INSTALLED\nMEMORY=1\nDUPLEX=INSTALLED\n", 3, "twice"},
		{"duplex features disagree", "DUPLEX UNIT\nDUPLEX=NOTINSTALLED\n", 0, "disagree"},
		{"too long", strings.Repeat("MEMORY=1\n", MaxMessage/9+1), 0, "bytes"},
		{"too many features", manyFeatures(MaxConfigFeatures + 1), MaxConfigFeatures + 1, "more than"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := ParseConfig(c.body)
			var ce *ConfigError
			if !errors.As(err, &ce) || !errors.Is(err, ErrConfig) {
				t.Fatalf("ParseConfig = %+v, %v; want a *ConfigError", cfg, err)
			}
			if ce.Line != c.line || !strings.Contains(ce.Reason, c.why) {
				t.Fatalf("error %v (line %d); want line %d saying %q", err, ce.Line, c.line, c.why)
			}
			if len(cfg.Features) != 0 {
				t.Fatalf("a refused answer came with features %+v", cfg.Features)
			}
		})
	}
}

func manyFeatures(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("F" + strings.Repeat("X", i%5) + string(rune('A'+i/26%26)) + string(rune('A'+i%26)) + "\n")
	}
	return b.String()
}

// TestInfoConfigQuery: the query asks INFO CONFIG, then an ECHO, in one
// UEL-framed PJL stream.
func TestInfoConfigQuery(t *testing.T) {
	q := string(InfoConfig("kofu-sync-b"))
	want := UEL + "@PJL\r\n@PJL INFO CONFIG\r\n@PJL ECHO kofu-sync-b\r\n" + UEL
	if q != want {
		t.Fatalf("query %q, want %q", q, want)
	}
}

// FuzzParseConfig: the INFO CONFIG parser never panics; it either
// refuses with a *ConfigError or returns a Config within its bounds that
// spells back (String) to an answer read as the same Config, whose
// duplex verdict comes from a DUPLEX or DUPLEX UNIT feature; and an
// answer read through the readback parser gives the same result as its
// body given directly.
func FuzzParseConfig(f *testing.F) {
	f.Add(configHP4)
	f.Add(configKM("INSTALLED"))
	f.Add(configKM("NOTINSTALLED"))
	f.Add("DUPLEX UNIT\nDUPLEX=NOTINSTALLED\n")
	f.Add("IN TRAYS [2 ENUMERATED]\n\tA\nDUPLEX [1 RANGE]\n\t1\n")
	f.Add("\tX\n")
	f.Fuzz(func(t *testing.T, body string) {
		cfg, err := ParseConfig(body)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) || !errors.Is(err, ErrConfig) || len(cfg.Features) != 0 {
				t.Fatalf("refusal %v is not a *ConfigError, or came with features", err)
			}
			return
		}
		if len(body) > MaxMessage || len(cfg.Features) > MaxConfigFeatures {
			t.Fatalf("accepted %d bytes, %d features", len(body), len(cfg.Features))
		}
		for _, ft := range cfg.Features {
			if len(ft.Options) != ft.Count || ft.Count > maxConfigCount || (ft.Info == "" && ft.Count != 0) {
				t.Fatalf("feature %+v: options do not match its count", ft)
			}
		}
		again, err := ParseConfig(cfg.String())
		if err != nil || !reflect.DeepEqual(again, cfg) {
			t.Fatalf("String does not read back: %v\n%q\n%q", err, body, cfg.String())
		}
		if d, ft := cfg.Duplex(); d != DuplexUnsaid && ft.Name != "DUPLEX" && ft.Name != "DUPLEX UNIT" {
			t.Fatalf("duplex %v said by %q", d, ft.Name)
		}
		if strings.Contains(body, "@PJL") || len(body)+len("@PJL INFO CONFIG\r\n") > MaxMessage {
			return // another message's start, or more than one message may hold
		}
		var ps Parser
		msgs := ps.Feed([]byte("@PJL INFO CONFIG\r\n" + body + "\f"))
		if len(msgs) != 1 || msgs[0].Kind != KindInfo || msgs[0].Category != "CONFIG" {
			t.Fatalf("the readback parser gave %+v", msgs)
		}
		via, err := ParseConfig(msgs[0].Body)
		if err != nil || !reflect.DeepEqual(via, cfg) {
			t.Fatalf("through the readback parser: %+v, %v", via, err)
		}
	})
}
