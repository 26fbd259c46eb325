package interop

import "testing"

// chatFlags are extra flags of the chat servers startChat runs.
var chatFlags []string

// TestBrowserChatEvented runs TestBrowserChat against the chat on the
// event-driven server (examples/chat -evented).
func TestBrowserChatEvented(t *testing.T) {
	chatFlags = []string{"-evented"}
	defer func() { chatFlags = nil }()
	TestBrowserChat(t)
}
