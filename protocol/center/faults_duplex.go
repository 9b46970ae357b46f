package center

import (
	"context"
	"fmt"

	"kofu/protocol"
)

// The faults of two-sided documents (issue 19). A two-sided document's
// envelope lists each sheet's front, then its back; each face carries its
// own symbol naming its sheet and face. Like every mix-up, the center
// signs whatever it holds: the envelope is this request's, its face
// declarations are the genuine layout's (or, for back-missing, the faces
// left), and its page hashes match the pages served.
//
//	back-foreign     the back of the attacked sheet is the same sheet's
//	                 back of another document (another live ticket's, or
//	                 one rendered for a request from elsewhere): a duplex
//	                 print queue that pairs faces by sheet number alone
//	back-missing     the back of the attacked sheet is lost; the issuer
//	                 lists the faces it has, still declaring two sides
//	front-back-swap  every sheet's front is served in its back's place
//	                 and the back in the front's: faces paired the wrong
//	                 way round

// attackedSheet is the sheet a duplex fault alters in a document of n
// sheets (0-based): sheet 2 of 3 or more, else the last.
func attackedSheet(n int) int {
	if n > 2 {
		return 1
	}
	return n - 1
}

// duplexFault applies one of the two-sided faults to genuine.
func (c *Center) duplexFault(ctx context.Context, j *job, genuine *document, inj *Injection) (*document, *Injection, error) {
	g := genuine.env
	sheets := g.Sheets()
	if !g.HasFaces() || len(g.Pages) != 2*sheets {
		return nil, nil, fmt.Errorf("%s: the genuine document is not two-sided (%d faces on %d sheets)", j.fault.Name, len(g.Pages), sheets)
	}
	k := attackedSheet(sheets)
	back := 2*k + 1 // index of the attacked sheet's back
	pngs := append([][]byte(nil), genuine.pages...)
	inj.Source = "own"
	switch j.fault.Name {
	case FaultBackForeign:
		other, src, err := c.otherDocument(ctx, j, func(o *job) bool {
			return o.req.Doc.Sides == protocol.SidesTwoSided && o.genuine.env.Sheets() > k
		})
		if err != nil {
			return nil, nil, err
		}
		if o := other.env; !o.HasFaces() || len(other.pages) < 2 {
			return nil, nil, fmt.Errorf("%s: the other document has no back faces", j.fault.Name)
		}
		// The same sheet's back in the other document, or its last back
		// (two-sided: faces come in pairs, the backs at odd indices).
		pngs[back] = other.pages[min(back, len(other.pages)-1)]
		d, err := c.reseal(j, genuine, pngs, nil)
		inj.Source, inj.Served = src, other.owner
		return d, inj, err

	case FaultBackMissing:
		pngs = append(pngs[:back:back], pngs[back+1:]...)
		layout := append(append([]protocol.PageRef(nil), g.Pages[:back]...), g.Pages[back+1:]...)
		d, err := c.reseal(j, genuine, pngs, func(e *protocol.Envelope) {
			for i := range e.Pages {
				e.Pages[i].Sheet, e.Pages[i].Face = layout[i].Sheet, layout[i].Face
			}
		})
		return d, inj, err

	case FaultFrontBackSwap:
		for s := range sheets {
			pngs[2*s], pngs[2*s+1] = pngs[2*s+1], pngs[2*s]
		}
		d, err := c.reseal(j, genuine, pngs, nil)
		return d, inj, err
	}
	return nil, nil, fmt.Errorf("%s is not a two-sided fault", j.fault.Name)
}
