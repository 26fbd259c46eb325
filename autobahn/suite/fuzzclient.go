package suite

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/hybi/ws/handshake"
)

// Client is a fuzzing client: it runs cases against a WebSocket server,
// opening one connection per case, as "wstest -m fuzzingclient" does.
type Client struct {
	// Cases and Exclude select cases by pattern (see CaseIDs); none means all.
	Cases, Exclude []string
	// Agent names the server in the report; empty takes the server's
	// Server response header ("UnknownServer" without one).
	Agent string
	// Dialer opens the connections; nil uses a Dialer with a User-Agent.
	// Its Extensions and AcceptExtensions are replaced for each case by the
	// case's permessage-deflate offers (none for cases 1 to 10).
	Dialer *handshake.Dialer
	// Report receives the results; nil makes Run create one.
	Report *Report
	// Progress, when set, gets a line per case.
	Progress io.Writer
	// TimeoutScale, when above 1, stretches the fallback timeouts that only
	// end a case whose testee misbehaves or stalls (Autobahn's killAfter and
	// closeAfter, the 1 s closing handshake and TCP drop timeouts), for busy
	// test machines. Delays that are part of a case (5.19, 6.4.x) keep
	// Autobahn's values. 0 or 1 keeps Autobahn's timing.
	TimeoutScale float64
}

// Run runs the selected cases against the server at url, one after the
// other, and returns the report. A case whose connection cannot be opened
// is reported FAILED; Run stops early only when ctx ends.
func (c *Client) Run(ctx context.Context, url string) (*Report, error) {
	ids, err := CaseIDs(c.Cases, c.Exclude)
	if err != nil {
		return nil, err
	}
	rep := c.Report
	if rep == nil {
		rep = NewReport()
	}
	d := c.Dialer
	if d == nil {
		d = &handshake.Dialer{Header: http.Header{"User-Agent": {userAgent}}}
	}
	for i, id := range ids {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		res := c.runOne(ctx, d, lookup(id), i+1, url)
		rep.Add(res)
		progress(c.Progress, i+1, len(ids), res)
	}
	return rep, nil
}

const userAgent = "hybi-autobahn/1.0"

func (c *Client) runOne(ctx context.Context, d *handshake.Dialer, cd *caseDef, index int, url string) *Result {
	agent := c.Agent
	dd, neg := dialerFor(d, cd)
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	hs, err := dd.Dial(dctx, url)
	cancel()
	if err != nil {
		if agent == "" {
			agent = "UnknownServer"
		}
		return failedResult(cd, index, agent, err)
	}
	if agent == "" {
		agent = hs.Header.Get("Server")
		if agent == "" {
			agent = "UnknownServer"
		}
	}
	r := newRun(cd, hs.Conn, false)
	r.scale = c.TimeoutScale
	if neg.ok {
		r.pmce = newPMCE(neg.resp.params(), false, neg.desc)
	}
	stop := context.AfterFunc(ctx, func() { hs.Conn.Close() })
	r.execute(hs.Buffered)
	stop()
	return r.resultFor(index, agent)
}

// progress reports the i-th of n cases to w, a *Progress or a plain writer.
func progress(w io.Writer, i, n int, r *Result) {
	switch w := w.(type) {
	case nil:
	case *Progress:
		w.add(r)
	default:
		fmt.Fprintf(w, "[%3d/%d] %s\n", i, n, caseLine(r))
	}
}

// clientNegotiation is what the fuzzing client agreed with the server.
type clientNegotiation struct {
	ok   bool
	resp deflateResponse
	desc string
}

// dialerFor returns a copy of d that sends the case's offers and checks the
// server's response as Autobahn's fuzzing client does: one
// permessage-deflate response at most, with valid parameters; any other
// extension fails the handshake.
func dialerFor(d *handshake.Dialer, cd *caseDef) (*handshake.Dialer, *clientNegotiation) {
	neg := &clientNegotiation{}
	dd := *d
	dd.Extensions = nil
	for _, o := range cd.offers {
		dd.Extensions = append(dd.Extensions, o.extension())
	}
	dd.AcceptExtensions = func(resp []handshake.Extension) error {
		for _, e := range resp {
			if !isDeflate(e) {
				return fmt.Errorf("suite: server wants extension %q, which was not offered", e.Name)
			}
			if neg.ok {
				return fmt.Errorf("%w: more than one permessage-deflate response", errPMCE)
			}
			r, err := parseResponse(e.Params)
			if err != nil {
				return err
			}
			neg.ok, neg.resp, neg.desc = true, r, handshake.FormatExtensions([]handshake.Extension{e})
		}
		return nil
	}
	return &dd, neg
}
