package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stderr, nil)
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.Is(err, errUsage):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "hybid:", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

const usageHead = `usage: hybid [flags] program [args...]

Runs program once per WebSocket connection: its output lines become text
messages, and the messages received are written to its input, a newline
after each. Its exit closes the connection (1000 for status 0, 1011 with the
status otherwise); the client's close stops it (input closed and SIGTERM,
SIGKILL after -grace). The request reaches it as CGI environment variables:
REQUEST_URI, PATH_INFO, QUERY_STRING, REMOTE_ADDR, REMOTE_PORT, SERVER_NAME,
SERVER_PORT, HTTPS, UNIQUE_ID, HTTP_<HEADER> for each request header, and
the others of websocketd (see go doc github.com/hybi/ws/cmd/hybid).

flags:
`

// flags parses the command line into a config.
func flags(args []string, stderr io.Writer) (*config, string, [2]string, error) {
	fs := flag.NewFlagSet("hybid", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "`host:port` to listen on (\":8080\" for every interface)")
	binary := fs.Bool("binary", false, "binary mode: send output as binary messages as it comes, and write each message received to the input as is, without a newline")
	maxProcs := fs.Int("max-procs", 64, "most programs running at once; more handshakes are refused with 503")
	grace := fs.Duration("grace", 2*time.Second, "after the client's close, how long the program has to exit after its input was closed and it got SIGTERM, before SIGKILL")
	writeTimeout := fs.Duration("write-timeout", 30*time.Second, "how long a message may take to reach a client that does not read, and a line to reach a program that does not read its input, before the connection is closed and the program stopped")
	maxMessage := fs.Int("max-message", 1<<20, "largest message received, and longest output line sent, in `bytes`; a longer one closes the connection (1009 for a message received, 1011 for a line)")
	origins := fs.String("origin", "", "comma-separated origin hosts allowed besides the request's own host, as path.Match `patterns` (\"*.example.com\"); other cross-origin browser requests are refused with 403")
	anyOrigin := fs.Bool("any-origin", false, "accept handshakes from every origin (turns the Origin check off)")
	passEnv := fs.String("passenv", "PATH,HOME,LANG,LC_ALL,LC_CTYPE,TZ,TMPDIR", "comma-separated `names` of hybid's environment variables passed on to the program")
	static := fs.String("static", "", "`directory` served to requests that are not WebSocket handshakes (a page for the program)")
	cert := fs.String("tls-cert", "", "certificate `file` (PEM): serve HTTPS and wss:// (needs -tls-key)")
	key := fs.String("tls-key", "", "private key `file` (PEM) of -tls-cert")
	quiet := fs.Bool("quiet", false, "do not log connections")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageHead)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, "", [2]string{}, err
		}
		return nil, "", [2]string{}, errUsage
	}
	fail := func(msg string) (*config, string, [2]string, error) {
		fmt.Fprintln(stderr, "hybid:", msg)
		fs.Usage()
		return nil, "", [2]string{}, errUsage
	}
	if fs.NArg() == 0 {
		return fail("no program given")
	}
	if (*cert == "") != (*key == "") {
		return fail("-tls-cert and -tls-key go together")
	}
	if *maxProcs < 1 || *maxMessage < 1 || *grace < 0 || *writeTimeout <= 0 {
		return fail("-max-procs, -max-message and -write-timeout must be positive, -grace not negative")
	}
	if *static != "" {
		if fi, err := os.Stat(*static); err != nil || !fi.IsDir() {
			return fail(fmt.Sprintf("-static %s: not a directory", *static))
		}
	}
	cfg := &config{
		argv:         fs.Args(),
		binary:       *binary,
		maxProcs:     *maxProcs,
		grace:        *grace,
		writeTimeout: *writeTimeout,
		maxMessage:   *maxMessage,
		origins:      splitList(*origins),
		anyOrigin:    *anyOrigin,
		passEnv:      splitList(*passEnv),
		static:       *static,
		tls:          *cert != "",
		stderr:       stderr,
	}
	if !*quiet {
		lg := log.New(stderr, "hybid: ", log.LstdFlags)
		cfg.logf = lg.Printf
	}
	return cfg, *addr, [2]string{*cert, *key}, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// run is the command: it serves until ctx ends, then closes every
// connection with 1001 and stops the programs. ready, if not nil, is sent
// the address listened on.
func run(ctx context.Context, args []string, stderr io.Writer, ready chan<- string) error {
	cfg, addr, tlsFiles, err := flags(args, stderr)
	if err != nil {
		return err
	}
	srv := newServer(cfg)
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
	if cfg.tls {
		pair, err := tls.LoadX509KeyPair(tlsFiles[0], tlsFiles[1])
		if err != nil {
			return err
		}
		hs.TLSConfig = &tls.Config{Certificates: []tls.Certificate{pair}, NextProtos: []string{"http/1.1"}}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if cfg.logf != nil {
		scheme := "ws"
		if cfg.tls {
			scheme = "wss"
		}
		cfg.logf("serving %s on %s://%s/", strings.Join(cfg.argv, " "), scheme, ln.Addr())
	}
	if ready != nil {
		ready <- ln.Addr().String()
	}
	served := make(chan error, 1)
	go func() {
		if cfg.tls {
			served <- hs.ServeTLS(ln, "", "")
		} else {
			served <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-served:
		srv.shutdown()
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.grace+10*time.Second)
	defer cancel()
	hs.Shutdown(sctx) // stops accepting; the WebSockets are the server's to close
	srv.shutdown()
	return nil
}
