package evented

import (
	"container/heap"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hybi/ws/frame"
)

const serverRole = frame.Server

// readBufferSize is the size of each loop's read buffer, which every
// connection of the loop reads into in turn.
const readBufferSize = 64 << 10

// maxReadsPerEvent bounds the reads of one connection in one round, so
// that a fast sender cannot starve the others.
const maxReadsPerEvent = 4

type taskKind uint8

const (
	taskRegister taskKind = iota // a new connection: add it to the loop
	taskRearm                    // the connection's deadline moved earlier
	taskTeardown                 // the connection ended: close its transport
	taskResume                   // reading was paused and may go on
	taskShutdown                 // close every connection with 1001
	taskAbort                    // tear every connection down
	taskStop                     // end the loop
)

type task struct {
	kind     taskKind
	c        *Conn
	buffered []byte // taskRegister: input read past the handshake
}

// loop is an event loop: a poller for its connections' sockets, one timer
// heap for all their deadlines, and the tasks other goroutines hand it.
type loop struct {
	s    *Server
	poll *poller
	buf  []byte

	mu      sync.Mutex
	tasks   []task
	spare   []task
	waking  atomic.Bool // a wake-up is under way
	byFD    []*Conn     // connections on the poller, by descriptor
	others  map[*Conn]struct{}
	timers  timerHeap
	retry   []*Conn // connections to process again without an event
	retry2  []*Conn
	closing bool // Shutdown began: new connections are closed at once
}

func newLoop(s *Server) (*loop, error) {
	p, err := newPoller()
	if err != nil {
		return nil, err
	}
	return &loop{s: s, poll: p, buf: make([]byte, readBufferSize), others: make(map[*Conn]struct{})}, nil
}

// post hands t to the loop from any goroutine.
func (l *loop) post(t task) {
	l.mu.Lock()
	l.tasks = append(l.tasks, t)
	l.mu.Unlock()
	if l.waking.CompareAndSwap(false, true) {
		l.poll.wake()
	}
}

func (l *loop) run() {
	defer l.s.running.Done()
	defer l.poll.close()
	for {
		msec := -1
		if len(l.retry) > 0 {
			msec = 1
		} else if len(l.timers) > 0 {
			d := time.Until(time.Unix(0, l.timers[0].at))
			if d <= 0 {
				msec = 0
			} else {
				msec = int((d + time.Millisecond - 1) / time.Millisecond)
			}
		}
		l.mu.Lock()
		pending := len(l.tasks) > 0
		l.mu.Unlock()
		if pending {
			msec = 0
		}
		l.poll.wait(msec, l.ready)
		l.waking.Store(false)
		if len(l.retry) > 0 {
			l.retry, l.retry2 = l.retry2[:0], l.retry
			for i, c := range l.retry2 {
				l.retry2[i] = nil
				c.inRetry = false
				l.service(c, true, true)
			}
		}
		l.fireTimers()
		if l.runTasks() {
			return
		}
	}
}

// ready handles an event of the poller.
func (l *loop) ready(fd int, r, w, hup bool) {
	if fd < 0 || fd >= len(l.byFD) {
		return
	}
	if c := l.byFD[fd]; c != nil {
		if hup {
			c.hup.Store(true)
		}
		l.service(c, r, w)
	}
}

// service reads from and writes to c as its events say.
func (l *loop) service(c *Conn, r, w bool) {
	if !c.mu.TryLock() {
		// A writer holds c: come back when it is done, as the edge of
		// the event will not come again.
		l.again(c)
		return
	}
	if c.torn {
		c.mu.Unlock()
		return
	}
	if w {
		c.writeBlocked = false
	}
	if r || c.readReady {
		if l.readFD(c) {
			l.again(c)
		}
	}
	c.afterLocked()
	c.mu.Unlock()
}

func (l *loop) again(c *Conn) {
	if !c.inRetry {
		c.inRetry = true
		l.retry = append(l.retry, c)
	}
}

// readFD reads what c's socket holds, and reports whether it holds more
// after maxReadsPerEvent reads. c.mu is held.
func (l *loop) readFD(c *Conn) (more bool) {
	for i := 0; ; i++ {
		if c.dead {
			return false
		}
		if c.paused {
			c.readReady = true
			return false
		}
		if i == maxReadsPerEvent {
			c.readReady = true
			return true
		}
		n, err := fdRead(c.fd, l.buf)
		c.readReady = false
		switch {
		case err == errAgain:
			return false
		case err != nil:
			c.transportClosed(err)
			return false
		case n == 0:
			c.transportClosed(nil)
			return false
		}
		c.input(l.buf[:n], time.Now())
		if n < len(l.buf) && !c.hup.Load() {
			return false // drained: the next byte makes a new edge
		}
	}
}

// fireTimers acts on the deadlines due.
func (l *loop) fireTimers() {
	if len(l.timers) == 0 {
		return
	}
	now := time.Now()
	ns := now.UnixNano()
	for len(l.timers) > 0 && l.timers[0].at <= ns {
		c := heap.Pop(&l.timers).(*Conn)
		c.mu.Lock()
		c.armed = 0
		if !c.torn {
			c.onLoop = true
			c.tick(now)
			c.afterLocked()
			c.onLoop = false
		}
		at, torn := c.armed, c.torn || c.posted
		c.mu.Unlock()
		if at != 0 && !torn {
			c.at = max(at, ns+1) // due now: in the next round, not this one
			heap.Push(&l.timers, c)
		}
	}
}

// runTasks runs the posted tasks and reports whether the loop must stop.
func (l *loop) runTasks() (stop bool) {
	l.mu.Lock()
	ts := l.tasks
	l.tasks = l.spare[:0]
	l.mu.Unlock()
	for i := range ts {
		t := &ts[i]
		switch t.kind {
		case taskRegister:
			l.register(t.c, t.buffered)
		case taskRearm:
			l.rearm(t.c)
		case taskTeardown:
			l.teardown(t.c)
		case taskResume:
			l.service(t.c, true, false)
		case taskShutdown:
			l.closing = true
			l.each(func(c *Conn) { c.goAway() })
		case taskAbort:
			l.each(func(c *Conn) { c.abort(ErrShutdown) })
		case taskStop:
			stop = true
		}
		*t = task{}
	}
	l.spare = ts[:0]
	return stop
}

// each calls f with every connection of the loop, locked.
func (l *loop) each(f func(c *Conn)) {
	var all []*Conn
	for _, c := range l.byFD {
		if c != nil {
			all = append(all, c)
		}
	}
	for c := range l.others {
		all = append(all, c)
	}
	for _, c := range all {
		c.mu.Lock()
		if !c.torn {
			f(c)
			c.afterLocked()
		}
		c.mu.Unlock()
	}
}

func (l *loop) register(c *Conn, buffered []byte) {
	c.mu.Lock()
	torn := c.torn
	c.mu.Unlock()
	if torn {
		// Its callbacks (ServeHTTP's OnOpen runs at once) ended it
		// already: its descriptor is closed, and its number may be
		// another connection's by now.
		return
	}
	if c.fd >= 0 {
		if err := l.poll.add(c.fd); err != nil {
			// Not a socket the poller takes: should not happen for TCP
			// and Unix sockets; end the connection.
			c.mu.Lock()
			c.transportClosed(err)
			c.afterLocked()
			c.mu.Unlock()
			l.teardown(c)
			return
		}
		for c.fd >= len(l.byFD) {
			l.byFD = append(l.byFD, nil)
			l.byFD = l.byFD[:cap(l.byFD)]
		}
		l.byFD[c.fd] = c
	} else {
		l.others[c] = struct{}{}
	}
	c.mu.Lock()
	now := time.Now()
	if len(buffered) > 0 {
		c.input(buffered, now)
	}
	if l.closing {
		c.goAway()
	}
	c.afterLocked()
	c.mu.Unlock()
	if c.fd < 0 {
		go c.readLoop()
	}
}

// rearm puts c in the timer heap at its armed deadline.
func (l *loop) rearm(c *Conn) {
	c.mu.Lock()
	at, torn := c.armed, c.torn
	c.mu.Unlock()
	switch {
	case torn || at == 0:
		if c.hidx >= 0 {
			heap.Remove(&l.timers, int(c.hidx))
		}
	case c.hidx >= 0:
		c.at = at
		heap.Fix(&l.timers, int(c.hidx))
	default:
		c.at = at
		heap.Push(&l.timers, c)
	}
}

// teardown closes c's transport and reports its end.
func (l *loop) teardown(c *Conn) {
	c.mu.Lock()
	if c.torn {
		c.mu.Unlock()
		return
	}
	c.torn = true
	c.releaseLocked()
	fd := c.fd
	c.mu.Unlock()
	if c.hidx >= 0 {
		heap.Remove(&l.timers, int(c.hidx))
	}
	if fd >= 0 {
		l.poll.del(fd)
		if fd < len(l.byFD) && l.byFD[fd] == c {
			l.byFD[fd] = nil
		}
		fdClose(fd)
	} else {
		delete(l.others, c)
		c.nc.Close()
	}
	c.ended()
}

// timerHeap orders connections by their deadline.
type timerHeap []*Conn

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at < h[j].at }
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].hidx = int32(i)
	h[j].hidx = int32(j)
}
func (h *timerHeap) Push(x any) {
	c := x.(*Conn)
	c.hidx = int32(len(*h))
	*h = append(*h, c)
}
func (h *timerHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	c.hidx = -1
	return c
}
