package frame

import (
	"testing"

	"github.com/hybi/ws/closecode"
)

func TestRulesCheck(t *testing.T) {
	server := Rules{Role: Server}
	client := Rules{Role: Client}
	masked := func(h Header) Header { h.Masked = true; h.Key = rfcKey; return h }
	tests := []struct {
		name  string
		rules Rules
		h     Header
		want  closecode.Code // 0: accepted
	}{
		{"server masked text", server, masked(Header{Fin: true, Opcode: OpText, Length: 5}), 0},
		{"client unmasked text", client, Header{Fin: true, Opcode: OpText, Length: 5}, 0},
		{"no role, either masking", Rules{}, Header{Fin: true, Opcode: OpText}, 0},
		{"no role, masked", Rules{}, masked(Header{Fin: true, Opcode: OpText}), 0},
		{"continuation", client, Header{Opcode: OpContinuation, Length: 1 << 40}, 0},
		{"control 125", client, Header{Fin: true, Opcode: OpPing, Length: 125}, 0},
		{"empty close", client, Header{Fin: true, Opcode: OpClose}, 0},
		{"close with code", client, Header{Fin: true, Opcode: OpClose, Length: 2}, 0},
		{"allowed RSV1", Rules{Role: Client, AllowedRsv: RSV1}, Header{Fin: true, Opcode: OpText, Rsv: RSV1}, 0},
		{"allowed all RSV", Rules{Role: Client, AllowedRsv: RSV1 | RSV2 | RSV3}, Header{Fin: true, Opcode: OpText, Rsv: RSV1 | RSV2 | RSV3}, 0},
		{"at MaxPayload", Rules{Role: Client, MaxPayload: 100}, Header{Fin: true, Opcode: OpBinary, Length: 100}, 0},

		{"server unmasked", server, Header{Fin: true, Opcode: OpText}, closecode.ProtocolError},
		{"client masked", client, masked(Header{Fin: true, Opcode: OpText}), closecode.ProtocolError},
		{"reserved opcode 0x3", client, Header{Fin: true, Opcode: 0x3}, closecode.ProtocolError},
		{"reserved opcode 0x7", client, Header{Fin: true, Opcode: 0x7}, closecode.ProtocolError},
		{"reserved opcode 0xb", client, Header{Fin: true, Opcode: 0xb}, closecode.ProtocolError},
		{"reserved opcode 0xf", client, Header{Fin: true, Opcode: 0xf}, closecode.ProtocolError},
		{"RSV1 not negotiated", client, Header{Fin: true, Opcode: OpText, Rsv: RSV1}, closecode.ProtocolError},
		{"RSV2 not negotiated", client, Header{Fin: true, Opcode: OpText, Rsv: RSV2}, closecode.ProtocolError},
		{"RSV3 not negotiated", client, Header{Fin: true, Opcode: OpText, Rsv: RSV3}, closecode.ProtocolError},
		{"RSV2 with RSV1 allowed", Rules{Role: Client, AllowedRsv: RSV1}, Header{Fin: true, Opcode: OpText, Rsv: RSV1 | RSV2}, closecode.ProtocolError},
		{"fragmented ping", client, Header{Opcode: OpPing}, closecode.ProtocolError},
		{"fragmented close", client, Header{Opcode: OpClose}, closecode.ProtocolError},
		{"fragmented pong", client, Header{Opcode: OpPong}, closecode.ProtocolError},
		{"ping 126", client, Header{Fin: true, Opcode: OpPing, Length: 126}, closecode.ProtocolError},
		{"close 126", client, Header{Fin: true, Opcode: OpClose, Length: 126}, closecode.ProtocolError},
		{"pong 65536", client, Header{Fin: true, Opcode: OpPong, Length: 65536}, closecode.ProtocolError},
		{"close 1 byte", client, Header{Fin: true, Opcode: OpClose, Length: 1}, closecode.ProtocolError},
		{"over MaxPayload", Rules{Role: Client, MaxPayload: 100}, Header{Fin: true, Opcode: OpBinary, Length: 101}, closecode.MessageTooBig},
		{"over MaxPayload masked", Rules{Role: Server, MaxPayload: 100}, masked(Header{Opcode: OpContinuation, Length: 1 << 62}), closecode.MessageTooBig},
		{"control over MaxPayload", Rules{Role: Client, MaxPayload: 10}, Header{Fin: true, Opcode: OpPing, Length: 11}, closecode.MessageTooBig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.rules.Check(tt.h)
			if tt.want == 0 {
				if err != nil {
					t.Errorf("Check(%+v) = %v, want nil", tt.h, err)
				}
				return
			}
			wantCloseError(t, err, tt.want)
		})
	}
}

func TestRoleString(t *testing.T) {
	for r, want := range map[Role]string{Server: "server", Client: "client", 0: "Role(0)", 7: "Role(7)"} {
		if got := r.String(); got != want {
			t.Errorf("Role(%d).String() = %q, want %q", uint8(r), got, want)
		}
	}
}
