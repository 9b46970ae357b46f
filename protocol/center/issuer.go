package center

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
	"time"

	"kofu/internal/fixtures"
	"kofu/protocol"
	"kofu/protocol/pages"
)

// source is what a document is rendered from: the ids it is bound to and
// the record whose content it prints.
type source struct {
	tid, rid, binding, subject []byte
	doc                        protocol.DocSpec
	record                     *fixtures.Resident
	asof                       time.Time
	owner                      string
	// members are the household members to render (doc.members), in the
	// household's order; the envelope lists their tokens.
	members []chosen
}

func (j *job) source() source {
	return source{tid: j.tid, rid: j.req.RID, binding: j.binding, subject: j.subject, doc: j.req.Doc,
		record: j.resident, asof: j.created.Truncate(time.Minute), owner: j.key, members: j.members}
}

// issue is the issuer's work for one ticket: render the genuine document,
// apply the ticket's fault if it has one, and publish what will be served.
// A job that fails or runs past JobTimeout is marked failed: its slot is
// never handed to another job's document.
func (c *Center) issue(j *job) {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.JobTimeout)
	defer cancel()
	start := c.cfg.Now()
	doc, err := c.renderDocument(ctx, j.source())
	if err == nil && c.cfg.RenderDelay > 0 {
		err = sleepCtx(ctx, c.cfg.RenderDelay)
	}
	var served *document
	var inj *Injection
	if err == nil {
		served, inj, err = c.applyFault(ctx, j, doc)
	}
	c.m.stage.WithLabelValues("render").Observe(c.cfg.Now().Sub(start).Seconds())

	c.mu.Lock()
	defer c.mu.Unlock()
	defer close(j.ready)
	if err != nil {
		j.state = jobFailed
		c.m.jobs.WithLabelValues("failed").Inc()
		c.log.Warn("issuer job aborted", "tid", j.key, "err", err)
		return
	}
	j.genuine, j.delivered, j.state = doc, served, jobReady
	j.rendered = served.specs
	c.m.jobs.WithLabelValues("ready").Inc()
	if inj != nil {
		c.injected = append(c.injected, *inj)
		c.m.faults.WithLabelValues(string(inj.Fault)).Inc()
	}
	// Bounded working sets for the fault modes: the last document of up to
	// historyCap residents, and the last fifoCap documents.
	if _, ok := c.history[j.resident.ID]; !ok && len(c.history) >= historyCap {
		for k := range c.history { // forget an arbitrary resident
			delete(c.history, k)
			break
		}
	}
	c.history[j.resident.ID] = []*document{doc}
	c.fifo = append(c.fifo, doc)
	if len(c.fifo) > fifoCap {
		c.fifo = append(c.fifo[:0:0], c.fifo[len(c.fifo)-fifoCap:]...)
	}
	c.shared = doc
}

// Caps on the documents kept for the fault modes.
const (
	historyCap = 64
	fifoCap    = 16
)

// renderDocument renders and seals a genuine document for src.
func (c *Center) renderDocument(ctx context.Context, src source) (*document, error) {
	serial, err := c.serial(src.record.RecordMuni(src.doc.Type))
	if err != nil {
		return nil, err
	}
	specs := c.composeMembers(src.record, src.doc, memberIndices(src.members), src.asof, serial)
	layout := faceLayout(len(specs), src.doc.Sides == protocol.SidesTwoSided)
	pngs := make([][]byte, 0, len(layout))
	for i := range specs {
		s := &specs[i]
		// Each face's symbol names its place in print order and, on a
		// two-sided document, its sheet and face. The printed "n / total"
		// counts sheets, as the paper does.
		s.QRText = faceQR(src, layout, len(pngs)).String()
		front, err := c.renderPage(ctx, *s)
		if err != nil {
			return nil, err
		}
		pngs = append(pngs, front)
		if len(layout) == len(specs) {
			continue
		}
		back, err := c.renderBack(ctx, src, *s, front, faceQR(src, layout, len(pngs)).String())
		if err != nil {
			return nil, err
		}
		pngs = append(pngs, back)
	}
	env := c.envelope(src, serial, pngs, layout)
	signed, err := c.seal(env)
	if err != nil {
		return nil, err
	}
	return &document{owner: src.owner, resident: src.record.ID, envelope: signed, pages: pngs, env: env, specs: specs}, nil
}

// memberIndices are the household places of ch (nil for nil: not a
// document of chosen members).
func memberIndices(ch []chosen) []int {
	if ch == nil {
		return nil
	}
	out := make([]int, len(ch))
	for i, m := range ch {
		out[i] = m.index
	}
	return out
}

// renderPage renders one page under the render semaphore. The renderer
// keeps a template per recent page content (the record's page without its
// serial, as-of, page number and QR symbol), so a page whose content was
// issued recently costs only the stamping of those rows: the emulated
// center then keeps up with fleets of kiosks (BenchmarkStamp, and
// `kofu-emu bench` for transactions per second).
func (c *Center) renderPage(ctx context.Context, s pages.Spec) ([]byte, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-c.sem }()
	data, err := c.renderer.EncodePage(s)
	if err != nil {
		return nil, fmt.Errorf("render page %d: %w", s.N, err)
	}
	return data, nil
}

// faceLayout is the faces of a document of n sheets in print order: for a
// one-sided document n pages without face fields (DESIGN §3.2 as it
// stands), for a two-sided one each sheet's front, then its back.
func faceLayout(n int, twoSided bool) []protocol.PageRef {
	if !twoSided {
		return make([]protocol.PageRef, n)
	}
	out := make([]protocol.PageRef, 0, 2*n)
	for s := range n {
		sheet := protocol.SheetNo(s + 1)
		out = append(out, protocol.PageRef{Sheet: sheet, Face: protocol.FaceFront}, protocol.PageRef{Sheet: sheet, Face: protocol.FaceBack})
	}
	return out
}

// faceQR is the symbol text of face i (0-based) of a document for src
// laid out as layout: KOFU1|tid|binding|subject|n/total, and the face
// field when the layout declares faces.
func faceQR(src source, layout []protocol.PageRef, i int) protocol.QRText {
	q := protocol.QRText{TID: src.tid, Binding: src.binding, Subject: src.subject, N: i + 1, Total: len(layout)}
	if l := layout[i]; l.Face != "" {
		sheets := 0
		for _, p := range layout {
			sheets = max(sheets, int(p.Sheet))
		}
		q.Sheet, q.Sheets, q.Face = l.Sheet, sheets, l.Face
	}
	return q
}

// renderBack renders the back of the sheet whose front spec and PNG are
// given (pages.RenderBack), under the render semaphore: the front's
// content scrambled under a seed only this center can derive, the sheet's
// verification code, the anti-forgery mark and the back's own symbol.
func (c *Center) renderBack(ctx context.Context, src source, front pages.Spec, frontPNG []byte, qr string) ([]byte, error) {
	img, err := grayPage(frontPNG)
	if err != nil {
		return nil, fmt.Errorf("back of sheet %d: %w", front.N, err)
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-c.sem }()
	seed, code := c.backKeys(front.Serial, front.N)
	back, err := c.renderer.RenderBack(pages.BackSpec{DPI: front.DPI, Front: img, Seed: seed, Code: code,
		Title: front.Title, Serial: front.Serial, AsOf: front.AsOf, Sheet: front.N, Sheets: front.Total, QRText: qr})
	if err != nil {
		return nil, fmt.Errorf("back of sheet %d: %w", front.N, err)
	}
	data, err := pages.EncodePNG(back, front.DPI)
	if err != nil {
		return nil, fmt.Errorf("back of sheet %d: %w", front.N, err)
	}
	return data, nil
}

// backKeys derives, from the center's back key, the seed that scrambles
// sheet's front onto its back and the sheet's verification code (16
// digits, what a recipient types at the inquiry site). Only the holder of
// the key can make or undo either.
func (c *Center) backKeys(serial string, sheet int) (seed [32]byte, code string) {
	mac := func(label string) []byte {
		m := hmac.New(sha256.New, c.backKey)
		m.Write([]byte(label + "|" + serial + "|" + strconv.Itoa(sheet)))
		return m.Sum(nil)
	}
	copy(seed[:], mac("kofu-back-scramble"))
	v := binary.BigEndian.Uint64(mac("kofu-back-code")) % 10_000_000_000_000_000
	d := fmt.Sprintf("%016d", v)
	return seed, d[0:4] + "-" + d[4:8] + "-" + d[8:12] + "-" + d[12:16]
}

// envelope builds the envelope payload for src over the given page bytes
// (DESIGN §3.2), the faces as layout declares them (a layout shorter than
// pngs declares none). The hashes are of whatever pages the issuer holds:
// a faulty issuer signs what it has.
func (c *Center) envelope(src source, serial string, pngs [][]byte, layout []protocol.PageRef) protocol.Envelope {
	now := c.cfg.Now()
	w, h, _ := pages.PageSize(c.cfg.DPI)
	refs := make([]protocol.PageRef, len(pngs))
	for i, p := range pngs {
		sum := sha256.Sum256(p)
		refs[i] = protocol.PageRef{N: i + 1, SHA256: sum[:], W: w, H: h, DPI: c.cfg.DPI}
		if len(layout) == len(pngs) {
			refs[i].Sheet, refs[i].Face = layout[i].Sheet, layout[i].Face
		}
	}
	return protocol.Envelope{V: protocol.Version, TID: src.tid, RID: src.rid, Binding: src.binding,
		Subject: src.subject, Doc: src.doc, Serial: serial, AsOf: src.asof.In(jst()).Format(time.RFC3339),
		Pages: refs, IAT: now.Unix(), EXP: now.Add(c.cfg.EnvelopeTTL).Unix(), Listed: listTokens(src.members)}
}

// seal signs an envelope payload (or a variant of one) with the issuer key.
func (c *Center) seal(env any) ([]byte, error) {
	return protocol.SignEnvelope(c.fx.IssuerSigner.Key, [][]byte{c.fx.IssuerSigner.CertDER}, env)
}

// serial is the issuer's document serial: municipality code and random
// digits (never time).
func (c *Center) serial(muni string) (string, error) {
	b, err := protocol.RandomID(5)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s-%010d", muni, (uint64(b[0])<<32|uint64(b[1])<<24|uint64(b[2])<<16|uint64(b[3])<<8|uint64(b[4]))%10_000_000_000), nil
}

// background renders a genuine document for a request the center received
// from elsewhere (another store, another terminal, an earlier visit): the
// other job that a real center's lost correlation key would hand out.
func (c *Center) background(ctx context.Context, res *fixtures.Resident, doc protocol.DocSpec, at time.Time) (*document, error) {
	tid, err := protocol.RandomID(protocol.TIDSize)
	if err != nil {
		return nil, err
	}
	rid, err := protocol.RandomID(protocol.RIDSize)
	if err != nil {
		return nil, err
	}
	// The binding of a request this center received from another kiosk:
	// SHA-256 of its bytes, which this emulation does not keep.
	binding, err := protocol.RandomID(protocol.DigestSize)
	if err != nil {
		return nil, err
	}
	src := source{tid: tid, rid: rid, binding: binding, subject: protocol.Subject(binding, res.CardCertDER),
		doc: doc, record: res, asof: at.Truncate(time.Minute), owner: "bg:" + protocol.B64(tid)}
	return c.renderDocument(ctx, src)
}

// otherResident picks an eligible resident other than not, with records
// for doc (a seal for inkan, a register for koseki).
func (c *Center) otherResident(not *fixtures.Resident, doc protocol.DocType) *fixtures.Resident {
	c.mu.Lock()
	defer c.mu.Unlock()
	all := c.fx.Residents
	for range 4 * len(all) {
		r := all[c.rng.IntN(len(all))]
		if r == not || !r.Eligible() || r.Revoked || r.Expired {
			continue
		}
		if doc == protocol.DocInkan && r.Seal == nil {
			continue
		}
		if len(r.Koseki) == 0 && doc.FamilyRegister() {
			continue
		}
		return r
	}
	return not
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
