package h2test_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/conn"
	"github.com/hybi/ws/handshake"
	"golang.org/x/net/http2"
)

// Dialing a WebSocket over HTTP/2 with x/net's transport: the WebSockets
// dialed with one transport share its connection to the server. (The test
// binary runs with GODEBUG=http2xconnect=1; see TestMain.)
func Example_dial() {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Accept(w, r, nil)
		if err != nil {
			return
		}
		_, msg, err := c.Read(context.Background(), nil)
		if err == nil {
			c.Write(context.Background(), conn.Text, []byte(fmt.Sprintf("%s over HTTP/%d", msg, r.ProtoMajor)))
		}
		c.Close(closecode.Normal, "")
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())

	tr := &http2.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := "wss" + strings.TrimPrefix(srv.URL, "https")
	c, err := conn.Dial(ctx, url, &conn.DialOptions{Transport: tr})
	if errors.Is(err, handshake.ErrExtendedConnect) {
		// The server does not take WebSockets over HTTP/2: use HTTP/1.1.
		c, err = conn.Dial(ctx, url, &conn.DialOptions{TLSConfig: &tls.Config{RootCAs: pool}})
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	c.Write(ctx, conn.Text, []byte("hello"))
	_, msg, _ := c.Read(ctx, nil)
	fmt.Println(string(msg))
	_, _, err = c.Read(ctx, nil)
	fmt.Println(err)
	// Output:
	// hello over HTTP/2
	// conn: closed with 1000 (clean)
}
