//go:build !js

package conn

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/frame"
)

// A client's Close against a server that answers the close frame but keeps
// TCP open is clean in every interleaving of Close's own timer with the
// reader's wait for the TCP close: the report follows what reached the wire
// (issue 12, defect 8: 1 run in 9 reported 1006 ErrCloseTimeout).
func TestCloseCleanWhenServerKeepsTCPOpen(t *testing.T) {
	checkGoroutines(t)
	const runs = 40
	var wg sync.WaitGroup
	for i := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			withReader := i%2 == 0
			c, p := rawPair(t, frame.Client, timeoutOpts())
			var readErr chan error
			if withReader {
				readErr = make(chan error, 1)
				go func() {
					_, _, err := c.Read(context.Background(), nil)
					readErr <- err
				}()
				time.Sleep(time.Duration(i) * time.Millisecond) // let it block, or not yet
			}
			answered := make(chan struct{})
			go func() {
				defer close(answered)
				h, payload, err := p.recv()
				if err != nil || h.Opcode != frame.OpClose {
					t.Errorf("server: %v %v", h.Opcode, err)
					return
				}
				code, _, _ := closecode.Parse(payload)
				reply, _ := closecode.Append(nil, code, "")
				p.send(true, 0, frame.OpClose, reply)
				// and TCP stays open until the test ends
			}()
			err := c.Close(closecode.Normal, "bye")
			<-answered
			if err != nil {
				t.Errorf("run %d (reader %v): Close: %v", i, withReader, err)
			}
			if withReader {
				select {
				case err := <-readErr:
					if ce := asCloseError(err); ce == nil || !ce.Clean || ce.Code != closecode.Normal {
						t.Errorf("run %d: Read: %v", i, err)
					}
				case <-time.After(5 * time.Second):
					t.Errorf("run %d: Read did not return", i)
				}
			}
			_, _, err = c.Read(context.Background(), nil)
			if ce := asCloseError(err); ce == nil || !ce.Clean || ce.Code != closecode.Normal {
				t.Errorf("run %d (reader %v): the end is reported as %v", i, withReader, err)
			}
		}()
	}
	wg.Wait()
}

func asCloseError(err error) *CloseError {
	ce, _ := err.(*CloseError)
	return ce
}
