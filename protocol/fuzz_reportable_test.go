package protocol

import (
	"bytes"
	"testing"
	"time"
)

// FuzzCheckTicketReportable: whatever the fields of a ticket, signed
// inside the target by the center's signer or another key, with its
// signature intact or broken, CheckTicket names a ticket id to report
// under only when the center's signer signed exactly these bytes and the
// refusal came from a rule after the signature; the id is then the
// signed one.
func FuzzCheckTicketReportable(f *testing.F) {
	fl := newFlow(f)
	tid, rid, bnd := []byte(fl.tk.TID), []byte(fl.tk.RID), []byte(fl.tk.Binding)
	other := bytes.Repeat([]byte{1}, DigestSize)
	f.Add(tid, rid, bnd, int64(0), int64(900), false, false)
	f.Add(tid, rid, other, int64(0), int64(900), false, false)
	f.Add(tid, rid, other, int64(0), int64(900), true, false)
	f.Add(tid, rid, other, int64(0), int64(900), false, true)
	f.Add(tid[:5], rid, bnd, int64(-7200), int64(-3600), false, false)
	f.Add(tid, []byte{1, 2}, bnd, int64(3600), int64(7200), false, false)
	f.Fuzz(func(t *testing.T, tid, rid, binding []byte, iatOff, expOff int64, otherKey, breakSig bool) {
		if iatOff < -1<<32 || iatOff > 1<<32 || expOff < -1<<32 || expOff > 1<<32 {
			t.Skip()
		}
		tk := fl.tk
		tk.TID, tk.RID, tk.Binding = tid, rid, binding
		tk.IAT, tk.EXP = testNow.Unix()+iatOff, testNow.Unix()+expOff
		key, chain := fl.p.centerSig.key, fl.p.centerChain()
		if otherKey {
			key, chain = fl.p.issuerSig.key, fl.p.issuerChain()
		}
		compact, err := SignTicket(key, chain, tk)
		if err != nil {
			t.Fatal(err)
		}
		if breakSig {
			compact = flipSig(t, compact)
		}
		v := *fl.v
		v.Now = func() time.Time { return testNow }
		vt, rt, err := v.CheckTicket(compact, fl.sent)
		if rt == nil {
			return
		}
		switch {
		case vt != nil || err == nil:
			t.Fatalf("a verified ticket (err %v) also named for a refusal", err)
		case otherKey || breakSig:
			t.Fatalf("ticket id reported from a ticket the center did not sign (otherKey %v, broken %v): %v", otherKey, breakSig, err)
		case !reportable(rt.Refusal().Reason) || rt.Refusal().Stage != StageTicket:
			t.Fatalf("reported after %s, a refusal before the signature", rt.Refusal().Code())
		case !bytes.Equal(rt.TID(), tid) || len(tid) != TIDSize:
			t.Fatalf("reported under %x, signed tid %x", rt.TID(), tid)
		}
	})
}
