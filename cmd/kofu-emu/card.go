package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"

	"kofu/cardreader/emucard"
	"kofu/internal/fixtures"
)

// runCard is `kofu-emu card --vpcd HOST:PORT --resident ID [--pin PIN]`
// (DESIGN §8): a test resident's emulated My Number card, plugged into a
// real pcscd through vsmartcard-vpcd. It prints one JSON line when it
// starts, one each time the card is in the reader, and the APDU count
// when it stops (on SIGINT/SIGTERM). Exit codes: 0 stopped, 1 failed, 2
// usage.
//
// A G… resident holds a generation-2 card (ECDSA P-384): its APDU
// profile is an assumption (cardHelp says so, and where it lives).
func runCard(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("card", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), cardHelp)
		fs.PrintDefaults()
	}
	vpcd := fs.String("vpcd", "127.0.0.1:35963", "vpcd address: port 35963 is reader 0, 35964 reader 1")
	residentID := fs.String("resident", "", "the test resident whose card this is (R0001…, P0001…: generation 1; G0001…: generation 2, assumed APDUs)")
	pin := fs.String("pin", "", "the card's PIN instead of the resident's (4 digits)")
	variant := fs.String("variant", "mynumber", "token: mynumber, or smartphone (the certificate then needs the PIN)")
	atr := fs.String("atr", "", "ATR in hex instead of 3BE000FF8131FE4514")
	first6F00 := fs.Bool("first-6f00", false, "quirk: answer 6F00 to the first APDU after power-up")
	delay := fs.Duration("delay", 0, "fault: delay every answer by this long")
	verbose := fs.Bool("v", false, "log every APDU on stderr (PINs redacted)")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	if fs.NArg() > 0 {
		return 2, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *residentID == "" {
		return 2, errors.New("--resident is required")
	}
	if *pin != "" && (len(*pin) != 4 || strings.Trim(*pin, "0123456789") != "") {
		return 2, errors.New("--pin must be 4 digits")
	}
	v, err := emucard.ParseVariant(*variant)
	if err != nil {
		return 2, err
	}
	o := emucard.Options{Variant: v, PIN: *pin, FirstAPDU6F00: *first6F00, Faults: emucard.Faults{Delay: *delay}}
	if *atr != "" {
		if o.ATR, err = hex.DecodeString(strings.ReplaceAll(*atr, " ", "")); err != nil || len(o.ATR) < 2 || len(o.ATR) > 33 {
			return 2, fmt.Errorf("--atr: not an ATR in hex: %q", *atr)
		}
	}
	if *verbose {
		o.Log = &cardLogWriter{w: stderr}
	}
	fx, err := fixtures.Load()
	if err != nil {
		return 1, err
	}
	r, ok := fx.Resident(*residentID)
	if !ok {
		return 2, fmt.Errorf("no resident %q in the fixtures", *residentID)
	}
	card, err := emucard.New(fx, r, o)
	if err != nil {
		return 1, err
	}
	out := &cardLogWriter{w: stdout}
	emit := func(v map[string]any) {
		b, _ := json.Marshal(v)
		fmt.Fprintln(out, string(b))
	}
	tries, _ := card.PINState()
	prof := card.Profile()
	emit(map[string]any{"event": "card", "resident": r.ID, "vpcd": *vpcd, "token": string(card.Token()),
		"profile": prof.Name, "profile_assumed": prof.Assumed, "key": prof.Key.String(),
		"atr": strings.ToUpper(hex.EncodeToString(card.ATR())), "cert_serial": r.CardCert.SerialNumber.Text(16), "pin_tries": tries})
	err = card.ServeVPCD(ctx, *vpcd, func() { emit(map[string]any{"event": "inserted", "vpcd": *vpcd}) })
	s := card.Stats()
	tries, _ = card.PINState()
	emit(map[string]any{"event": "stopped", "apdus": s.APDUs, "pin_tries": tries})
	if err != nil {
		return 1, err
	}
	return 0, nil
}

// cardHelp heads `kofu-emu card --help`.
const cardHelp = `usage: kofu-emu card --resident ID [--vpcd HOST:PORT] [flags]

An emulated My Number card of a test resident, plugged into a real pcscd
through vsmartcard-vpcd, for kiosk card, OpenSC and the kiosk itself.

The card's generation is the resident's:
  R…, P…  generation 1, the current card: the JPKI applet with an RSA-2048
          key, as public sources describe it (cardreader.ProfileGen1).
  G…      generation 2, the next card (ECDSA P-384 with SHA-384). ITS APDU
          PROFILE IS AN ASSUMPTION: no specification of the second-generation
          card's APDUs is public. The assumed AID, file ids, PIN reference
          and sign command (00 2A 9E 9A over the raw SHA-384 digest,
          answering r||s) live in one place, cardreader.ProfileGen2Assumed
          in cardreader/profile.go; the emulated card and kofu's card code
          both take them from there. OpenSC does not know this card.

flags:
`

// cardLogWriter serialises writes from the card's goroutines.
type cardLogWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *cardLogWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
