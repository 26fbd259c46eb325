package protocol

// SetStream makes the read limit apply to compressed messages only, for a
// driver that delivers the incoming messages as a byte stream in pieces
// its reader bounds, so that their size costs no memory. A compressed
// message is collected whole before it is inflated, so it keeps the limit.
// It applies from the next frame header on.
func (p *Protocol) SetStream(on bool) { p.stream = on }
