//go:build cgo

package cardreader

import (
	"errors"
	"time"

	"github.com/ebfe/scard"
)

// This file is the only cgo code of the package: PC/SC through
// libpcsclite (pcsc-lite's libpcsclite-dev to build, pcscd to run).

func newSys() (sysAPI, error) { return scardSys{}, nil }

type scardSys struct{}

func (scardSys) establish() (sysContext, error) {
	c, err := scard.EstablishContext()
	if err != nil {
		return nil, mapErr("establish context", err)
	}
	return &scardContext{c: c}, nil
}

type scardContext struct{ c *scard.Context }

func (s *scardContext) listReaders() ([]string, error) {
	r, err := s.c.ListReaders()
	return r, mapErr("list readers", err)
}

func (s *scardContext) getStatusChange(states []readerState, timeout time.Duration) error {
	rs := make([]scard.ReaderState, len(states))
	for i, st := range states {
		rs[i] = scard.ReaderState{Reader: st.reader, CurrentState: scard.StateFlag(st.currentState)}
	}
	if err := s.c.GetStatusChange(rs, timeout); err != nil {
		return mapErr("get status change", err)
	}
	for i := range states {
		states[i].eventState = uint32(rs[i].EventState)
		states[i].atr = append([]byte(nil), rs[i].Atr...)
	}
	return nil
}

func (s *scardContext) cancel() error { return mapErr("cancel", s.c.Cancel()) }

func (s *scardContext) connect(reader string, exclusive bool) (sysCard, error) {
	mode := scard.ShareShared
	if exclusive {
		mode = scard.ShareExclusive
	}
	c, err := s.c.Connect(reader, mode, scard.ProtocolT0|scard.ProtocolT1)
	if err != nil {
		return nil, mapErr("connect", err)
	}
	return &scardCard{c: c}, nil
}

func (s *scardContext) release() error { return mapErr("release context", s.c.Release()) }

type scardCard struct{ c *scard.Card }

func (s *scardCard) transmit(apdu []byte) ([]byte, error) {
	switch s.c.ActiveProtocol() {
	case scard.ProtocolT0, scard.ProtocolT1:
	default: // scard.Transmit panics on other protocols
		return nil, &PCSCError{Op: "transmit", Msg: "card protocol is neither T=0 nor T=1", Kind: ErrCardUnresponsive}
	}
	r, err := s.c.Transmit(apdu)
	return r, mapErr("transmit", err)
}

func (s *scardCard) beginTransaction() error {
	return mapErr("begin transaction", s.c.BeginTransaction())
}

func (s *scardCard) endTransaction() error {
	return mapErr("end transaction", s.c.EndTransaction(scard.LeaveCard))
}

func (s *scardCard) reconnect(exclusive bool) error {
	mode := scard.ShareShared
	if exclusive {
		mode = scard.ShareExclusive
	}
	return mapErr("reconnect", s.c.Reconnect(mode, scard.ProtocolT0|scard.ProtocolT1, scard.LeaveCard))
}

func (s *scardCard) status() ([]byte, error) {
	st, err := s.c.Status()
	if err != nil {
		return nil, mapErr("status", err)
	}
	return append([]byte(nil), st.Atr...), nil
}

func (s *scardCard) disconnect(unpower bool) error {
	d := scard.LeaveCard
	if unpower {
		d = scard.UnpowerCard // a warm reset (ResetCard) leaves a real card's PIN verified
	}
	return mapErr("disconnect", s.c.Disconnect(d))
}

// mapErr turns an scard error into a *PCSCError that unwraps to the
// package's sentinel for it.
func mapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var se scard.Error
	if !errors.As(err, &se) {
		return &PCSCError{Op: op, Msg: err.Error()}
	}
	return &PCSCError{Op: op, Code: uint32(se), Msg: se.Error(), Kind: errKind(se)}
}

func errKind(se scard.Error) error {
	switch se {
	case scard.ErrNoService, scard.ErrServiceStopped, scard.ErrInvalidHandle, scard.ErrCommError:
		return ErrNoService
	case scard.ErrNoReadersAvailable:
		return ErrNoReader
	case scard.ErrReaderUnavailable, scard.ErrUnknownReader:
		return ErrReaderUnavailable
	case scard.ErrNoSmartcard:
		return ErrNoCard
	case scard.ErrRemovedCard:
		return ErrCardRemoved
	case scard.ErrResetCard:
		return ErrCardReset
	case scard.ErrSharingViolation:
		return ErrSharingViolation
	case scard.ErrUnresponsiveCard, scard.ErrUnpoweredCard, scard.ErrUnsupportedCard, scard.ErrProtoMismatch, scard.ErrNotReady:
		return ErrCardUnresponsive
	case scard.ErrCancelled:
		return errCancelled
	case scard.ErrTimeout:
		return errTimeout
	}
	return nil
}
