package suite

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"unicode/utf8"
)

// Behavior is a verdict as Autobahn spells it, for a case's behaviour or for
// its closing behaviour.
type Behavior string

// The verdicts. OK, NonStrict, Informational, Unimplemented and Failed judge
// behaviour; OK, WrongCode, Unclean, FailedByClient, Informational and Failed
// judge closing behaviour.
const (
	OK             Behavior = "OK"
	NonStrict      Behavior = "NON-STRICT"
	WrongCode      Behavior = "WRONG CODE"
	Unclean        Behavior = "UNCLEAN"
	FailedByClient Behavior = "FAILED BY CLIENT"
	Informational  Behavior = "INFORMATIONAL"
	Unimplemented  Behavior = "UNIMPLEMENTED"
	Failed         Behavior = "FAILED"
)

// Passed reports whether b is a verdict a conforming implementation gets:
// OK, or INFORMATIONAL for cases where Autobahn only informs.
func (b Behavior) Passed() bool { return b == OK || b == Informational }

// Event is one thing the fuzzer observed from the testee: a message, a pong,
// or a timeout marker a case records when a delay ran out.
type Event struct {
	Kind   string // "message", "pong" or "timeout"
	Data   []byte // message or pong payload, timeout tag
	Binary bool   // for messages
}

func msgEvent(p string, binary bool) Event {
	return Event{Kind: "message", Data: []byte(p), Binary: binary}
}
func pongEvent(p string) Event      { return Event{Kind: "pong", Data: []byte(p)} }
func timeoutEvent(tag string) Event { return Event{Kind: "timeout", Data: []byte(tag)} }

func (e Event) equal(o Event) bool {
	return e.Kind == o.Kind && e.Binary == o.Binary && bytes.Equal(e.Data, o.Data)
}

func eventsEqual(a, b []Event) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].equal(b[i]) {
			return false
		}
	}
	return true
}

// MarshalJSON writes e as Autobahn does: ["message", text, binary],
// ["pong", text] or ["timeout", tag], text shortened to 64 bytes.
func (e Event) MarshalJSON() ([]byte, error) {
	switch e.Kind {
	case "message":
		return json.Marshal([]any{e.Kind, logData(e.Data, 64), e.Binary})
	default:
		return json.Marshal([]any{e.Kind, logData(e.Data, 64)})
	}
}

// logData renders payload bytes for logs: UTF-8 text as is, anything else as
// 0x-prefixed hex, cut to about max bytes with " ..." appended.
func logData(b []byte, max int) string {
	const ell = " ..."
	long := len(b) > max-len(ell)
	cut := b[:min(len(b), max)]
	var s string
	if utf8.Valid(cut) {
		s = string(cut)
	} else {
		s = "0x" + hex.EncodeToString(cut)
	}
	if long {
		s += ell
	}
	return s
}

// expectation is one acceptable list of events and the behaviour it earns.
type expectation struct {
	Behavior Behavior
	Events   []Event
}

// expectedClose is Autobahn's expectedClose dictionary.
type expectedClose struct {
	ClosedByMe   bool  `json:"closedByMe"`
	CloseCode    []int `json:"closeCode"`
	RequireClean bool  `json:"requireClean"`
	// WrongEndpointFatal fails the behaviour too when the wrong endpoint
	// closed (Autobahn's closedByWrongEndpointIsFatal, used for UTF-8 cases).
	WrongEndpointFatal bool `json:"closedByWrongEndpointIsFatal,omitempty"`
}
