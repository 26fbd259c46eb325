package reftestee

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/internal/utf8valid"
	"github.com/hybi/ws/mask"
)

// Faults are deliberate protocol faults of the reference testee.
type Faults struct {
	SkipUTF8       bool // do not validate text messages; echo invalid UTF-8
	WrongCloseCode bool // answer every close frame with 1001
	DeferPongs     bool // answer pings only after the fragmented message in progress
	AcceptRSV      bool // ignore RSV bits instead of failing the connection
}

// MaxMessage is the largest message the reference testee accepts.
const MaxMessage = 64 << 20

var errFailed = errors.New("reftestee: connection failed")

// peer is one connection of the reference testee.
type peer struct {
	c         net.Conn
	br        *bufio.Reader
	client    bool
	f         Faults
	rules     frame.Rules
	sentClose bool
	gotClose  bool // the peer's close frame arrived
}

func newPeer(c net.Conn, buffered []byte, client bool, f Faults) *peer {
	role := frame.Server
	if client {
		role = frame.Client
	}
	rules := frame.Rules{Role: role}
	if f.AcceptRSV {
		rules.AllowedRsv = frame.RSV1 | frame.RSV2 | frame.RSV3
	}
	return &peer{
		c:      c,
		br:     bufio.NewReaderSize(io.MultiReader(&sliceReader{buffered}, c), 32<<10),
		client: client,
		f:      f,
		rules:  rules,
	}
}

type sliceReader struct{ b []byte }

func (s *sliceReader) Read(p []byte) (int, error) {
	if len(s.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.b)
	s.b = s.b[n:]
	return n, nil
}

func (p *peer) writeFrame(op frame.Opcode, payload []byte) error {
	h := frame.Header{Fin: true, Opcode: op, Length: int64(len(payload))}
	buf := make([]byte, 0, frame.MaxHeaderSize+len(payload))
	if p.client {
		h.Masked = true
		k := rand.Uint32()
		h.Key = [4]byte{byte(k), byte(k >> 8), byte(k >> 16), byte(k >> 24)}
	}
	buf = frame.AppendHeader(buf, h)
	n := len(buf)
	buf = append(buf, payload...)
	if h.Masked {
		mask.Apply(h.Key, 0, buf[n:])
	}
	_, err := p.c.Write(buf)
	return err
}

// fail sends a close frame with code, waits briefly for the peer's close and
// ends the connection. skip is the number of payload bytes of the current
// frame still unread; -1 means the stream cannot be followed any more.
func (p *peer) fail(code closecode.Code, skip int64) error {
	if !p.sentClose {
		p.sentClose = true
		payload, _ := closecode.Append(nil, code, "")
		p.writeFrame(frame.OpClose, payload)
	}
	if p.gotClose || skip < 0 || skip > MaxMessage {
		p.finish()
		return errFailed
	}
	p.c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.CopyN(io.Discard, p.br, skip); err != nil {
		p.finish()
		return errFailed
	}
	for {
		h, err := frame.ReadHeader(p.br)
		if err != nil || p.rules.Check(h) != nil || h.Length > frame.MaxControlPayload && h.Opcode.IsControl() {
			break
		}
		if _, err := io.CopyN(io.Discard, p.br, h.Length); err != nil {
			break
		}
		if h.Opcode == frame.OpClose {
			break
		}
	}
	p.finish()
	return errFailed
}

// finish ends the TCP connection: a server at once, a client after the
// server dropped it (or a timeout).
func (p *peer) finish() {
	if p.client {
		p.c.SetReadDeadline(time.Now().Add(2 * time.Second))
		io.Copy(io.Discard, p.br)
	}
	p.c.Close()
}

// loop serves the connection until it ends, calling onMessage for every
// complete message; nil echoes messages back.
func (p *peer) loop(onMessage func(op frame.Opcode, msg []byte) error) error {
	if onMessage == nil {
		onMessage = func(op frame.Opcode, msg []byte) error { return p.writeFrame(op, msg) }
	}
	var (
		inMsg    bool
		msgOp    frame.Opcode
		msg      []byte
		v        validator
		deferred [][]byte
		chunk    = make([]byte, 32<<10)
	)
	for {
		h, err := frame.ReadHeader(p.br)
		if err != nil {
			var ce *closecode.Error
			if errors.As(err, &ce) {
				return p.fail(ce.Code, -1)
			}
			p.c.Close()
			return err
		}
		if err := p.rules.Check(h); err != nil {
			p.gotClose = h.Opcode == frame.OpClose
			code := closecode.ProtocolError
			var ce *closecode.Error
			if errors.As(err, &ce) {
				code = ce.Code
			}
			return p.fail(code, h.Length)
		}
		if h.Opcode.IsControl() {
			payload := make([]byte, h.Length)
			if _, err := io.ReadFull(p.br, payload); err != nil {
				p.c.Close()
				return err
			}
			if h.Masked {
				mask.Apply(h.Key, 0, payload)
			}
			switch h.Opcode {
			case frame.OpPing:
				if p.f.DeferPongs && inMsg {
					deferred = append(deferred, payload)
				} else if err := p.writeFrame(frame.OpPong, payload); err != nil {
					return err
				}
			case frame.OpClose:
				p.gotClose = true
				code, _, err := closecode.Parse(payload)
				if err != nil {
					var ce *closecode.Error
					if errors.As(err, &ce) {
						return p.fail(ce.Code, 0)
					}
					return p.fail(closecode.ProtocolError, 0)
				}
				var reply []byte
				switch {
				case p.f.WrongCloseCode:
					reply = binary.BigEndian.AppendUint16(nil, uint16(closecode.GoingAway))
				case code != closecode.NoStatus:
					reply = binary.BigEndian.AppendUint16(nil, uint16(closecode.Normal))
				}
				p.sentClose = true
				p.writeFrame(frame.OpClose, reply)
				p.finish()
				return nil
			}
			continue
		}
		switch {
		case h.Opcode == frame.OpContinuation && !inMsg:
			return p.fail(closecode.ProtocolError, h.Length)
		case h.Opcode != frame.OpContinuation && inMsg:
			return p.fail(closecode.ProtocolError, h.Length)
		case int64(len(msg))+h.Length > MaxMessage:
			return p.fail(closecode.MessageTooBig, h.Length)
		}
		if !inMsg {
			inMsg, msgOp, msg = true, h.Opcode, msg[:0]
			v = validator{}
		}
		pos := 0
		for left := h.Length; left > 0; {
			n, err := p.br.Read(chunk[:min(left, int64(len(chunk)))])
			if err != nil {
				p.c.Close()
				return err
			}
			b := chunk[:n]
			if h.Masked {
				pos = mask.Apply(h.Key, pos, b)
			}
			left -= int64(n)
			if msgOp == frame.OpText && !p.f.SkipUTF8 && !v.write(b) {
				return p.fail(closecode.InvalidPayload, left)
			}
			msg = append(msg, b...)
		}
		if !h.Fin {
			continue
		}
		if msgOp == frame.OpText && !p.f.SkipUTF8 && !v.complete() {
			return p.fail(closecode.InvalidPayload, 0)
		}
		inMsg = false
		if err := onMessage(msgOp, msg); err != nil {
			return err
		}
		for _, d := range deferred {
			if err := p.writeFrame(frame.OpPong, d); err != nil {
				return err
			}
		}
		deferred = nil
	}
}

// validator checks UTF-8 incrementally, failing fast, with hybi's own
// validator (tested on its own against unicode/utf8).
type validator struct {
	v utf8valid.Validator
}

func (v *validator) complete() bool { return v.v.Complete() }

func (v *validator) write(b []byte) bool { return v.v.Write(b) }
