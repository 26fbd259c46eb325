// Command autobahn runs hybi's own Go implementation of the
// Autobahn|Testsuite case catalogue (categories 1 to 10 and the
// permessage-deflate categories 12 and 13, 517 cases; see package
// github.com/hybi/ws/autobahn/suite).
//
// Without flags it scores hybi itself, in one process on loopback: the
// fuzzing client runs every case against hybi's echo testee server, and the
// fuzzing server runs every case for hybi's testee client. It says where the
// report goes, prints a line per case under a header naming the columns (the
// count over both roles, the case, its behavior and close behavior verdicts,
// its duration and the testee), then a summary per category, writes
// index.json, one JSON file per case and a self-contained index.html, says
// where again, and exits with status 1 if any case FAILED.
//
// The compression categories 12 and 13 take most of the time: their 216
// cases send 1000 messages each, one round trip at a time, about 11 GB each
// way per role, and nearly all of their CPU time is compress/flate's
// compressing and inflating every message on both ends (the rest: copies,
// system calls, scheduling). Their verdicts do not depend on timing (each
// message is checked, and the case timeouts are minutes), so they run on
// -parallel workers at once (GOMAXPROCS+1 by default), the cases of both roles
// together, after the other cases ran one at a time as Autobahn runs them.
// -parallel 1 runs everything in order; -exclude '12.*,13.*' leaves them out.
//
//	go run ./autobahn                       # both roles, all cases
//	go run ./autobahn -cases '1.*,6.4.*'    # a subset (Autobahn's case patterns)
//	go run ./autobahn -role server -out /tmp/ab
//	go run ./autobahn -server ws://127.0.0.1:9010   # score another server
//	go run ./autobahn -listen 127.0.0.1:9001        # be the fuzzing server for other clients
//	go run ./autobahn -check reports/servers/index.json
//
// Flags:
//
//	-cases p1,p2   case patterns ("*", "1.*", "6.4.1"); default all
//	-exclude p     case patterns to leave out
//	-out dir       report directory; default a new temporary directory
//	-role r        which of hybi's testees to score: server, client or both
//	-server url    run the fuzzing client against the server at url instead
//	-agent name    report name for -server (default: its Server header)
//	-listen addr   serve the fuzzing endpoints (/getCaseCount, /runCase,
//	               /updateReports, ...) until interrupted; reports are written
//	               on /updateReports and at exit
//	-check file    read an index.json of the real Autobahn|Testsuite and fail
//	               on any case whose behaviour or close behaviour is not OK
//	               (INFORMATIONAL passes), listing case and both verdicts
//	-echo addr     serve the testee echo server until interrupted, for the
//	               real Autobahn's fuzzing client
//	-fuzzingserver url
//	               run the testee client against the fuzzing server at url
//	               (with -agent as its name), for example the real Autobahn
//	-testee t      hybi (default) or ref, the raw reference testee
//	-timeout-scale f
//	               stretch the fallback timeouts that only end cases of a
//	               misbehaving or stalled testee (default 1: Autobahn's)
//	-parallel n    compression cases run at once when scoring hybi's own
//	               testees (default GOMAXPROCS+1; 1: one after the other)
//	-q             no per-case progress
//
// # The real Autobahn|Testsuite
//
// Where a Docker engine is available, the original suite can score hybi
// too, with the configuration files in autobahn/config. To score hybi's
// server:
//
//	go run ./autobahn -echo 127.0.0.1:9001 &
//	docker run -it --rm --net=host \
//	    -v "$PWD/autobahn/config:/config" -v "$PWD/reports:/reports" \
//	    crossbario/autobahn-testsuite \
//	    wstest -m fuzzingclient -s /config/fuzzingclient.json
//	go run ./autobahn -check reports/servers/index.json
//
// To score hybi's client:
//
//	docker run -it --rm --net=host \
//	    -v "$PWD/autobahn/config:/config" -v "$PWD/reports:/reports" \
//	    crossbario/autobahn-testsuite \
//	    wstest -m fuzzingserver -s /config/fuzzingserver.json &
//	go run ./autobahn -fuzzingserver ws://127.0.0.1:9001 -agent hybi
//	go run ./autobahn -check reports/clients/index.json
package main
