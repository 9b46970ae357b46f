package faultmatrix

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// Proxy is a loopback TCP proxy standing where the network between the
// kiosk and the center would be. It forwards bytes untouched (TLS passes
// through end to end) until told to misbehave: reset connections, cut
// them off (a partition: nothing passes either way, bytes are held until
// it heals, as TCP would retransmit them), or add latency.
type Proxy struct {
	ln net.Listener

	mu        sync.Mutex
	upstream  string
	links     map[*link]struct{}
	partition chan struct{} // non-nil while partitioned; closed on heal
	delay     time.Duration
	armed     int  // connections to reset on their next client bytes
	refuse    bool // reset every new connection at once
	stats     ProxyStats
	closed    bool
	wg        sync.WaitGroup
}

// ProxyStats counts what the proxy did.
type ProxyStats struct {
	Conns   int   // connections accepted
	Resets  int   // connections reset by the proxy
	Held    int   // chunks held back by a partition
	Delayed int   // chunks delayed
	Bytes   int64 // bytes forwarded, both ways
}

type link struct {
	client, server net.Conn
	once           sync.Once
	mu             sync.Mutex
	done           int // pumps finished
}

// reset closes both sides with SO_LINGER 0: the peers see a RST.
func (l *link) reset() {
	l.once.Do(func() {
		for _, c := range []net.Conn{l.client, l.server} {
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			_ = c.Close()
		}
	})
}

// NewProxy listens on a loopback port. SetUpstream names the center
// before the first connection arrives.
func NewProxy() (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, links: map[*link]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's address.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// SetUpstream sets the address connections are forwarded to.
func (p *Proxy) SetUpstream(addr string) {
	p.mu.Lock()
	p.upstream = addr
	p.mu.Unlock()
}

// Dial connects to the proxy; a kiosk transport uses it as its dialer so
// that every connection to the center goes through the proxy.
func (p *Proxy) Dial(ctx context.Context, _, _ string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", p.Addr())
}

// Stats returns the counters.
func (p *Proxy) Stats() ProxyStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// ResetAll resets every open connection now.
func (p *Proxy) ResetAll() {
	p.mu.Lock()
	ls := make([]*link, 0, len(p.links))
	for l := range p.links {
		ls = append(ls, l)
	}
	p.stats.Resets += len(ls)
	p.mu.Unlock()
	for _, l := range ls {
		l.reset()
	}
}

// ResetNext resets the connection that next carries bytes from the
// kiosk, n times in all: the request in flight is lost with its
// connection, as when a middlebox drops state.
func (p *Proxy) ResetNext(n int) {
	p.mu.Lock()
	p.armed = n
	p.mu.Unlock()
}

// Refuse makes every new connection be reset at once (the center's port
// answers with RST) and resets the open ones; Refuse(false) ends it.
func (p *Proxy) Refuse(on bool) {
	p.mu.Lock()
	p.refuse = on
	p.mu.Unlock()
	if on {
		p.ResetAll()
	}
}

// Partition cuts the network: from now on no byte passes either way,
// on open or new connections, until Heal.
func (p *Proxy) Partition() {
	p.mu.Lock()
	if p.partition == nil {
		p.partition = make(chan struct{})
	}
	p.mu.Unlock()
}

// Heal ends a partition; held bytes flow on.
func (p *Proxy) Heal() {
	p.mu.Lock()
	if p.partition != nil {
		close(p.partition)
		p.partition = nil
	}
	p.mu.Unlock()
}

// SetDelay adds latency to every chunk forwarded either way.
func (p *Proxy) SetDelay(d time.Duration) {
	p.mu.Lock()
	p.delay = d
	p.mu.Unlock()
}

// Close stops the proxy and drops every connection.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.Heal()
	err := p.ln.Close()
	p.mu.Lock()
	for l := range p.links {
		l.reset()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		up, refuse, closed := p.upstream, p.refuse, p.closed
		p.stats.Conns++
		if refuse {
			p.stats.Resets++
		}
		p.mu.Unlock()
		if refuse || closed || up == "" {
			(&link{client: c, server: nopConn{c}}).reset()
			continue
		}
		s, err := net.DialTimeout("tcp", up, 5*time.Second)
		if err != nil {
			(&link{client: c, server: nopConn{c}}).reset()
			continue
		}
		l := &link{client: c, server: s}
		p.mu.Lock()
		p.links[l] = struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pump(l, c, s, true)
		go p.pump(l, s, c, false)
	}
}

// pump copies one direction chunk by chunk, applying the faults. A clean
// end of one direction is passed on as a half-close; anything else resets
// the connection.
func (p *Proxy) pump(l *link, src, dst net.Conn, fromClient bool) {
	defer p.wg.Done()
	clean := false
	defer func() {
		l.mu.Lock()
		l.done++
		both := l.done == 2
		l.mu.Unlock()
		if !clean || both {
			l.reset()
			p.mu.Lock()
			delete(p.links, l)
			p.mu.Unlock()
		}
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.pass(l, fromClient) {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
			p.mu.Lock()
			p.stats.Bytes += int64(n)
			p.mu.Unlock()
		}
		if err != nil {
			if tc, ok := dst.(*net.TCPConn); ok && errors.Is(err, io.EOF) {
				clean = tc.CloseWrite() == nil
			}
			return
		}
	}
}

// pass applies an armed reset, a partition and the delay to one chunk;
// false: the connection was reset.
func (p *Proxy) pass(l *link, fromClient bool) bool {
	p.mu.Lock()
	if fromClient && p.armed > 0 {
		p.armed--
		p.stats.Resets++
		p.mu.Unlock()
		l.reset()
		return false
	}
	gate, d := p.partition, p.delay
	if gate != nil {
		p.stats.Held++
	}
	if d > 0 {
		p.stats.Delayed++
	}
	p.mu.Unlock()
	if gate != nil {
		<-gate
	}
	if d > 0 {
		time.Sleep(d)
	}
	return true
}

// nopConn stands for a server side that was never dialled.
type nopConn struct{ net.Conn }

func (nopConn) Close() error { return nil }
