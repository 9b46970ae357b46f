package printer

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"kofu/printer/pjl"
)

// errNoConfigAnswer: a PJL printer did not answer @PJL INFO CONFIG —
// it answered the ECHO after the question instead, or nothing in
// Options.QueryTimeout. Its duplex unit is then the site's to declare.
var errNoConfigAnswer = errors.New("printer: no answer to @PJL INFO CONFIG")

// configAnswer is what a printer's INFO CONFIG said of its duplex unit.
type configAnswer struct {
	unit pjl.DuplexUnit
	said string // the feature line that said it ("DUPLEX=NOTINSTALLED [2 ENUMERATED]")
	// err is why the answer says nothing: no answer (errNoConfigAnswer),
	// a malformed one (*pjl.ConfigError), or the link's error.
	err error
}

// pjlDuplexUnit asks a bidirectional PJL printer what its @PJL INFO
// CONFIG says of a duplex unit, once: the answer — or that there was
// none — is kept for the Printer's life, so a printer that does not
// answer costs the wait once, not at every job. An answer cut short by
// the caller's own context is not kept. The caller holds p.mu.
func (p *Printer) pjlDuplexUnit(ctx context.Context) *configAnswer {
	if p.config != nil {
		return p.config
	}
	a := &configAnswer{}
	cfg, err := p.pjlInfoConfig(ctx)
	log := p.opts.logger()
	switch {
	case err != nil && ctx.Err() != nil:
		return &configAnswer{err: err}
	case errors.Is(err, pjl.ErrConfig):
		a.err = err
		log.Warn("the printer's @PJL INFO CONFIG answer is malformed: its duplex unit is taken as unsaid, and the site's no-duplex quirk decides",
			"mfg", p.id.Manufacturer, "mdl", p.id.Model, "err", err)
	case err != nil:
		a.err = err
		log.Info("the printer does not answer @PJL INFO CONFIG: the site's no-duplex quirk decides whether it prints both sides",
			"mfg", p.id.Manufacturer, "mdl", p.id.Model, "err", err)
	default:
		var f *pjl.Feature
		a.unit, f = cfg.Duplex()
		if f != nil {
			a.said, _, _ = strings.Cut(f.String(), "\n")
		}
		log.Info("the printer's @PJL INFO CONFIG", "mfg", p.id.Manufacturer, "mdl", p.id.Model,
			"features", len(cfg.Features), "duplex", a.unit.String(), "said", a.said)
	}
	p.config = a
	return a
}

// pjlInfoConfig sends @PJL INFO CONFIG and an ECHO after it, and reads
// the readback until the answer (parsed: a *pjl.ConfigError if it is
// malformed), the echo (the printer does not answer the question), or
// Options.QueryTimeout on the wait clock.
func (p *Printer) pjlInfoConfig(ctx context.Context) (pjl.Config, error) {
	after, err := pjl.NewJob(p.opts.Rand, "")
	if err != nil {
		return pjl.Config{}, err
	}
	qctx, cancel := context.WithCancel(ctx)
	defer cancel()
	timeout := p.opts.queryTimeout()
	fired, stop := p.opts.waitClock().Timer(timeout)
	defer stop()
	timedOut := make(chan struct{})
	go func() {
		select {
		case <-fired:
			close(timedOut)
			cancel()
		case <-qctx.Done():
		}
	}()
	w := newJobWriter(qctx, p.link, &p.opts)
	if _, err := w.Write(pjl.InfoConfig(after.Echo)); err != nil {
		return pjl.Config{}, fmt.Errorf("@PJL INFO CONFIG: %w", err)
	}
	if err := w.Close(); err != nil {
		return pjl.Config{}, fmt.Errorf("@PJL INFO CONFIG: %w", err)
	}
	var ps pjl.Parser
	buf := make([]byte, transferSize)
	for {
		n, err := p.link.BulkIn(qctx, buf)
		for _, m := range ps.Feed(buf[:n]) {
			switch {
			case m.Kind == pjl.KindInfo && m.Category == "CONFIG":
				return pjl.ParseConfig(m.Body)
			case m.Kind == pjl.KindEcho && m.Text == after.Echo:
				return pjl.Config{}, fmt.Errorf("%w: it answered the ECHO after the question", errNoConfigAnswer)
			}
		}
		if err != nil && (qctx.Err() != nil || errors.Is(err, ErrNoDevice)) {
			select {
			case <-timedOut:
				return pjl.Config{}, fmt.Errorf("%w in %v", errNoConfigAnswer, timeout)
			default:
			}
			return pjl.Config{}, fmt.Errorf("@PJL INFO CONFIG: %w", err)
		}
	}
}
