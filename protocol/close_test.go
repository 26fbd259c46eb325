package protocol_test

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/protocol"
)

// peerRole is the role of p's peer.
func peerRole(p *protocol.Protocol) frame.Role {
	if p.Role() == frame.Server {
		return frame.Client
	}
	return frame.Server
}

// fromPeer encodes a frame as p's peer sends it.
func fromPeer(p *protocol.Protocol, op frame.Opcode, payload string) []byte {
	return frm(true, op, 0, p.Role() == frame.Server, []byte(payload))
}

func TestCloseFirst(t *testing.T) {
	for _, role := range []frame.Role{frame.Server, frame.Client} {
		t.Run(role.String(), func(t *testing.T) {
			p := newProto(t, protocol.Config{Role: role})
			if err := p.Close(closecode.GoingAway, "bye", t0); err != nil {
				t.Fatal(err)
			}
			if p.State() != protocol.Closing || !p.HasPending() || p.PeerClosedFirst() {
				t.Fatalf("state %v pending %v", p.State(), p.HasPending())
			}
			if dl := p.Deadline(); !dl.Equal(t0.Add(protocol.DefaultCloseTimeout)) {
				t.Fatalf("deadline %v", dl)
			}
			// No data message may start, no ping go out.
			if err := p.StartMessage(protocol.Text, 1); !errors.Is(err, protocol.ErrNotOpen) {
				t.Fatalf("StartMessage: %v", err)
			}
			if _, err := p.AppendPing(nil, nil); !errors.Is(err, protocol.ErrNotOpen) {
				t.Fatalf("AppendPing: %v", err)
			}
			// A second Close does nothing.
			if err := p.Close(closecode.Normal, "again", t0); err != nil {
				t.Fatal(err)
			}
			out := p.AppendPending(nil)
			if code, reason := closeOf(t, out, role); code != closecode.GoingAway || reason != "bye" {
				t.Fatalf("close frame %d %q", code, reason)
			}
			if p.HasPending() || len(p.AppendPending(nil)) != 0 {
				t.Fatal("close frame sent twice")
			}
			p.PendingWritten(t0.Add(time.Millisecond))
			// Messages and pings still arrive; pings are not answered
			// after our close.
			evs, err := feed(t, p, cat(fromPeer(p, frame.OpText, "late"), fromPeer(p, frame.OpPing, "x")), 1)
			if err != nil || evsString(evs) != `start(text,false) data("late") message end ping("x")` {
				t.Fatalf("%s %v", evsString(evs), err)
			}
			if p.HasPending() {
				t.Fatal("pong after our close")
			}
			evs, err = feed(t, p, fromPeer(p, frame.OpClose, "\x03\xe8ok"), 1)
			if err != nil || evsString(evs) != `close(1000,"ok")` {
				t.Fatalf("%s %v", evsString(evs), err)
			}
			if p.HasPending() {
				t.Fatal("echo of the peer's answer")
			}
			if role == frame.Client {
				// The client waits for the server to close the transport.
				if p.State() != protocol.Closing || p.HalfClose() {
					t.Fatalf("state %v", p.State())
				}
				p.TransportClosed(io.EOF)
			}
			ce := wantClose(t, p, closecode.Normal, true)
			if ce.Reason != "ok" || ce.Err != nil {
				t.Fatalf("result %v", ce)
			}
			if ce.Error() != `conn: closed with 1000 "ok" (clean)` {
				t.Fatalf("Error() = %q", ce.Error())
			}
			err = p.StartMessage(protocol.Binary, 0)
			var noe *protocol.NotOpenError
			if !errors.As(err, &noe) || noe.State != protocol.Closed || !errors.Is(err, ce) {
				t.Fatalf("StartMessage after the end: %v", err)
			}
			if err.Error() != `conn: connection is CLOSED, not OPEN (conn: closed with 1000 "ok" (clean))` {
				t.Fatalf("Error() = %q", err.Error())
			}
			if !p.Deadline().IsZero() || p.HasPending() {
				t.Fatal("deadline or pending output after the end")
			}
		})
	}
}

func TestPeerClosesFirst(t *testing.T) {
	for _, role := range []frame.Role{frame.Server, frame.Client} {
		t.Run(role.String(), func(t *testing.T) {
			p := newProto(t, protocol.Config{Role: role, CloseTimeout: time.Second})
			now := t0.Add(time.Minute)
			p.Alive(now)
			if _, err := feed(t, p, fromPeer(p, frame.OpClose, "\x03\xe9away"), 0); err != nil {
				t.Fatal(err)
			}
			if !p.PeerClosedFirst() || p.State() != protocol.Closing {
				t.Fatal("not closing")
			}
			// The deadline for the echo counts from the last time the
			// Protocol was told.
			if dl := p.Deadline(); !dl.Equal(now.Add(time.Second)) {
				t.Fatalf("deadline %v", dl)
			}
			// Our Close is now a no-op: the echo is the close frame.
			if err := p.Close(closecode.Normal, "mine", now); err != nil {
				t.Fatal(err)
			}
			if code, reason := closeOf(t, p.AppendPending(nil), role); code != closecode.GoingAway || reason != "" {
				t.Fatalf("echo %d %q", code, reason)
			}
			written := now.Add(10 * time.Millisecond)
			p.PendingWritten(written)
			if role == frame.Server {
				wantClose(t, p, closecode.GoingAway, true)
				return
			}
			if p.State() != protocol.Closing || !p.Deadline().Equal(written.Add(time.Second)) {
				t.Fatalf("state %v deadline %v", p.State(), p.Deadline())
			}
			// The server never closes: the client gives up, cleanly.
			p.Tick(written.Add(time.Second - 1))
			if p.State() != protocol.Closing {
				t.Fatal("closed early")
			}
			p.Tick(written.Add(time.Second))
			ce := wantClose(t, p, closecode.GoingAway, true)
			if ce.Reason != "away" {
				t.Fatalf("reason %q", ce.Reason)
			}
		})
	}
}

func TestCloseTimeouts(t *testing.T) {
	// We closed; the peer never answers.
	p := server(t)
	p.Close(closecode.Normal, "", t0)
	p.AppendPending(nil)
	p.PendingWritten(t0)
	p.Tick(t0.Add(protocol.DefaultCloseTimeout))
	ce := wantClose(t, p, closecode.Abnormal, false)
	if !errors.Is(ce, protocol.ErrCloseTimeout) || ce.Reason != "no close frame from the peer" {
		t.Fatalf("result %v", ce)
	}
	// The peer closed; our echo could not be written in time.
	p = server(t)
	feed(t, p, toServer(true, frame.OpClose, "\x03\xe8"), 0)
	p.AppendPending(nil)
	p.Tick(t0.Add(protocol.DefaultCloseTimeout))
	ce = wantClose(t, p, closecode.Normal, false)
	if !errors.Is(ce, protocol.ErrCloseTimeout) {
		t.Fatalf("result %v", ce)
	}
	// Lost transports.
	p = client(t)
	p.Close(closecode.Normal, "", t0)
	p.TransportClosed(io.EOF)
	ce = wantClose(t, p, closecode.Abnormal, false)
	if !errors.Is(ce, io.ErrUnexpectedEOF) || ce.Reason != "connection lost during the close handshake" {
		t.Fatalf("result %v", ce)
	}
	p = client(t)
	feed(t, p, toClient(true, frame.OpClose, ""), 0)
	errReset := errors.New("reset")
	p.TransportClosed(errReset)
	ce = wantClose(t, p, closecode.NoStatus, false)
	if !errors.Is(ce, errReset) {
		t.Fatalf("result %v", ce)
	}
	p = server(t)
	p.TransportClosed(nil)
	ce = wantClose(t, p, closecode.Abnormal, false)
	if !errors.Is(ce, io.ErrUnexpectedEOF) || ce.Reason != "connection lost" {
		t.Fatalf("result %v", ce)
	}
	if ce.Error() != `conn: closed with 1006 "connection lost" (not clean): unexpected EOF` {
		t.Fatalf("Error() = %q", ce.Error())
	}
	p.TransportClosed(errReset) // no-op once closed
	p.Abort("late", errReset)
	if p.Result() != ce {
		t.Fatal("result replaced")
	}
	// The driver's own teardown.
	p = server(t)
	p.Abort("closed by CloseNow", errReset)
	ce = wantClose(t, p, closecode.Abnormal, false)
	if ce.Reason != "closed by CloseNow" || ce.Err != errReset {
		t.Fatalf("result %v", ce)
	}
}

func TestFailure(t *testing.T) {
	for _, role := range []frame.Role{frame.Server, frame.Client} {
		t.Run(role.String(), func(t *testing.T) {
			p := newProto(t, protocol.Config{Role: role})
			now := t0.Add(time.Hour)
			p.Alive(now)
			_, err := feed(t, p, fromPeer(p, 3, ""), 0)
			checkCode(t, err, closecode.ProtocolError)
			if p.State() != protocol.Closing || p.HalfClose() {
				t.Fatalf("state %v", p.State())
			}
			if dl := p.Deadline(); !dl.Equal(now.Add(protocol.DefaultCloseTimeout)) {
				t.Fatalf("deadline %v", dl)
			}
			if code, reason := closeOf(t, p.AppendPending(nil), role); code != closecode.ProtocolError || reason != "reserved opcode" {
				t.Fatalf("close frame %d %q", code, reason)
			}
			p.PendingWritten(now.Add(time.Second))
			if !p.HalfClose() {
				t.Fatal("no half close after the close frame")
			}
			if dl := p.Deadline(); !dl.Equal(now.Add(time.Second + protocol.DefaultCloseTimeout)) {
				t.Fatalf("deadline %v", dl)
			}
			p.TransportClosed(io.EOF)
			ce := wantClose(t, p, closecode.ProtocolError, false)
			var pe *closecode.Error
			if !errors.As(ce, &pe) || pe.Code != closecode.ProtocolError || ce.Reason != "reserved opcode" {
				t.Fatalf("result %v", ce)
			}
			if p.HalfClose() {
				t.Fatal("half close once closed")
			}
		})
	}
	// A failure after our close was written: the write side can be shut
	// down at once, and our close frame is the only one.
	p := server(t)
	p.Close(closecode.Normal, "", t0)
	p.AppendPending(nil)
	p.PendingWritten(t0)
	_, err := feed(t, p, toServer(true, frame.OpText, "\xff"), 0)
	checkCode(t, err, closecode.InvalidPayload)
	if !p.HalfClose() || p.HasPending() {
		t.Fatal("no half close, or a second close frame")
	}
	p.Tick(t0.Add(protocol.DefaultCloseTimeout))
	wantClose(t, p, closecode.InvalidPayload, false)
}

func TestCloseArguments(t *testing.T) {
	p := server(t)
	for _, c := range []struct {
		code   closecode.Code
		reason string
		err    error
	}{
		{closecode.NoStatus, "reason", closecode.ErrInvalidCode},
		{closecode.Abnormal, "", closecode.ErrInvalidCode},
		{closecode.TLSHandshake, "", closecode.ErrInvalidCode},
		{999, "", closecode.ErrInvalidCode},
		{5000, "", closecode.ErrInvalidCode},
		{closecode.Normal, strings.Repeat("x", 124), closecode.ErrReasonTooLong},
		{closecode.Normal, "\xff", closecode.ErrReasonNotUTF8},
	} {
		if err := p.Close(c.code, c.reason, t0); !errors.Is(err, c.err) {
			t.Errorf("Close(%d, %q) = %v, want %v", c.code, c.reason, err, c.err)
		}
	}
	if p.State() != protocol.Open || p.HasPending() {
		t.Fatal("a refused Close changed the state")
	}
	// 1005 with no reason: a close frame without payload.
	if err := p.Close(closecode.NoStatus, "", t0); err != nil {
		t.Fatal(err)
	}
	fs := frames(t, p.AppendPending(nil), frame.Server)
	if len(fs) != 1 || fs[0].h.Opcode != frame.OpClose || len(fs[0].payload) != 0 {
		t.Fatalf("close frames %+v", fs)
	}
	// A refused Close while closing leaves the queued frame alone.
	q := server(t)
	feed(t, q, toServer(true, frame.OpClose, "\x03\xe8"), 0)
	q.Close(closecode.Normal, "\xff", t0)
	q.Close(closecode.GoingAway, "other", t0)
	if code, _ := closeOf(t, q.AppendPending(nil), frame.Server); code != closecode.Normal {
		t.Fatalf("echo %d", code)
	}
}

func TestFailureReasonTruncated(t *testing.T) {
	// The close frame's reason is cut to 123 bytes at a character
	// boundary: a peer's reason is never longer, but a driver's may be.
	for _, c := range []struct{ in, want string }{
		{strings.Repeat("a", 123), strings.Repeat("a", 123)},
		{strings.Repeat("a", 200), strings.Repeat("a", 123)},
		{strings.Repeat("a", 122) + "é", strings.Repeat("a", 122)},
		{strings.Repeat("a", 121) + "€", strings.Repeat("a", 121)},
	} {
		if got := protocol.TruncateReason(c.in); got != c.want {
			t.Errorf("truncate(%d bytes) = %d bytes", len(c.in), len(got))
		}
	}
}
