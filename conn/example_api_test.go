//go:build !js

package conn_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/hybi/ws/conn"
	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/handshake"
)

// A low-memory server authenticates and routes in AcceptOptions.OnRequest,
// before the 101: the request's path picks the room, a bad token is refused
// with 401, and compression and the subprotocol are negotiated as usual.
func ExampleAcceptConn_authAndRouting() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	base := conn.AcceptOptions{ // shared by every connection
		Options:      conn.Options{Compression: &deflate.Config{}},
		Subprotocols: []string{"chat.v1"},
	}
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				var room string
				opts := base // a copy per connection, for what OnRequest finds
				opts.OnRequest = func(r *http.Request, resp *handshake.Response) error {
					if r.Header.Get("Authorization") != "Bearer let-me-in" {
						return &handshake.StatusError{StatusCode: http.StatusUnauthorized,
							Header: http.Header{"Www-Authenticate": {"Bearer"}}, Body: []byte("bad token")}
					}
					var ok bool
					if room, ok = strings.CutPrefix(r.URL.Path, "/rooms/"); !ok {
						return &handshake.StatusError{StatusCode: http.StatusNotFound, Body: []byte("no such room")}
					}
					resp.Header.Set("X-Room", room)
					return nil
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				c, err := conn.AcceptConn(ctx, nc, &opts)
				cancel()
				if err != nil {
					return // refused: AcceptConn answered and closed nc
				}
				defer c.CloseNow()
				_, comp := c.Compression()
				msg := fmt.Sprintf("welcome to %s (%s, compressed: %v)", room, c.Subprotocol(), comp)
				c.Write(context.Background(), conn.Text, []byte(msg))
				c.Close(conn.CloseNormal, "")
			}()
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	url := "ws://" + ln.Addr().String()
	opts := &conn.DialOptions{
		Options:      conn.Options{Compression: &deflate.Config{}},
		Subprotocols: []string{"chat.v1"},
		Header:       http.Header{"Authorization": {"Bearer guess"}},
	}
	_, err = conn.Dial(ctx, url+"/rooms/go", opts)
	var se *handshake.StatusError
	if errors.As(err, &se) {
		fmt.Println("refused:", se.StatusCode, string(se.Body))
	}
	opts.Header.Set("Authorization", "Bearer let-me-in")
	c, err := conn.Dial(ctx, url+"/rooms/go", opts)
	if err != nil {
		log.Fatal(err)
	}
	_, msg, err := c.Read(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(msg))
	c.Close(conn.CloseNormal, "")
	// Output:
	// refused: 401 bad token
	// welcome to go (chat.v1, compressed: true)
}

// A client reads the server's answer to the handshake, here a cookie, with
// DialOptions.OnResponse. DialOptions.Jar keeps cookies across dials.
func ExampleDial_responseCookie() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Accept(w, r, &conn.AcceptOptions{Header: http.Header{"Set-Cookie": {"session=42; HttpOnly"}}})
		if err != nil {
			return
		}
		c.Close(conn.CloseNormal, "")
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var session string
	c, err := conn.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), &conn.DialOptions{
		OnResponse: func(resp *http.Response) error {
			for _, ck := range resp.Cookies() {
				if ck.Name == "session" {
					session = ck.Value
				}
			}
			return nil
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.CloseNow()
	fmt.Println("session", session)
	// Output: session 42
}

// A feed only writes: CloseRead reads for it, answering pings and seeing the
// client's close, and its context ends with the connection.
func ExampleConn_CloseRead() {
	client, server, err := conn.Pipe(nil)
	if err != nil {
		log.Fatal(err)
	}
	go func() { // the server's handler
		done := server.CloseRead(context.Background())
		for i := 1; ; i++ {
			select {
			case <-done.Done():
				var ce *conn.CloseError
				if errors.As(context.Cause(done), &ce) {
					fmt.Println("feed ended:", ce.Code, ce.Reason)
				}
				return
			case <-time.After(10 * time.Millisecond):
				server.Write(context.Background(), conn.Text, fmt.Appendf(nil, "update %d", i))
			}
		}
	}()
	ctx := context.Background()
	for range 3 {
		_, msg, err := client.Read(ctx, nil)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(string(msg))
	}
	client.Close(conn.CloseGoingAway, "enough")
	time.Sleep(50 * time.Millisecond) // for the server's line
	// Output:
	// update 1
	// update 2
	// update 3
	// feed ended: 1001 going away enough
}

// Options.OnPing and OnPong see the control frames; Latency reads the
// round-trip time that keepalive (or Ping) measured.
func ExampleOptions_pingHooks() {
	opts := &conn.Options{
		OnPing: func(c *conn.Conn, payload []byte) { fmt.Println(c.LocalAddr(), "got a ping") },
		OnPong: func(c *conn.Conn, payload []byte) { fmt.Println(c.LocalAddr(), "got a pong") },
	}
	client, server, err := conn.Pipe(opts)
	if err != nil {
		log.Fatal(err)
	}
	defer client.CloseNow()
	defer server.CloseNow()
	ctx := context.Background()
	go server.Read(ctx, nil) // someone must read for pings to be answered
	go client.Read(ctx, nil)
	if err := client.Ping(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("latency measured:", client.Latency() > 0)
	// Output:
	// server got a ping
	// client got a pong
	// latency measured: true
}

// WriteCompressed chooses the compression of one message: a message that
// mixes a secret with what an attacker may choose goes out uncompressed, so
// that its size leaks nothing (CRIME, BREACH); a small one can be forced.
func ExampleConn_WriteCompressed() {
	client, server, err := conn.Pipe(&conn.Options{Compression: &deflate.Config{Threshold: 256}})
	if err != nil {
		log.Fatal(err)
	}
	defer client.CloseNow()
	defer server.CloseNow()
	ctx := context.Background()
	secret := []byte(`{"csrf":"8f2a...","echo":"what the user typed"}`)
	if err := server.WriteCompressed(ctx, conn.Text, secret, false); err != nil {
		log.Fatal(err)
	}
	if err := server.WriteCompressed(ctx, conn.Text, []byte("small but repetitive repetitive repetitive"), true); err != nil {
		log.Fatal(err)
	}
	for range 2 {
		_, msg, err := client.Read(ctx, nil)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(string(msg))
	}
	// Output:
	// {"csrf":"8f2a...","echo":"what the user typed"}
	// small but repetitive repetitive repetitive
}

// Pipe gives a unit test both ends of a connection, without a network.
func ExamplePipe() {
	client, server, err := conn.Pipe(&conn.Options{Compression: &deflate.Config{}})
	if err != nil {
		log.Fatal(err)
	}
	go func() { // the code under test: an upper-casing echo
		ctx := context.Background()
		for {
			typ, msg, err := server.Read(ctx, nil)
			if err != nil {
				return
			}
			server.Write(ctx, typ, []byte(strings.ToUpper(string(msg))))
		}
	}()
	ctx := context.Background()
	client.Write(ctx, conn.Text, []byte("hello"))
	_, msg, err := client.Read(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	_, compressed := client.Compression()
	fmt.Println(string(msg), compressed)
	client.Close(conn.CloseNormal, "")
	// Output: HELLO true
}

// wss:// on the low-memory path: AcceptConn on the connections of a
// tls.Listener. The TLS handshake happens on the first read, within
// AcceptConn's bound; OnRequest sees it in r.TLS.
func ExampleAcceptConn_tls() {
	cert, roots := selfSigned() // in production: tls.LoadX509KeyPair("cert.pem", "key.pem")
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				c, err := conn.AcceptConn(ctx, nc, &conn.AcceptOptions{
					OnRequest: func(r *http.Request, _ *handshake.Response) error {
						fmt.Println("TLS:", r.TLS != nil && r.TLS.HandshakeComplete)
						return nil
					},
				})
				if err != nil {
					return
				}
				c.Write(context.Background(), conn.Text, []byte("secure hello"))
				c.Close(conn.CloseNormal, "")
			}()
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := conn.Dial(ctx, "wss://"+ln.Addr().String()+"/", &conn.DialOptions{TLSConfig: &tls.Config{RootCAs: roots}})
	if err != nil {
		log.Fatal(err)
	}
	_, msg, err := c.Read(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(msg))
	c.Close(conn.CloseNormal, "")
	// Output:
	// TLS: true
	// secure hello
}

// wss:// with net/http: Accept in a handler of an http.Server serving TLS.
// srv.ListenAndServeTLS("cert.pem", "key.pem") is the production form; the
// example serves the same way on a listener of its own, with a certificate
// made on the spot.
func ExampleAccept_tls() {
	cert, roots := selfSigned()
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := conn.Accept(w, r, nil)
			if err != nil {
				return
			}
			c.Write(context.Background(), conn.Text, []byte("hello over "+r.Proto+" and TLS"))
			c.Close(conn.CloseNormal, "")
		}),
		ReadHeaderTimeout: 10 * time.Second,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.ServeTLS(ln, "", "") // as srv.ListenAndServeTLS(certFile, keyFile) does
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := conn.Dial(ctx, "wss://"+ln.Addr().String()+"/", &conn.DialOptions{TLSConfig: &tls.Config{RootCAs: roots}})
	if err != nil {
		log.Fatal(err)
	}
	_, msg, err := c.Read(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(msg))
	c.Close(conn.CloseNormal, "")
	// Output: hello over HTTP/1.1 and TLS
}

// selfSigned returns a certificate for 127.0.0.1 and the pool that trusts it.
func selfSigned() (tls.Certificate, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "example"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		log.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		log.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, roots
}
