package evented

import (
	"fmt"
	"log"
	"runtime"
	"sync"

	"github.com/hybi/ws/closecode"
)

type eventKind uint8

const (
	evOpen eventKind = iota
	evMessage
	evClose
)

// event is a callback waiting to run.
type event struct {
	kind eventKind
	typ  MessageType
	data []byte      // evMessage, a pooled buffer
	res  *CloseError // evClose
	next *event
}

var eventPool = sync.Pool{New: func() any { return new(event) }}

func getEvent() *event { return eventPool.Get().(*event) }

func putEvent(e *event) {
	*e = event{}
	eventPool.Put(e)
}

// push queues e for the callbacks and schedules c on a worker. c.mu is
// held.
func (c *Conn) push(e *event) {
	if e.kind == evOpen {
		// open is pushed once, before anything else; it need not be pooled
		e.next = nil
	}
	if c.inTail == nil {
		c.inHead = e
	} else {
		c.inTail.next = e
	}
	c.inTail = e
	if !c.scheduled {
		c.scheduled = true
		c.s.workers.push(c)
	}
}

// eventsPerTurn bounds the callbacks a worker runs for one connection
// before it serves others.
const eventsPerTurn = 16

// run runs c's queued callbacks, in order, on a worker.
func (c *Conn) run() {
	for range eventsPerTurn {
		c.mu.Lock()
		e := c.inHead
		if e == nil {
			c.scheduled = false
			c.mu.Unlock()
			return
		}
		c.inHead = e.next
		if c.inHead == nil {
			c.inTail = nil
		}
		skip := c.failed
		c.mu.Unlock()
		c.dispatch(e, skip)
		if e.kind == evMessage {
			if e.data != nil {
				putBuf(e.data)
			}
			c.continueInput()
		}
		final := e.kind == evClose
		putEvent(e)
		if final {
			c.s.active.Done()
			return
		}
	}
	c.s.workers.push(c) // more to do: take turns with the others
}

// dispatch runs the callback for e. A panicking callback closes the
// connection with 1011 and skips its remaining messages; the server
// goes on.
func (c *Conn) dispatch(e *event, skip bool) {
	defer func() {
		if v := recover(); v != nil {
			buf := make([]byte, 16<<10)
			buf = buf[:runtime.Stack(buf, false)]
			log.Printf("evented: panic serving %v: %v\n%s", c.remote, v, buf)
			c.mu.Lock()
			c.failed = true
			c.header = nil
			if c.p != nil {
				c.p.Close(closecode.InternalError, "internal error", timeNow())
				c.afterLocked()
			}
			c.mu.Unlock()
		}
	}()
	switch e.kind {
	case evOpen:
		if f := c.s.OnOpen; f != nil && !skip {
			f(c)
		}
		c.mu.Lock()
		c.header = nil
		c.mu.Unlock()
	case evMessage:
		if f := c.s.OnMessage; f != nil && !skip {
			f(c, e.typ, e.data)
		}
	case evClose:
		if f := c.s.OnClose; f != nil {
			f(c, e.res)
		}
	}
}

// workers is the bounded pool of goroutines running callbacks.
type workers struct {
	mu     sync.Mutex
	cond   sync.Cond
	q      []*Conn
	head   int
	closed bool
	wg     sync.WaitGroup
}

func (w *workers) start(n int) {
	w.cond.L = &w.mu
	for range n {
		w.wg.Add(1)
		go w.work()
	}
}

func (w *workers) push(c *Conn) {
	w.mu.Lock()
	if w.head > 0 && w.head == len(w.q) {
		w.q, w.head = w.q[:0], 0
	}
	w.q = append(w.q, c)
	w.mu.Unlock()
	w.cond.Signal()
}

func (w *workers) work() {
	defer w.wg.Done()
	for {
		w.mu.Lock()
		for w.head == len(w.q) && !w.closed {
			w.cond.Wait()
		}
		if w.head == len(w.q) {
			w.mu.Unlock()
			return
		}
		c := w.q[w.head]
		w.q[w.head] = nil
		w.head++
		if w.head > 1024 && w.head*2 > len(w.q) {
			n := copy(w.q, w.q[w.head:])
			clear(w.q[n:])
			w.q, w.head = w.q[:n], 0
		}
		w.mu.Unlock()
		c.run()
	}
}

func (w *workers) stop() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.cond.Broadcast()
	w.wg.Wait()
}

var _ = fmt.Sprint
