package reftestee

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/handshake"
)

// Handler returns an echo server with the given faults.
func Handler(f Faults) http.Handler {
	u := &handshake.Upgrader{InsecureSkipOriginCheck: true, Header: http.Header{"Server": {"reftestee"}}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hs, err := u.Upgrade(w, r)
		if err != nil {
			return
		}
		newPeer(hs.Conn, hs.Buffered, false, f).loop(nil)
	})
}

// RunClient drives a fuzzing server at base (ws://host:port) as a testee
// client with the given faults: it asks for the case count, runs every case
// echoing messages, then asks the server to update its reports.
func RunClient(ctx context.Context, base, agent string, f Faults) error {
	base = strings.TrimSuffix(base, "/")
	count := -1
	err := dialLoop(ctx, base+"/getCaseCount", f, func(op frame.Opcode, msg []byte) error {
		n, err := strconv.Atoi(string(msg))
		count = n
		return err
	})
	if err == nil && count < 0 {
		err = errors.New("no case count received")
	}
	if err != nil {
		return fmt.Errorf("reftestee: getCaseCount: %w", err)
	}
	a := url.QueryEscape(agent)
	var errs []error
	for i := 1; i <= count; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := dialLoop(ctx, fmt.Sprintf("%s/runCase?case=%d&agent=%s", base, i, a), f, nil); err != nil {
			errs = append(errs, fmt.Errorf("case %d: %w", i, err))
		}
	}
	errs = append(errs, dialLoop(ctx, base+"/updateReports?agent="+a, f, func(frame.Opcode, []byte) error { return nil }))
	return errors.Join(errs...)
}

func dialLoop(ctx context.Context, u string, f Faults, onMessage func(frame.Opcode, []byte) error) error {
	d := &handshake.Dialer{}
	hs, err := d.Dial(ctx, u)
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { hs.Conn.Close() })
	defer stop()
	// How the connection ended is for the fuzzing server to judge.
	newPeer(hs.Conn, hs.Buffered, true, f).loop(onMessage)
	return nil
}
