// Package suite is hybi's own Go implementation of the Autobahn|Testsuite
// WebSocket case catalogue (categories 1 to 10 and the permessage-deflate
// categories 12 and 13, 517 cases) together with the fuzzing engine that
// runs it.
//
// The engine plays either role of Autobahn's "wstest" tool:
//
//   - as fuzzing client (Client) it dials a WebSocket server once per case,
//     sends the case's raw frames and judges the echo and the closing
//     behaviour;
//   - as fuzzing server (Server, an http.Handler) it serves the endpoints a
//     testee client written for the real Autobahn expects: /getCaseCount,
//     /runCase?case=N&agent=A, /getCaseInfo?case=N, /getCaseStatus?case=N&agent=A
//     and /updateReports?agent=A.
//
// Cases send the same frames, with the same fragmentation, chopping and
// delays as Autobahn, and are judged the same way: the events received from
// the testee (messages and pongs, plus timeout markers) are compared with the
// expected event lists (OK, NON-STRICT), and the closing handshake is judged
// on who closed, whether the close was clean and which code the peer sent
// (OK, WRONG CODE, UNCLEAN, FAILED BY CLIENT, FAILED).
//
// The catalogue is built from small per-category files (cases1.go to
// cases12.go); each case is a caseDef whose open function sends frames and
// sets the expected events and close behaviour, with optional message
// handling and verdict adjustments.
//
// # Compression
//
// Categories 12 (90 cases: five kinds of data) and 13 (126 cases: seven
// parameter negotiations) send 1000 messages each, one at a time, and
// require every echo to match. Their cases carry permessage-deflate offers
// for the fuzzing client's opening handshake and an accept function with
// which the fuzzing server answers a testee client's offers, both modelled
// on Autobahn's: offers parsed and answered with the same parameters, the
// same quirks and the same 9..15 bit window range. Once negotiated, the
// engine compresses every message it sends (RSV1 on the first frame; the
// case's auto-fragmentation cuts the compressed payload) and inflates
// every compressed message it receives, honouring the negotiated context
// takeover and window parameters through package deflate. A case whose
// negotiation fails is UNIMPLEMENTED. The payloads come from generated
// look-alikes of Autobahn's data files, of the same kind and size.
// The fuzzer compresses at flate.BestSpeed where Autobahn's zlib uses
// level 6; both are valid DEFLATE for the testee.
//
// A Report collects Results per agent and case and writes index.json in
// Autobahn's shape, one JSON file per case and a self-contained index.html.
// CheckIndex reads an index.json written by the real Autobahn|Testsuite.
package suite
