package conn

import (
	"errors"
	"fmt"
)

// ErrNotInBrowser is matched (errors.Is) by the errors with which a program
// built for the browser (GOOS=js GOARCH=wasm) refuses what the browser's
// WebSocket cannot do: request headers, an Origin, TLS settings, a proxy or
// a dialer of one's own, compression options, buffer and frame sizes,
// keepalive pings and Ping, close codes other than 1000 and 3000-4999, text
// that is not UTF-8, and the server side (Accept, AcceptConn, New). It also
// matches errors.ErrUnsupported. Other builds never return it; it is
// declared in every build so that code handling it compiles everywhere.
// See "In the browser" in the package documentation.
var ErrNotInBrowser = fmt.Errorf("conn: not available in the browser: %w", errors.ErrUnsupported)
