package pjl

import (
	"testing"

	"kofu/internal/fuzzcorpus"
)

// TestWriteFuzzCorpus writes the committed corpus of FuzzParseCommand:
// every line of kofu's job header and footer and of a status query, and
// lines other hosts send. (FuzzReadback's corpus comes from real jobs on
// the emulated printer: printer's TestWritePJLCorpus.)
func TestWriteFuzzCorpus(t *testing.T) {
	fuzzcorpus.Skip(t)
	c := fuzzcorpus.New("FuzzParseCommand")
	for _, l := range jobLines(testJob) {
		c.Add("kofu-job", l)
	}
	for _, l := range []string{"@PJL INFO STATUS", "@PJL SET RESOLUTION=600", "@PJL SET PAPER = A4",
		`@PJL JOB NAME = "with spaces" START=1 END=2`, "@PJL RDYMSG DISPLAY=\"READY\"",
		"@PJL COMMENT kofu test", "@PJL ENTER LANGUAGE = PCL", "@PJL", "@pjl echo lower", `@PJL JOB NAME="unterminated`,
		"@PJLX", "\x1b%-12345X@PJL"} {
		c.Add("host", l)
	}
	if err := c.Write("."); err != nil {
		t.Fatal(err)
	}
	// FuzzParseConfig: INFO CONFIG answers as printers give them (HP's
	// reference sample, the magicolor form, bare DUPLEX lines, the
	// emulated printer's) and malformed ones.
	cc := fuzzcorpus.New("FuzzParseConfig")
	for name, body := range map[string]string{
		"hp-laserjet4": configHP4, "magicolor-installed": configKM("INSTALLED"), "magicolor-notinstalled": configKM("NOTINSTALLED"),
		"bare-duplex": "IN TRAYS [1 ENUMERATED]\n\tINTRAY1 MP\nDUPLEX\nMEMORY=1\n", "duplex-unit": "DUPLEX UNIT\n",
		"setting-not-unit": "DUPLEX=OFF [2 ENUMERATED]\n\tOFF\n\tON\n", "disagree": "DUPLEX UNIT\nDUPLEX=NOTINSTALLED\n",
		"count-short": "IN TRAYS [3 ENUMERATED]\n\tA\nDUPLEX=NOTINSTALLED\n", "option-first": "\tINTRAY1 MP\nDUPLEX\n",
		"range": "TIMED=0 [2 RANGE]\r\n\t5\r\n\t300\r\n",
	} {
		cc.Add(name, body)
	}
	if err := cc.Write("."); err != nil {
		t.Fatal(err)
	}
}
