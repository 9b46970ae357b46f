package pdl

import (
	"image"

	"kofu/protocol/pages"
)

// Bitmap is the 1-bit raster the writers encode and the decoders return:
// the verifier's own type (pages.Bitmap), one bit per pixel, most
// significant bit first, 1 = black. The kiosk checks a page on a Bitmap
// and the job is encoded from that Bitmap (DESIGN §3.4 rule 4).
type Bitmap = pages.Bitmap

// Threshold is the gray level from which a pixel prints white
// (pages.Threshold): gray < Threshold is black.
const Threshold = pages.Threshold

// NewBitmap returns an all-white bitmap.
func NewBitmap(w, h int) *Bitmap { return pages.NewBitmap(w, h) }

// ToBitmap thresholds an 8-bit page to 1 bit exactly as the verifier does
// (pages.Binarize). Writers never threshold: they take a Raster.
func ToBitmap(img *image.Gray) *Bitmap { return pages.Binarize(img) }
