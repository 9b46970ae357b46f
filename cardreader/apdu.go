package cardreader

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// SW is an ISO 7816-4 status word (SW1 SW2).
type SW uint16

// Status words of the JPKI applet (research/jpki-card.md).
const (
	SWOK             SW = 0x9000
	SWEndOfFile      SW = 0x6282 // fewer bytes than Le before the end of the file
	SWMemoryFailure  SW = 0x6581
	SWWrongLength    SW = 0x6700
	SWIncompatible   SW = 0x6981 // command incompatible with the file
	SWSecurityStatus SW = 0x6982 // PIN not verified
	SWAuthBlocked    SW = 0x6983
	SWDataInvalid    SW = 0x6984 // PIN blocked (VERIFY after the lock)
	SWConditions     SW = 0x6985
	SWNoCurrentEF    SW = 0x6986
	SWWrongData      SW = 0x6A80
	SWFileNotFound   SW = 0x6A82
	SWWrongP1P2      SW = 0x6A86
	SWRefNotFound    SW = 0x6A88
	SWWrongOffset    SW = 0x6B00 // offset past the end of the file
	SWINSNotSupport  SW = 0x6D00
	SWCLANotSupport  SW = 0x6E00
	SWNoDiagnosis    SW = 0x6F00
)

// SW1 and SW2 are the two bytes.
func (s SW) SW1() byte { return byte(s >> 8) }

// SW2 is the second byte of the status word.
func (s SW) SW2() byte { return byte(s) }

var swNames = map[SW]string{
	SWOK: "success", SWEndOfFile: "end of file before Le", SWMemoryFailure: "memory failure",
	SWWrongLength: "wrong length", SWIncompatible: "command incompatible with the file",
	SWSecurityStatus: "security status not satisfied", SWAuthBlocked: "authentication method blocked",
	SWDataInvalid: "reference data not usable (blocked)", SWConditions: "conditions of use not satisfied",
	SWNoCurrentEF: "no current EF", SWWrongData: "wrong data", SWFileNotFound: "file or application not found",
	SWWrongP1P2: "wrong P1 P2", SWRefNotFound: "referenced data not found", SWWrongOffset: "wrong offset",
	SWINSNotSupport: "instruction not supported", SWCLANotSupport: "class not supported",
	SWNoDiagnosis: "no precise diagnosis",
}

func (s SW) String() string {
	if n, ok := swNames[s]; ok {
		return fmt.Sprintf("%04X (%s)", uint16(s), n)
	}
	switch s.SW1() {
	case 0x61:
		return fmt.Sprintf("%04X (%d bytes available)", uint16(s), s.le())
	case 0x6C:
		return fmt.Sprintf("%04X (wrong Le, exact %d)", uint16(s), s.le())
	case 0x63:
		if s.SW2()&0xF0 == 0xC0 {
			return fmt.Sprintf("%04X (%d tries left)", uint16(s), s.SW2()&0x0F)
		}
	}
	return fmt.Sprintf("%04X", uint16(s))
}

// le reads SW2 as a length, 00 meaning 256 (for 61xx and 6Cxx).
func (s SW) le() int {
	if s.SW2() == 0 {
		return 256
	}
	return int(s.SW2())
}

// Tries reports the tries left of a 63Cx status word.
func (s SW) Tries() (int, bool) {
	if s.SW1() == 0x63 && s.SW2()&0xF0 == 0xC0 {
		return int(s.SW2() & 0x0F), true
	}
	return 0, false
}

// JPKIAID returns the JPKI applet's AID, ProfileGen1's (a copy).
func JPKIAID() []byte { return ProfileGen1().AID }

// ISDAID returns the GlobalPlatform ISD's AID, ProfileGen1's LogoutAID (a
// copy): what kofu selects to log out of the JPKI applet.
func ISDAID() []byte { return ProfileGen1().LogoutAID }

// INS codes.
const (
	insSelect      = 0xA4
	insReadBinary  = 0xB0
	insVerify      = 0x20
	insGetResponse = 0xC0
)

// command is a command APDU. le < 0: no Le field; 0 < le ≤ 256
// otherwise (256 encoded as 00), or, with ext, 0 < le ≤ 65536 in an
// extended-length Le (65536 encoded as 0000).
type command struct {
	cla, ins, p1, p2 byte
	data             []byte
	le               int
	ext              bool
	op               string // for errors and traces
}

// bytes encodes the command as a short APDU, or an extended-length one
// with ext (ISO 7816-4 cases 2E–4E).
func (c command) bytes() []byte {
	b := make([]byte, 0, 9+len(c.data))
	b = append(b, c.cla, c.ins, c.p1, c.p2)
	if c.ext {
		if len(c.data) > 0 {
			b = append(b, 0, byte(len(c.data)>>8), byte(len(c.data)))
			b = append(b, c.data...)
		}
		if c.le >= 0 {
			if len(c.data) == 0 {
				b = append(b, 0)
			}
			b = append(b, byte(c.le>>8), byte(c.le)) // 65536 → 0000
		}
		return b
	}
	if len(c.data) > 0 {
		b = append(b, byte(len(c.data)))
		b = append(b, c.data...)
	}
	if c.le >= 0 {
		b = append(b, byte(c.le)) // 256 → 00
	}
	return b
}

// selectApp selects an application by AID.
func selectApp(aid []byte, op string) command {
	return command{cla: 0x00, ins: insSelect, p1: 0x04, p2: 0x0C, data: aid, le: -1, op: op}
}

func selectEF(id uint16) command {
	return command{cla: 0x00, ins: insSelect, p1: 0x02, p2: 0x0C, data: []byte{byte(id >> 8), byte(id)}, le: -1,
		op: fmt.Sprintf("select EF %04X", id)}
}

// readBinary reads n (1..256) bytes at off (< 32768).
func readBinary(off, n int) command {
	return command{cla: 0x00, ins: insReadBinary, p1: byte(off>>8) & 0x7F, p2: byte(off), le: n, op: "read binary"}
}

// readBinaryExt reads up to n (1..65536) bytes at off (< 32768) with an
// extended-length Le: a whole certificate in one command.
func readBinaryExt(off, n int) command {
	return command{cla: 0x00, ins: insReadBinary, p1: byte(off>>8) & 0x7F, p2: byte(off), le: n, ext: true, op: "read binary (extended)"}
}

// pinStatus asks for the tries left of PIN reference ref without spending
// one: VERIFY with no data.
func pinStatus(ref byte) command {
	return command{cla: 0x00, ins: insVerify, p1: 0x00, p2: ref, le: -1, op: "PIN status"}
}

func verify(pin []byte, ref byte) command {
	return command{cla: 0x00, ins: insVerify, p1: 0x00, p2: ref, data: pin, le: -1, op: "verify"}
}

// sign is a profile's sign command over data (a DigestInfo, or a raw
// digest), Le 256.
func sign(s SignCommand, data []byte) command {
	return command{cla: s.CLA, ins: s.INS, p1: s.P1, p2: s.P2, data: data, le: 256, op: "sign"}
}

func getResponse(n int) command {
	return command{cla: 0x00, ins: insGetResponse, p1: 0x00, p2: 0x00, le: n, op: "get response"}
}

// ParseResponse splits a response APDU into its data and status word. It
// fails on fewer than two bytes.
func ParseResponse(r []byte) ([]byte, SW, error) {
	if len(r) < 2 {
		return nil, 0, fmt.Errorf("%w: response of %d bytes", ErrMalformed, len(r))
	}
	n := len(r) - 2
	return r[:n:n], SW(r[n])<<8 | SW(r[n+1]), nil
}

// FormatCommand renders a command APDU in hex for traces and logs, with
// the data of VERIFY, CHANGE REFERENCE DATA and RESET RETRY COUNTER (a PIN
// or password) replaced by a placeholder: the secret never reaches a
// trace, only its length does.
func FormatCommand(apdu []byte) string {
	if len(apdu) < 4 {
		return "malformed " + hexLimit(apdu, 8)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%02X %02X %02X %02X", apdu[0], apdu[1], apdu[2], apdu[3])
	if len(apdu) == 4 {
		return sb.String()
	}
	switch apdu[1] {
	case 0x20, 0x21, 0x24, 0x2C:
		if len(apdu) > 5 {
			fmt.Fprintf(&sb, " %02X [%d bytes redacted]", apdu[4], len(apdu)-5)
			return sb.String()
		}
	}
	fmt.Fprintf(&sb, " %02X", apdu[4])
	if len(apdu) > 5 {
		sb.WriteByte(' ')
		sb.WriteString(hexLimit(apdu[5:], 64))
	}
	return sb.String()
}

// FormatResponse renders a response APDU for traces: the status word and
// the data (truncated after 32 bytes).
func FormatResponse(r []byte) string {
	data, sw, err := ParseResponse(r)
	if err != nil {
		return "malformed " + hexLimit(r, 8)
	}
	if len(data) == 0 {
		return sw.String()
	}
	return fmt.Sprintf("%s [%d bytes] %s", sw, len(data), hexLimit(data, 32))
}

func hexLimit(b []byte, limit int) string {
	if len(b) <= limit {
		return strings.ToUpper(hex.EncodeToString(b))
	}
	return fmt.Sprintf("%s… (+%d)", strings.ToUpper(hex.EncodeToString(b[:limit])), len(b)-limit)
}
