package suite

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"unicode/utf8"
)

// testData is one payload source of the compression cases. Autobahn reads
// five files shipped with it; hybi generates look-alikes of the same kind
// and size deterministically (JSON, a grey-scale bitmap, German verse, HTML
// and a PDF of mostly incompressible streams), so that the cases send
// similar data without shipping anyone's files.
type testData struct {
	desc   string
	binary bool // sent as binary messages; else text, measured in code points
	size   int  // bytes
	gen    func(size int) []byte

	once sync.Once
	data []byte
	offs []int // text: byte offset of each code point, then len(data)
}

// The data sets in Autobahn's order (12.1 to 12.5); 13.x uses the first.
var compressionData = []*testData{
	{desc: "JSON text", size: 194056, gen: genJSON},
	{desc: "Bitmap picture, 512x512 grey-scale", binary: true, size: 263222, gen: genBitmap},
	{desc: "German verse", binary: true, size: 222218, gen: genVerse},
	{desc: "HTML page", size: 263647, gen: genHTML},
	{desc: "PDF document, mostly compressed streams", binary: true, size: 1042328, gen: genPDF},
}

func (td *testData) load() {
	td.once.Do(func() {
		td.data = td.gen(td.size)
		if !td.binary {
			td.offs = make([]int, 0, len(td.data)+1)
			for i := range string(td.data) {
				td.offs = append(td.offs, i)
			}
			td.offs = append(td.offs, len(td.data))
		}
	})
}

// units is the data length in the unit messages are cut in.
func (td *testData) units() int {
	td.load()
	if td.binary {
		return len(td.data)
	}
	return len(td.offs) - 1
}

// slice returns units [from, to) of the data, as bytes.
func (td *testData) slice(from, to int) []byte {
	if td.binary {
		return td.data[from:to]
	}
	return td.data[td.offs[from]:td.offs[to]]
}

// next returns the message of n units starting at *pos, wrapping around
// the end of the data as Autobahn does, and advances *pos.
func (td *testData) next(pos *int, n int) []byte {
	total := td.units()
	from, to := *pos, (*pos+n)%total
	*pos = to
	if to > from {
		return td.slice(from, to)
	}
	msg := append([]byte(nil), td.slice(from, total)...)
	return append(msg, td.slice(0, to)...)
}

// kind is "binary" or "utf8", as the subcategory titles say.
func (td *testData) kind() string {
	if td.binary {
		return "binary"
	}
	return "utf8"
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }

// fitText cuts text to exactly size bytes at a code point boundary,
// padding with spaces.
func fitText(b []byte, size int) []byte {
	if len(b) > size {
		b = b[:size]
		i := len(b) - 1
		for i > 0 && !utf8.RuneStart(b[i]) {
			i--
		}
		if i >= 0 && !utf8.FullRune(b[i:]) {
			b = b[:i]
		}
	}
	for len(b) < size {
		b = append(b, ' ')
	}
	return b
}

// genJSON writes a test report index, pretty-printed.
func genJSON(size int) []byte {
	rng := newRand(1)
	verdicts := []string{"OK", "OK", "OK", "NON-STRICT", "INFORMATIONAL", "FAILED"}
	var b strings.Builder
	b.WriteString("{\n")
	for agent := 0; b.Len() < size; agent++ {
		if agent > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, "   \"Agent%d/0.%d.%d\": {\n", agent, rng.IntN(10), rng.IntN(20))
		for i, id := range sampleIDs {
			if i > 0 {
				b.WriteString(",\n")
			}
			fmt.Fprintf(&b, "      %q: {\n         \"behavior\": %q,\n         \"behaviorClose\": %q,\n         \"duration\": %d,\n         \"remoteCloseCode\": %d,\n         \"reportfile\": \"agent%d_case_%s.json\"\n      }",
				id, verdicts[rng.IntN(len(verdicts))], verdicts[rng.IntN(3)], rng.IntN(40), 1000+rng.IntN(3)*2, agent, strings.ReplaceAll(id, ".", "_"))
		}
		b.WriteString("\n   }")
	}
	b.WriteString("\n}\n")
	return fitText([]byte(b.String()), size)
}

var sampleIDs = func() []string {
	var ids []string
	for c := 1; c <= 7; c++ {
		for s := 1; s <= 3; s++ {
			for k := 1; k <= 6; k++ {
				ids = append(ids, fmt.Sprintf("%d.%d.%d", c, s, k))
			}
		}
	}
	return ids
}()

// genBitmap writes a 512x512 8-bit grey-scale BMP of smooth shapes with
// some noise.
func genBitmap(size int) []byte {
	const w, h = 512, 512
	const pixOff = 14 + 40 + 256*4
	b := make([]byte, pixOff+w*h)
	copy(b, "BM")
	binary.LittleEndian.PutUint32(b[2:], uint32(len(b)))
	binary.LittleEndian.PutUint32(b[10:], pixOff)
	binary.LittleEndian.PutUint32(b[14:], 40)
	binary.LittleEndian.PutUint32(b[18:], w)
	binary.LittleEndian.PutUint32(b[22:], h)
	binary.LittleEndian.PutUint16(b[26:], 1)
	binary.LittleEndian.PutUint16(b[28:], 8)
	binary.LittleEndian.PutUint32(b[34:], w*h)
	binary.LittleEndian.PutUint32(b[46:], 256)
	for i := range 256 {
		p := b[54+4*i:]
		p[0], p[1], p[2] = byte(i), byte(i), byte(i)
	}
	rng := newRand(2)
	for y := range h {
		for x := range w {
			dx, dy := x-200, y-300
			v := (dx*dx+dy*dy)/300 + x*y/1024 + (x^y)&7 + rng.IntN(6)
			b[pixOff+y*w+x] = byte(v)
		}
	}
	return b[:size]
}

var verseWords = strings.Fields(`und der die das ich nicht zu mir ist so mit ein sich es du wie sie
	auf den was mich in dem wohl wenn noch auch nur an schon doch er wir hier bin wird dir ach
	Geist Welt Herz Himmel Erde Nacht Liebe Natur Leben Tag Augen Kraft Wissen Seele Brust Zeit
	Gretchen Teufel Mensch Ruh Glück Schmerz Lust Freude Träume Blüten Gefühl Stunde Tür Hölle
	schön süß groß müde fröhlich übermütig hübsch heißt weiß grüßt fließt läßt müßt möcht wär
	schweben brennen singen klingen ringen zwingen ziehen fliehen glühen blühen erkennen`)

var verseSpeakers = []string{"FAUST", "MEPHISTOPHELES", "MARGARETE", "WAGNER", "MARTHE", "CHOR DER ENGEL", "DER HERR"}

// genVerse writes German-looking verse with speakers and stage directions.
func genVerse(size int) []byte {
	rng := newRand(3)
	var b strings.Builder
	b.WriteString("Faust: Der Tragödie erster Teil (nachgebildet)\r\n\r\n")
	for b.Len() < size {
		fmt.Fprintf(&b, "%s:\r\n", verseSpeakers[rng.IntN(len(verseSpeakers))])
		for range 2 + rng.IntN(9) {
			n := 4 + rng.IntN(5)
			for i := range n {
				w := verseWords[rng.IntN(len(verseWords))]
				if i == 0 {
					r, sz := utf8.DecodeRuneInString(w)
					w = strings.ToUpper(string(r)) + w[sz:]
				} else {
					b.WriteByte(' ')
				}
				b.WriteString(w)
			}
			b.WriteString([]string{",", ".", "!", ";", "?", ""}[rng.IntN(6)])
			b.WriteString("\r\n")
		}
		if rng.IntN(5) == 0 {
			b.WriteString("\r\n(Er geht ab. Es wird Nacht.)\r\n")
		}
		b.WriteString("\r\n")
	}
	return []byte(b.String())[:size]
}

// genHTML writes a styled HTML page of test result tables, with a few
// non-ASCII characters.
func genHTML(size int) []byte {
	rng := newRand(4)
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html>\n   <head>\n      <meta charset=\"utf-8\" />\n      <style lang=\"css\">\n")
	b.WriteString("body {\n   background-color: #F4F4F4;\n   color: #333;\n   font-family: sans-serif;\n}\n")
	b.WriteString("td.ok { background-color: #0a0; }\ntd.failed { background-color: #900; }\ntd.nonstrict { background-color: #bb0; }\n")
	b.WriteString("      </style>\n   </head>\n   <body>\n      <h1>Test results — generated page</h1>\n")
	classes := []string{"ok", "ok", "ok", "nonstrict", "failed"}
	for t := 0; b.Len() < size; t++ {
		fmt.Fprintf(&b, "      <h2>Category %d · “%s”</h2>\n      <table>\n", t+1, verseWords[rng.IntN(len(verseWords))])
		for _, id := range sampleIDs[:20+rng.IntN(40)] {
			c := classes[rng.IntN(len(classes))]
			fmt.Fprintf(&b, "         <tr><td class=\"case\"><a href=\"#case_%d_%s\">Case %s</a></td><td class=\"%s\">%s</td><td>%d ms</td><td>%d</td></tr>\n",
				t, strings.ReplaceAll(id, ".", "_"), id, c, strings.ToUpper(c), rng.IntN(200), 1000+rng.IntN(12))
		}
		b.WriteString("      </table>\n")
		if rng.IntN(3) == 0 {
			b.WriteString("      <p>Hinweis: Prüfläufe … siehe oben.</p>\n")
		}
	}
	b.WriteString("   </body>\n</html>\n")
	return fitText([]byte(b.String()), size)
}

// genPDF writes a PDF-like file: object dictionaries in text around streams
// of random (incompressible) bytes, as deflated page content is.
func genPDF(size int) []byte {
	rng := newRand(5)
	b := []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	for obj := 1; len(b) < size; obj++ {
		n := 512 + rng.IntN(24<<10)
		b = fmt.Appendf(b, "%d 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n", obj, n)
		for range n {
			b = append(b, byte(rng.Uint32()))
		}
		b = append(b, "\nendstream\nendobj\n"...)
		if obj%7 == 0 {
			b = fmt.Appendf(b, "%d 0 obj\n<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 5 0 R >> >> /MediaBox [0 0 612 792] /Contents %d 0 R >>\nendobj\n", obj+1000, obj)
		}
	}
	return b[:size]
}
