package suite

import "fmt"

// Category 9: limits and performance. The verdict is OK when the echo comes
// back whole within the wait; the duration is reported.
func cases9() []*caseDef {
	const textPat, binPat = "BAsd7&jh23", "\x00\xfe\x23\xfa\xf0"
	var cs []*caseDef
	// bigCase sends one message and judges its echo by type and length.
	bigCase := func(id, desc string, binary bool, size int, wait float64, send func(r *run)) *caseDef {
		kind := "text"
		if binary {
			kind = "binary"
		}
		return &caseDef{
			id: id, desc: desc, reportTime: true,
			expect: fmt.Sprintf("The %s message comes back with the payload as sent.", kind),
			open: func(r *run) {
				r.enableWirelog(false)
				r.behavior = Failed
				r.expectCloseByMe(true, codeNormal)
				r.result = fmt.Sprintf("Did not receive message within %d seconds.", int(wait))
				send(r)
				r.closeAfter(wait)
			},
			onMessage: func(r *run, msg []byte, bin bool) {
				switch {
				case bin != binary:
					r.result = fmt.Sprintf("Expected %s message with payload, but got the other type.", kind)
				case len(msg) != size:
					r.result = fmt.Sprintf("Expected %s message with payload of length %d, but got %d.", kind, size, len(msg))
				default:
					r.behavior = OK
					r.result = fmt.Sprintf("Received %s message of length %d.", kind, len(msg))
				}
				r.enableWirelog(true)
				r.sendClose(codeNormal, "")
			},
		}
	}
	sizes := []struct {
		n    int
		name string
	}{{64 << 10, "64 KiB"}, {256 << 10, "256 KiB"}, {1 << 20, "1 MiB"}, {4 << 20, "4 MiB"}, {8 << 20, "8 MiB"}, {16 << 20, "16 MiB"}}
	for sub, binary := range []bool{false, true} {
		op, pat, kind := 1, textPat, "text"
		if binary {
			op, pat, kind = 2, binPat, "binary"
		}
		for i, s := range sizes {
			wait := 100.0
			if i < 2 || (binary && i < 4) {
				wait = 10
			}
			cs = append(cs, bigCase(fmt.Sprintf("9.%d.%d", sub+1, i+1),
				fmt.Sprintf("Send a %s message with a payload of %s.", kind, s.name), binary, s.n, wait,
				func(r *run) { r.send(op, pat, plen(s.n)) }))
		}
	}
	frags := []struct {
		n    int
		name string
	}{{64, "64"}, {256, "256"}, {1 << 10, "1 KiB"}, {4 << 10, "4 KiB"}, {16 << 10, "16 KiB"}, {64 << 10, "64 KiB"}, {256 << 10, "256 KiB"}, {1 << 20, "1 MiB"}, {4 << 20, "4 MiB"}}
	for sub, binary := range []bool{false, true} {
		kind := "text"
		if binary {
			kind = "binary"
		}
		for i, f := range frags {
			fill := "*"
			if binary && i == 0 {
				fill = "\xfe" // only 9.4.1 uses 0xfe; the other 9.4 cases send '*' octets
			}
			cs = append(cs, bigCase(fmt.Sprintf("9.%d.%d", sub+3, i+1),
				fmt.Sprintf("Send a fragmented %s message with a payload of 4 MiB, in fragments of %s.", kind, f.name), binary, 4<<20, 100,
				func(r *run) { r.sendMessage(repeatTo([]byte(fill), 4<<20), binary, f.n, false) }))
		}
	}
	chops := []int{64, 128, 256, 512, 1024, 2048}
	for sub, binary := range []bool{false, true} {
		op, pat, kind := 1, textPat, "text"
		if binary {
			op, pat, kind = 2, binPat, "binary"
		}
		for i, c := range chops {
			cs = append(cs, bigCase(fmt.Sprintf("9.%d.%d", sub+5, i+1),
				fmt.Sprintf("Send a %s message with a payload of 1 MiB, written to the wire in chops of %d octets.", kind, c), binary, 1<<20, 1000,
				func(r *run) { r.send(op, pat, plen(1<<20), chop(c)) }))
		}
	}
	rtts := []struct {
		size  int
		count int
		wait  float64
	}{{0, 1000, 60}, {16, 1000, 60}, {64, 1000, 60}, {256, 1000, 120}, {1024, 1000, 240}, {4096, 1000, 480}}
	for sub, binary := range []bool{false, true} {
		for i, t := range rtts {
			cs = append(cs, roundTripCase(fmt.Sprintf("9.%d.%d", sub+7, i+1), binary, t.size, t.count, t.wait))
		}
	}
	return cs
}

// roundTripCase sends count messages one after the other, each once the
// previous echo is back.
func roundTripCase(id string, binary bool, size, count int, wait float64) *caseDef {
	kind, op, pat := "text", 1, "*"
	if binary {
		kind, op, pat = "binary", 2, "\xfe"
	}
	sendOne := func(r *run) {
		if size == 0 {
			r.send(op, "")
		} else {
			r.send(op, pat, plen(size))
		}
		r.counter++
	}
	return &caseDef{
		id:         id,
		desc:       fmt.Sprintf("Send %d %s messages of payload size %d, one at a time, to measure round-trip time.", count, kind, size),
		expect:     fmt.Sprintf("All %s messages come back as sent. The case times out after %d s.", kind, int(wait)),
		reportTime: true,
		open: func(r *run) {
			r.enableWirelog(false)
			r.behavior = Failed
			r.expectCloseByMe(true, codeNormal)
			r.result = fmt.Sprintf("Case did not finish within %d seconds.", int(wait))
			r.closeAfter(wait)
			sendOne(r)
		},
		onMessage: func(r *run, msg []byte, bin bool) {
			switch {
			case bin != binary || len(msg) != size:
				r.behavior = Failed
				r.result = fmt.Sprintf("Echoed message type or length differs from what was sent (got binary = %t, payload length = %d).", bin, len(msg))
				r.enableWirelog(true)
				r.sendClose(codeNormal, "")
			case r.counter < count:
				sendOne(r)
			default:
				r.behavior = OK
				r.result = "All echoed messages arrived in time."
				r.enableWirelog(true)
				r.sendClose(codeNormal, "")
			}
		},
	}
}
