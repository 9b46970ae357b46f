package protocol

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"

	"kofu/protocol/pages"
)

// Pages checks every page of a verified envelope (§3.4 rules 3 and 4).
// data[i] holds the fetched bytes of page i+1. It returns the verified
// rasters only when every page passed: nothing is printed unless all are
// good, and what is printed is what was checked.
func (v *Verifier) Pages(env *VerifiedEnvelope, data [][]byte) ([]*VerifiedPage, error) {
	if len(data) != len(env.e.Pages) {
		return nil, refuse(StagePage, ReasonMissing,
			fmt.Sprintf("%d pages supplied, %d declared", len(data), len(env.e.Pages)), nil)
	}
	out := make([]*VerifiedPage, 0, len(data))
	for i := range data {
		p, err := v.Page(env, i+1, data[i])
		if err != nil {
			for _, done := range out {
				done.Wipe()
			}
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// Page checks one page: the hash signed in the envelope, the PNG within
// limits and as declared, and exactly one KOFU symbol in the bottom band
// naming this ticket, request, subject and page.
func (v *Verifier) Page(env *VerifiedEnvelope, n int, data []byte) (*VerifiedPage, error) {
	e := env.e
	if n < 1 || n > len(e.Pages) {
		return nil, &RefusalError{Stage: StagePage, Reason: ReasonMissing, Page: n, Detail: "no such page declared"}
	}
	ref := e.Pages[n-1]
	pageErr := func(r Reason, detail string, err error) error {
		return &RefusalError{Stage: StagePage, Reason: r, Page: n, Detail: detail, Err: err}
	}
	sum := sha256.Sum256(data)
	if !bytes.Equal(sum[:], ref.SHA256) {
		return nil, pageErr(ReasonHash, "", nil)
	}
	lim := v.PageLimits
	if lim == (pages.Limits{}) {
		lim = pages.DefaultLimits()
	}
	img, err := pages.Decode(data, ref.W, ref.H, ref.DPI, lim)
	if err != nil {
		reason := ReasonImage
		var pe *pages.Error
		if errors.As(err, &pe) {
			switch pe.Kind {
			case pages.KindDimensions:
				reason = ReasonDimensions
			case pages.KindDPI:
				reason = ReasonDPI
			}
		}
		return nil, pageErr(reason, "", err)
	}
	vp := &VerifiedPage{N: n, DPI: ref.DPI, Image: img}
	texts, err := pages.FindQR(img, ref.DPI)
	if err != nil {
		vp.Wipe()
		return nil, pageErr(ReasonQRMissing, "", err)
	}
	var kofu []string
	for _, t := range texts {
		if strings.HasPrefix(t, QRPrefix+"|") {
			kofu = append(kofu, t)
		}
	}
	switch len(kofu) {
	case 0:
		vp.Wipe()
		return nil, pageErr(ReasonQRMissing, fmt.Sprintf("%d other symbols", len(texts)), nil)
	case 1:
	default:
		vp.Wipe()
		return nil, pageErr(ReasonQRMultiple, fmt.Sprintf("%d KOFU symbols", len(kofu)), nil)
	}
	got, err := ParseQRText(kofu[0])
	want := QRText{TID: env.ticket.t.TID, Binding: env.ticket.sent.binding, Subject: env.ticket.sent.subject,
		N: n, Total: len(e.Pages)}
	if err != nil || !got.Equal(want) {
		vp.Wipe()
		return nil, pageErr(ReasonQRMismatch, qrDiff(got, want), err)
	}
	return vp, nil
}

// qrDiff names the fields that differ, for technicians (no personal data:
// only which field).
func qrDiff(got, want QRText) string {
	var d []string
	if !bytes.Equal(got.TID, want.TID) {
		d = append(d, "tid")
	}
	if !bytes.Equal(got.Binding, want.Binding) {
		d = append(d, "binding")
	}
	if !bytes.Equal(got.Subject, want.Subject) {
		d = append(d, "subject")
	}
	if got.N != want.N || got.Total != want.Total {
		d = append(d, "page")
	}
	return "differs in " + strings.Join(d, ",")
}

// Wipe zeroes the raster so no document pixels outlive the session.
func (p *VerifiedPage) Wipe() {
	if p != nil && p.Image != nil {
		clear(p.Image.Pix)
	}
}
