//go:build !linux

package evented

import (
	"errors"
	"net"
	"time"
)

// epollSupported tells that connections can run on the event loops: not
// on this system, where every connection runs on goroutines of its own.
const epollSupported = false

// poller waits for a wake-up or a timeout; it has no descriptors.
type poller struct{ ch chan struct{} }

func newPoller() (*poller, error) { return &poller{ch: make(chan struct{}, 1)}, nil }
func (p *poller) close()          {}
func (p *poller) add(int) error   { return errors.New("evented: no event loop on this system") }
func (p *poller) del(int)         {}

func (p *poller) wake() {
	select {
	case p.ch <- struct{}{}:
	default:
	}
}

func (p *poller) wait(msec int, f func(fd int, r, w, hup bool)) bool {
	if msec < 0 {
		<-p.ch
		return true
	}
	t := time.NewTimer(time.Duration(msec) * time.Millisecond)
	defer t.Stop()
	select {
	case <-p.ch:
		return true
	case <-t.C:
		return false
	}
}

func takeFD(net.Conn) int { return -1 }

var errNoFD = errors.New("evented: no descriptors on this system")

func fdRead(int, []byte) (int, error)  { return 0, errNoFD }
func fdWrite(int, []byte) (int, error) { return 0, errNoFD }
func fdPeek(int, []byte) bool          { return false }
func fdShutdownWrite(int)              {}
func fdClose(int)                      {}

var errAgain = errors.New("evented: would block")

// errTooManyFiles is the error of an accept at the open-file limit.
var errTooManyFiles = errors.New("evented: too many open files")
