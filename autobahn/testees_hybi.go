package main

import (
	"net/http"

	"github.com/hybi/ws/autobahn/testee"
)

func init() {
	testees["hybi"] = testeeImpl{handler: testee.Handler, client: testee.RunClient}
}

func init() {
	// The event-driven server; its client role is hybi's client.
	testees["evented"] = testeeImpl{handler: func() http.Handler { return testee.Evented() }, client: testee.RunClient}
}
