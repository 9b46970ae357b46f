package emulator

import (
	"context"

	"kofu/cardreader"
	"kofu/cardreader/emucard"
	"kofu/internal/fixtures"
	"kofu/protocol"
	"kofu/terminal"
)

// CardSlot is a resident's emulated My Number card in an in-process
// reader. Sessions open it through the real cardreader code, APDU by APDU;
// the emulated card keeps its PIN counter across sessions as a real card
// does.
type CardSlot struct {
	ec     *emucard.Card
	reader string
}

// NewCardSlot builds res's emulated card.
func NewCardSlot(fx *fixtures.Set, res *fixtures.Resident) (*CardSlot, error) {
	ec, err := emucard.New(fx, res, emucard.Options{})
	if err != nil {
		return nil, err
	}
	return &CardSlot{ec: ec, reader: "kofu emulated reader 00"}, nil
}

// Open connects to the card for one session (SELECT of the JPKI applet);
// the caller closes it when the session ends.
func (s *CardSlot) Open(ctx context.Context) (*cardreader.Card, error) {
	return cardreader.Open(ctx, s.ec.Dialer(s.reader), nil)
}

// OrderFor is the order a resident would place for doc: at the
// municipality of residence, or at the 本籍地 for family registers (the
// kiosk cannot read either from the card; the resident chooses).
func OrderFor(res *fixtures.Resident, doc protocol.DocSpec) terminal.Order {
	return terminal.Order{Muni: res.RecordMuni(doc.Type), Doc: doc}
}
