package suite

import "fmt"

// Category 7: close handling.
func cases7() []*caseDef {
	const hello = "Hello World!"
	closeCase := func(id, desc, expect string, send func(r *run)) *caseDef {
		return &caseDef{
			id: id, desc: desc, expect: expect,
			open: func(r *run) {
				r.suppressClose = true
				r.expect(OK)
				r.expectCloseByMe(true, codeNormal)
				send(r)
				r.killAfter(1)
			},
			finish: wrongCodeFails,
		}
	}
	cs := []*caseDef{
		{
			id: "7.1.1", desc: "Send a message, then a close frame.",
			expect: "The message is echoed, then a clean close with code 1000.",
			open: func(r *run) {
				r.expect(OK, msgEvent(hello, false))
				r.expectCloseByMe(true, codeNormal)
				r.send(1, hello)
				r.killAfter(1)
			},
			finish: wrongCodeFails,
		},
		closeCase("7.1.2", "Send two close frames.", "Clean close with code 1000; the second close frame is ignored.", func(r *run) {
			r.sendClose(codeNormal, "")
			r.send(8, "")
		}),
		closeCase("7.1.3", "Send a ping after the close frame.", "Clean close with code 1000, no pong.", func(r *run) {
			r.sendClose(codeNormal, "")
			r.send(9, "")
		}),
		closeCase("7.1.4", "Send a text message after the close frame.", "Clean close with code 1000; the text message is ignored.", func(r *run) {
			r.sendClose(codeNormal, "")
			r.send(1, hello)
		}),
		closeCase("7.1.5", "Send a message fragment, then a close frame, then the last fragment.", "Clean close with code 1000.", func(r *run) {
			r.send(1, "fragment1", notFin)
			r.sendClose(codeNormal, "")
			r.send(0, "fragment2")
		}),
		{
			id: "7.1.6", desc: "Send a 256 KiB message, then a short one, then a close frame, then a ping.",
			expect: "Depends on how the implementation orders close processing against the pending echo: informational.",
			open: func(r *run) {
				r.suppressClose = true
				r.expect(OK, msgEvent(hello, false))
				r.expect(NonStrict)
				r.expectCloseByMe(true, codeNormal)
				r.send(1, "BAsd7&jh23", plen(256<<10))
				r.send(1, hello)
				r.sendClose(codeNormal, "")
				r.send(9, "")
				r.killAfter(1)
			},
			finish: func(r *run) {
				switch r.behavior {
				case OK:
					r.result = "The text message was echoed before the close was processed."
				case NonStrict:
					r.result = "The close was processed before the text message was echoed."
				}
				r.behavior, r.behaviorClose = Informational, Informational
			},
		},
		closeCase("7.3.1", "Send a close frame with payload length 0 (no code, no reason).", "Clean close with code 1000.", func(r *run) {
			r.sendCloseFrame(noCode, nil, false)
		}),
		{
			id: "7.3.2", desc: "Send a close frame with payload length 1.",
			expect: "Clean close with code 1002, or a dropped TCP connection.",
			open: func(r *run) {
				r.suppressClose = true
				r.expect(OK)
				r.expectCloseByMe(false, codeProtocol)
				r.sendCloseFrame(noCode, []byte("a"), false)
				r.killAfter(1)
			},
			finish: wrongCodeFails,
		},
		closeCase("7.3.3", "Send a close frame with payload length 2 (a code, no reason).", "Clean close with code 1000.", func(r *run) {
			r.sendClose(codeNormal, "")
		}),
		closeCase("7.3.4", "Send a close frame with a code and a reason.", "Clean close with code 1000.", func(r *run) {
			r.sendClose(codeNormal, hello)
		}),
		closeCase("7.3.5", "Send a close frame with a code and a reason of the maximum length, 123 octets.", "Clean close with code 1000.", func(r *run) {
			r.sendClose(codeNormal, rep("*", 123))
		}),
		{
			id: "7.3.6", desc: "Send a close frame with a code and a 124-octet reason: a 126-octet control frame payload.",
			expect: "Clean close with code 1002, or a dropped TCP connection.",
			open: func(r *run) {
				r.suppressClose = true
				r.expect(OK)
				r.expectCloseByMe(false, codeProtocol)
				r.sendCloseFrame(codeNormal, []byte(rep("*", 124)), false)
				r.killAfter(1)
			},
			finish: wrongCodeFails,
		},
		{
			id: "7.5.1", desc: "Send a close frame whose reason is not valid UTF-8.",
			expect: "Clean close with code 1002 or 1007, or a dropped TCP connection.",
			open: func(r *run) {
				r.suppressClose = true
				r.expect(OK)
				r.expectCloseByMe(false, codeProtocol, codeInvalid)
				r.sendCloseFrame(codeNormal, []byte("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64"), false)
				r.killAfter(1)
			},
			finish: wrongCodeFails,
		},
	}
	for i, code := range []int{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999} {
		cs = append(cs, &caseDef{
			id:     fmt.Sprintf("7.7.%d", i+1),
			desc:   fmt.Sprintf("Send a close frame with the valid close code %d.", code),
			expect: "Clean close with code 1000 or the code sent.",
			open: func(r *run) {
				r.expect(OK)
				r.expectCloseByMe(true, codeNormal, code)
				r.sendCloseFrame(code, nil, false)
				r.killAfter(1)
			},
			finish: wrongCodeFails,
		})
	}
	for i, code := range []int{0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999} {
		cs = append(cs, &caseDef{
			id:     fmt.Sprintf("7.9.%d", i+1),
			desc:   fmt.Sprintf("Send a close frame with the invalid close code %d.", code),
			expect: "Clean close with code 1002, or a dropped TCP connection.",
			open: func(r *run) {
				r.expect(OK)
				r.expectCloseByMe(false, codeProtocol)
				r.sendCloseFrame(code, nil, false)
				r.killAfter(1)
			},
			finish: wrongCodeFails,
		})
	}
	for i, code := range []int{5000, 65535} {
		cs = append(cs, &caseDef{
			id:     fmt.Sprintf("7.13.%d", i+1),
			desc:   fmt.Sprintf("Send a close frame with close code %d.", code),
			expect: "The spec leaves the outcome open: informational.",
			open: func(r *run) {
				r.suppressClose = true
				r.expect(OK)
				r.expClose = expectedClose{ClosedByMe: true, CloseCode: []int{codeNormal, code, codeProtocol}}
				r.sendCloseFrame(code, nil, false)
				r.killAfter(1)
			},
			finish: informational("The spec does not define what happens here."),
		})
	}
	return cs
}
