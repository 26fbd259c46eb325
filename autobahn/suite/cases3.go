package suite

// Category 3: reserved bits.
func cases3() []*caseDef {
	const hello = "Hello, world!"
	// rsvThenPing sends a valid text message, then one with RSV bits set,
	// then a ping, each written as mode says.
	rsvThenPing := func(id, desc string, bits int, opts ...func(*txFrame)) *caseDef {
		return &caseDef{
			id: id, desc: desc,
			expect: "The first message is echoed, then the testee fails the connection with 1002 (or fails before echoing: non-strict); no pong.",
			open: func(r *run) {
				r.expect(OK, msgEvent(hello, false))
				r.expect(NonStrict)
				r.expectFailByPeer(codeProtocol)
				r.send(1, hello, opts...)
				r.send(1, hello, append(opts, rsv(bits))...)
				r.send(9, "", opts...)
				r.killAfter(1)
			},
		}
	}
	failOnly := func(id, desc string, op int, payload string, bits int) *caseDef {
		return &caseDef{
			id: id, desc: desc,
			expect: "The testee fails the connection at once with 1002.",
			open: func(r *run) {
				r.expect(OK)
				r.expectFailByPeer(codeProtocol)
				r.send(op, payload, rsv(bits))
				r.killAfter(1)
			},
		}
	}
	return []*caseDef{
		failOnly("3.1", "Send a small text message with RSV = 1.", 1, hello, 1),
		rsvThenPing("3.2", "Send a small text message, then one with RSV = 2, then a ping.", 2),
		rsvThenPing("3.3", "Send a small text message, then one with RSV = 3, then a ping; each frame written on its own.", 3, syncW),
		rsvThenPing("3.4", "Send a small text message, then one with RSV = 4, then a ping; written octet by octet.", 4, chop(1)),
		failOnly("3.5", "Send a small binary message with RSV = 5.", 2, "\x00\xff\xfe\xfd\xfc\xfb\x00\xff", 5),
		failOnly("3.6", "Send a small binary message with RSV = 6.", 2, hello, 6),
		failOnly("3.7", "Send a close frame with RSV = 7.", 8, "", 7),
	}
}
