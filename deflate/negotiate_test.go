package deflate

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hybi/ws/handshake"
)

// pmd builds a permessage-deflate extension from name[=value] pairs.
func pmd(params ...string) handshake.Extension {
	e := handshake.Extension{Name: ExtensionName}
	for i := 0; i < len(params); i += 2 {
		e.Params = append(e.Params, handshake.Param{Name: params[i], Value: params[i+1]})
	}
	return e
}

var defaultParams = Params{ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}

func TestNegotiateValid(t *testing.T) {
	tests := []struct {
		name  string
		cfg   *Config
		offer handshake.Extension
		resp  handshake.Extension
		p     Params
	}{
		{"plain", nil, pmd(), pmd(), defaultParams},
		{"client bits no value", nil, pmd("client_max_window_bits", ""), pmd(), defaultParams},
		{"client bits no value, limited", &Config{PeerMaxWindowBits: 10},
			pmd("client_max_window_bits", ""), pmd("client_max_window_bits", "10"),
			Params{ServerMaxWindowBits: 15, ClientMaxWindowBits: 10}},
		{"client bits value echoed", nil, pmd("client_max_window_bits", "12"), pmd("client_max_window_bits", "12"),
			Params{ServerMaxWindowBits: 15, ClientMaxWindowBits: 12}},
		{"client bits value, smaller limit", &Config{PeerMaxWindowBits: 9},
			pmd("client_max_window_bits", "12"), pmd("client_max_window_bits", "9"),
			Params{ServerMaxWindowBits: 15, ClientMaxWindowBits: 9}},
		{"client bits value, larger limit", &Config{PeerMaxWindowBits: 14},
			pmd("client_max_window_bits", "12"), pmd("client_max_window_bits", "12"),
			Params{ServerMaxWindowBits: 15, ClientMaxWindowBits: 12}},
		{"client bits 15 not echoed", nil, pmd("client_max_window_bits", "15"), pmd(), defaultParams},
		{"limit without client offer", &Config{PeerMaxWindowBits: 9}, pmd(), pmd(), defaultParams},
		{"server bits 10", nil, pmd("server_max_window_bits", "10"), pmd("server_max_window_bits", "10"),
			Params{ServerMaxWindowBits: 10, ClientMaxWindowBits: 15}},
		{"server bits 8", nil, pmd("server_max_window_bits", "8"), pmd("server_max_window_bits", "8"),
			Params{ServerMaxWindowBits: 8, ClientMaxWindowBits: 15}},
		{"server bits 15", nil, pmd("server_max_window_bits", "15"), pmd("server_max_window_bits", "15"), defaultParams},
		{"server nct", nil, pmd("server_no_context_takeover", ""), pmd("server_no_context_takeover", ""),
			Params{ServerNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}},
		{"client nct", nil, pmd("client_no_context_takeover", ""), pmd("client_no_context_takeover", ""),
			Params{ClientNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}},
		{"config nct", &Config{NoContextTakeover: true, PeerNoContextTakeover: true}, pmd(),
			pmd("server_no_context_takeover", "", "client_no_context_takeover", ""),
			Params{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}},
		{"all, upper case names", nil,
			pmd("Server_No_Context_Takeover", "", "client_no_context_takeover", "",
				"SERVER_MAX_WINDOW_BITS", "9", "client_max_window_bits", "11"),
			pmd("server_no_context_takeover", "", "client_no_context_takeover", "",
				"server_max_window_bits", "9", "client_max_window_bits", "11"),
			Params{true, true, 9, 11}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, p, ok := tt.cfg.Negotiate([]handshake.Extension{tt.offer})
			if !ok {
				t.Fatal("offer declined")
			}
			if diff := cmp.Diff(tt.resp, resp); diff != "" {
				t.Errorf("response (-want +got):\n%s", diff)
			}
			if p != tt.p {
				t.Errorf("params = %+v, want %+v", p, tt.p)
			}
			// The client accepts the response with the same parameters.
			cp, ok, err := tt.cfg.Accept([]handshake.Extension{resp})
			if err != nil || !ok || cp != p {
				t.Errorf("Accept(response) = %+v, %v, %v; want %+v", cp, ok, err, p)
			}
		})
	}
}

func TestNegotiateDeclinesMalformed(t *testing.T) {
	bad := []handshake.Extension{
		pmd("x", ""),
		pmd("server_max_window_bits", "10", "server_max_window_bits", "10"),
		pmd("client_no_context_takeover", "", "client_no_context_takeover", ""),
		pmd("server_no_context_takeover", "", "SERVER_NO_CONTEXT_TAKEOVER", ""),
		pmd("server_no_context_takeover", "1"),
		pmd("client_no_context_takeover", "true"),
		pmd("server_max_window_bits", ""),
		pmd("server_max_window_bits", "7"),
		pmd("server_max_window_bits", "16"),
		pmd("server_max_window_bits", "08"),
		pmd("server_max_window_bits", "010"),
		pmd("server_max_window_bits", "+9"),
		pmd("server_max_window_bits", "abc"),
		pmd("client_max_window_bits", "0"),
		pmd("client_max_window_bits", "7"),
		pmd("client_max_window_bits", "16"),
		pmd("client_max_window_bits", "", "client_max_window_bits", "10"),
	}
	for _, o := range bad {
		if resp, _, ok := (&Config{}).Negotiate([]handshake.Extension{o}); ok {
			t.Errorf("offer %+v accepted with %+v", o, resp)
		}
	}
	if _, _, ok := (*Config)(nil).Negotiate(nil); ok {
		t.Error("no offers accepted")
	}
}

func TestNegotiateOrder(t *testing.T) {
	offers := []handshake.Extension{
		{Name: "x-webkit-deflate-frame"},
		pmd("server_max_window_bits", "7"), // invalid: skipped
		{Name: "Permessage-Deflate", Params: []handshake.Param{{Name: "server_max_window_bits", Value: "9"}}},
		pmd(),
	}
	resp, p, ok := (*Config)(nil).Negotiate(offers)
	if !ok {
		t.Fatal("declined")
	}
	want := handshake.Extension{Name: "Permessage-Deflate", Params: []handshake.Param{{Name: "server_max_window_bits", Value: "9"}}}
	if diff := cmp.Diff(want, resp); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}
	if p.ServerMaxWindowBits != 9 {
		t.Errorf("params %+v", p)
	}
}

func TestOffers(t *testing.T) {
	got := (*Config)(nil).Offers()
	want := []handshake.Extension{pmd("client_max_window_bits", "")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("default offers (-want +got):\n%s", diff)
	}
	got = (&Config{NoContextTakeover: true, PeerNoContextTakeover: true, PeerMaxWindowBits: 10}).Offers()
	want = []handshake.Extension{
		pmd("client_max_window_bits", "", "client_no_context_takeover", "", "server_no_context_takeover", "",
			"server_max_window_bits", "10"),
		pmd("client_max_window_bits", "", "client_no_context_takeover", "", "server_no_context_takeover", ""),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("offers (-want +got):\n%s", diff)
	}
	// A server picks the first one.
	_, p, ok := (&Config{}).Negotiate(got)
	if want := (Params{true, true, 10, 15}); !ok || p != want {
		t.Errorf("Negotiate(offers) = %+v, %v; want %+v", p, ok, want)
	}
}

func TestAccept(t *testing.T) {
	p, ok, err := (*Config)(nil).Accept(nil)
	if ok || err != nil || p != (Params{}) {
		t.Errorf("Accept(nil) = %+v, %v, %v", p, ok, err)
	}
	p, ok, err = (*Config)(nil).Accept([]handshake.Extension{{Name: "x-other"}, pmd("server_max_window_bits", "12")})
	if want := (Params{ServerMaxWindowBits: 12, ClientMaxWindowBits: 15}); !ok || err != nil || p != want {
		t.Errorf("Accept = %+v, %v, %v; want %+v", p, ok, err, want)
	}
	bad := [][]handshake.Extension{
		{pmd(), pmd()},
		{pmd("foo", "")},
		{pmd("client_max_window_bits", "")}, // a response needs the value
		{pmd("client_max_window_bits", "16")},
		{pmd("server_max_window_bits", "7")},
		{pmd("server_max_window_bits", "")},
		{pmd("server_max_window_bits", "9", "server_max_window_bits", "9")},
		{pmd("server_no_context_takeover", "x")},
		{pmd("client_no_context_takeover", "", "client_no_context_takeover", "")},
	}
	for _, resp := range bad {
		p, ok, err := (&Config{}).Accept(resp)
		var re *ResponseError
		if !errors.As(err, &re) || ok {
			t.Errorf("Accept(%+v) = %+v, %v, %v; want a *ResponseError", resp, p, ok, err)
		} else if re.Error() == "" {
			t.Error("empty error text")
		}
	}
}
