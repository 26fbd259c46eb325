//go:build !js

package conn

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/frame"
)

// A NetConn read deadline that expires in the middle of a message returns a
// timeout and leaves the connection usable; the message's bytes are all
// delivered afterwards (issue 12, defect 5).
func TestNetConnDeadlineMidMessage(t *testing.T) {
	for _, compress := range []bool{false, true} {
		name := "plain"
		if compress {
			name = "compressed"
		}
		t.Run(name, func(t *testing.T) {
			checkGoroutines(t)
			o := shortOpts()
			if compress {
				o.Compression = &deflate.Config{}
			}
			srv, cli, _ := httpPair(t, AcceptOptions{Options: *o}, DialOptions{Options: *o})
			if _, ok := srv.Compression(); ok != compress {
				t.Fatalf("compression negotiated: %v", ok)
			}
			sn, cn := NetConn(srv, Binary), NetConn(cli, Binary)
			data := make([]byte, 100000)
			for i := range data {
				data[i] = byte(i * 31)
			}
			// The client sends the first half of a message, stalls, then
			// the rest; the server's deadline expires in between.
			w, err := cli.Writer(context.Background(), Binary)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(data[:50000])
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			buf := make([]byte, 4096)
			sn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			for {
				n, err := sn.Read(buf)
				got.Write(buf[:n])
				if err != nil {
					var ne net.Error
					if !errors.As(err, &ne) || !ne.Timeout() {
						t.Fatalf("Read past the deadline: %v (%T)", err, err)
					}
					break
				}
			}
			if st := srv.State(); st != Open {
				t.Fatalf("after a read timeout the state is %v", st)
			}
			// Writes work in both directions, and the message goes on.
			if _, err := sn.Write([]byte("pong")); err != nil {
				t.Fatalf("server Write after the timeout: %v", err)
			}
			w.Write(data[50000:])
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			sn.SetReadDeadline(time.Time{})
			for got.Len() < len(data) {
				n, err := sn.Read(buf)
				got.Write(buf[:n])
				if err != nil {
					t.Fatalf("Read after the timeout: %v", err)
				}
			}
			if !bytes.Equal(got.Bytes(), data) {
				t.Fatal("the stream is corrupted after the timeout")
			}
			n, err := cn.Read(buf)
			if err != nil || string(buf[:n]) != "pong" {
				t.Fatalf("client Read: %q %v", buf[:n], err)
			}
		})
	}
}

// A NetConn is a byte stream: a message larger than the connection's read
// limit still flows through it (issue 12, defect 5).
func TestNetConnHasNoMessageLimit(t *testing.T) {
	checkGoroutines(t)
	o := shortOpts()
	o.ReadLimit = 1000
	srv, cli := pair(t, o, shortOpts())
	sn := NetConn(srv, Binary)
	data := bytes.Repeat([]byte("0123456789"), 1000)
	go cli.Write(context.Background(), Binary, data)
	got := make([]byte, len(data))
	if _, err := io.ReadFull(sn, got); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("ReadFull: %v", err)
	}
	// Read and Reader on the Conn keep the limit.
	go cli.Write(context.Background(), Binary, data)
	_, _, err := srv.Read(context.Background(), nil)
	wantCloseError(t, err, closecode.MessageTooBig, false)
}

// A NetConn write deadline that expires while the peer does not read
// returns a timeout with the count of bytes accepted, and the connection
// stays usable: once the peer reads, it gets exactly those bytes, then what
// later writes send (issue 12, defect 5).
func TestNetConnWriteDeadline(t *testing.T) {
	checkGoroutines(t)
	s, c := tcpPair(t)
	for _, nc := range []net.Conn{s, c} {
		nc.(*net.TCPConn).SetReadBuffer(16 << 10)
		nc.(*net.TCPConn).SetWriteBuffer(16 << 10)
	}
	srv := New(s, nil, frame.Server, shortOpts())
	cli := New(c, nil, frame.Client, shortOpts())
	t.Cleanup(func() { srv.CloseNow(); cli.CloseNow() })
	sn, cn := NetConn(srv, Binary), NetConn(cli, Binary)
	data := make([]byte, 4<<20)
	for i := range data {
		data[i] = byte(i * 13)
	}
	sn.SetWriteDeadline(time.Now().Add(300 * time.Millisecond))
	n, err := sn.Write(data)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("Write past the deadline: %d bytes, %v", n, err)
	}
	if n == 0 || n == len(data) {
		t.Fatalf("Write accepted %d of %d bytes: the test wants a cut in the middle", n, len(data))
	}
	if st := srv.State(); st != Open {
		t.Fatalf("after a write timeout the state is %v", st)
	}
	// The peer reads now; the stream goes on.
	got := async(t, func() []byte {
		b := make([]byte, n+5)
		if _, err := io.ReadFull(cn, b); err != nil {
			t.Errorf("client read: %v", err)
		}
		return b
	})
	sn.SetWriteDeadline(time.Time{})
	if _, err := sn.Write([]byte("after")); err != nil {
		t.Fatalf("Write after the timeout: %v", err)
	}
	b := got()
	if !bytes.Equal(b[:n], data[:n]) || string(b[n:]) != "after" {
		t.Fatal("the stream is corrupted after the write timeout")
	}
	drained := async(t, func() error {
		_, err := io.Copy(io.Discard, sn) // sees the close, answers it
		return err
	})
	if err := cn.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := drained(); err != nil {
		t.Fatalf("server: %v", err)
	}
}
