package protocol

// Runtime controls a driver exposes to its applications: the read limit of
// a live connection, the compression of one outgoing message, and what a
// driver needs to time keepalive round trips.

// SetReadLimit changes the read limit (see Config.ReadLimit: 0 means
// DefaultReadLimit, a negative value no limit). It applies from the next
// frame header on: a message being read is checked against the new limit
// at its next frame and, when compressed, at its next inflated chunk.
func (p *Protocol) SetReadLimit(n int64) {
	if n == 0 {
		n = DefaultReadLimit
	}
	p.readLimit = n
}

// SetWriteCompressed overrides, for the open outgoing message, the choice
// StartMessage made: on compresses it when permessage-deflate was
// negotiated (without it the message stays uncompressed), off sends it
// uncompressed whatever its size, as for a message mixing secrets with
// data an attacker chooses (CRIME, BREACH). It must come before the
// message's first frame: it returns ErrNoMessage without an open message,
// and ErrMessageOpen once a frame of it was produced.
func (p *Protocol) SetWriteCompressed(on bool) error {
	if !p.wOpen {
		return ErrNoMessage
	}
	if p.wStarted {
		return ErrMessageOpen
	}
	p.wComp = on && p.z != nil
	return nil
}

// KeepaliveInFlight reports whether the output of AppendPending holds a
// keepalive ping not yet reported written: a driver timing keepalive round
// trips takes the time it calls PendingWritten, and stops the clock at the
// EventPong whose Keepalive is set.
func (p *Protocol) KeepaliveInFlight() bool { return p.ka == kaInFlight }
