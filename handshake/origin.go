package handshake

import (
	"net/http"
	"path"
	"strings"
)

// checkOrigin applies the origin policy to the request's Origin header
// (check has refused more than one). host is the request's Host header;
// absolute tells that the request target is in absolute form, where host
// is not the Host header on the net/http path, so only OriginPatterns can
// admit the Origin.
func (u *Upgrader) checkOrigin(h http.Header, host string, absolute bool) *rejection {
	if u.InsecureSkipOriginCheck {
		return nil
	}
	values := h["Origin"]
	if len(values) == 0 {
		return nil // not a browser
	}
	origin := values[0]
	ohost, full := originHost(origin)
	if !absolute && ohost != "null" && ohost != "" && strings.EqualFold(ohost, host) {
		return nil
	}
	if ohost != "" {
		for _, pat := range u.OriginPatterns {
			target := ohost
			if strings.Contains(pat, "://") {
				target = full
			}
			ok, err := path.Match(strings.ToLower(pat), strings.ToLower(target))
			if err != nil {
				return reject(http.StatusInternalServerError, err, "bad origin pattern")
			}
			if ok {
				return nil
			}
		}
	}
	return reject(http.StatusForbidden, ErrOriginNotAllowed, "origin not allowed")
}

// originHost returns the host[:port] of an Origin value and the origin cut
// to "scheme://host[:port]". The opaque origin "null" gives "null", "null".
// A malformed origin gives "", "".
func originHost(origin string) (host, full string) {
	if origin == "null" {
		return "null", "null"
	}
	i := strings.Index(origin, "://")
	if i <= 0 {
		return "", ""
	}
	rest := origin[i+3:]
	end := len(rest)
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		end = j
	}
	host = rest[:end]
	if host == "" || strings.ContainsAny(host, "@ \t") {
		return "", ""
	}
	return host, origin[:i+3+end]
}
