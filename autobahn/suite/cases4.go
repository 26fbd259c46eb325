package suite

import "fmt"

// Category 4: reserved opcodes.
func cases4() []*caseDef {
	const hello = "Hello, world!"
	var cs []*caseDef
	for sub, base := range []int{3, 11} {
		kind := "non-control"
		if base == 11 {
			kind = "control"
		}
		cs = append(cs,
			&caseDef{
				id:     fmt.Sprintf("4.%d.1", sub+1),
				desc:   fmt.Sprintf("Send a frame with reserved %s opcode %d.", kind, base),
				expect: "The testee fails the connection at once with 1002.",
				open: func(r *run) {
					r.expect(OK)
					r.expectFailByPeer(codeProtocol)
					r.send(base, "")
					r.killAfter(1)
				},
			},
			&caseDef{
				id:     fmt.Sprintf("4.%d.2", sub+1),
				desc:   fmt.Sprintf("Send a frame with reserved %s opcode %d and a non-empty payload.", kind, base+1),
				expect: "The testee fails the connection at once with 1002.",
				open: func(r *run) {
					r.expect(OK)
					r.expectFailByPeer(codeProtocol)
					r.send(base+1, "reserved opcode payload")
					r.killAfter(1)
				},
			})
		for k, v := range []struct {
			op      int
			payload string
			chop    int
		}{{base + 2, "", 0}, {base + 3, hello, 0}, {base + 4, hello, 1}} {
			desc := fmt.Sprintf("Send a small text message, then a frame with reserved %s opcode %d", kind, v.op)
			if v.payload != "" {
				desc += " and a non-empty payload"
			}
			desc += ", then a ping."
			if v.chop == 1 {
				desc = desc[:len(desc)-1] + "; written octet by octet."
			}
			cs = append(cs, &caseDef{
				id:     fmt.Sprintf("4.%d.%d", sub+1, k+3),
				desc:   desc,
				expect: "The message is echoed, then the testee fails the connection with 1002 (or fails before echoing: non-strict); no pong.",
				open: func(r *run) {
					r.expect(OK, msgEvent(hello, false))
					r.expect(NonStrict)
					r.expectFailByPeer(codeProtocol)
					r.send(1, hello, chop(v.chop))
					r.send(v.op, v.payload, chop(v.chop))
					r.send(9, "", chop(v.chop))
					r.killAfter(1)
				},
			})
		}
	}
	return cs
}
