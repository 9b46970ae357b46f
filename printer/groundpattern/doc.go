// Package groundpattern owns the copy-evident ground pattern (けん制文字, 地紋):
// a 600-dpi void pantograph whose latent word 「複写」 shows on a photocopy,
// composited on a verified page and checked to leave its black pixels and QR band intact.
package groundpattern
