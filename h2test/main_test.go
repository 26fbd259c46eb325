package h2test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"golang.org/x/net/http2"
)

// noSwitchEnv marks a child process that runs without the switch.
const noSwitchEnv = "HYBI_H2TEST_NOSWITCH"

// TestMain re-executes the test binary with GODEBUG=http2xconnect=1 in its
// environment: net/http reads GODEBUG once, when the package initializes,
// so setting it from TestMain (os.Setenv) comes too late; see
// TestSetenvIsTooLate, which checks that.
func TestMain(m *testing.M) {
	if os.Getenv(noSwitchEnv) != "" || hasSwitch() {
		os.Exit(m.Run())
	}
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Env = append(os.Environ(), "GODEBUG="+strings.TrimPrefix(os.Getenv("GODEBUG")+",http2xconnect=1", ","))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			os.Exit(ee.ExitCode())
		}
		fmt.Fprintln(os.Stderr, "h2test: re-executing with GODEBUG=http2xconnect=1:", err)
		os.Exit(2)
	}
	os.Exit(0)
}

func hasSwitch() bool { return strings.Contains(os.Getenv("GODEBUG"), "http2xconnect=1") }

// server is a TLS test server speaking HTTP/2 and HTTP/1.1.
type server struct {
	*httptest.Server
	mu     sync.Mutex
	protos []int // r.ProtoMajor of each WebSocket request
}

func newServer(t testing.TB, h http.HandlerFunc, configure ...func(*http.Server)) *server {
	t.Helper()
	s := &server{}
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.protos = append(s.protos, r.ProtoMajor)
		s.mu.Unlock()
		h(w, r)
	}))
	ts.EnableHTTP2 = true
	ts.Config.HTTP2 = &http.HTTP2Config{MaxConcurrentStreams: 5000}
	for _, f := range configure {
		f(ts.Config)
	}
	ts.StartTLS()
	s.Server = ts
	t.Cleanup(ts.Close)
	return s
}

func (s *server) wsURL() string { return "wss" + strings.TrimPrefix(s.URL, "https") }

// transport returns an x/net HTTP/2 transport trusting s.
func (s *server) transport(t testing.TB) *http2.Transport {
	pool := x509.NewCertPool()
	pool.AddCert(s.Certificate())
	tr := &http2.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

func (s *server) tlsConfig() *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(s.Certificate())
	return &tls.Config{RootCAs: pool}
}
