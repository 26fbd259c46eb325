package interop

import (
	"path/filepath"
	"testing"
)

// TestPythonClient runs the Python websockets client against a hybi server,
// without and with permessage-deflate.
func TestPythonClient(t *testing.T) {
	python, version := pythonPeer(t)
	t.Logf("python websockets %s", version)
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			url, ends := hybiServer(t, mode.compress)
			p := startPeer(t, python, filepath.Join("python", "peer.py"), "client", url, mode.name)
			checkPeerClient(t, p, ends)
		})
	}
}

// TestPythonServer runs hybi's client against a Python websockets server,
// without and with permessage-deflate.
func TestPythonServer(t *testing.T) {
	python, version := pythonPeer(t)
	t.Logf("python websockets %s", version)
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			p := startPeer(t, python, filepath.Join("python", "peer.py"), "server", mode.name)
			hybiClient(t, p, listening(t, p), mode.compress)
		})
	}
}
