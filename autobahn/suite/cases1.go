package suite

import "fmt"

// Category 1: framing of text and binary messages of various lengths.
func cases1() []*caseDef {
	var cs []*caseDef
	sizes := []int{0, 125, 126, 127, 128, 65535, 65536, 65536}
	for sub, binary := range []bool{false, true} {
		for i, n := range sizes {
			kind, op, fill := "text", 1, "*"
			if binary {
				kind, op, fill = "binary", 2, "\xfe"
			}
			n, chopsize := n, 0
			desc := fmt.Sprintf("Send a %s message with a payload of length %d.", kind, n)
			if i == 7 {
				chopsize = 997
				desc = fmt.Sprintf("Send a %s message with a payload of length %d, written to the wire in chops of 997 octets.", kind, n)
			}
			kill := 1.0
			if n > 128 {
				kill = 10
			}
			cs = append(cs, &caseDef{
				id:     fmt.Sprintf("1.%d.%d", sub+1, i+1),
				desc:   desc,
				expect: fmt.Sprintf("The %s message comes back as sent, then a clean close with code 1000.", kind),
				open: func(r *run) {
					payload := rep(fill, n)
					r.expect(OK, msgEvent(payload, binary))
					r.expectCloseByMe(true, codeNormal)
					r.send(op, payload, chop(chopsize))
					r.killAfter(kill)
				},
			})
		}
	}
	return cs
}
