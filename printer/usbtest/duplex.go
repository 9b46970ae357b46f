package usbtest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"kofu/printer/pdl"
	"kofu/protocol"
	"kofu/protocol/pages"
)

// DuplexSheets is the size of the harness's two-sided job: three sheets,
// six faces — R0004's 戸籍全部事項証明書 as the emulated center issues it.
const DuplexSheets = 3

// DuplexDPI is the resolution of the two-sided job's faces: a store's,
// at which the print path composites the copy-evident ground pattern.
const DuplexDPI = 600

// GuestJobDir is where the guest's initramfs holds the two-sided job's
// faces (qemu/build.sh copies them there, qemu/init passes it to
// usbhost -job).
const GuestJobDir = "/job"

// maxFaceFile bounds a face file: a 1-bit A4 page at 600 dpi is 4.4 MB
// of pixels before deflate.
const maxFaceFile = 16 << 20

// FaceFile is the file name of face n (1-based, print order: sheet
// (n+1)/2, front for odd n) in a job directory.
func FaceFile(n int) string { return fmt.Sprintf("face-%d.png", n) }

// LoadDuplexJob reads the faces of a two-sided job from dir: face-1.png,
// face-2.png, … in print order, each sheet's front then its back, as the
// build machine wrote them — the verified faces of a real session with
// the ground pattern composited, exactly the bits its print path
// encoded, as 1-bit grayscale PNG. Each file is bounded in size and
// checked against an A4 page at DuplexDPI as it is decoded
// (decodeFace). The faces are printed as
// they are: the guest's printer options add no ground pattern of their
// own.
func LoadDuplexJob(dir string) ([]*image.Gray, error) {
	var faces []*image.Gray
	for n := 1; ; n++ {
		f, err := os.Open(filepath.Join(dir, FaceFile(n)))
		if errors.Is(err, fs.ErrNotExist) && n > 1 {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("duplex job: %w", err)
		}
		img, err := decodeFace(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("duplex job: %s: %w", FaceFile(n), err)
		}
		faces = append(faces, img)
		if len(faces) > 2*protocol.MaxPages {
			return nil, fmt.Errorf("duplex job: more than %d faces", 2*protocol.MaxPages)
		}
	}
	if len(faces)%2 != 0 {
		return nil, fmt.Errorf("duplex job: %d faces, a sheet without its back", len(faces))
	}
	return faces, nil
}

// decodeFace decodes one face file: at most maxFaceFile bytes, an A4
// page at DuplexDPI, 8-bit or 1-bit grayscale, through the kiosk's own
// page decoder (pages.DecodeBitmap: IHDR, pHYs and every chunk checked
// against the declared size and dpi, the rows inflated straight to the
// bitmap), expanded to the 0/255 gray image a technician sheet is made
// of (protocol.TechnicianTestSheets thresholds it back to the same bits).
func decodeFace(r io.Reader) (*image.Gray, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFaceFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFaceFile {
		return nil, fmt.Errorf("larger than %d bytes", maxFaceFile)
	}
	bm, err := pages.DecodeBitmap(data, a4Width, a4Height, DuplexDPI, pages.Limits{MaxBytes: maxFaceFile})
	if err != nil {
		return nil, err
	}
	defer bm.Wipe()
	return expand(bm), nil
}

// expand is pages.Bitmap.Gray eight pixels at a time (a byte of the
// bitmap through a table of its eight gray bytes): the guest expands six
// 35-megapixel faces under an emulated CPU, where a branch per pixel
// costs seconds.
func expand(bm *pages.Bitmap) *image.Gray {
	var table [256]uint64
	for b := range table {
		for k := range 8 {
			if b&(0x80>>k) == 0 { // 1 is black (0), 0 white (255)
				table[b] |= 0xff << (8 * k)
			}
		}
	}
	g := image.NewGray(image.Rect(0, 0, bm.W, bm.H))
	full := bm.W / 8
	for y := range bm.H {
		row, dst := bm.Row(y), g.Pix[y*g.Stride:y*g.Stride+bm.W]
		for i := range full {
			binary.LittleEndian.PutUint64(dst[8*i:], table[row[i]])
		}
		for x := 8 * full; x < bm.W; x++ {
			if row[x>>3]&(0x80>>(x&7)) == 0 {
				dst[x] = 0xff
			}
		}
	}
	return g
}

// a4Width and a4Height are an A4 page's pixels at DuplexDPI (as Page
// draws it).
const a4Width, a4Height = 4961, 7016

// Face is what one face of the two-sided job must be at the far end, as
// the build machine established it from the session: the SHA-256 of its
// bitmap (BitmapSum), its side, and the text of the KOFU symbol it must
// carry — the session's ticket, binding and subject, its place, sheet
// and side.
type Face struct {
	Bitmap, Side, QR string
}

// faceReport is the gadget's line for a face it printed: its side as the
// job said, and the symbol decoded from the face as printed (bandSymbols).
func faceReport(n int, p *pdl.Page) string {
	text := "none"
	if syms, err := bandSymbols(p.Bitmap, p.DPI); err == nil && len(syms) == 1 {
		text = syms[0].Text
	} else if err != nil {
		text = "error"
	}
	return fmt.Sprintf(Marker+"gadget page %d bitmap=%s side=%s qr=%s\n", n, BitmapSum(p.Bitmap), p.Side, text)
}

// bandSymbols returns the QR symbols in the bottom band of a face as
// printed — DESIGN §3.4's 40 mm, where the KOFU symbol lies wholly, grown
// by 5 mm for a quiet zone reaching above it — as a reader of the paper
// finds the symbol. Not the whole face: on a face with the ground pattern
// composited the pattern's 1-pixel dots beside the strokes of the back's
// half-size anti-tamper image make 1:1:3:1:1 runs all over the face, and
// pages.FindSymbols refuses it as crowded (more than 120 finder
// patterns). The band is kept out of the pattern, bit for bit the
// verified face's, and the face's single symbol is the verifier's
// business on the verified face, before the pattern.
func bandSymbols(b *pages.Bitmap, dpi int) ([]pages.Symbol, error) {
	if b == nil || dpi <= 0 {
		return nil, errors.New("no face")
	}
	top := max(0, b.H-pages.BandHeight(dpi)-5*dpi*10/254)
	band := pages.NewBitmap(b.W, b.H-top)
	defer band.Wipe()
	for y := top; y < b.H; y++ {
		copy(band.Row(y-top), b.Row(y))
	}
	return pages.FindSymbols(band)
}

// PaperOutAt is the page (counted since the gadget started) at which its
// paper runs out: the first page of job 3, after job 1's page and the
// two-sided job's faces.
const PaperOutAt = 2 + 2*DuplexSheets
