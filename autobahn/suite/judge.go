package suite

import (
	"fmt"
	"strings"
)

// judge sets the verdicts once the connection is gone, as Autobahn's
// Case.onConnectionLost does, then applies the case's own adjustments.
func (r *run) judge() {
	for _, e := range r.expected {
		if eventsEqual(r.received, e.Events) {
			r.behavior = e.Behavior
			r.result = "The observed events match an expected list."
			break
		}
	}
	ec := r.expClose
	switch {
	case ec.ClosedByMe != r.closedByMe:
		r.behaviorClose = Failed
		r.resultClose = "The wrong endpoint started the closing handshake."
	case ec.RequireClean && !r.wasClean:
		r.behaviorClose = Unclean
		r.resultClose = "The closing handshake should have completed cleanly here."
	case r.remoteCloseCode != noCode && !containsInt(ec.CloseCode, r.remoteCloseCode):
		r.behaviorClose = WrongCode
		r.resultClose = "The peer's close code should be one of " + joinInts(ec.CloseCode) + ", or absent."
	case !r.isServer && r.droppedByMe:
		r.behaviorClose = FailedByClient
		r.resultClose = "The server should have closed the TCP connection; the client had to."
	default:
		r.behaviorClose = OK
		r.resultClose = "The connection closed properly."
	}
	if ec.WrongEndpointFatal && ec.ClosedByMe != r.closedByMe {
		r.behavior = Failed
	}
	if r.c.finish != nil {
		r.c.finish(r)
	}
}

// wrongCodeFails is the adjustment of the close handling cases: a wrong
// close code fails the case.
func wrongCodeFails(r *run) {
	if r.behaviorClose == WrongCode {
		r.behavior = Failed
		r.result = r.resultClose
	}
}

// informational marks a case whose outcome the spec leaves open.
func informational(result string) func(r *run) {
	return func(r *run) {
		r.behavior = Informational
		r.behaviorClose = Informational
		if result != "" {
			r.result = result
		}
	}
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func joinInts(s []int) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = fmt.Sprint(v)
	}
	return strings.Join(parts, ",")
}

// Verdict folds a result's two verdicts into one line of the summary:
// FAILED when the behaviour failed or the close was unclean or failed,
// NON-STRICT for non-strict behaviour, a wrong close code or a client-side
// TCP drop, else the behaviour (OK, INFORMATIONAL, UNIMPLEMENTED).
func Verdict(behavior, behaviorClose Behavior) Behavior {
	switch {
	case behavior == Unimplemented:
		return Unimplemented
	case behavior != OK && behavior != NonStrict && behavior != Informational:
		return Failed
	case behaviorClose == Failed || behaviorClose == Unclean:
		return Failed
	case behavior == NonStrict || behaviorClose == WrongCode || behaviorClose == FailedByClient:
		return NonStrict
	case behaviorClose != OK && behaviorClose != Informational:
		return Failed
	}
	return behavior
}
