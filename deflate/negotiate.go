package deflate

import (
	"compress/flate"
	"strconv"
	"strings"

	"github.com/hybi/ws/handshake"
)

// ExtensionName is the extension token of permessage-deflate.
const ExtensionName = "permessage-deflate"

// Parameter names (RFC 7692 §7.1).
const (
	serverNoContextTakeover = "server_no_context_takeover"
	clientNoContextTakeover = "client_no_context_takeover"
	serverMaxWindowBits     = "server_max_window_bits"
	clientMaxWindowBits     = "client_max_window_bits"
)

// Window sizes are 2^bits bytes, bits in [minWindowBits, maxWindowBits].
const (
	minWindowBits = 8
	maxWindowBits = 15
)

// Params are the negotiated parameters of permessage-deflate. Window bits are
// 8..15, 15 when the parameter was absent; 0 is read as 15.
type Params struct {
	ServerNoContextTakeover bool // the server resets its compressor for each message
	ClientNoContextTakeover bool // the client resets its compressor for each message
	ServerMaxWindowBits     int  // the server compresses with a window of at most 2^ServerMaxWindowBits bytes
	ClientMaxWindowBits     int  // the client compresses with a window of at most 2^ClientMaxWindowBits bytes
}

// Config holds the local preferences for permessage-deflate. The zero value
// (and a nil *Config) is usable: flate.BestSpeed, context takeover on both
// sides, no window limits, every message compressed.
type Config struct {
	// Level is the compress/flate level of outgoing messages: 1..9,
	// flate.DefaultCompression or flate.HuffmanOnly. 0 and invalid values
	// mean flate.BestSpeed.
	Level int

	// Threshold is for the caller: messages shorter than Threshold bytes are
	// best sent uncompressed (RSV1 clear). 0 compresses every message. (At
	// flate.BestSpeed, inputs under 128 bytes get no LZ77 matching anyway.)
	Threshold int

	// NoContextTakeover makes our compressor start every message afresh, so
	// that it needs no flate.Writer between messages. It is announced to the
	// peer (client_no_context_takeover in a client's offer,
	// server_no_context_takeover in a server's response).
	NoContextTakeover bool

	// PeerNoContextTakeover asks the peer not to use context takeover, so
	// that our decompressor keeps no window between messages: a client
	// offers server_no_context_takeover, a server answers with
	// client_no_context_takeover.
	PeerNoContextTakeover bool

	// PeerMaxWindowBits (8..15; 0 means 15) asks the peer to compress with a
	// window of at most 2^PeerMaxWindowBits bytes, which bounds what our
	// decompressor keeps between messages: a client offers
	// server_max_window_bits (with a fallback offer without it), a server
	// answers with client_max_window_bits when the client offered it.
	PeerMaxWindowBits int
}

// level returns the effective compression level.
func (c *Config) level() int {
	if c == nil {
		return flate.BestSpeed
	}
	switch l := c.Level; {
	case l == flate.DefaultCompression, l == flate.HuffmanOnly, 1 <= l && l <= 9:
		return l
	}
	return flate.BestSpeed
}

// peerMaxWindowBits returns the effective PeerMaxWindowBits, 15 if unset or invalid.
func (c *Config) peerMaxWindowBits() int {
	if c == nil || c.PeerMaxWindowBits < minWindowBits || c.PeerMaxWindowBits > maxWindowBits {
		return maxWindowBits
	}
	return c.PeerMaxWindowBits
}

// ResponseError reports a server's permessage-deflate response that a client
// must reject (RFC 7692 §7.1): the client fails the connection, with
// closecode.MandatoryExtension (1010) if it closes it with a code.
type ResponseError struct {
	Reason string
}

// Error implements error.
func (e *ResponseError) Error() string {
	return "deflate: invalid permessage-deflate response: " + e.Reason
}

// offer holds the parameters of one offer or response, as received.
type offer struct {
	serverNoContextTakeover bool
	clientNoContextTakeover bool
	serverMaxWindowBits     int // 0: absent
	clientMaxWindowBits     int // 0: absent; -1: present without a value (offers only)
}

// parseParams checks the parameters of a permessage-deflate offer
// (response false) or response (response true): every name known and at most
// once, *_no_context_takeover without value, window bits 8..15 written
// without leading zeros; client_max_window_bits may lack a value only in an
// offer. It returns "" or the reason for rejecting them.
func parseParams(params []handshake.Param, response bool) (offer, string) {
	var o offer
	var seen [4]bool
	for _, p := range params {
		var i int
		switch strings.ToLower(p.Name) {
		case serverNoContextTakeover:
			i = 0
		case clientNoContextTakeover:
			i = 1
		case serverMaxWindowBits:
			i = 2
		case clientMaxWindowBits:
			i = 3
		default:
			return o, "unknown parameter " + strconv.Quote(p.Name)
		}
		if seen[i] {
			return o, "duplicate parameter " + p.Name
		}
		seen[i] = true
		switch i {
		case 0, 1:
			if p.Value != "" {
				return o, p.Name + " with a value"
			}
			if i == 0 {
				o.serverNoContextTakeover = true
			} else {
				o.clientNoContextTakeover = true
			}
		case 2:
			bits, ok := parseWindowBits(p.Value)
			if !ok {
				return o, "invalid " + p.Name + " value " + strconv.Quote(p.Value)
			}
			o.serverMaxWindowBits = bits
		case 3:
			if p.Value == "" && !response {
				o.clientMaxWindowBits = -1
				continue
			}
			bits, ok := parseWindowBits(p.Value)
			if !ok {
				return o, "invalid " + p.Name + " value " + strconv.Quote(p.Value)
			}
			o.clientMaxWindowBits = bits
		}
	}
	return o, ""
}

// parseWindowBits parses a window bits value: "8" to "15", no leading zero
// (RFC 7692 §7.1.2.1).
func parseWindowBits(s string) (int, bool) {
	switch {
	case len(s) == 1 && (s[0] == '8' || s[0] == '9'):
		return int(s[0] - '0'), true
	case len(s) == 2 && s[0] == '1' && '0' <= s[1] && s[1] <= '5':
		return 10 + int(s[1]-'0'), true
	}
	return 0, false
}

// Offers returns the client's offers for the Sec-WebSocket-Extensions
// request header, most preferred first. The first offer always includes
// client_max_window_bits without a value, since the compressor honours any
// limit; PeerNoContextTakeover adds server_no_context_takeover,
// NoContextTakeover client_no_context_takeover, and PeerMaxWindowBits < 15
// server_max_window_bits, followed then by a fallback offer without it.
func (c *Config) Offers() []handshake.Extension {
	var params []handshake.Param
	params = append(params, handshake.Param{Name: clientMaxWindowBits})
	if c != nil && c.NoContextTakeover {
		params = append(params, handshake.Param{Name: clientNoContextTakeover})
	}
	if c != nil && c.PeerNoContextTakeover {
		params = append(params, handshake.Param{Name: serverNoContextTakeover})
	}
	n := len(params)
	offers := []handshake.Extension{{Name: ExtensionName, Params: params}}
	if bits := c.peerMaxWindowBits(); bits < maxWindowBits {
		first := append(params[:n:n], handshake.Param{Name: serverMaxWindowBits, Value: strconv.Itoa(bits)})
		offers = []handshake.Extension{{Name: ExtensionName, Params: first}, offers[0]}
	}
	return offers
}

// Negotiate is the server side: it accepts the first acceptable
// permessage-deflate offer among offers (in the client's order), returning
// the response extension and the agreed parameters. Offers of other
// extensions, and malformed permessage-deflate offers (unknown, duplicated
// or valueless-when-required parameters, values out of range, a value on a
// *_no_context_takeover parameter), are skipped (RFC 7692 §7.1). ok is false
// when no offer is acceptable.
//
// The response includes server_no_context_takeover when offered or when
// NoContextTakeover is set; client_no_context_takeover when offered or when
// PeerNoContextTakeover is set; server_max_window_bits with the offered
// value when offered (below 15 the compressor uses flate.HuffmanOnly); and,
// only when the client offered client_max_window_bits, that parameter with
// the smaller of the offered value and PeerMaxWindowBits if that is below 15.
func (c *Config) Negotiate(offers []handshake.Extension) (resp handshake.Extension, p Params, ok bool) {
	for _, ext := range offers {
		if !strings.EqualFold(ext.Name, ExtensionName) {
			continue
		}
		o, reason := parseParams(ext.Params, false)
		if reason != "" {
			continue
		}
		resp, p = c.respond(ext.Name, o)
		return resp, p, true
	}
	return handshake.Extension{}, Params{}, false
}

// respond builds the response to a valid offer.
func (c *Config) respond(name string, o offer) (handshake.Extension, Params) {
	p := Params{ServerMaxWindowBits: maxWindowBits, ClientMaxWindowBits: maxWindowBits}
	resp := handshake.Extension{Name: name}
	add := func(name, value string) {
		resp.Params = append(resp.Params, handshake.Param{Name: name, Value: value})
	}
	if o.serverNoContextTakeover || c != nil && c.NoContextTakeover {
		p.ServerNoContextTakeover = true
		add(serverNoContextTakeover, "")
	}
	if o.clientNoContextTakeover || c != nil && c.PeerNoContextTakeover {
		p.ClientNoContextTakeover = true
		add(clientNoContextTakeover, "")
	}
	if o.serverMaxWindowBits != 0 {
		p.ServerMaxWindowBits = o.serverMaxWindowBits
		add(serverMaxWindowBits, strconv.Itoa(o.serverMaxWindowBits))
	}
	if o.clientMaxWindowBits != 0 {
		bits := c.peerMaxWindowBits()
		if o.clientMaxWindowBits > 0 && o.clientMaxWindowBits < bits {
			bits = o.clientMaxWindowBits
		}
		if bits < maxWindowBits {
			p.ClientMaxWindowBits = bits
			add(clientMaxWindowBits, strconv.Itoa(bits))
		}
	}
	return resp, p
}

// Accept is the client side: it validates the server's response extensions
// (as received, after a handshake to which the client sent c.Offers()) and
// returns the agreed parameters. ok is false, with a nil error, when the
// server did not accept permessage-deflate; extensions of other names are
// ignored. A *ResponseError reports a response the client must reject: more
// than one permessage-deflate, or an unknown, duplicated or invalid
// parameter (client_max_window_bits needs a value in a response).
func (c *Config) Accept(resp []handshake.Extension) (p Params, ok bool, err error) {
	var found *handshake.Extension
	for i := range resp {
		if !strings.EqualFold(resp[i].Name, ExtensionName) {
			continue
		}
		if found != nil {
			return Params{}, false, &ResponseError{Reason: "more than one " + ExtensionName}
		}
		found = &resp[i]
	}
	if found == nil {
		return Params{}, false, nil
	}
	o, reason := parseParams(found.Params, true)
	if reason != "" {
		return Params{}, false, &ResponseError{Reason: reason}
	}
	p = Params{
		ServerNoContextTakeover: o.serverNoContextTakeover,
		ClientNoContextTakeover: o.clientNoContextTakeover,
		ServerMaxWindowBits:     maxWindowBits,
		ClientMaxWindowBits:     maxWindowBits,
	}
	if o.serverMaxWindowBits != 0 {
		p.ServerMaxWindowBits = o.serverMaxWindowBits
	}
	if o.clientMaxWindowBits != 0 {
		p.ClientMaxWindowBits = o.clientMaxWindowBits
	}
	return p, true, nil
}
