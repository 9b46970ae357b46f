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
}
