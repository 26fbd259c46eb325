package conn

import (
	"sync/atomic"
	"time"
)

// gate is a mutex whose lock can give up: a wait ends early when one of the
// channels given to lock is ready, such as a context's Done. Uncontended,
// locking and unlocking are one atomic operation each; a channel is used
// only to wake a waiter. Waiters are not queued: a goroutine that comes
// along while the gate is free takes it, and a woken waiter that finds it
// taken waits again.
type gate struct {
	// state holds 1 while the gate is held, plus 2 for each waiter.
	state atomic.Int32
	// wake holds a token when the gate was released with waiters: it
	// wakes one of them. The first waiter makes it, so that a gate never
	// contended costs no allocation.
	wake atomic.Pointer[chan struct{}]
}

// wakeChan returns the gate's wake channel, making it if needed.
func (g *gate) wakeChan() chan struct{} {
	if p := g.wake.Load(); p != nil {
		return *p
	}
	ch := make(chan struct{}, 1)
	if g.wake.CompareAndSwap(nil, &ch) {
		return ch
	}
	return *g.wake.Load()
}

// tryLock takes the gate if it is free.
func (g *gate) tryLock() bool {
	s := g.state.Load()
	return s&1 == 0 && g.state.CompareAndSwap(s, s|1)
}

// lock takes the gate, or gives up when a or b (which may be nil) is ready
// first; it reports whether it took the gate.
func (g *gate) lock(a, b <-chan struct{}) bool {
	if g.tryLock() {
		return true
	}
	return g.wait(a, b, nil)
}

// lockTimeout is lock with a timer's channel as well.
func (g *gate) lockTimeout(a <-chan struct{}, t <-chan time.Time) bool {
	if g.tryLock() {
		return true
	}
	return g.wait(a, nil, t)
}

// wait is lock's slow path.
func (g *gate) wait(a, b <-chan struct{}, t <-chan time.Time) bool {
	// The channel exists before the gate counts this waiter, so that
	// whoever sees a waiter counted finds it.
	wake := g.wakeChan()
	g.state.Add(2)
	for {
		s := g.state.Load()
		if s&1 == 0 {
			if g.state.CompareAndSwap(s, s-2+1) {
				return true
			}
			continue
		}
		select {
		case <-wake:
			continue
		case <-a:
		case <-b:
		case <-t:
		}
		// Gave up. A token meant for us stays in wake for the others; the
		// gate may have been freed meanwhile with others waiting, so pass
		// the word on.
		if s := g.state.Add(-2); s&1 == 0 && s > 0 {
			g.signal()
		}
		return false
	}
}

// unlock releases the gate, waking a waiter if there is one.
func (g *gate) unlock() {
	if g.state.Add(-1) != 0 {
		g.signal()
	}
}

func (g *gate) signal() {
	p := g.wake.Load()
	if p == nil {
		return // no waiter was ever counted
	}
	select {
	case *p <- struct{}{}:
	default: // a token is there already
	}
}
