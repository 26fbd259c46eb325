package suite

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// compressionSizes are the message series of categories 12 and 13, the
// same in every subcategory: message length (bytes, or code points for
// text), message count, case timeout in seconds and auto-fragment size
// (0: none; fragments cut the compressed payload).
var compressionSizes = []struct {
	size, count, wait, frag int
}{
	{16, 1000, 60, 0}, {64, 1000, 60, 0}, {256, 1000, 120, 0}, {1024, 1000, 240, 0},
	{4096, 1000, 480, 0}, {8192, 1000, 480, 0}, {16384, 1000, 480, 0}, {32768, 1000, 480, 0},
	{65536, 1000, 480, 0}, {131072, 1000, 480, 0},
	{8192, 1000, 480, 256}, {16384, 1000, 480, 256}, {32768, 1000, 480, 256}, {65536, 1000, 480, 256},
	{131072, 1000, 480, 256}, {131072, 1000, 480, 1024}, {131072, 1000, 480, 4096}, {131072, 1000, 480, 32768},
}

// deflateParams are the negotiations of category 13: what the fuzzing
// client offers, and how the fuzzing server accepts a testee client's
// offers (requests of client_no_context_takeover and client_max_window_bits).
var deflateParams = []struct {
	offers []deflateOffer
	accept acceptFunc
	doc    string // the accept's requests, in order of preference
}{
	{[]deflateOffer{defaultOffer()}, acceptWith(false, 0), "(False, 0)"},
	{[]deflateOffer{requestOffer(true, 0)}, acceptWith(true, 0), "(True, 0)"},
	{[]deflateOffer{requestOffer(false, 9)}, acceptWith(false, 9), "(False, 9)"},
	{[]deflateOffer{requestOffer(false, 15)}, acceptWith(false, 15), "(False, 15)"},
	{[]deflateOffer{requestOffer(true, 9)}, acceptWith(true, 9), "(True, 9)"},
	{[]deflateOffer{requestOffer(true, 15)}, acceptWith(true, 15), "(True, 15)"},
	{[]deflateOffer{requestOffer(true, 9), requestOffer(true, 0), defaultOffer()},
		acceptFirst(acceptWith(true, 9), acceptWith(true, 0), acceptWith(false, 0)), "(True, 9), (True, 0), (False, 0)"},
}

func init() {
	for j, td := range compressionData {
		subCategories[fmt.Sprintf("12.%d", j+1)] = fmt.Sprintf("%s (generated, %s, %d bytes)", td.desc, td.kind(), td.size)
	}
	td := compressionData[0]
	for j, dp := range deflateParams {
		subCategories[fmt.Sprintf("13.%d", j+1)] = fmt.Sprintf("%s (generated, %s, %d bytes); (no context takeover, max window bits) the client offers %s, the server accepts %s",
			td.desc, td.kind(), td.size, describeOffers(dp.offers), dp.doc)
	}
}

// describeOffers lists the offers' (server_no_context_takeover,
// server_max_window_bits) requests.
func describeOffers(offers []deflateOffer) string {
	parts := make([]string, len(offers))
	for i, o := range offers {
		parts[i] = o.describe()
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// Categories 12 and 13: permessage-deflate. Each case negotiates the
// extension, then sends count messages, compressed, one at a time, each
// once the echo of the previous one came back and matched.
func cases12() []*caseDef {
	var cs []*caseDef
	for j, td := range compressionData {
		for i, s := range compressionSizes {
			cs = append(cs, compressionCase(fmt.Sprintf("12.%d.%d", j+1, i+1), td, s.size, s.count, s.wait, s.frag,
				[]deflateOffer{defaultOffer()}, acceptWith(false, 0), "the default permessage-deflate offer"))
		}
	}
	for j, dp := range deflateParams {
		for i, s := range compressionSizes {
			cs = append(cs, compressionCase(fmt.Sprintf("13.%d.%d", j+1, i+1), compressionData[0], s.size, s.count, s.wait, s.frag,
				dp.offers, dp.accept, "permessage-deflate offers "+describeOffers(dp.offers)+", accepting "+dp.doc))
		}
	}
	return cs
}

func compressionCase(id string, td *testData, size, count, wait, frag int, offers []deflateOffer, accept acceptFunc, how string) *caseDef {
	kind := "text"
	if td.binary {
		kind = "binary"
	}
	sendOne := func(r *run) {
		r.sent = td.next(&r.dataPos, size)
		r.sendMessage(r.sent, td.binary, 0, false)
		r.counter++
	}
	unit, frags := "characters", "not fragmented"
	if td.binary {
		unit = "octets"
	}
	if frag > 0 {
		frags = fmt.Sprintf("auto-fragmented to %d octets", frag)
	}
	return &caseDef{
		id: id,
		desc: fmt.Sprintf("Send %d %s messages of %d %s each, compressed, one at a time, %s; use %s.",
			count, kind, size, unit, frags, how),
		expect:     fmt.Sprintf("Every message is echoed as sent. The case times out after %d s.", wait),
		reportTime: true,
		offers:     offers,
		accept:     accept,
		open: func(r *run) {
			r.enableWirelog(false)
			r.expectCloseByMe(true, codeNormal)
			r.autoFragment = frag
			if r.pmce == nil {
				r.behavior = Unimplemented
				r.result = "permessage-deflate was not negotiated."
				r.sendClose(codeNormal, "")
				return
			}
			r.behavior = Failed
			r.result = fmt.Sprintf("Case did not finish within %d seconds.", wait)
			r.closeAfter(float64(wait))
			sendOne(r)
		},
		onMessage: func(r *run, msg []byte, bin bool) {
			n := len(msg)
			if !td.binary {
				n = utf8.RuneCount(msg)
			}
			switch {
			case bin != td.binary:
				r.result = fmt.Sprintf("The echo has the wrong type (binary %t, want %t).", bin, td.binary)
			case n != size:
				r.result = fmt.Sprintf("The echo has the wrong length (%d, want %d).", n, size)
			case !bytes.Equal(msg, r.sent):
				r.result = "The echo's content differs from the message sent."
			case r.counter < count:
				sendOne(r)
				return
			default:
				r.behavior = OK
				r.result = "All echoes arrived in time and matched."
			}
			r.enableWirelog(true)
			r.sendClose(codeNormal, "")
		},
	}
}
