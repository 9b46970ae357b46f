package journal

import "testing"

// FuzzParseLine: no input panics the record parser, and whatever it
// accepts re-seals to the same hash.
func FuzzParseLine(f *testing.F) {
	r := Record{Seq: 0, Time: "2026-11-23T00:00:00Z", Kind: KindState, Session: "s1", State: "pin", Prev: zeroHash}
	r.Hash = r.seal()
	line, _ := jsonLine(r)
	f.Add(line)
	f.Add([]byte(`{"seq":0}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := parseLine(b, zeroHash, 0)
		if err == nil && rec.seal() != rec.Hash {
			t.Fatal("accepted a record whose hash does not seal")
		}
	})
}
