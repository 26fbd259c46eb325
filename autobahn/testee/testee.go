package testee

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/hybi/ws/conn"
	"github.com/hybi/ws/deflate"
)

// ReadLimit is the largest message the testees accept: the 16 MiB messages
// of category 9 fit with room to spare.
const ReadLimit = 64 << 20

// options are the testees' connection options: no keepalive pings (they
// would disturb the cases' expected events) and permessage-deflate with
// hybi's defaults: a server accepts the first acceptable offer, a client
// offers the extension without requests of its own and accepts any valid
// response.
func options() conn.Options {
	return conn.Options{ReadLimit: ReadLimit, PingInterval: -1, Compression: &deflate.Config{}}
}

// Handler returns the echo server: it accepts WebSocket connections on any
// path and echoes every text and binary message unchanged.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Accept(w, r, &conn.AcceptOptions{
			Options:                 options(),
			InsecureSkipOriginCheck: true,
			Header:                  http.Header{"Server": {"hybi"}},
		})
		if err != nil {
			return
		}
		Echo(r.Context(), c)
	})
}

// Echo sends every message it reads from c back unchanged until the
// connection ends. It returns nil when the connection was closed cleanly.
func Echo(ctx context.Context, c *conn.Conn) error {
	defer c.CloseNow()
	var buf []byte
	for {
		typ, msg, err := c.Read(ctx, buf)
		if err != nil {
			return closeErr(err)
		}
		if err := c.Write(ctx, typ, msg); err != nil {
			return closeErr(err)
		}
		buf = msg[:0]
	}
}

func closeErr(err error) error {
	var ce *conn.CloseError
	if errors.As(err, &ce) && ce.Clean {
		return nil
	}
	return err
}

// RunClient drives the Autobahn fuzzing server at base (for example
// ws://127.0.0.1:9001) as testee client named agent: it asks for the case
// count, runs every case echoing messages, then asks for the reports.
func RunClient(ctx context.Context, base, agent string) error {
	base = strings.TrimSuffix(base, "/")
	count, err := caseCount(ctx, base)
	if err != nil {
		return fmt.Errorf("testee: getCaseCount: %w", err)
	}
	a := url.QueryEscape(agent)
	for i := 1; i <= count; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		c, err := conn.Dial(ctx, fmt.Sprintf("%s/runCase?case=%d&agent=%s", base, i, a), &conn.DialOptions{Options: options()})
		if err != nil {
			continue // the fuzzing server reports the case
		}
		Echo(ctx, c)
	}
	c, err := conn.Dial(ctx, base+"/updateReports?agent="+a, &conn.DialOptions{Options: options()})
	if err != nil {
		return fmt.Errorf("testee: updateReports: %w", err)
	}
	drain(ctx, c)
	return nil
}

func caseCount(ctx context.Context, base string) (int, error) {
	c, err := conn.Dial(ctx, base+"/getCaseCount", &conn.DialOptions{Options: options()})
	if err != nil {
		return 0, err
	}
	_, msg, err := c.Read(ctx, nil)
	if err != nil {
		c.CloseNow()
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(msg)))
	drain(ctx, c)
	return n, err
}

// drain reads until the server closes the connection.
func drain(ctx context.Context, c *conn.Conn) {
	defer c.CloseNow()
	for {
		if _, _, err := c.Read(ctx, nil); err != nil {
			return
		}
	}
}
