// Package interop tests hybi against independent WebSocket implementations:
// a real browser (headless Chromium, driven over the Chrome DevTools
// Protocol with hybi's own client), Python's websockets and Node's ws; and
// nginx as a reverse proxy in front of hybi servers (nginx_test.go).
//
// The package holds only tests and the peers' scripts: python/peer.py and
// node/peer.js. Each peer runs in turn as a client of a hybi server and as
// a server for hybi's client, and they exchange text and binary echoes of
// 0 to 1 MiB, negotiate a subprotocol, ping each other and close in both
// directions, with the close code, reason and cleanliness checked on both
// sides.
//
// The browser also runs hybi's own client: wasm/ is a program built with
// GOOS=js GOARCH=wasm, on conn's browser build over the page's WebSocket,
// which TestWasmClient loads in Chromium with the toolchain's wasm_exec.js
// against a hybi echo server.
//
// A test skips only when its peer is not installed, and fails instead when
// the environment variable HYBI_INTEROP_REQUIRE is set. To install the peers
// (Debian; Node.js and npm come with the machine, or apt-get install nodejs
// npm):
//
//	apt-get install -y chromium python3-websockets nginx
//	npm ci --prefix interop/node
package interop
