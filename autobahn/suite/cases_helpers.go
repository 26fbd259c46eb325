package suite

import (
	"strings"

	"github.com/hybi/ws/closecode"
)

const (
	codeNormal   = int(closecode.Normal)
	codeProtocol = int(closecode.ProtocolError)
	codeInvalid  = int(closecode.InvalidPayload)
)

func (r *run) expect(b Behavior, evs ...Event) {
	if evs == nil {
		evs = []Event{}
	}
	r.expected = append(r.expected, expectation{Behavior: b, Events: evs})
}

// expectCloseByMe: the fuzzer closes and the peer answers cleanly.
func (r *run) expectCloseByMe(clean bool, codes ...int) {
	r.expClose = expectedClose{ClosedByMe: true, CloseCode: codes, RequireClean: clean}
}

// expectFailByPeer: the testee must fail the connection with one of codes.
func (r *run) expectFailByPeer(codes ...int) {
	r.expClose = expectedClose{ClosedByMe: false, CloseCode: codes, RequireClean: false}
}

func rep(s string, n int) string { return strings.Repeat(s, n) }

// send is a shorthand for sendFrame.
func (r *run) send(opcode int, payload string, opts ...func(*txFrame)) {
	f := txFrame{opcode: opcode, payload: []byte(payload)}
	for _, o := range opts {
		o(&f)
	}
	r.sendFrame(f)
}

func notFin(f *txFrame)         { f.notFin = true }
func syncW(f *txFrame)          { f.sync = true }
func chop(n int) func(*txFrame) { return func(f *txFrame) { f.chopsize = n } }
func rsv(n int) func(*txFrame)  { return func(f *txFrame) { f.rsv = n } }
func plen(n int) func(*txFrame) { return func(f *txFrame) { f.payloadLen = n } }
func fin(b bool) func(*txFrame) { return func(f *txFrame) { f.notFin = !b } }
func maybeSync(b bool) func(*txFrame) {
	return func(f *txFrame) { f.sync = b }
}
