package suite

import (
	"encoding/hex"
	"fmt"
	"unicode/utf8"
)

// Category 6: UTF-8 handling.
func cases6() []*caseDef {
	const greek = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5" // κόσμε
	const mixed = "Hello-\u00b5@\u00df\u00f6\u00e4\u00fc\u00e0\u00e1-UTF-8!!"
	echo := func(id, desc string, send func(r *run), want string) *caseDef {
		return &caseDef{
			id: id, desc: desc, expect: "The message is echoed.",
			open: func(r *run) {
				r.expect(OK, msgEvent(want, false))
				r.expectCloseByMe(true, codeNormal)
				send(r)
				r.closeAfter(1)
			},
		}
	}
	cs := []*caseDef{
		echo("6.1.1", "Send a text message of length 0.", func(r *run) { r.send(1, "") }, ""),
		echo("6.1.2", "Send a text message in 3 fragments, each of length 0.", func(r *run) {
			r.send(1, "", notFin)
			r.send(0, "", notFin)
			r.send(0, "")
		}, ""),
		echo("6.1.3", "Send a text message in 3 fragments, the first and last of length 0.", func(r *run) {
			r.send(1, "", notFin)
			r.send(0, "middle frame payload", notFin)
			r.send(0, "")
		}, "middle frame payload"),
		echo("6.2.1", "Send a valid UTF-8 text message in one fragment.<br>"+hex.EncodeToString([]byte(mixed)), func(r *run) {
			r.sendMessage([]byte(mixed), false, 0, false)
		}, mixed),
		echo("6.2.2", "Send a valid UTF-8 text message in 2 fragments split on a code point boundary.", func(r *run) {
			r.send(1, mixed[:len("Hello-\u00b5@\u00df\u00f6\u00e4")], notFin)
			r.send(0, mixed[len("Hello-\u00b5@\u00df\u00f6\u00e4"):])
		}, mixed),
		echo("6.2.3", "Send a valid UTF-8 text message in fragments of 1 octet, so frames end inside code points.", func(r *run) {
			r.sendMessage([]byte(mixed), false, 1, false)
		}, mixed),
		echo("6.2.4", "Send a valid UTF-8 text message in fragments of 1 octet, so frames end inside code points.<br>"+hex.EncodeToString([]byte(greek)), func(r *run) {
			r.sendMessage([]byte(greek), false, 1, false)
		}, greek),
	}
	const invalid63 = greek + "\xed\xa0\x80" + "edited"
	for i, frag := range []int{0, 1} {
		desc := "Send an invalid UTF-8 text message in one frame."
		if frag == 1 {
			desc = "Send an invalid UTF-8 text message in fragments of 1 octet."
		}
		cs = append(cs, &caseDef{
			id:     fmt.Sprintf("6.3.%d", i+1),
			desc:   desc + "<br>" + hex.EncodeToString([]byte(invalid63)),
			expect: "The testee fails the connection at once with 1007: the payload is not valid UTF-8.",
			open: func(r *run) {
				r.expect(OK)
				r.expClose = expectedClose{CloseCode: []int{codeInvalid}, WrongEndpointFatal: true}
				r.sendMessage([]byte(invalid63), false, frag, false)
				r.killAfter(1)
			},
		})
	}
	cs = append(cs, failFastCases(greek)...)
	cs = append(cs, utf8SequenceCases(greek)...)
	return cs
}

// failFastCases are 6.4.1 to 6.4.4: the octet that makes the text invalid
// arrives after a pause, in a frame of its own or inside one frame.
func failFastCases(greek string) []*caseDef {
	const bad = "\xf4\x90\x80\x80" // U+110000 in the UTF-8 scheme: out of range
	payload := greek + bad + "edited"
	splits := [][3]string{
		{greek, bad, "edited"},
		{payload[:12], payload[12:13], payload[13:]},
	}
	var cs []*caseDef
	for i := range 4 {
		parts := splits[i%2]
		inFrame := i >= 2
		desc := "Send an invalid UTF-8 text message in 3 frames with a pause after the first and second; the second frame makes it invalid."
		if i%2 == 1 {
			desc = "Send an invalid UTF-8 text message in 3 frames with pauses; the second frame is just the octet that makes it invalid."
		}
		if inFrame {
			desc = "As 6.4." + itoa(i-1) + ", but the 3 parts are chops of one frame."
		}
		desc += fmt.Sprintf("<br>PART1 = %x<br>PART2 = %x<br>PART3 = %x", parts[0], parts[1], parts[2])
		cs = append(cs, &caseDef{
			id:     fmt.Sprintf("6.4.%d", i+1),
			desc:   desc,
			expect: "The first part is accepted and the first pause runs out; the testee then fails the connection with 1007 right after the second part (fail fast). Failing only after the second pause is non-strict.",
			open: func(r *run) {
				r.expect(OK, timeoutEvent("A"))
				r.expect(NonStrict, timeoutEvent("A"), timeoutEvent("B"))
				r.expClose = expectedClose{CloseCode: []int{codeInvalid}, WrongEndpointFatal: true}
				if inFrame {
					r.beginMessage(false)
					r.beginMessageFrame(len(payload))
					r.sendMessageFrameData([]byte(parts[0]))
				} else {
					r.send(1, parts[0], notFin)
				}
				r.continueLater(1, "A", func() {
					if r.state != stateOpen {
						return
					}
					r.received = append(r.received, timeoutEvent("A"))
					if inFrame {
						r.sendMessageFrameData([]byte(parts[1]))
					} else {
						r.send(0, parts[1], notFin)
					}
					r.continueLater(1, "B", func() {
						if r.state != stateOpen {
							return
						}
						r.received = append(r.received, timeoutEvent("B"))
						if inFrame {
							r.sendMessageFrameData([]byte(parts[2]))
							r.endMessage()
						} else {
							r.send(0, parts[2])
						}
						r.killAfter(1)
					})
				})
			},
		})
	}
	return cs
}

// utf8Group is a subcategory of UTF-8 test sequences (after Markus Kuhn's
// UTF-8 decoder stress test).
type utf8Group struct {
	name string
	seqs []string
}

func utf8Groups(greek string) []utf8Group {
	var g []utf8Group
	add := func(name string, seqs ...string) { g = append(g, utf8Group{name, seqs}) }
	add("Valid UTF-8 samples",
		"hello\x24world", "hello\xc2\xa2world", "hello\xe2\x82\xacworld", "hello\xf0\xa4\xad\xa2world", greek)
	var prefixes []string
	for i := 1; i <= len(greek); i++ {
		prefixes = append(prefixes, greek[:i])
	}
	add("Every prefix of a valid multi-byte UTF-8 string", prefixes...)
	add("Lowest code point of each sequence length", "\x00", "\xc2\x80", "\xe0\xa0\x80", "\xf0\x90\x80\x80")
	add("Lowest 5- and 6-octet sequences (not UTF-8)", "\xf8\x88\x80\x80\x80", "\xfc\x84\x80\x80\x80\x80")
	add("Highest code point of each sequence length", "\x7f", "\xdf\xbf", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf")
	add("Highest 4-, 5- and 6-octet sequences (beyond U+10FFFF)", "\xf7\xbf\xbf\xbf", "\xfb\xbf\xbf\xbf\xbf", "\xfd\xbf\xbf\xbf\xbf\xbf")
	add("Other boundaries", "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbd", "\xf4\x8f\xbf\xbf", "\xf4\x90\x80\x80")
	var all []byte
	for c := 0x80; c < 0xbf; c++ {
		all = append(all, byte(c))
	}
	add("Stray continuation octets", "\x80", "\xbf", "\x80\xbf", "\x80\xbf\x80", "\x80\xbf\x80\xbf",
		"\x80\xbf\x80\xbf\x80", "\x80\xbf\x80\xbf\x80\xbf", string(all))
	var lonely []string
	for _, r := range [][2]int{{0xc0, 0xdf}, {0xe0, 0xef}, {0xf0, 0xf7}, {0xf8, 0xfb}, {0xfc, 0xfd}} {
		var s []byte
		for c := r[0]; c < r[1]; c++ {
			s = append(s, byte(c), 0x20)
		}
		lonely = append(lonely, string(s))
	}
	add("Lead octets without continuation", lonely...)
	missing := []string{"\xc0", "\xe0\x80", "\xf0\x80\x80", "\xf8\x80\x80\x80", "\xfc\x80\x80\x80\x80",
		"\xdf", "\xef\xbf", "\xf7\xbf\xbf", "\xfb\xbf\xbf\xbf", "\xfd\xbf\xbf\xbf\xbf"}
	add("Sequences missing their last octet", missing...)
	cat := ""
	for _, m := range missing {
		cat += m
	}
	add("Incomplete sequences back to back", cat)
	add("Octets that never occur in UTF-8", "\xfe", "\xff", "\xfe\xfe\xff\xff")
	add("Overlong encodings of an ASCII character", "\xc0\xaf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf", "\xf8\x80\x80\x80\xaf", "\xfc\x80\x80\x80\x80\xaf")
	add("Largest overlong encodings", "\xc1\xbf", "\xe0\x9f\xbf", "\xf0\x8f\xbf\xbf", "\xf8\x87\xbf\xbf\xbf", "\xfc\x83\xbf\xbf\xbf\xbf")
	add("Overlong encodings of NUL", "\xc0\x80", "\xe0\x80\x80", "\xf0\x80\x80\x80", "\xf8\x80\x80\x80\x80", "\xfc\x80\x80\x80\x80\x80")
	add("Lone UTF-16 surrogates", "\xed\xa0\x80", "\xed\xad\xbf", "\xed\xae\x80", "\xed\xaf\xbf", "\xed\xb0\x80", "\xed\xbe\x80", "\xed\xbf\xbf")
	add("UTF-16 surrogate pairs", "\xed\xa0\x80\xed\xb0\x80", "\xed\xa0\x80\xed\xbf\xbf", "\xed\xad\xbf\xed\xb0\x80", "\xed\xad\xbf\xed\xbf\xbf",
		"\xed\xae\x80\xed\xb0\x80", "\xed\xae\x80\xed\xbf\xbf", "\xed\xaf\xbf\xed\xb0\x80", "\xed\xaf\xbf\xed\xbf\xbf")
	nonChars := []string{"\xef\xbf\xbe", "\xef\xbf\xbf"}
	for _, z1 := range []byte{0xf0, 0xf1, 0xf2, 0xf3, 0xf4} {
		for _, z2 := range []byte{0x8f, 0x9f, 0xaf, 0xbf} {
			if z1 == 0xf4 && z2 != 0x8f {
				continue // beyond U+10FFFF
			}
			for _, z3 := range []byte{0xbe, 0xbf} {
				s := string([]byte{z1, z2, 0xbf, z3})
				if z1 == 0xf0 && z2 == 0x8f {
					continue // overlong
				}
				nonChars = append(nonChars, s)
			}
		}
	}
	add("Noncharacters (valid UTF-8)", nonChars...)
	add("Specials block, replacement character included", "\xef\xbf\xb9", "\xef\xbf\xba", "\xef\xbf\xbb", "\xef\xbf\xbc", "\xef\xbf\xbd", "\xef\xbf\xbe", "\xef\xbf\xbf")
	return g
}

// utf8SequenceCases are 6.5.x to 6.23.x: one text message per sequence.
func utf8SequenceCases(greek string) []*caseDef {
	var cs []*caseDef
	for gi, g := range utf8Groups(greek) {
		sub := fmt.Sprintf("6.%d", gi+5)
		subCategories[sub] = g.name
		for si, s := range g.seqs {
			valid := utf8.ValidString(s)
			c := &caseDef{id: fmt.Sprintf("%s.%d", sub, si+1)}
			if valid {
				c.desc = "Send a text message with a payload that is valid UTF-8, in one fragment."
				c.expect = "The message is echoed."
			} else {
				c.desc = "Send a text message with a payload that is not valid UTF-8, in one fragment."
				c.expect = "The testee fails the connection at once with 1007: the payload is not valid UTF-8."
			}
			c.desc += "<br><br>Payload: 0x" + hex.EncodeToString([]byte(s))
			c.open = func(r *run) {
				if valid {
					r.expect(OK, msgEvent(s, false))
					r.expectCloseByMe(true, codeNormal)
				} else {
					r.expect(OK)
					r.expClose = expectedClose{CloseCode: []int{codeInvalid}, WrongEndpointFatal: true}
				}
				r.sendMessage([]byte(s), false, 0, false)
				r.killAfter(0.5)
			}
			cs = append(cs, c)
		}
	}
	return cs
}
