package pdl

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// TestOneSidedBytesUnchanged pins the bytes of one-sided jobs of the
// sample certificate (two pages, 300 and 600 dpi): duplex support must
// not change a byte of what a one-sided job sends.
func TestOneSidedBytesUnchanged(t *testing.T) {
	for _, c := range []struct {
		name string
		dpi  int
		enc  func(dpi int) []byte
		want string
	}{
		{"pcl 300", 300, func(dpi int) []byte { img := sample.Page(t, dpi); return encodePCL(t, dpi, img, img) }, "40d088fafa1bca5eafa2ca3e5c1cac90530d2ed66c6a4e0896ac332a2e272ad1"},
		{"pcl 600", 600, func(dpi int) []byte { img := sample.Page(t, dpi); return encodePCL(t, dpi, img, img) }, "eda47c4fdb1181f7d0c1eeecae6eab5c1c64e62e40623e93e88f8e7959a9b321"},
		{"pwg black_1 600", 600, func(dpi int) []byte { img := sample.Page(t, dpi); return encodePWG(t, Black1, dpi, img, img) }, "d9bf11a415070a1043e99dce8491d6706b259c733abc4eb2aaefbe9a820fd19d"},
		{"pwg sgray_8 300", 300, func(dpi int) []byte { img := sample.Page(t, dpi); return encodePWG(t, SGray8, dpi, img, img) }, "4aadfdb2995d81273b6398b3e43ffd5aa00f6fca1f32f999ab196005e13c8e83"},
	} {
		sum := sha256.Sum256(c.enc(c.dpi))
		got := hex.EncodeToString(sum[:])
		if got != c.want {
			t.Errorf("%s: SHA-256 %s, want %s", c.name, got, c.want)
		}
	}
}

// duplexFaces returns 2·sheets distinct bitmaps: each face of the sample
// page with its sheet and side marked by a black bar at a distinct place,
// so a decoder that loses or reorders a face is caught.
func duplexFaces(t testing.TB, dpi, sheets int) []*Bitmap {
	t.Helper()
	out := make([]*Bitmap, 2*sheets)
	for i := range out {
		b := ToBitmap(sample.Page(t, dpi))
		y := 40 + 20*i
		for x := range b.W / 8 {
			b.Row(y)[x] = 0xff
		}
		out[i] = b
	}
	return out
}

func TestPCLDuplexRoundTrip(t *testing.T) {
	faces := duplexFaces(t, 300, 3)
	var buf bytes.Buffer
	w := NewPCLWriter(&buf)
	if err := w.SetDuplex(); err != nil {
		t.Fatal(err)
	}
	for i, f := range faces {
		if err := w.WriteFace(f, 300, i%2 == 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	if !bytes.HasPrefix(data, []byte("\x1bE\x1b&l1S\x1b&a1G\x1b&l26A")) {
		t.Errorf("stream starts %q, want reset, long-edge duplex, front, A4", data[:24])
	}
	if n := bytes.Count(data, []byte("\x1b&a2G")); n != 3 {
		t.Errorf("%d back-side selections, want 3", n)
	}
	if n := bytes.Count(data, []byte("\x1b&l26A")); n != 3 {
		t.Errorf("%d page-size commands, want 3 (fronts only: on a back it would start a new sheet)", n)
	}
	got := decodePCLAll(t, data)
	if len(got) != 6 {
		t.Fatalf("decoded %d faces, want 6", len(got))
	}
	for i, p := range got {
		want := SideFront
		if i%2 == 1 {
			want = SideBack
		}
		if p.Side != want {
			t.Errorf("face %d decoded as %v, want %v", i+1, p.Side, want)
		}
		if !p.Bitmap.Equal(faces[i]) {
			t.Errorf("face %d differs from what was written", i+1)
		}
	}
	// A one-sided stream decodes as simplex.
	for _, p := range decodePCLAll(t, encodePCL(t, 300, sample.Page(t, 300))) {
		if p.Side != SideSimplex {
			t.Errorf("one-sided page decoded as %v", p.Side)
		}
	}
}

func TestPWGDuplexRoundTrip(t *testing.T) {
	faces := duplexFaces(t, 300, 3)
	var buf bytes.Buffer
	w := NewPWGWriter(&buf, Black1, len(faces))
	if err := w.SetDuplex(); err != nil {
		t.Fatal(err)
	}
	for i, f := range faces {
		if err := w.WriteFace(f, 300, i%2 == 1); err != nil {
			t.Fatal(err)
		}
	}
	i := 0
	err := DecodePWG(bytes.NewReader(buf.Bytes()), Limits{}, func(h PWGHeader, p *Page) error {
		want := SideFront
		if i%2 == 1 {
			want = SideBack
		}
		if !h.Duplex || h.Tumble || h.TotalPageCount != 6 {
			t.Errorf("face %d header: Duplex %v Tumble %v TotalPageCount %d, want true false 6", i+1, h.Duplex, h.Tumble, h.TotalPageCount)
		}
		if p.Side != want {
			t.Errorf("face %d decoded as %v, want %v", i+1, p.Side, want)
		}
		if !p.Bitmap.Equal(faces[i]) {
			t.Errorf("face %d differs from what was written", i+1)
		}
		i++
		return nil
	})
	if err != nil || i != 6 {
		t.Fatalf("decoded %d faces, err %v; want 6", i, err)
	}
}

func TestDuplexWritersRefuseUnpairedFaces(t *testing.T) {
	b := NewBitmap(64, 64)
	var sink bytes.Buffer
	pcl := NewPCLWriter(&sink)
	if err := pcl.WriteFace(b, 300, true); err == nil {
		t.Error("one-sided PCL writer took a back")
	}
	pcl = NewPCLWriter(&sink)
	pcl.SetDuplex()
	if err := pcl.WriteFace(b, 300, true); err == nil {
		t.Error("duplex PCL writer took a back before any front")
	}
	pcl.WriteFace(b, 300, false)
	if err := pcl.SetDuplex(); err == nil {
		t.Error("SetDuplex after a page accepted")
	}
	pwg := NewPWGWriter(&sink, Black1, 2)
	pwg.SetDuplex()
	if err := pwg.WriteFace(b, 300, false); err != nil {
		t.Fatal(err)
	}
	if err := pwg.WriteFace(b, 300, false); err == nil {
		t.Error("duplex PWG writer took a front where the back goes")
	}
	if err := pwg.WriteFace(b, 300, true); err != nil {
		t.Error(err)
	}
	if err := pwg.WriteFace(b, 300, true); err == nil {
		t.Error("duplex PWG writer took a second back")
	}
}
