package protocol

// PayloadLeft returns how many of the next input bytes are payload of the
// current frame of an uncompressed data message, which Parse delivers as
// they arrive, and 0 anywhere else. A driver may read up to that many
// bytes from its transport straight into the memory where it wants the
// message, then give them to Parse, which unmasks and checks them in
// place and returns them as one EventData: large messages are then read
// without a copy.
func (p *Protocol) PayloadLeft() int64 {
	if p.rs != rsData || p.msgComp {
		return 0
	}
	return p.remain
}

// SetStream makes the read limit apply to compressed messages only, for a
// driver that delivers the incoming messages as a byte stream in pieces
// its reader bounds, so that their size costs no memory. A compressed
// message is collected whole before it is inflated, so it keeps the limit.
// It applies from the next frame header on.
func (p *Protocol) SetStream(on bool) { p.stream = on }
