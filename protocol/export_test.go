package protocol

// TruncateReason exposes truncateReason to the tests.
var TruncateReason = truncateReason

// SpareHeld reports whether p holds its spare buffers.
func SpareHeld(p *Protocol) bool { return p.spare != nil }
