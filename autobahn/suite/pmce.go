package suite

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/handshake"
)

// The fuzzer's side of permessage-deflate follows Autobahn's model of the
// negotiation: a client offer says which restrictions the client accepts
// (client_no_context_takeover, client_max_window_bits) and which it requests
// of the server (server_no_context_takeover, server_max_window_bits=N); the
// server's accept of an offer echoes the client's requests and adds its own
// (client_no_context_takeover, client_max_window_bits=N). Window sizes are
// 9..15 bits, as with zlib.

// deflateOffer is a client's permessage-deflate offer.
type deflateOffer struct {
	acceptNoContextTakeover  bool // client_no_context_takeover
	acceptMaxWindowBits      bool // client_max_window_bits
	requestNoContextTakeover bool // server_no_context_takeover
	requestMaxWindowBits     int  // server_max_window_bits; 0: none
}

// defaultOffer is Autobahn's default offer: the client accepts both
// restrictions and requests none.
func defaultOffer() deflateOffer {
	return deflateOffer{acceptNoContextTakeover: true, acceptMaxWindowBits: true}
}

// requestOffer is an offer that accepts both restrictions and requests the
// given ones of the server.
func requestOffer(noContextTakeover bool, maxWindowBits int) deflateOffer {
	o := defaultOffer()
	o.requestNoContextTakeover, o.requestMaxWindowBits = noContextTakeover, maxWindowBits
	return o
}

func (o deflateOffer) extension() handshake.Extension {
	e := handshake.Extension{Name: deflate.ExtensionName}
	if o.acceptNoContextTakeover {
		e.Params = append(e.Params, handshake.Param{Name: "client_no_context_takeover"})
	}
	if o.acceptMaxWindowBits {
		e.Params = append(e.Params, handshake.Param{Name: "client_max_window_bits"})
	}
	if o.requestNoContextTakeover {
		e.Params = append(e.Params, handshake.Param{Name: "server_no_context_takeover"})
	}
	if o.requestMaxWindowBits != 0 {
		e.Params = append(e.Params, handshake.Param{Name: "server_max_window_bits", Value: strconv.Itoa(o.requestMaxWindowBits)})
	}
	return e
}

// describe renders the offer's requests as the case descriptions show them.
func (o deflateOffer) describe() string {
	return fmt.Sprintf("(%s, %d)", pyBool(o.requestNoContextTakeover), o.requestMaxWindowBits)
}

func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// errPMCE reports a permessage-deflate offer or response the fuzzer refuses.
var errPMCE = errors.New("suite: bad permessage-deflate parameters")

// paramSet indexes an extension's parameters by name, refusing duplicates.
func paramSet(ps []handshake.Param) (map[string]handshake.Param, error) {
	m := make(map[string]handshake.Param, len(ps))
	for _, p := range ps {
		name := strings.ToLower(p.Name)
		if _, dup := m[name]; dup {
			return nil, fmt.Errorf("%w: parameter %s more than once", errPMCE, name)
		}
		m[name] = p
	}
	return m, nil
}

// windowBits parses a window size; a parameter without a value is invalid.
func windowBits(p handshake.Param) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(p.Value))
	if err != nil || n < 9 || n > 15 {
		return 0, fmt.Errorf("%w: %s=%q", errPMCE, p.Name, p.Value)
	}
	return n, nil
}

func flagParam(p handshake.Param) error {
	if p.Value != "" {
		return fmt.Errorf("%w: %s takes no value", errPMCE, p.Name)
	}
	return nil
}

// parseOffer reads a client's offer as Autobahn's fuzzing server does. As
// there, accepting client_no_context_takeover is assumed even when the
// parameter is absent, and a client_max_window_bits value is checked but
// otherwise ignored.
func parseOffer(ps []handshake.Param) (deflateOffer, error) {
	o := deflateOffer{acceptNoContextTakeover: true}
	m, err := paramSet(ps)
	if err != nil {
		return o, err
	}
	for name, p := range m {
		switch name {
		case "client_max_window_bits":
			if p.Value != "" {
				if _, err := windowBits(p); err != nil {
					return o, err
				}
			}
			o.acceptMaxWindowBits = true
		case "client_no_context_takeover":
			if err := flagParam(p); err != nil {
				return o, err
			}
		case "server_max_window_bits":
			if o.requestMaxWindowBits, err = windowBits(p); err != nil {
				return o, err
			}
		case "server_no_context_takeover":
			if err := flagParam(p); err != nil {
				return o, err
			}
			o.requestNoContextTakeover = true
		default:
			return o, fmt.Errorf("%w: unknown parameter %s", errPMCE, name)
		}
	}
	return o, nil
}

// deflateAccept is the fuzzing server's acceptance of an offer, with the
// restrictions it requests of the client.
type deflateAccept struct {
	offer                    deflateOffer
	requestNoContextTakeover bool // client_no_context_takeover
	requestMaxWindowBits     int  // client_max_window_bits; 0: none
}

func (a deflateAccept) extension() handshake.Extension {
	e := handshake.Extension{Name: deflate.ExtensionName}
	if a.offer.requestNoContextTakeover {
		e.Params = append(e.Params, handshake.Param{Name: "server_no_context_takeover"})
	}
	if a.offer.requestMaxWindowBits != 0 {
		e.Params = append(e.Params, handshake.Param{Name: "server_max_window_bits", Value: strconv.Itoa(a.offer.requestMaxWindowBits)})
	}
	if a.requestNoContextTakeover {
		e.Params = append(e.Params, handshake.Param{Name: "client_no_context_takeover"})
	}
	if a.requestMaxWindowBits != 0 {
		e.Params = append(e.Params, handshake.Param{Name: "client_max_window_bits", Value: strconv.Itoa(a.requestMaxWindowBits)})
	}
	return e
}

func (a deflateAccept) params() deflate.Params {
	return deflate.Params{
		ServerNoContextTakeover: a.offer.requestNoContextTakeover,
		ClientNoContextTakeover: a.requestNoContextTakeover,
		ServerMaxWindowBits:     bitsOr15(a.offer.requestMaxWindowBits),
		ClientMaxWindowBits:     bitsOr15(a.requestMaxWindowBits),
	}
}

func bitsOr15(n int) int {
	if n == 0 {
		return 15
	}
	return n
}

// acceptFunc chooses among a client's offers, as the cases' server-side
// accept functions do; ok false declines them all.
type acceptFunc func(offers []deflateOffer) (a deflateAccept, ok bool)

// acceptWith returns an acceptFunc that accepts the first offer allowing
// the restrictions requested here (needing client_no_context_takeover if
// noContextTakeover, client_max_window_bits if maxWindowBits is set).
func acceptWith(noContextTakeover bool, maxWindowBits int) acceptFunc {
	return func(offers []deflateOffer) (deflateAccept, bool) {
		for _, o := range offers {
			if noContextTakeover && !o.acceptNoContextTakeover || maxWindowBits != 0 && !o.acceptMaxWindowBits {
				continue
			}
			return deflateAccept{offer: o, requestNoContextTakeover: noContextTakeover, requestMaxWindowBits: maxWindowBits}, true
		}
		return deflateAccept{}, false
	}
}

// acceptFirst tries the acceptFuncs in turn.
func acceptFirst(fs ...acceptFunc) acceptFunc {
	return func(offers []deflateOffer) (deflateAccept, bool) {
		for _, f := range fs {
			if a, ok := f(offers); ok {
				return a, true
			}
		}
		return deflateAccept{}, false
	}
}

// deflateResponse is a server's answer to the fuzzing client's offers.
type deflateResponse struct {
	clientMaxWindowBits     int
	clientNoContextTakeover bool
	serverMaxWindowBits     int
	serverNoContextTakeover bool
}

// parseResponse reads a server's response as Autobahn's fuzzing client
// does: window sizes need a value of 9..15.
func parseResponse(ps []handshake.Param) (deflateResponse, error) {
	var r deflateResponse
	m, err := paramSet(ps)
	if err != nil {
		return r, err
	}
	for name, p := range m {
		switch name {
		case "client_max_window_bits":
			r.clientMaxWindowBits, err = windowBits(p)
		case "client_no_context_takeover":
			err = flagParam(p)
			r.clientNoContextTakeover = true
		case "server_max_window_bits":
			r.serverMaxWindowBits, err = windowBits(p)
		case "server_no_context_takeover":
			err = flagParam(p)
			r.serverNoContextTakeover = true
		default:
			err = fmt.Errorf("%w: unknown parameter %s", errPMCE, name)
		}
		if err != nil {
			return r, err
		}
	}
	return r, nil
}

func (r deflateResponse) params() deflate.Params {
	return deflate.Params{
		ServerNoContextTakeover: r.serverNoContextTakeover,
		ClientNoContextTakeover: r.clientNoContextTakeover,
		ServerMaxWindowBits:     bitsOr15(r.serverMaxWindowBits),
		ClientMaxWindowBits:     bitsOr15(r.clientMaxWindowBits),
	}
}

// isDeflate reports whether e names permessage-deflate.
func isDeflate(e handshake.Extension) bool { return strings.EqualFold(e.Name, deflate.ExtensionName) }

// fuzzerDeflate is the fuzzer's compression preference: context takeover
// wherever the peer allows it, as Autobahn. Autobahn's zlib compresses at
// level 6; the fuzzer uses flate.BestSpeed, whose output is as valid and
// which is several times faster in Go, for categories 12 and 13 move about
// 11 GB of messages each way per testee.
var fuzzerDeflate = &deflate.Config{Level: flate.BestSpeed}

// pmce is the permessage-deflate state of a run's connection.
type pmce struct {
	params deflate.Params
	desc   string // the negotiated extension, for the wire log
	comp   *deflate.Compressor
	decomp *deflate.Decompressor
	src    bytes.Reader
	out    []byte // reused: decompressed message
	zout   []byte // reused: compressed message
}

func newPMCE(p deflate.Params, isServer bool, desc string) *pmce {
	return &pmce{
		params: p,
		desc:   desc,
		comp:   fuzzerDeflate.NewCompressor(p, isServer),
		decomp: deflate.NewDecompressor(p, isServer),
	}
}

// errTooBig reports a decompressed message over the fuzzer's limit.
var errTooBig = errors.New("decompressed message exceeds the fuzzer's limit")

// decompress inflates one whole compressed message, appending it to dst.
func (m *pmce) decompress(dst, z []byte) ([]byte, error) {
	m.src.Reset(z)
	m.decomp.Reset(&m.src)
	for {
		if len(dst) == cap(dst) {
			dst = append(dst, 0)[:len(dst)]
		}
		n, err := m.decomp.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if len(dst) > maxFramePayload {
			return dst, errTooBig
		}
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst, err
		}
	}
}

func (m *pmce) close() {
	m.comp.Close()
	m.decomp.Close()
}
