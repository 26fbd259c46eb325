package suite

import (
	"encoding/binary"
	"fmt"

	"github.com/hybi/ws/closecode"
)

// The closing behaviour of Autobahn's fuzzing peers: how they answer close
// frames, fail connections and drop TCP.

// onCloseFrame handles the peer's close frame: it checks code and reason,
// answers with 1000 when the peer closed first, and ends TCP as the role
// requires (a server at once, a client waits for the server).
func (r *run) onCloseFrame(code int, reason []byte) {
	r.remoteCloseCode = code
	if code != noCode && !autobahnAllowedCode(code) {
		r.protocolViolation(fmt.Sprintf("invalid close code %d", code))
	}
	if reason != nil {
		var v utf8Validator
		if !v.write(reason) {
			r.invalidPayload("invalid close reason (non-UTF-8 payload)")
		}
		r.remoteCloseReason = string(reason)
	}
	switch r.state {
	case stateClosing:
		if r.closeTimer != nil {
			r.closeTimer.Stop()
			r.closeTimer = nil
		}
		r.wasClean = true
		if r.isServer {
			r.dropConnection(true)
		} else {
			r.dropTimer = r.after(r.scaled(serverConnectionDropTimeout), func() {
				r.dropTimer = nil
				if r.state != stateClosed {
					r.wasClean = false
					r.wasNotCleanReason = "the server did not close the TCP connection within 1 s"
					r.wasServerConnectionDropTimeout = true
					r.dropConnection(true)
				}
			})
		}
	case stateOpen:
		r.wasClean = true
		r.sendCloseFrame(int(closecode.Normal), nil, true)
		if r.isServer {
			r.dropConnection(false)
		}
	}
}

// autobahnAllowedCode is the close code check of Autobahn's fuzzing peers.
func autobahnAllowedCode(c int) bool {
	switch {
	case c >= 1000 && c <= 1003, c >= 1007 && c <= 1011:
		return true
	case c >= 3000 && c <= 4999:
		return true
	}
	return false
}

func (r *run) protocolViolation(reason string) {
	r.failConnection(int(closecode.ProtocolError), reason)
}

func (r *run) invalidPayload(reason string) {
	r.failConnection(int(closecode.InvalidPayload), reason)
}

// failConnection fails the connection with a close frame, never by dropping
// TCP first (Autobahn's fuzzers run with failByDrop = False).
func (r *run) failConnection(code int, reason string) {
	if r.state == stateClosed {
		return
	}
	r.logf("FAILING CONNECTION: %d %s", code, reason)
	r.failedByMe = true
	if r.state != stateClosing {
		rs := []byte(reason)
		if len(rs) > 123 {
			rs = rs[:123]
		}
		r.sendCloseFrame(code, rs, false)
	} else {
		r.dropConnection(false)
	}
}

// sendClose is Autobahn's sendClose; code noCode sends an empty close frame.
func (r *run) sendClose(code int, reason string) {
	var rs []byte
	if reason != "" {
		rs = []byte(reason)
		if len(rs) > 123 {
			rs = rs[:123]
		}
	}
	r.sendCloseFrame(code, rs, false)
}

// sendCloseFrame sends a close frame with any code and raw reason (nil: none)
// and moves to the closing state; it does nothing unless the state is open.
func (r *run) sendCloseFrame(code int, reason []byte, isReply bool) {
	if r.state != stateOpen {
		return
	}
	var p []byte
	if code != noCode {
		p = binary.BigEndian.AppendUint16(p, uint16(code))
	}
	p = append(p, reason...)
	r.sendFrame(txFrame{opcode: 8, payload: p})
	r.state = stateClosing
	r.closedByMe = !isReply
	r.localCloseCode = code
	r.localCloseReason = reason
	if r.closedByMe {
		r.closeTimer = r.after(r.scaled(closeHandshakeTimeout), func() {
			// A timer that fired just before the peer's close arrived is
			// cancelled too (closeTimer is nil then), as Twisted cancels.
			if r.closeTimer != nil && r.state != stateClosed {
				r.wasClean = false
				r.wasNotCleanReason = "the peer did not answer the close frame within 1 s"
				r.wasCloseHandshakeTimeout = true
				r.dropConnection(true)
			}
		})
	}
}

// dropConnection closes TCP: at once when abort, else after queued output.
func (r *run) dropConnection(abort bool) {
	if r.state == stateClosed {
		return
	}
	r.droppedByMe = true
	r.state = stateClosed
	r.flush()
	if abort {
		r.w.abort()
	} else {
		r.w.closeWhenFlushed()
	}
}

func (r *run) connectionLost() {
	if r.state == stateClosed {
		return
	}
	r.state = stateClosed
	if !r.wasClean && !r.droppedByMe && r.wasNotCleanReason == "" {
		r.wasNotCleanReason = "the peer closed the TCP connection without a closing handshake"
	}
}
