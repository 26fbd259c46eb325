//go:build !js

package conn

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/hybi/ws/closecode"
)

func TestNetConnCopy(t *testing.T) {
	checkGoroutines(t)
	srv, cli := pair(t, shortOpts(), shortOpts())
	sn, cn := NetConn(srv, Binary), NetConn(cli, Binary)
	// The server echoes the byte stream with io.Copy, which ends with the
	// client's clean close.
	echoed := async(t, func() error {
		_, err := io.Copy(sn, sn)
		return err
	})
	data := make([]byte, 300000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	got := async(t, func() []byte {
		var b bytes.Buffer
		buf := make([]byte, 1000)
		for b.Len() < len(data) {
			n, err := cn.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return b.Bytes()
	})
	for rest := data; len(rest) > 0; {
		n := min(len(rest), 7777)
		if k, err := cn.Write(rest[:n]); err != nil || k != n {
			t.Fatalf("Write: %d %v", k, err)
		}
		rest = rest[n:]
	}
	if !bytes.Equal(got(), data) {
		t.Fatal("stream corrupted")
	}
	if err := cn.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := echoed(); err != nil {
		t.Fatalf("io.Copy: %v", err)
	}
	if _, err := sn.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("Read after a clean close: %v", err)
	}
	if sn.LocalAddr() == nil || cn.RemoteAddr() == nil {
		t.Fatal("no addresses")
	}
}

func TestNetConnDeadline(t *testing.T) {
	checkGoroutines(t)
	srv, cli := pair(t, shortOpts(), shortOpts())
	sn, cn := NetConn(srv, Text), NetConn(cli, Text)
	sn.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	_, err := sn.Read(make([]byte, 10))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("Read past the deadline: %v", err)
	}
	// A deadline between messages leaves the connection usable.
	sn.SetDeadline(time.Time{})
	if _, err := cn.Write([]byte("after")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	n, err := sn.Read(buf)
	if err != nil || string(buf[:n]) != "after" {
		t.Fatalf("%q %v", buf[:n], err)
	}
	// Closing with another code is not EOF.
	go srv.Close(closecode.PolicyViolation, "no")
	_, err = cn.Read(buf)
	var ce *CloseError
	if !errors.As(err, &ce) || ce.Code != closecode.PolicyViolation {
		t.Fatalf("Read after close 1008: %v", err)
	}
}
