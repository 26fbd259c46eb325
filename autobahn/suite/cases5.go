package suite

import "fmt"

// Category 5: fragmentation.
func cases5() []*caseDef {
	failOnly := func(id, desc string, send func(r *run)) *caseDef {
		return &caseDef{
			id: id, desc: desc,
			expect: "The testee fails the connection at once with 1002.",
			open: func(r *run) {
				r.expect(OK)
				r.expectFailByPeer(codeProtocol)
				send(r)
				r.killAfter(1)
			},
		}
	}
	modes := []struct {
		name string
		opt  func(*txFrame)
	}{
		{"in one chop", func(*txFrame) {}},
		{"each frame written on its own", syncW},
		{"written octet by octet", chop(1)},
	}
	cs := []*caseDef{
		failOnly("5.1", "Send a ping in 2 fragments.", func(r *run) {
			r.send(9, "fragment1", notFin)
			r.send(0, "fragment2")
		}),
		failOnly("5.2", "Send a pong in 2 fragments.", func(r *run) {
			r.send(10, "fragment1", notFin)
			r.send(0, "fragment2")
		}),
	}
	for i, m := range modes {
		cs = append(cs, &caseDef{
			id:     fmt.Sprintf("5.%d", 3+i),
			desc:   "Send a text message in 2 fragments, " + m.name + ".",
			expect: "The message is echoed.",
			open: func(r *run) {
				r.expect(OK, msgEvent("fragment1fragment2", false))
				r.expectCloseByMe(true, codeNormal)
				r.send(1, "fragment1", notFin, m.opt)
				r.send(0, "fragment2", m.opt)
				r.closeAfter(1)
			},
		})
	}
	for i, m := range modes {
		cs = append(cs, &caseDef{
			id:     fmt.Sprintf("5.%d", 6+i),
			desc:   "Send a text message in 2 fragments with a ping between them, " + m.name + ".",
			expect: "A pong, then the echoed message.",
			open: func(r *run) {
				r.expect(OK, pongEvent("ping payload"), msgEvent("fragment1fragment2", false))
				r.expectCloseByMe(true, codeNormal)
				r.send(1, "fragment1", notFin, m.opt)
				r.send(9, "ping payload", m.opt)
				r.send(0, "fragment2", m.opt)
				r.closeAfter(1)
			},
		})
	}
	for k, finFirst := range []bool{true, false} {
		for i, m := range modes {
			n := 9 + 3*k + i
			cs = append(cs, failOnly(fmt.Sprintf("5.%d", n),
				fmt.Sprintf("Send a continuation frame with FIN = %t when no message is in progress, then a text message, %s.", finFirst, m.name),
				func(r *run) {
					r.send(0, "non-continuation payload", fin(finFirst), m.opt)
					r.send(1, "Hello, world!", m.opt)
				}))
		}
	}
	cs = append(cs, &caseDef{
		id:     "5.15",
		desc:   "Send a text message in 2 fragments, then a continuation frame with FIN = false when no message is in progress, then a text message.",
		expect: "The first message is echoed, then the testee fails the connection with 1002 (or fails before echoing: non-strict).",
		open: func(r *run) {
			r.expect(OK, msgEvent("fragment1fragment2", false))
			r.expect(NonStrict)
			r.expectFailByPeer(codeProtocol)
			r.send(1, "fragment1", notFin)
			r.send(0, "fragment2")
			r.send(0, "fragment3", notFin)
			r.send(1, "fragment4")
			r.killAfter(1)
		},
	})
	for k, finFirst := range []bool{false, true} {
		cs = append(cs, failOnly(fmt.Sprintf("5.%d", 16+k),
			fmt.Sprintf("Twice: a continuation frame with FIN = %t when no message is in progress, then a text message in 2 fragments.", finFirst),
			func(r *run) {
				for range 2 {
					r.send(0, "fragment1", fin(finFirst))
					r.send(1, "fragment2", notFin)
					r.send(0, "fragment3")
				}
			}))
	}
	cs = append(cs, failOnly("5.18", "Send a text message in 2 fragments whose frames both have the text opcode.", func(r *run) {
		r.send(1, "fragment1", notFin)
		r.send(1, "fragment2")
	}))
	for k, sync := range []bool{false, true} {
		desc := "Send a text message in 5 fragments: after 2 fragments a ping, a 1 s pause, 2 more fragments, another ping, the last fragment."
		if sync {
			desc = "As 5.19, but every frame written on its own."
		}
		cs = append(cs, &caseDef{
			id:     fmt.Sprintf("5.%d", 19+k),
			desc:   desc,
			expect: "The first ping is answered before the message is complete; both pongs echo their pings, then the message is echoed.",
			open: func(r *run) {
				frags := []string{"fragment1", "fragment2", "fragment3", "fragment4", "fragment5"}
				r.expect(OK, pongEvent("pongme 1!"), pongEvent("pongme 2!"), msgEvent("fragment1fragment2fragment3fragment4fragment5", false))
				r.expectCloseByMe(true, codeNormal)
				s := maybeSync(sync)
				r.send(1, frags[0], notFin, s)
				r.send(0, frags[1], notFin, s)
				r.send(9, "pongme 1!", s)
				r.continueLater(1, "", func() {
					r.send(0, frags[2], notFin, s)
					r.send(0, frags[3], notFin, s)
					r.send(9, "pongme 2!", s)
					r.send(0, frags[4], s)
					r.closeAfter(1)
				})
			},
		})
	}
	return cs
}
