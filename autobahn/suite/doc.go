// Package suite is hybi's own Go implementation of the Autobahn|Testsuite
// WebSocket case catalogue (categories 1 to 10, 301 cases) together with the
// fuzzing engine that runs it.
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
// cases10.go); each case is a caseDef whose open function sends frames and
// sets the expected events and close behaviour, with optional message
// handling and verdict adjustments. The compression categories 12 and 13
// will add cases the same way, plus extension offers in the opening
// handshake and per-message (de)compression in the engine's send and
// receive paths.
//
// A Report collects Results per agent and case and writes index.json in
// Autobahn's shape, one JSON file per case and a self-contained index.html.
// CheckIndex reads an index.json written by the real Autobahn|Testsuite.
package suite
