package center

import (
	"context"
	"crypto/x509"
	"fmt"
	"slices"
	"time"

	"kofu/internal/fixtures"
	"kofu/protocol"
)

// The faults of household members chosen individually (世帯の一部). As in
// every mix-up the center signs whatever it holds: a list answered for a
// query carries the ids of the query it was made for, an envelope names
// the members the issuer really rendered.
//
//	member-extra            the issuer renders one more household member
//	                        than the resident chose (the first one not
//	                        chosen) and lists it: a selection lost
//	                        between the request and the render
//	member-dropped          the issuer leaves the last chosen member out
//	                        and lists those it rendered
//	household-other-list    the answer to a query is another query's list
//	                        (another resident's household), as signed for
//	                        that query: a response cache keyed too loosely
//	household-wrong-record  the answer carries this query's ids over
//	                        another resident's household: the record
//	                        looked up by the wrong key
//
// The member faults only strike a request that names members (and
// member-extra one whose household has a member not chosen), the list
// faults only a household query: every fault picked really happens.

// The fault names.
const (
	FaultMemberExtra          FaultName = "member-extra"
	FaultMemberDropped        FaultName = "member-dropped"
	FaultHouseholdOtherList   FaultName = "household-other-list"
	FaultHouseholdWrongRecord FaultName = "household-wrong-record"
)

// Members reports whether the fault alters the members of a document
// (a request that names members).
func (f Fault) Members() bool { return f.Name == FaultMemberExtra || f.Name == FaultMemberDropped }

// HouseholdList reports whether the fault alters the answer to a
// household query.
func (f Fault) HouseholdList() bool {
	return f.Name == FaultHouseholdOtherList || f.Name == FaultHouseholdWrongRecord
}

// fitsRequest reports whether the fault can strike a request for doc
// whose household has spare members not chosen.
func (f Fault) fitsRequest(doc protocol.DocSpec, spare int) bool {
	switch {
	case f.Duplex():
		return doc.Sides == protocol.SidesTwoSided
	case f.HouseholdList():
		return false
	case f.Name == FaultMemberExtra:
		return doc.Members != nil && spare > 0
	case f.Name == FaultMemberDropped:
		return doc.Members != nil
	}
	return true
}

// pickListFaultLocked decides whether a household query's answer gets a
// fault, and which: one of the configured list faults, at the fault rate.
func (c *Center) pickListFaultLocked() *Fault {
	faults := slices.DeleteFunc(slices.Clone(c.cfg.Faults), func(f Fault) bool { return !f.HouseholdList() })
	if len(faults) == 0 || c.rng.Float64() >= c.cfg.FaultRate {
		return nil
	}
	f := faults[c.rng.IntN(len(faults))]
	return &f
}

// listFault makes the answer a faulty center gives to query q of res's
// card, and records the injection (its TID is the query's qid).
func (c *Center) listFault(ctx context.Context, f Fault, res *fixtures.Resident, leaf *x509.Certificate, t terminal,
	q *protocol.HouseholdQuery, binding []byte, now time.Time) ([]byte, error) {
	other := c.otherHouseholdResident(ctx, res)
	if other == res {
		return nil, fmt.Errorf("%s: no other household to serve", f.Name)
	}
	inj := Injection{TID: protocol.B64(q.QID), Fault: f.Name, Source: "record:" + other.ID, Mixup: true, Delivered: true}
	var list protocol.Household
	var err error
	switch f.Name {
	case FaultHouseholdOtherList:
		// A list made for a query from elsewhere: its own ids, binding and
		// subject (the other card's), as that query's answer was signed.
		oq := *q
		if oq.QID, err = protocol.RandomID(protocol.QIDSize); err != nil {
			return nil, err
		}
		ob, err := protocol.RandomID(protocol.DigestSize)
		if err != nil {
			return nil, err
		}
		_, list, err = c.newList(other, other.CardCert, t, protocol.Subject(ob, other.CardCertDER), &oq, ob, now)
		if err != nil {
			return nil, err
		}
		inj.Served = protocol.B64(list.LID)
	case FaultHouseholdWrongRecord:
		// This query's ids; the record, and so the subject, another's.
		_, list, err = c.newList(other, leaf, t, protocol.Subject(binding, other.CardCertDER), q, binding, now)
		if err != nil {
			return nil, err
		}
		inj.Served = protocol.B64(list.LID)
	default:
		return nil, fmt.Errorf("%s is not a household list fault", f.Name)
	}
	signed, err := protocol.SignHousehold(c.fx.CenterSigner.Key, [][]byte{c.fx.CenterSigner.CertDER}, list)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.injected = append(c.injected, inj)
	c.mu.Unlock()
	c.m.faults.WithLabelValues(string(f.Name)).Inc()
	return signed, nil
}

// membersFault renders j's document with other members than chosen, as
// the fault says, and lists the members it rendered.
func (c *Center) membersFault(ctx context.Context, j *job, inj *Injection) (*document, *Injection, error) {
	src := j.source()
	switch j.fault.Name {
	case FaultMemberExtra:
		extra := -1
		for i := range j.resident.Household {
			if !slices.ContainsFunc(src.members, func(m chosen) bool { return m.index == i }) {
				extra = i
				break
			}
		}
		if extra < 0 {
			return nil, nil, fmt.Errorf("%s: every household member was chosen", j.fault.Name)
		}
		c.mu.Lock()
		l := c.lists[protocol.B64(j.req.Doc.Members.List)]
		c.mu.Unlock()
		if l == nil {
			return nil, nil, fmt.Errorf("%s: the list is gone", j.fault.Name)
		}
		members := append(slices.Clone(src.members), chosen{index: extra, token: l.tokens[extra]})
		slices.SortFunc(members, func(a, b chosen) int { return a.index - b.index })
		src.members = members
	case FaultMemberDropped:
		if len(src.members) == 0 {
			return nil, nil, fmt.Errorf("%s: no member chosen", j.fault.Name)
		}
		src.members = slices.Clone(src.members[:len(src.members)-1])
	default:
		return nil, nil, fmt.Errorf("%s is not a members fault", j.fault.Name)
	}
	d, err := c.renderDocument(ctx, src)
	if err != nil {
		return nil, nil, err
	}
	inj.Source = "own"
	return d, inj, nil
}
