package protocol

import "image"

// QRZone returns the page's KOFU symbol with its 4-module quiet zone, in
// page pixels, exactly where the verifier found it on this bitmap
// (pages.Symbol.Quiet); empty for a technician test page, which carries
// none. With the bottom band it is what the print path must leave
// bit-identical when it adds anything to the page (the copy-evident
// ground pattern, printer/groundpattern): the verifier requires the
// symbol inside the band but not its quiet zone, which may reach above it.
func (p *VerifiedPage) QRZone() image.Rectangle { return p.qr }
