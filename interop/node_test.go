package interop

import (
	"path/filepath"
	"testing"
)

// TestNodeClient runs the Node ws client against a hybi server,
// without and with permessage-deflate.
func TestNodeClient(t *testing.T) {
	node, version := nodePeer(t)
	t.Logf("node ws %s", version)
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			url, ends := hybiServer(t, mode.compress)
			p := startPeer(t, node, filepath.Join("node", "peer.js"), "client", url, mode.name)
			checkPeerClient(t, p, ends)
		})
	}
}

// TestNodeServer runs hybi's client against a Node ws server,
// without and with permessage-deflate.
func TestNodeServer(t *testing.T) {
	node, version := nodePeer(t)
	t.Logf("node ws %s", version)
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			p := startPeer(t, node, filepath.Join("node", "peer.js"), "server", mode.name)
			hybiClient(t, p, listening(t, p), mode.compress)
		})
	}
}
