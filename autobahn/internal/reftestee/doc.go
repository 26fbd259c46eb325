// Package reftestee is a small raw WebSocket echo peer built directly on
// hybi's frame and handshake packages, with switches for deliberate protocol
// faults. It serves as a reference testee for the Autobahn case engine: with
// no faults it passes the catalogue, and with a fault switched on the
// matching cases must come out FAILED or NON-STRICT.
package reftestee
