package protocol

// PreparedEncodings returns how many encodings of m were made.
func PreparedEncodings(m *PreparedMessage) int {
	if l := m.encs.Load(); l != nil {
		return len(*l)
	}
	return 0
}
