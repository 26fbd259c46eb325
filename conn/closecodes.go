package conn

import "github.com/hybi/ws/closecode"

// The close codes applications send most, so that closing a connection
// needs no other import: c.Close(conn.CloseNormal, ""). closecode has them
// all.
const (
	CloseNormal          = closecode.Normal          // 1000: done, nothing went wrong
	CloseGoingAway       = closecode.GoingAway       // 1001: the server shuts down, the page is left
	ClosePolicyViolation = closecode.PolicyViolation // 1008: refused by the application (auth, rules)
	CloseInternalError   = closecode.InternalError   // 1011: the application failed
)
