package suite

import (
	"net"
	"sync"
	"time"
)

// writer writes queued chunks to the connection in order, each chunk with
// its own Write call, so that the case loop never blocks on the network.
type writer struct {
	conn net.Conn

	mu        sync.Mutex
	cond      *sync.Cond
	q         [][]byte
	closing   bool // close the connection once the queue is empty
	aborted   bool
	stopped   chan struct{}
	closeOnce sync.Once
}

func newWriter(c net.Conn) *writer {
	w := &writer{conn: c, stopped: make(chan struct{})}
	w.cond = sync.NewCond(&w.mu)
	return w
}

func (w *writer) push(b []byte) {
	w.mu.Lock()
	if !w.aborted && !w.closing {
		w.q = append(w.q, b)
		w.cond.Signal()
	}
	w.mu.Unlock()
}

func (w *writer) closeWhenFlushed() {
	w.mu.Lock()
	w.closing = true
	w.cond.Signal()
	w.mu.Unlock()
	// Never wait forever for a peer that does not read.
	w.conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
}

func (w *writer) abort() {
	w.mu.Lock()
	w.aborted = true
	w.q = nil
	w.cond.Signal()
	w.mu.Unlock()
	w.close()
}

// shutdown ends the writer after the case: queued data is flushed only if a
// graceful close was asked for.
func (w *writer) shutdown() {
	w.mu.Lock()
	closing := w.closing
	w.mu.Unlock()
	if !closing {
		w.abort()
	}
}

func (w *writer) close() { w.closeOnce.Do(func() { w.conn.Close() }) }

func (w *writer) wait(d time.Duration) {
	select {
	case <-w.stopped:
	case <-time.After(d):
	}
}

func (w *writer) loop() {
	defer close(w.stopped)
	for {
		w.mu.Lock()
		for len(w.q) == 0 && !w.aborted && !w.closing {
			w.cond.Wait()
		}
		if w.aborted || len(w.q) == 0 {
			closing := w.closing
			w.mu.Unlock()
			if closing {
				w.close()
			}
			return
		}
		b := w.q[0]
		w.q[0] = nil
		w.q = w.q[1:]
		w.mu.Unlock()
		if _, err := w.conn.Write(b); err != nil {
			w.mu.Lock()
			w.aborted = true
			w.q = nil
			w.mu.Unlock()
			w.close()
			return
		}
	}
}
