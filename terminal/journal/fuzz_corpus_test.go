package journal

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"kofu/internal/fuzzcorpus"
)

// TestWriteFuzzCorpus writes the committed corpora of FuzzParseLine and
// FuzzScan from journals written by Open and Append: whole sessions of
// every outcome, a crash recovered at the next open (repair, recovered
// unknown), a torn tail, and tampered, reordered and cut copies.
func TestWriteFuzzCorpus(t *testing.T) {
	fuzzcorpus.Skip(t)
	path := filepath.Join(t.TempDir(), "journal")
	j, _ := openT(t, path)
	card := j.CardHash([]byte("certificate DER"))
	for i, end := range []Record{
		{Kind: KindEnd, State: "printed", Pages: 2, Fee: 450, Billing: "captured"},
		{Kind: KindEnd, State: "refused", Reason: "envelope-subject", Fee: 300, Billing: "released"},
		{Kind: KindEnd, State: "cancelled", Reason: "pin", Billing: "none"},
		{Kind: KindEnd, State: "unknown", Reason: "print-paper-out", Pages: 0, Fee: 300, Billing: "released"},
	} {
		sid := []string{"2kPq0v3yR7mWc9tLxA4b1Q", "hG6s_Nw2DqZ8uJ0eYb5T3A", "Vx7m-1cQe4Rt9KpL2sWz0g", "b3Nf8Yh5Tq0Lr6Vj1Xc9Ew"}[i]
		for _, st := range []string{"card", "choose", "pin", "submit", "fee", "fetch", "print", "settle"} {
			j.Append(Record{Kind: KindState, Session: sid, State: st, Card: card, TID: "mFrzEDj5iJg_OKsM0Nm2RA"})
		}
		end.Session = sid
		j.Append(end)
	}
	j.Append(Record{Kind: KindState, Session: "crashed-in-print", State: "print", Card: card})
	j.Close()
	whole, _ := os.ReadFile(path)

	// A crash mid-write, recovered by the next open.
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.Write([]byte(`{"seq":38,"t":"2026-11-23T07:00:00Z","kind":"sta`))
	f.Close()
	torn, _ := os.ReadFile(path)
	j, _ = openT(t, path)
	j.Close()
	recovered, _ := os.ReadFile(path)

	lines := bytes.SplitAfter(recovered, []byte("\n"))
	scanC := fuzzcorpus.New("FuzzScan")
	scanC.Add("sessions-of-every-outcome-and-one-open", whole)
	scanC.Add("torn-tail", torn)
	scanC.Add("recovered-after-crash", recovered)
	scanC.Add("first-line-only", lines[0])
	scanC.Add("cut-mid-record", recovered[:len(recovered)/2])
	scanC.Add("reordered", append(append(append([]byte(nil), lines[1]...), lines[0]...), bytes.Join(lines[2:], nil)...))
	tampered := bytes.Clone(recovered)
	tampered[bytes.Index(tampered, []byte(`"fee":450`))+7] = '9'
	scanC.Add("fee-changed", tampered)
	scanC.Add("line-dropped", append(bytes.Clone(lines[0]), bytes.Join(lines[2:], nil)...))
	scanC.Add("crlf", bytes.ReplaceAll(whole, []byte("\n"), []byte("\r\n")))
	scanC.Add("empty", []byte{})

	lineC := fuzzcorpus.New("FuzzParseLine")
	first := bytes.TrimSuffix(lines[0], []byte("\n"))
	lineC.Add("first-record", first)
	for _, r := range []Record{
		{Kind: KindState, Session: "2kPq0v3yR7mWc9tLxA4b1Q", State: "pin", Card: card},
		{Kind: KindEnd, Session: "2kPq0v3yR7mWc9tLxA4b1Q", State: "printed", Pages: 2, Fee: 450, Billing: "captured", TID: "mFrzEDj5iJg_OKsM0Nm2RA"},
		{Kind: KindRecovered, Session: "crashed-in-print", State: "unknown", Note: "unfinished-at-start"},
		{Kind: KindRepair, Note: "torn-tail-cut"},
	} {
		r.Time, r.Prev = "2026-11-23T07:00:00.123456789Z", zeroHash
		r.Hash = r.seal()
		b, _ := jsonLine(r)
		lineC.Add("seq0-"+string(r.Kind), b)
	}
	lineC.Add("later-record", bytes.TrimSuffix(lines[5], []byte("\n")))
	lineC.Add("cut", first[:len(first)-10])
	lineC.Add("hash-flipped", append(bytes.Clone(first[:len(first)-3]), []byte(`0"}`)...))
	lineC.Add("free-text", []byte(`{"seq":0,"t":"2026-11-23T07:00:00Z","kind":"state","sid":"s1","state":"山田 太郎","prev":"`+zeroHash+`","h":""}`))
	lineC.Add("unknown-field", bytes.Replace(first, []byte(`"seq":0`), []byte(`"seq":0,"pin":"1234"`), 1))
	lineC.Add("too-long", append([]byte(`{"seq":0,"note":"`), bytes.Repeat([]byte("a"), maxLine)...))
	for _, c := range []*fuzzcorpus.Corpus{scanC, lineC} {
		if err := c.Write("."); err != nil {
			t.Fatal(err)
		}
	}
}
