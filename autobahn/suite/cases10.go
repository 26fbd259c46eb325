package suite

import "fmt"

// Category 10: miscellaneous.
func cases10() []*caseDef {
	const size, fragSize = 65536, 1300
	return []*caseDef{{
		id:     "10.1.1",
		desc:   fmt.Sprintf("Send a text message with a payload of length %d, fragmented automatically in frames of %d octets.", size, fragSize),
		expect: "The message is echoed and the frame counts sent are as expected; clean close with code 1000.",
		open: func(r *run) {
			payload := rep("*", size)
			r.autoFragment = fragSize
			r.expect(OK, msgEvent(payload, false))
			r.expectCloseByMe(true, codeNormal)
			r.sendMessage([]byte(payload), false, 0, false)
			r.killAfter(10)
		},
		finish: func(r *run) {
			wantCont, wantText := size/fragSize, 0
			if size%fragSize > 0 {
				wantText = 1
			}
			if r.txFrames[0] != wantCont || r.txFrames[1] != wantText {
				r.behavior = Failed
				r.result = fmt.Sprintf("Frames transmitted {0: %d, 1: %d} do not match what we expected {0: %d, 1: %d}.",
					r.txFrames[0], r.txFrames[1], wantCont, wantText)
			}
		},
	}}
}
