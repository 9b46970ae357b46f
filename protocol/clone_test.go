package protocol

import (
	"testing"
)

// TestAccessorsReturnCopies: what the verifier checked cannot be changed
// through what its accessors hand out.
func TestAccessorsReturnCopies(t *testing.T) {
	doc, err := NewDocSpec(DocJuminhyo)
	if err != nil {
		t.Fatal(err)
	}
	tk := Ticket{V: 1, TID: Bytes{1, 2}, RID: Bytes{3}, Binding: Bytes{4}, Doc: doc, Fee: 300}
	env := Envelope{V: 1, TID: Bytes{1, 2}, RID: Bytes{3}, Binding: Bytes{4}, Subject: Bytes{5}, Doc: doc,
		Pages: []PageRef{{N: 1, SHA256: Bytes{6}}}}
	req := Request{V: 1, RID: Bytes{3}, Nonce: Bytes{7}, Doc: doc}
	vt := &VerifiedTicket{t: tk.Clone()}
	ve := &VerifiedEnvelope{e: env.Clone(), ticket: vt}
	sent := &Sent{req: req.Clone(), binding: []byte{4}, subject: []byte{5}, compact: []byte("a.b.c")}

	for _, mutate := range []func(){
		func() { vt.Ticket().TID[0] = 9 },
		func() { vt.Ticket().Doc.Opts["scope"] = "household" },
		func() { vt.TID()[0] = 9 },
		func() { ve.Envelope().Subject[0] = 9 },
		func() { ve.Envelope().Pages[0].SHA256[0] = 9 },
		func() { ve.Envelope().Pages[0].N = 9 },
		func() { ve.Envelope().Doc.Opts["scope"] = "household" },
		func() { sent.Request().RID[0] = 9 },
		func() { sent.Request().Doc.Opts["scope"] = "household" },
		func() { sent.Binding()[0] = 9 },
		func() { sent.Subject()[0] = 9 },
		func() { sent.Compact()[0] = 'x' },
	} {
		mutate()
	}
	if vt.t.TID[0] != 1 || vt.t.Doc.Opts["scope"] != doc.Opts["scope"] || ve.e.Subject[0] != 5 ||
		ve.e.Pages[0].SHA256[0] != 6 || ve.e.Pages[0].N != 1 || ve.e.Doc.Opts["scope"] != doc.Opts["scope"] ||
		sent.req.RID[0] != 3 || sent.req.Doc.Opts["scope"] != doc.Opts["scope"] || sent.binding[0] != 4 ||
		sent.subject[0] != 5 || sent.compact[0] != 'a' {
		t.Fatal("a verified value changed through an accessor")
	}
}
