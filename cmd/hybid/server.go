package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/conn"
)

// config is what the flags set.
type config struct {
	argv         []string
	binary       bool
	maxProcs     int
	grace        time.Duration
	writeTimeout time.Duration
	maxMessage   int
	origins      []string
	anyOrigin    bool
	passEnv      []string
	static       string
	tls          bool
	stderr       io.Writer            // the programs' standard error
	logf         func(string, ...any) // nil: no log
}

// server runs the program for every WebSocket handshake.
type server struct {
	cfg    *config
	accept *conn.AcceptOptions
	static http.Handler // nil without -static
	slots  chan struct{}
	ids    atomic.Uint64
	mu     sync.Mutex
	closed bool           // set by shutdown
	done   chan struct{}  // closed by shutdown
	wg     sync.WaitGroup // running sessions
}

func newServer(cfg *config) *server {
	s := &server{
		cfg:   cfg,
		slots: make(chan struct{}, cfg.maxProcs),
		done:  make(chan struct{}),
		accept: &conn.AcceptOptions{
			Options:                 conn.Options{ReadLimit: int64(cfg.maxMessage)},
			OriginPatterns:          cfg.origins,
			InsecureSkipOriginCheck: cfg.anyOrigin,
		},
	}
	if cfg.static != "" {
		s.static = http.FileServer(http.Dir(cfg.static))
	}
	return s
}

func (s *server) logf(format string, args ...any) {
	if s.cfg.logf != nil {
		s.cfg.logf(format, args...)
	}
}

// shutdown closes every connection with 1001, stops the programs and waits
// for them.
func (s *server) shutdown() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func isHandshake(r *http.Request) bool {
	for _, v := range r.Header.Values("Upgrade") {
		for _, tok := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "websocket") {
				return true
			}
		}
	}
	return false
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.static != nil && !isHandshake(r) {
		s.static.ServeHTTP(w, r)
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	select {
	case s.slots <- struct{}{}:
	default:
		w.Header().Set("Retry-After", "1")
		http.Error(w, "too many connections", http.StatusServiceUnavailable)
		return
	}
	defer func() { <-s.slots }()
	c, err := conn.Accept(w, r, s.accept)
	if err != nil {
		s.logf("%s %s: handshake refused: %v", r.RemoteAddr, r.URL.RequestURI(), err)
		return
	}
	s.session(r, c)
}

// Reasons a session ends on the server's side.
var (
	errLineTooLong = errors.New("output line longer than -max-message")
	errInputStuck  = errors.New("the program does not read its input")
)

// session runs the program for one connection.
func (s *server) session(r *http.Request, c *conn.Conn) {
	id := s.ids.Add(1)
	start := time.Now()
	p, err := s.start(r, id)
	if err != nil {
		s.logf("#%d %s %s: cannot start the program: %v", id, r.RemoteAddr, r.URL.RequestURI(), err)
		c.Close(closecode.InternalError, "cannot start the program")
		return
	}
	s.logf("#%d %s %s: started pid %d", id, r.RemoteAddr, r.URL.RequestURI(), p.cmd.Process.Pid)

	outDone := make(chan error, 1)
	go func() { outDone <- s.pumpOut(c, p.stdout) }()
	inDone := make(chan error, 1)
	go func() { inDone <- s.pumpIn(c, p.stdin) }()

	var how string
	for how == "" {
		select {
		case err := <-p.exited:
			// The program ended: send the rest of its output, then close.
			p.err, p.ended = err, true
			code, reason := closecode.Normal, ""
			if err != nil {
				code, reason = closecode.InternalError, err.Error()
			}
			if outDone != nil {
				outErr := p.awaitOutput(outDone, s.cfg.writeTimeout)
				outDone = nil
				if outErr != nil {
					how = fmt.Sprintf("program ended (%v), output not sent (%v)", exitText(err), outErr)
					if !errors.Is(outErr, errLineTooLong) {
						c.CloseNow()
						break
					}
					code, reason = closecode.InternalError, outErr.Error()
				}
			}
			c.Close(code, reason)
			how = fmt.Sprintf("program ended (%v), closed with %d", exitText(err), code)
		case err := <-outDone:
			if err == nil {
				outDone = nil // the output ended; the exit follows
				continue
			}
			// The output could not be sent: the client is gone or stuck,
			// or a line was too long. Stop the program, then close.
			p.stop(s.cfg.grace)
			if errors.Is(err, errLineTooLong) {
				c.Close(closecode.InternalError, err.Error())
			} else {
				c.CloseNow()
			}
			outDone = nil
			how = fmt.Sprintf("output not sent (%v), program stopped (%v)", err, exitText(p.err))
		case err := <-inDone:
			// The client closed, the connection failed, or the program did
			// not read its input.
			inDone <- err
			if errors.Is(err, errInputStuck) {
				c.Close(closecode.InternalError, err.Error())
			}
			p.stop(s.cfg.grace)
			how = fmt.Sprintf("connection ended (%v), program stopped (%v)", err, exitText(p.err))
		case <-s.done:
			p.stop(s.cfg.grace)
			c.Close(closecode.GoingAway, "going away")
			how = fmt.Sprintf("shut down, program stopped (%v)", exitText(p.err))
		}
	}
	if outDone != nil {
		p.awaitOutput(outDone, s.cfg.writeTimeout)
	}
	c.CloseNow()
	p.stdin.Close()
	<-inDone
	p.stdout.Close()
	s.logf("#%d: %s after %v", id, how, time.Since(start).Round(time.Millisecond))
}

func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// pumpIn writes the messages received to the program's input until the
// connection ends, and returns how it ended. Once the program no longer
// takes input (it closed its input or exited), messages are dropped.
func (s *server) pumpIn(c *conn.Conn, stdin *os.File) error {
	var buf []byte
	writing := true
	for {
		_, msg, err := c.Read(context.Background(), buf)
		if err != nil {
			return err
		}
		if !s.cfg.binary {
			msg = append(msg, '\n')
		}
		buf = msg
		if !writing {
			continue
		}
		stdin.SetWriteDeadline(time.Now().Add(s.cfg.writeTimeout))
		if _, err := stdin.Write(msg); err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return errInputStuck
			}
			writing = false // the program closed its input or exited
		}
	}
}

// pumpOut sends the program's output until its end (nil) or an error; after
// an error it reads the output to its end and drops it, so that the program
// does not block on it while it is being stopped.
func (s *server) pumpOut(c *conn.Conn, stdout *os.File) error {
	err := s.sendOutput(c, stdout)
	if err != nil {
		io.Copy(io.Discard, stdout)
	}
	return err
}

func (s *server) sendOutput(c *conn.Conn, stdout *os.File) error {
	send := func(typ conn.MessageType, p []byte) error {
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.writeTimeout)
		defer cancel()
		return c.Write(ctx, typ, p)
	}
	if s.cfg.binary {
		buf := make([]byte, min(s.cfg.maxMessage, 64<<10))
		for {
			n, err := stdout.Read(buf)
			if n > 0 {
				if werr := send(conn.Binary, buf[:n]); werr != nil {
					return werr
				}
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
		}
	}
	br := bufio.NewReaderSize(stdout, min(s.cfg.maxMessage+2, 64<<10))
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > s.cfg.maxMessage+2 { // with its "\r\n"
			return errLineTooLong
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if len(line) > 0 {
			msg := bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
			if len(msg) > s.cfg.maxMessage {
				return errLineTooLong
			}
			if !utf8.Valid(msg) {
				msg = bytes.ToValidUTF8(msg, []byte("\uFFFD"))
			}
			if werr := send(conn.Text, msg); werr != nil {
				return werr
			}
			line = line[:0]
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// proc is a running program.
type proc struct {
	cmd    *exec.Cmd
	stdin  *os.File // our ends of its pipes
	stdout *os.File
	exited chan error // receives the exit status once
	err    error      // the exit status, once stop or awaitOutput saw it
	ended  bool
}

func (s *server) start(r *http.Request, id uint64) (*proc, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	cmd := exec.Command(s.cfg.argv[0], s.cfg.argv[1:]...)
	cmd.Env = s.environ(r, id)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, s.cfg.stderr
	var errR, errW *os.File
	if _, ok := s.cfg.stderr.(*os.File); !ok {
		// Copy standard error ourselves: Wait would wait for exec's copy,
		// which a process the program left behind can hold open.
		if errR, errW, err = os.Pipe(); err != nil {
			inR.Close()
			inW.Close()
			outR.Close()
			outW.Close()
			return nil, err
		}
		cmd.Stderr = errW
	}
	ownGroup(cmd)
	err = cmd.Start()
	inR.Close()
	outW.Close()
	if errW != nil {
		errW.Close()
		go func() {
			io.Copy(s.cfg.stderr, errR)
			errR.Close()
		}()
	}
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, err
	}
	p := &proc{cmd: cmd, stdin: inW, stdout: outR, exited: make(chan error, 1)}
	go func() {
		err := cmd.Wait()
		// What the program left running in its group goes with it, so
		// that its output ends and nothing outlives the connection.
		signalGroup(cmd, true)
		p.exited <- err
	}()
	return p, nil
}

// wait waits for the program's exit, at most d (forever if d < 0).
func (p *proc) wait(d time.Duration) bool {
	if p.ended {
		return true
	}
	var timeout <-chan time.Time
	if d >= 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case p.err = <-p.exited:
		p.ended = true
		return true
	case <-timeout:
		return false
	}
}

// stop closes the program's input and sends it SIGTERM, then SIGKILL after
// grace, and waits for its exit.
func (p *proc) stop(grace time.Duration) {
	if p.ended {
		return
	}
	p.stdin.Close()
	signalGroup(p.cmd, false)
	if !p.wait(grace) {
		signalGroup(p.cmd, true)
		p.wait(-1)
	}
}

// awaitOutput waits for the output pump after the program's exit, which
// ends the output unless the program gave it away to a process outside its
// group; then it is cut after d.
func (p *proc) awaitOutput(outDone chan error, d time.Duration) error {
	p.wait(-1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case err := <-outDone:
		return err
	case <-t.C:
		p.stdout.SetReadDeadline(time.Now())
		return <-outDone
	}
}

// environ is the program's environment: the passed-on variables and the
// CGI variables of the request.
func (s *server) environ(r *http.Request, id uint64) []string {
	var env []string
	for _, k := range s.cfg.passEnv {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	add := func(k, v string) { env = append(env, k+"="+v) }
	remoteAddr, remotePort, _ := net.SplitHostPort(r.RemoteAddr)
	serverName := r.Host
	if h, _, err := net.SplitHostPort(r.Host); err == nil {
		serverName = h
	}
	serverPort := ""
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		_, serverPort, _ = net.SplitHostPort(a.String())
	}
	add("GATEWAY_INTERFACE", "CGI/1.1")
	add("SERVER_SOFTWARE", "hybid")
	add("SERVER_PROTOCOL", r.Proto)
	add("SERVER_NAME", serverName)
	add("SERVER_PORT", serverPort)
	add("REQUEST_METHOD", r.Method)
	add("REQUEST_URI", r.RequestURI)
	add("SCRIPT_NAME", "")
	add("PATH_INFO", r.URL.Path)
	add("QUERY_STRING", r.URL.RawQuery)
	add("REMOTE_ADDR", remoteAddr)
	add("REMOTE_HOST", remoteAddr)
	add("REMOTE_PORT", remotePort)
	add("UNIQUE_ID", strconv.FormatUint(id, 10))
	if r.TLS != nil {
		add("HTTPS", "on")
	}
	names := make([]string, 0, len(r.Header))
	for name := range r.Header {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		k := "HTTP_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		if strings.ContainsFunc(k, func(c rune) bool { return !(c == '_' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') }) {
			continue // not a name a shell can read
		}
		v := strings.Join(r.Header.Values(name), ", ")
		add(k, strings.Map(func(c rune) rune {
			if c == '\r' || c == '\n' || c == 0 {
				return ' '
			}
			return c
		}, v))
	}
	return env
}
