package evented

import (
	"net"
	"syscall"
)

// epollSupported tells that connections can run on the event loops.
const epollSupported = true

// poller is an epoll instance with a pipe that wakes it.
type poller struct {
	epfd         int
	wakeR, wakeW int
	events       []syscall.EpollEvent
}

const (
	evRead  = syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLHUP | syscall.EPOLLERR
	evWrite = syscall.EPOLLOUT
	epollET = uint32(1) << 31 // syscall.EPOLLET, which is a negative int
)

func newPoller() (*poller, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_NONBLOCK|syscall.O_CLOEXEC); err != nil {
		syscall.Close(epfd)
		return nil, err
	}
	pl := &poller{epfd: epfd, wakeR: p[0], wakeW: p[1], events: make([]syscall.EpollEvent, 256)}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(p[0])}
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, p[0], &ev); err != nil {
		pl.close()
		return nil, err
	}
	return pl, nil
}

func (p *poller) close() {
	syscall.Close(p.epfd)
	syscall.Close(p.wakeR)
	syscall.Close(p.wakeW)
}

// add registers fd, edge-triggered for input and output.
func (p *poller) add(fd int) error {
	ev := syscall.EpollEvent{Events: evRead | evWrite | epollET, Fd: int32(fd)}
	return syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, fd, &ev)
}

func (p *poller) del(fd int) {
	syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, fd, nil)
}

func (p *poller) wake() {
	b := [1]byte{1}
	syscall.Write(p.wakeW, b[:])
}

// wait waits up to msec milliseconds (-1: without bound) and calls f for
// each ready connection's fd with whether it is readable, writable, and
// whether its peer closed its side (which makes no edge of its own after
// the input before it is read).
// It reports whether the wake pipe fired.
func (p *poller) wait(msec int, f func(fd int, r, w, hup bool)) (woken bool) {
	n, err := syscall.EpollWait(p.epfd, p.events, msec)
	if err != nil {
		return false // EINTR
	}
	for i := 0; i < n; i++ {
		ev := &p.events[i]
		fd := int(ev.Fd)
		if fd == p.wakeR {
			var b [64]byte
			for {
				if n, _ := syscall.Read(p.wakeR, b[:]); n < len(b) {
					break
				}
			}
			woken = true
			continue
		}
		f(fd, ev.Events&evRead != 0, ev.Events&(evWrite|syscall.EPOLLHUP|syscall.EPOLLERR) != 0,
			ev.Events&(syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0)
	}
	return woken
}

// takeFD takes over the socket of nc when it is a plain TCP or Unix
// connection: it returns a non-blocking duplicate of its descriptor, and
// closes nc, which removes the original from Go's poller. It returns -1,
// and leaves nc alone, for any other connection (TLS, a wrapper).
func takeFD(nc net.Conn) int {
	var rc syscall.RawConn
	var err error
	switch c := nc.(type) {
	case *net.TCPConn:
		rc, err = c.SyscallConn()
	case *net.UnixConn:
		rc, err = c.SyscallConn()
	default:
		return -1
	}
	if err != nil {
		return -1
	}
	fd := -1
	cerr := rc.Control(func(s uintptr) {
		syscall.ForkLock.RLock()
		nfd, err := syscall.Dup(int(s))
		if err == nil {
			syscall.CloseOnExec(nfd)
			fd = nfd
		}
		syscall.ForkLock.RUnlock()
	})
	if cerr != nil || fd < 0 {
		return -1
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return -1
	}
	nc.Close()
	return fd
}

func fdRead(fd int, b []byte) (int, error) {
	for {
		n, err := syscall.Read(fd, b)
		if err != syscall.EINTR {
			return n, err
		}
	}
}

// fdPeek reports whether the socket holds input, without taking it.
func fdPeek(fd int, b []byte) bool {
	n, _, err := syscall.Recvfrom(fd, b, syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	return err == nil && n > 0
}

func fdWrite(fd int, b []byte) (int, error) {
	for {
		n, err := syscall.Write(fd, b)
		if err != syscall.EINTR {
			return n, err
		}
	}
}

func fdShutdownWrite(fd int) { syscall.Shutdown(fd, syscall.SHUT_WR) }
func fdClose(fd int)         { syscall.Close(fd) }

// errAgain is the error of a non-blocking read or write that would block.
const errAgain = syscall.EAGAIN

// errTooManyFiles is the error of an accept at the open-file limit.
const errTooManyFiles = syscall.EMFILE
