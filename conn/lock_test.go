//go:build !js

package conn

import (
	"sync"
	"testing"
	"time"
)

// TestGateExclusion has goroutines take the gate, some of them giving up
// on the way, and checks that no two ever hold it together and that no
// waiter is left asleep while the gate is free.
func TestGateExclusion(t *testing.T) {
	var g gate
	var held int32
	var wg sync.WaitGroup
	stop := make(chan struct{})
	deadline := time.After(10 * time.Second)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for n := 0; n < 2000; n++ {
				var quit chan struct{}
				if i%2 == 1 && n%3 == 0 {
					// A waiter that gives up at once or soon.
					quit = make(chan struct{})
					if n%2 == 0 {
						close(quit)
					} else {
						go close(quit)
					}
				}
				if !g.lock(quit, stop) {
					continue
				}
				held++
				if held != 1 {
					t.Errorf("gate held %d times at once", held)
				}
				held--
				g.unlock()
			}
		}(i)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-deadline:
		close(stop)
		t.Fatal("waiters left asleep while the gate was free")
	}
	if !g.tryLock() {
		t.Fatal("gate not free after every holder left")
	}
	g.unlock()
	if s := g.state.Load(); s != 0 {
		t.Fatalf("state %d after every waiter left, want 0", s)
	}
}

// TestGateGiveUp checks that a wait ends when its channel or its timer
// fires, and that the gate is taken once its holder lets go.
func TestGateGiveUp(t *testing.T) {
	var g gate
	if !g.tryLock() || g.tryLock() {
		t.Fatal("tryLock did not take a free gate once")
	}
	quit := make(chan struct{})
	close(quit)
	if g.lock(nil, quit) {
		t.Fatal("lock of a held gate returned true after its channel closed")
	}
	if g.lockTimeout(nil, time.After(10*time.Millisecond)) {
		t.Fatal("lockTimeout of a held gate returned true after its timer")
	}
	got := make(chan bool)
	go func() { got <- g.lock(nil, nil) }()
	time.Sleep(10 * time.Millisecond)
	g.unlock()
	select {
	case ok := <-got:
		if !ok {
			t.Fatal("waiter did not take the released gate")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("waiter never woke after unlock")
	}
	g.unlock()
	if s := g.state.Load(); s != 0 {
		t.Fatalf("state %d at the end, want 0", s)
	}
}
