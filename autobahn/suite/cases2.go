package suite

import "fmt"

// Category 2: pings and pongs.
func cases2() []*caseDef {
	pingCase := func(id, desc, payload string, chopsize int, wait float64) *caseDef {
		return &caseDef{
			id: id, desc: desc,
			expect: "A pong carrying the ping's payload answers the ping, then a clean close with code 1000.",
			open: func(r *run) {
				r.expect(OK, pongEvent(payload))
				r.expectCloseByMe(true, codeNormal)
				r.send(9, payload, chop(chopsize))
				r.closeAfter(wait)
			},
		}
	}
	cs := []*caseDef{
		pingCase("2.1", "Send a ping without payload.", "", 0, 1),
		pingCase("2.2", "Send a ping with a short text payload.", "Hello, world!", 0, 1),
		pingCase("2.3", "Send a ping with a short binary payload that is not UTF-8.", "\x00\xff\xfe\xfd\xfc\xfb\x00\xff", 0, 1),
		pingCase("2.4", "Send a ping with a binary payload of 125 octets.", rep("\xfe", 125), 0, 1),
		{
			id:     "2.5",
			desc:   "Send a ping with a binary payload of 126 octets.",
			expect: "The testee fails the connection at once with 1002: control frame payloads are limited to 125 octets.",
			open: func(r *run) {
				r.expect(OK)
				r.expectFailByPeer(codeProtocol)
				r.send(9, rep("\xfe", 126))
				r.killAfter(1)
			},
		},
		pingCase("2.6", "Send a ping with a binary payload of 125 octets, written octet by octet.", rep("\xfe", 125), 1, 2),
	}
	for i, pl := range []string{"", "unsolicited pong payload"} {
		cs = append(cs, &caseDef{
			id:     fmt.Sprintf("2.%d", 7+i),
			desc:   "Send an unsolicited pong" + map[bool]string{true: " without payload", false: " with payload"}[pl == ""] + ", then a close.",
			expect: "Nothing comes back; clean close with code 1000.",
			open: func(r *run) {
				r.expect(OK)
				r.expectCloseByMe(true, codeNormal)
				r.send(10, pl)
				r.sendClose(codeNormal, "")
				r.closeAfter(1)
			},
		})
	}
	cs = append(cs, &caseDef{
		id:     "2.9",
		desc:   "Send an unsolicited pong with payload, then a ping with payload.",
		expect: "No answer to our pong, a pong echoing the ping's payload; clean close with code 1000.",
		open: func(r *run) {
			r.expect(OK, pongEvent("ping payload"))
			r.expectCloseByMe(true, codeNormal)
			r.send(10, "unsolicited pong payload")
			r.send(9, "ping payload")
			r.closeAfter(1)
		},
	})
	for i, chopsize := range []int{0, 1} {
		desc := "Send 10 pings with payloads."
		if chopsize == 1 {
			desc = "Send 10 pings with payloads, written octet by octet."
		}
		cs = append(cs, &caseDef{
			id:     fmt.Sprintf("2.%d", 10+i),
			desc:   desc,
			expect: "A pong for every ping, in order; clean close with code 1000.",
			open: func(r *run) {
				var evs []Event
				for k := 0; k < 10; k++ {
					p := fmt.Sprintf("payload-%d", k)
					evs = append(evs, pongEvent(p))
					r.send(9, p, chop(chopsize))
				}
				r.expect(OK, evs...)
				r.expectCloseByMe(true, codeNormal)
				r.closeAfter(3)
			},
		})
	}
	return cs
}
