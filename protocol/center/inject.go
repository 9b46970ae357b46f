package center

import (
	"bytes"
	"context"
	"encoding/base64"
	"slices"
	"strings"
	"time"

	"kofu/protocol"
)

// pickFaultLocked decides whether a new ticket gets a fault, and which.
// The faults of two-sided documents are only picked for a request that
// asked for two sides, the members faults for a request that names
// household members (member-extra when spare members were not chosen),
// never a household list's fault: every fault picked really happens.
func (c *Center) pickFaultLocked(doc protocol.DocSpec, spare int) *Fault {
	faults := slices.DeleteFunc(slices.Clone(c.cfg.Faults), func(f Fault) bool { return !f.fitsRequest(doc, spare) })
	if len(faults) == 0 || c.rng.Float64() >= c.cfg.FaultRate {
		return nil
	}
	f := faults[c.rng.IntN(len(faults))]
	return &f
}

// applyFault returns the document the center will serve under j's ticket
// and, when it deviates from the genuine one, the record of the
// injection. Each case follows the mechanism of its incident; in every
// mix-up the center signs whatever it holds, so the envelope's page hashes
// match the pages served.
func (c *Center) applyFault(ctx context.Context, j *job, genuine *document) (*document, *Injection, error) {
	if j.fault == nil {
		return genuine, nil, nil
	}
	inj := &Injection{TID: j.key, Fault: j.fault.Name, Served: j.key, Mixup: j.fault.Mixup()}
	switch j.fault.Name {
	case FaultSlow, FaultDrop, FaultLateDelivery:
		// Served correctly, but late or not at all: see the handlers.
		inj.Source = "transport"
		return genuine, inj, nil

	case FaultLockTimeoutRelease:
		// Yokohama: the slow job's print slot was released on timeout and
		// the next job's print image was fetched into it.
		other, src, err := c.otherDocument(ctx, j, func(o *job) bool { return o.created.After(j.created) })
		if err != nil {
			return nil, nil, err
		}
		inj.Source, inj.Served = src, other.owner
		return other, inj, nil

	case FaultSameSecond:
		// Kawasaki: documents stored under a one-second key; a request in
		// the same second overwrote this one's.
		other, src, err := c.otherDocument(ctx, j, func(o *job) bool { return o.created.Unix() == j.created.Unix() })
		if err != nil {
			return nil, nil, err
		}
		key := j.created.Unix()
		c.mu.Lock()
		c.bySecond[key] = genuine
		c.bySecond[key] = other // the later write wins
		served := c.bySecond[key]
		for k := range c.bySecond {
			if k < key-60 {
				delete(c.bySecond, k)
			}
		}
		c.mu.Unlock()
		inj.Source, inj.Served = src, served.owner
		return served, inj, nil

	case FaultFIFODispatch:
		// Documents handed out in creation order, whatever the ticket.
		c.mu.Lock()
		var head *document
		for i, d := range c.fifo {
			if d.owner != j.key {
				head = d
				c.fifo = append(c.fifo[:i:i], c.fifo[i+1:]...)
				break
			}
		}
		c.mu.Unlock()
		src := "live"
		if head == nil {
			var err error
			if head, err = c.background(ctx, c.otherResident(j.resident, j.req.Doc.Type), j.req.Doc, j.created.Add(-time.Minute)); err != nil {
				return nil, nil, err
			}
			src = "background"
		}
		inj.Source, inj.Served = src, head.owner
		return head, inj, nil

	case FaultSingleServer:
		// Takamatsu: state meant per request lived in one shared variable;
		// this ticket's envelope was built from whatever request wrote it
		// last.
		other, src, err := c.otherDocument(ctx, j, nil)
		if err != nil {
			return nil, nil, err
		}
		c.mu.Lock()
		c.shared = other
		shared := c.shared
		c.mu.Unlock()
		env := shared.env
		env.TID = j.tid // the URL's ticket id, the rest from the shared state
		signed, err := c.seal(env)
		if err != nil {
			return nil, nil, err
		}
		inj.Source, inj.Served = src, shared.owner
		return &document{owner: j.key, resident: shared.resident, envelope: signed, pages: shared.pages, env: env}, inj, nil

	case FaultSyncOverwrite:
		// Adachi: a record sync running beside 2+ print jobs overwrote this
		// job's rendered image with another job's before the envelope was
		// built.
		other, src, err := c.otherDocument(ctx, j, nil)
		if err != nil {
			return nil, nil, err
		}
		pngs := append([][]byte(nil), genuine.pages...)
		for i := range pngs {
			if i < len(other.pages) {
				pngs[i] = other.pages[i]
			}
		}
		d, err := c.reseal(j, genuine, pngs, nil)
		inj.Source, inj.Served = src, other.owner
		return d, inj, err

	case FaultPageSwap:
		// Tokushima: one page of the document came from another document.
		other, src, err := c.otherDocument(ctx, j, nil)
		if err != nil {
			return nil, nil, err
		}
		pngs := append([][]byte(nil), genuine.pages...)
		k := len(pngs) - 1 // the last page (page 2 of 3 in Tokushima; any page will do)
		if len(pngs) > 2 {
			k = 1
		}
		pngs[k] = other.pages[min(k, len(other.pages)-1)]
		d, err := c.reseal(j, genuine, pngs, nil)
		inj.Source, inj.Served = src, other.owner
		return d, inj, err

	case FaultWrongRecord:
		// The page is rendered from another resident's record, with this
		// request's ids; the issuer links the subject to that record.
		other := c.otherResident(j.resident, j.req.Doc.Type)
		src := j.source()
		src.record = other
		src.subject = protocol.Subject(j.binding, other.CardCertDER)
		d, err := c.renderDocument(ctx, src)
		if err != nil {
			return nil, nil, err
		}
		inj.Source = "record:" + other.ID
		return d, inj, nil

	case FaultStaleReplay:
		// An earlier, genuine document of the same resident is served again.
		c.mu.Lock()
		var stale *document
		for _, d := range c.history[j.resident.ID] {
			if d.owner != j.key {
				stale = d
			}
		}
		c.mu.Unlock()
		src := "live"
		if stale == nil {
			var err error
			if stale, err = c.background(ctx, j.resident, j.req.Doc, j.created.Add(-72*time.Hour)); err != nil {
				return nil, nil, err
			}
			src = "background"
		}
		inj.Source, inj.Served = src, stale.owner
		return stale, inj, nil

	case FaultForeignTerminal:
		// A genuine document issued to another terminal.
		other, src, err := c.otherDocument(ctx, j, func(o *job) bool { return o.term != j.term })
		if err != nil {
			return nil, nil, err
		}
		inj.Source, inj.Served = src, other.owner
		return other, inj, nil

	case FaultBadSignature:
		d := *genuine
		d.envelope = breakSignature(genuine.envelope)
		return &d, inj, nil

	case FaultExpired:
		d, err := c.reseal(j, genuine, genuine.pages, func(e *protocol.Envelope) {
			now := c.cfg.Now()
			e.IAT, e.EXP = now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
		})
		return d, inj, err

	case FaultErrorWithDocument:
		// The issuer flagged an error and the document went out anyway.
		flagged := struct {
			protocol.Envelope
			Error string `json:"error"`
		}{genuine.env, "issuer-unavailable"}
		signed, err := c.seal(flagged)
		if err != nil {
			return nil, nil, err
		}
		d := *genuine
		d.envelope, d.header = signed, "issuer-unavailable"
		return &d, inj, nil

	case FaultQRFaintOwn, FaultQRGrayOnly, FaultQRInvertedSecond, FaultQRInBody, FaultQRBandStraddle, FaultQREdge:
		return c.paperFault(ctx, j, genuine, inj)

	case FaultBackForeign, FaultBackMissing, FaultFrontBackSwap:
		return c.duplexFault(ctx, j, genuine, inj)

	case FaultMemberExtra, FaultMemberDropped:
		return c.membersFault(ctx, j, inj)
	}
	return genuine, nil, nil
}

// otherDocument finds another job's genuine, ready document (a live one
// matching keep, when keep is non-nil) or renders one for a request from
// elsewhere, so that the fault always really happens.
func (c *Center) otherDocument(ctx context.Context, j *job, keep func(*job) bool) (*document, string, error) {
	c.mu.Lock()
	for _, o := range c.jobs {
		if o != j && o.genuine != nil && (keep == nil || keep(o)) {
			d := o.genuine
			c.mu.Unlock()
			return d, "live", nil
		}
	}
	c.mu.Unlock()
	d, err := c.background(ctx, c.otherResident(j.resident, j.req.Doc.Type), j.req.Doc, j.created)
	return d, "background", err
}

// reseal builds and signs a new envelope for j over pngs (the pages the
// issuer now holds), optionally edited.
func (c *Center) reseal(j *job, genuine *document, pngs [][]byte, edit func(*protocol.Envelope)) (*document, error) {
	env := c.envelope(j.source(), genuine.env.Serial, pngs, genuine.env.Pages)
	env.AsOf = genuine.env.AsOf
	if edit != nil {
		edit(&env)
	}
	signed, err := c.seal(env)
	if err != nil {
		return nil, err
	}
	return &document{owner: j.key, resident: genuine.resident, envelope: signed, pages: pngs, env: env}, nil
}

// breakSignature flips one bit of a compact JWS's signature.
func breakSignature(compact []byte) []byte {
	i := bytes.LastIndexByte(compact, '.')
	sig, err := base64.RawURLEncoding.DecodeString(string(compact[i+1:]))
	if err != nil || len(sig) == 0 {
		return compact
	}
	sig[len(sig)/2] ^= 0x01
	return []byte(strings.Join([]string{string(compact[:i]), base64.RawURLEncoding.EncodeToString(sig)}, "."))
}
