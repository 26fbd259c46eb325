package main

import "github.com/hybi/ws/autobahn/testee"

func init() {
	testees["hybi"] = testeeImpl{handler: testee.Handler, client: testee.RunClient}
}
