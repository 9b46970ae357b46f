// Package pdl writes and reads the page description languages kofu sends
// to printers: PCL 5 raster (TIFF PackBits) and PWG Raster (PWG 5102.4),
// both from an already verified bilevel page (a pages.Raster: the rows of
// a protocol.VerifiedPage), plus their decoders.
package pdl
