package smtp

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// poolKey tells kept connections apart: the same relay with other
// credentials, another TLS mode or for a tenant (held to other limits) is
// another pool.
type poolKey struct {
	ep     Endpoint
	tenant bool
}

// pool keeps the connections of one endpoint: at most Connections open at
// once (busy and idle together), each carrying up to MessagesPerConn
// messages, an idle one closed after IdleTimeout.
type pool struct {
	s      *Sender
	ep     *Endpoint
	tenant bool
	// slots holds a token per connection in use or being dialed.
	slots chan struct{}
	// offersTLS remembers that the server offered STARTTLS, so the next
	// connections start it without asking first.
	offersTLS atomic.Bool

	mu    sync.Mutex
	idle  []*conn // most recently used last
	timer *time.Timer
}

func (s *Sender) pool(ep *Endpoint, tenant bool) *pool {
	k := poolKey{*ep, tenant}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pools[k]
	if p == nil {
		p = &pool{s: s, ep: ep, tenant: tenant, slots: make(chan struct{}, s.cfg.Connections)}
		s.pools[k] = p
	}
	return p
}

// run delivers t on a kept connection, or a fresh one. A connection goes
// back to the pool only after a success; after any failure it is closed,
// and the next message gets a fresh one.
func (p *pool) run(ctx context.Context, t *transaction) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-p.slots }()

	c, err := p.get(ctx)
	if err != nil {
		return "", err
	}
	// The mark's commit overlaps MAIL, RCPT and DATA.
	t.ho.Begin()
	stop := watch(ctx, c.nc)
	reply, err := t.deliver(ctx, c.Client)
	alive := stop()
	if err != nil || !alive {
		c.close()
		if err != nil {
			return "", err
		}
		// The relay answered before the deadline closed the connection:
		// the message is sent.
		return reply, nil
	}
	c.sent++
	p.put(c)
	return reply, nil
}

// get takes the most recently used idle connection that still answers
// RSET, else dials. RSET ends whatever the last transaction left and tells
// a connection the server has dropped from a live one, before any of the
// message is written.
func (p *pool) get(ctx context.Context) (*conn, error) {
	for {
		c := p.takeIdle()
		if c == nil {
			break
		}
		stop := watch(ctx, c.nc)
		err := c.Reset()
		if stop() && err == nil {
			return c, nil
		}
		c.close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	return p.dial(ctx)
}

func (p *pool) takeIdle() *conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	for n := len(p.idle); n > 0; n = len(p.idle) {
		c := p.idle[n-1]
		p.idle = p.idle[:n-1]
		if now.Sub(c.idleSince) < p.s.cfg.IdleTimeout {
			return c
		}
		go c.quit()
	}
	return nil
}

// put keeps c for the next message, or quits it when it has carried its
// share or the sender is closed.
func (p *pool) put(c *conn) {
	p.s.mu.Lock()
	done := p.s.done
	p.s.mu.Unlock()
	if done || c.sent >= p.s.cfg.MessagesPerConn {
		c.quit()
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	c.idleSince = time.Now()
	p.idle = append(p.idle, c)
	if p.timer == nil {
		p.timer = time.AfterFunc(p.s.cfg.IdleTimeout, p.sweep)
	}
}

// sweep quits connections idle for IdleTimeout, and comes back while any
// are left: no goroutine or timer outlives the last idle connection.
func (p *pool) sweep() {
	p.mu.Lock()
	now := time.Now()
	var old []*conn
	keep := p.idle[:0]
	for _, c := range p.idle {
		if now.Sub(c.idleSince) >= p.s.cfg.IdleTimeout {
			old = append(old, c)
		} else {
			keep = append(keep, c)
		}
	}
	clear(p.idle[len(keep):])
	p.idle = keep
	p.timer = nil
	if len(keep) > 0 {
		p.timer = time.AfterFunc(p.s.cfg.IdleTimeout-now.Sub(keep[0].idleSince), p.sweep)
	}
	p.mu.Unlock()
	for _, c := range old {
		c.quit()
	}
}

func (p *pool) closeIdle() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
	p.mu.Unlock()
	for _, c := range idle {
		c.quit()
	}
}
