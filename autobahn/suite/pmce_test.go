package suite

import (
	"bytes"
	"errors"
	"net/http"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/handshake"
)

func extString(e handshake.Extension) string {
	return handshake.FormatExtensions([]handshake.Extension{e})
}

func parseExt(t *testing.T, s string) []handshake.Extension {
	t.Helper()
	exts, err := handshake.ParseExtensions(http.Header{"Sec-Websocket-Extensions": {s}})
	if err != nil {
		t.Fatal(err)
	}
	return exts
}

func TestOfferStrings(t *testing.T) {
	for _, tc := range []struct {
		o    deflateOffer
		want string
	}{
		{defaultOffer(), "permessage-deflate; client_no_context_takeover; client_max_window_bits"},
		{requestOffer(true, 0), "permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover"},
		{requestOffer(false, 9), "permessage-deflate; client_no_context_takeover; client_max_window_bits; server_max_window_bits=9"},
	} {
		if got := extString(tc.o.extension()); got != tc.want {
			t.Errorf("offer %+v: %q, want %q", tc.o, got, tc.want)
		}
		back, err := parseOffer(tc.o.extension().Params)
		if err != nil || back != tc.o {
			t.Errorf("parseOffer(%q) = %+v, %v", tc.want, back, err)
		}
	}
}

func TestParseOffer(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want deflateOffer
		err  bool
	}{
		// client_no_context_takeover is assumed, as in Autobahn.
		{in: "permessage-deflate", want: deflateOffer{acceptNoContextTakeover: true}},
		{in: "permessage-deflate; client_max_window_bits", want: deflateOffer{acceptNoContextTakeover: true, acceptMaxWindowBits: true}},
		{in: "permessage-deflate; client_max_window_bits=10", want: deflateOffer{acceptNoContextTakeover: true, acceptMaxWindowBits: true}},
		{in: "permessage-deflate; server_max_window_bits=12; server_no_context_takeover",
			want: deflateOffer{acceptNoContextTakeover: true, requestNoContextTakeover: true, requestMaxWindowBits: 12}},
		{in: "permessage-deflate; server_max_window_bits=8", err: true},
		{in: "permessage-deflate; server_max_window_bits", err: true},
		{in: "permessage-deflate; client_max_window_bits=16", err: true},
		{in: "permessage-deflate; server_no_context_takeover=1", err: true},
		{in: "permessage-deflate; server_no_context_takeover; server_no_context_takeover", err: true},
		{in: "permessage-deflate; x", err: true},
	} {
		got, err := parseOffer(parseExt(t, tc.in)[0].Params)
		if (err != nil) != tc.err || (err != nil && !errors.Is(err, errPMCE)) {
			t.Errorf("%q: error %v, want error %t", tc.in, err, tc.err)
			continue
		}
		if err == nil && got != tc.want {
			t.Errorf("%q: %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestAcceptFuncs(t *testing.T) {
	plain := deflateOffer{acceptNoContextTakeover: true} // no client_max_window_bits
	full := defaultOffer()
	a7 := deflateParams[6].accept
	for _, tc := range []struct {
		name   string
		f      acceptFunc
		offers []deflateOffer
		want   string // response; "" declines
	}{
		{"13.1 default", deflateParams[0].accept, []deflateOffer{full}, "permessage-deflate"},
		{"13.2 no takeover", deflateParams[1].accept, []deflateOffer{plain}, "permessage-deflate; client_no_context_takeover"},
		{"13.3 needs client_max_window_bits", deflateParams[2].accept, []deflateOffer{plain}, ""},
		{"13.3", deflateParams[2].accept, []deflateOffer{plain, full}, "permessage-deflate; client_max_window_bits=9"},
		{"13.6 echoes requests", deflateParams[5].accept, []deflateOffer{requestOffer(true, 10)},
			"permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_no_context_takeover; client_max_window_bits=15"},
		{"13.7 first choice", a7, []deflateOffer{full}, "permessage-deflate; client_no_context_takeover; client_max_window_bits=9"},
		{"13.7 fallback", a7, []deflateOffer{plain}, "permessage-deflate; client_no_context_takeover"},
	} {
		a, ok := tc.f(tc.offers)
		got := ""
		if ok {
			got = extString(a.extension())
		}
		if got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	a, _ := deflateParams[4].accept([]deflateOffer{requestOffer(false, 11)})
	want := deflate.Params{ServerMaxWindowBits: 11, ClientNoContextTakeover: true, ClientMaxWindowBits: 9}
	if diff := cmp.Diff(want, a.params()); diff != "" {
		t.Errorf("13.5 params (-want +got):\n%s", diff)
	}
}

func TestParseResponse(t *testing.T) {
	r, err := parseResponse(parseExt(t, "permessage-deflate; server_no_context_takeover; client_max_window_bits=10")[0].Params)
	want := deflate.Params{ServerNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 10}
	if err != nil || r.params() != want {
		t.Errorf("got %+v, %v; want %+v", r.params(), err, want)
	}
	for _, bad := range []string{
		"permessage-deflate; client_max_window_bits", // a response needs the value
		"permessage-deflate; server_max_window_bits=8",
		"permessage-deflate; client_no_context_takeover=x",
		"permessage-deflate; mystery",
	} {
		if _, err := parseResponse(parseExt(t, bad)[0].Params); !errors.Is(err, errPMCE) {
			t.Errorf("%q: error %v", bad, err)
		}
	}
}

func TestDialerForChecksResponse(t *testing.T) {
	cd := lookup("13.3.1")
	d, neg := dialerFor(&handshake.Dialer{}, cd)
	if got := handshake.FormatExtensions(d.Extensions); got != "permessage-deflate; client_no_context_takeover; client_max_window_bits; server_max_window_bits=9" {
		t.Errorf("offers %q", got)
	}
	if err := d.AcceptExtensions(parseExt(t, "permessage-deflate; server_max_window_bits=9, permessage-deflate")); err == nil {
		t.Error("two responses accepted")
	}
	d, neg = dialerFor(&handshake.Dialer{}, cd)
	if err := d.AcceptExtensions(parseExt(t, "permessage-deflate; server_max_window_bits=9")); err != nil || !neg.ok || neg.resp.serverMaxWindowBits != 9 {
		t.Errorf("accept: %v, %+v", err, neg)
	}
	if d, _ := dialerFor(&handshake.Dialer{Extensions: parseExt(t, "x")}, lookup("1.1.1")); d.Extensions != nil {
		t.Errorf("case 1.1.1 offers %v", d.Extensions)
	}
}

func TestCompressionData(t *testing.T) {
	for _, td := range compressionData {
		td.load()
		if len(td.data) != td.size {
			t.Errorf("%s: %d bytes, want %d", td.desc, len(td.data), td.size)
		}
		if !td.binary && !utf8.Valid(td.data) {
			t.Errorf("%s: not UTF-8", td.desc)
		}
		if again := td.gen(td.size); !bytes.Equal(again, td.data) {
			t.Errorf("%s: not deterministic", td.desc)
		}
	}
	// Messages run through the data and wrap around its end.
	td := compressionData[3] // HTML, with multi-byte characters
	n := td.units()
	if n == td.size {
		t.Fatal("HTML data has no multi-byte characters")
	}
	pos, total := 0, 0
	var all []byte
	for total < 3*n {
		m := td.next(&pos, 131072)
		if c := utf8.RuneCount(m); c != 131072 || !utf8.Valid(m) {
			t.Fatalf("message of %d code points, valid %t", c, utf8.Valid(m))
		}
		all = append(all, m...)
		total += 131072
	}
	if pos != total%n || !bytes.Equal(all[:2*td.size], append(append([]byte(nil), td.data...), td.data...)) {
		t.Errorf("messages do not cycle through the data (pos %d)", pos)
	}
}

func TestPMCERoundTrip(t *testing.T) {
	for _, p := range []deflate.Params{
		{ServerMaxWindowBits: 15, ClientMaxWindowBits: 15},
		{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 9, ClientMaxWindowBits: 9},
	} {
		client, server := newPMCE(p, false, ""), newPMCE(p, true, "")
		td := compressionData[0]
		pos := 0
		for range 20 {
			msg := td.next(&pos, 4096)
			z := client.comp.Compress(nil, msg)
			got, err := server.decompress(nil, z)
			if err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("%+v: round trip failed: %v", p, err)
			}
		}
		if _, err := server.decompress(nil, []byte{0xff, 0xff, 0xff}); err == nil {
			t.Errorf("%+v: garbage decompressed", p)
		}
		client.close()
		server.close()
	}
}
