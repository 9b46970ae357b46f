package pjl

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
)

// UEL is the Universal Exit Language sequence that starts and ends every
// PJL job.
const UEL = "\x1b%-12345X"

// Job names one print job and the ECHO token that marks, in the readback
// channel, where this job's answers begin.
type Job struct {
	Name     string // unique, used in JOB and EOJ, answered in USTATUS JOB
	Echo     string // token of the @PJL ECHO sent before the job
	Language string // PJL personality of the data, e.g. "PCL"
	// Duplex sets the job two-sided, long-edge binding (@PJL SET
	// DUPLEX=ON, BINDING=LONGEDGE) before the data; the data selects it
	// too (PCL ESC&l1S), as PJL sets only the defaults a reset restores.
	Duplex bool
}

// NewJob returns a job with a fresh name and echo token from rand
// (crypto/rand.Reader if nil).
func NewJob(rand io.Reader, language string) (Job, error) {
	if rand == nil {
		rand = cryptoRand{}
	}
	var b [24]byte
	if _, err := io.ReadFull(rand, b[:]); err != nil {
		return Job{}, fmt.Errorf("pjl: job name: %w", err)
	}
	return Job{Name: "kofu-" + hex.EncodeToString(b[:12]), Echo: "kofu-sync-" + hex.EncodeToString(b[12:]), Language: language}, nil
}

type cryptoRand struct{}

func (cryptoRand) Read(p []byte) (int, error) { return rand.Read(p) }

// Header is what precedes the job's data: UEL, the ECHO that synchronises
// the readback, unsolicited job, device and page status on, a status
// query, the named JOB, for a duplex job the DUPLEX and BINDING settings,
// and the switch to the data's language.
func (j Job) Header() []byte {
	var b strings.Builder
	b.WriteString(UEL + "@PJL\r\n")
	fmt.Fprintf(&b, "@PJL ECHO %s\r\n", j.Echo)
	b.WriteString("@PJL USTATUS DEVICE=ON\r\n")
	b.WriteString("@PJL USTATUS JOB=ON\r\n")
	b.WriteString("@PJL USTATUS PAGE=ON\r\n")
	b.WriteString("@PJL INFO STATUS\r\n")
	fmt.Fprintf(&b, "@PJL JOB NAME=%q\r\n", j.Name)
	if j.Duplex {
		b.WriteString("@PJL SET DUPLEX=ON\r\n")
		b.WriteString("@PJL SET BINDING=LONGEDGE\r\n")
	}
	fmt.Fprintf(&b, "@PJL ENTER LANGUAGE=%s\r\n", j.Language)
	return []byte(b.String())
}

// Footer ends the job: UEL, the EOJ with the same name, UEL.
func (j Job) Footer() []byte {
	b := append([]byte(UEL), fmt.Sprintf("@PJL EOJ NAME=%q\r\n", j.Name)...)
	return append(b, UEL...)
}

// InfoStatus is a status query outside any job (kiosk printer status).
func InfoStatus(echo string) []byte {
	b := append([]byte(UEL), fmt.Sprintf("@PJL\r\n@PJL ECHO %s\r\n@PJL INFO STATUS\r\n", echo)...)
	return append(b, UEL...)
}

// StatusQuery asks a printer its state between or after jobs, without an
// ECHO: the readback of a running job is already synchronised by the
// job's own ECHO, and the answer is an "@PJL INFO STATUS" message.
func StatusQuery() []byte {
	return []byte(UEL + "@PJL\r\n@PJL INFO STATUS\r\n" + UEL)
}
