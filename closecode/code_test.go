package closecode

import (
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	tests := []struct {
		code Code
		want string
	}{
		{0, "0 unassigned"},
		{999, "999 unassigned"},
		{Normal, "1000 normal closure"},
		{GoingAway, "1001 going away"},
		{ProtocolError, "1002 protocol error"},
		{UnsupportedData, "1003 unsupported data"},
		{1004, "1004 reserved"},
		{NoStatus, "1005 no status"},
		{Abnormal, "1006 abnormal closure"},
		{InvalidPayload, "1007 invalid payload data"},
		{PolicyViolation, "1008 policy violation"},
		{MessageTooBig, "1009 message too big"},
		{MandatoryExtension, "1010 mandatory extension"},
		{InternalError, "1011 internal error"},
		{ServiceRestart, "1012 service restart"},
		{TryAgainLater, "1013 try again later"},
		{BadGateway, "1014 bad gateway"},
		{TLSHandshake, "1015 TLS handshake failure"},
		{1016, "1016 unassigned"},
		{2000, "2000 unassigned"},
		{2999, "2999 unassigned"},
		{3000, "3000 registered"},
		{3999, "3999 registered"},
		{4000, "4000 private"},
		{4999, "4999 private"},
		{5000, "5000 unassigned"},
		{65535, "65535 unassigned"},
	}
	for _, tt := range tests {
		if got := tt.code.String(); got != tt.want {
			t.Errorf("Code(%d).String() = %q, want %q", uint16(tt.code), got, tt.want)
		}
	}
}

func TestValidOnWire(t *testing.T) {
	// Boundaries of every range, plus a full sweep against an independent
	// statement of the rule.
	tests := []struct {
		code Code
		want bool
	}{
		{0, false}, {1, false}, {999, false},
		{1000, true}, {1001, true}, {1002, true}, {1003, true},
		{1004, false}, {1005, false}, {1006, false},
		{1007, true}, {1010, true}, {1014, true},
		{1015, false}, {1016, false}, {2000, false}, {2999, false},
		{3000, true}, {3999, true}, {4000, true}, {4999, true},
		{5000, false}, {5100, false}, {65535, false},
	}
	for _, tt := range tests {
		if got := tt.code.ValidOnWire(); got != tt.want {
			t.Errorf("Code(%d).ValidOnWire() = %v, want %v", uint16(tt.code), got, tt.want)
		}
	}
	valid := map[Code]bool{1000: true, 1001: true, 1002: true, 1003: true,
		1007: true, 1008: true, 1009: true, 1010: true, 1011: true, 1012: true, 1013: true, 1014: true}
	for c := 0; c <= 5100; c++ {
		code := Code(c)
		want := valid[code] || (c >= 3000 && c <= 4999)
		if got := code.ValidOnWire(); got != want {
			t.Errorf("Code(%d).ValidOnWire() = %v, want %v", c, got, want)
		}
	}
}

func TestErrorString(t *testing.T) {
	e := &Error{Code: ProtocolError, Reason: "bad thing"}
	if got, want := e.Error(), "closecode: 1002 protocol error: bad thing"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e = &Error{Code: MessageTooBig}
	if got := e.Error(); !strings.Contains(got, "1009 message too big") {
		t.Errorf("Error() = %q, want it to mention the code", got)
	}
}
