package chatserver

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	_ "embed"
	"flag"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/hybi/ws/broker"
)

//go:embed page.html
var page []byte

// Main runs the chat command: it parses the command line (flag.CommandLine,
// to which the caller may have added flags of its own), serves until SIGINT
// or SIGTERM, and shuts down. newBroker, if not nil, is called after the
// flags are parsed and returns the broker of the room, and what to call it
// in the log; nil, or a nil broker, means a broker.Memory of the process
// (a single node).
func Main(newBroker func() (broker.Broker, string, error)) {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	useEvented := flag.Bool("evented", false, "serve the WebSockets on the event-driven server (package evented)")
	useTLS := flag.Bool("tls", false, "serve https with a self-signed certificate made at start-up, and HTTP/2; "+
		"the WebSocket goes over HTTP/2 too when the process runs with GODEBUG=http2xconnect=1")
	flag.Parse()

	var b broker.Broker
	brokerName := "in-memory broker"
	if newBroker != nil {
		var err error
		var name string
		if b, name, err = newBroker(); err != nil {
			log.Fatal(err)
		}
		if b != nil {
			brokerName = name
		}
	}
	if b != nil && *useEvented {
		log.Fatal("-evented does not go through a broker: it serves one node only")
	}
	h := newHub(hubConfig{Logf: log.Printf, Broker: b})
	handler, shutdownWS := http.Handler(newMux(h)), h.shutdown
	if *useEvented {
		brokerName = "no broker"
		handler, shutdownWS = newEventedChat(log.Printf)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	scheme := "http"
	if *useTLS {
		scheme = "https"
		cert, err := selfSigned()
		if err != nil {
			log.Fatal(err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	go func() {
		serve := srv.Serve
		if *useTLS {
			serve = func(ln net.Listener) error { return srv.ServeTLS(ln, "", "") }
		}
		if err := serve(ln); err != http.ErrServerClosed {
			log.Fatal(err)
		}
	}()
	log.Printf("chat on %s://%s/ (%s; %s)", scheme, ln.Addr(), mode(*useTLS), brokerName)

	<-ctx.Done()
	stop() // a second ^C kills the process at once
	log.Print("shutting down")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Shutdown stops accepting. WebSockets are the hub's to close: over
	// HTTP/1.1 Shutdown does not wait for them, over HTTP/2 it waits for
	// their streams to end, so both run at once.
	done := make(chan struct{})
	go func() { srv.Shutdown(ctx); close(done) }()
	if err := shutdownWS(ctx); err != nil {
		log.Printf("shutdown: %v", err)
	}
	<-done
	log.Print("bye")
}

// mode says how the page and the WebSocket are served.
func mode(useTLS bool) string {
	switch {
	case !useTLS:
		return "HTTP/1.1"
	case strings.Contains(os.Getenv("GODEBUG"), "http2xconnect=1"):
		return "HTTP/2 for the page and the WebSocket (RFC 8441, GODEBUG=http2xconnect=1)"
	default:
		return "HTTP/2 for the page, HTTP/1.1 for the WebSocket; run with GODEBUG=http2xconnect=1 for WebSocket over HTTP/2"
	}
}

// selfSigned makes a certificate for localhost, 127.0.0.1 and ::1.
func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "hybi chat"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(30 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// newMux routes the page and the WebSocket endpoint.
func newMux(h *hub) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(page)
	})
	// Over HTTP/2 the WebSocket opens with an extended CONNECT (RFC 8441).
	ws := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.Printf("%s: websocket request over %s", r.RemoteAddr, r.Proto)
		h.ServeHTTP(w, r)
	})
	mux.Handle("GET /ws", ws)
	mux.Handle("CONNECT /ws", ws)
	// /status is 200 while the broker is reachable, 503 with the reason
	// otherwise: for load balancers and for the tests.
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		if err := h.status(); err != nil {
			http.Error(w, "broker down: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok\n"))
	})
	return mux
}
