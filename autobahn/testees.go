package main

import (
	"context"
	"net/http"

	"github.com/hybi/ws/autobahn/internal/reftestee"
)

// testeeImpl is a testee server and client pair to score.
type testeeImpl struct {
	handler func() http.Handler
	client  func(ctx context.Context, base, agent string) error
}

var testees = map[string]testeeImpl{
	"ref": {
		handler: func() http.Handler { return reftestee.Handler(reftestee.Faults{}) },
		client: func(ctx context.Context, base, agent string) error {
			return reftestee.RunClient(ctx, base, agent, reftestee.Faults{})
		},
	},
}

// defaultTestee is hybi's own testee once it is registered, else ref.
func defaultTestee() string {
	if _, ok := testees["hybi"]; ok {
		return "hybi"
	}
	return "ref"
}
