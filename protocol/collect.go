package protocol

import (
	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/mask"
)

// Collect is Parse for a driver that collects whole messages: it appends
// the data of the incoming message to *dst instead of reporting it as
// EventData, and consumes EventMessageStart silently. It returns at the
// first other event: EventMessageEnd, a control frame's event, or
// EventNone when the input is used up. While a message is open, and in
// its EventMessageEnd, the event's Type and Compressed describe it; they
// are zero between messages.
//
// Collect checks what Parse checks, in the same order, and reports the
// same errors. With an error, *dst may hold part of the message that
// failed, and the event's Type and Compressed describe that message. It
// saves a driver a call and an event per frame.
func (p *Protocol) Collect(dst *[]byte, in []byte) (ev Event, n int, err error) {
	for {
		switch {
		case p.rs == rsHeader && p.hlen == 0:
			// A whole header of a data frame in the input: taken here.
			h, hn, herr := frame.ParseHeader(in[n:])
			if herr != nil || h.Opcode.IsControl() {
				break // cut short, bad or a control frame: Parse reports it
			}
			open := p.collected(Event{})
			if _, err := p.header(h); err != nil {
				return open, n + hn, p.fail(err)
			}
			n += hn
			continue
		case p.rs == rsData && p.cur.Length > 0 && !p.msgComp:
			if n == len(in) {
				return p.collected(Event{}), n, nil
			}
			k := len(in) - n
			if int64(k) > p.cur.Length {
				k = int(p.cur.Length)
			}
			b := in[n : n+k : n+k]
			n += k
			p.cur.Length -= int64(k)
			if p.cur.Masked {
				p.mpos = uint8(mask.Apply(p.cur.Key, int(p.mpos), b))
			}
			if err := p.deliver(b); err != nil {
				return Event{Type: p.msgType, Compressed: p.msgComp}, n, err
			}
			*dst = append(*dst, b...)
			continue
		}
		open := p.collected(Event{})
		e, k, err := p.Parse(in[n:])
		n += k
		if err != nil {
			return open, n, err
		}
		switch e.Kind {
		case EventMessageStart:
		case EventData:
			*dst = append(*dst, e.Data...)
		case EventMessageEnd:
			e.Type, e.Compressed = open.Type, open.Compressed
			return e, n, nil
		default:
			return p.collected(e), n, nil
		}
	}
}

// collected marks ev with the message in progress, if any.
func (p *Protocol) collected(ev Event) Event {
	if p.inMsg {
		ev.Type, ev.Compressed = p.msgType, p.msgComp
	}
	return ev
}
