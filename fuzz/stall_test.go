package fuzz

import (
	"fmt"
	"sync/atomic"
	"time"
)

// stallTick is the period at which a stallWatch samples the progress count.
const stallTick = 10 * time.Millisecond

// stallTicks is the number of ticks in a row without progress that make a
// stall when the conn has no timer of its own to wait for: 300 ms of ticks
// that did run. Counting ticks rather than wall time keeps a pause of the
// whole process (a loaded machine) from passing for a stall: a ticker drops
// the ticks it could not deliver.
const stallTicks = 30

// A stallWatch detects that a conn stopped making progress (reading or
// writing bytes on its network connection, or returning payload to the
// application) while it still had to: a hang, or a spin in which a Read
// never returns and does no I/O. It samples a progress count every
// stallTick, and closes stalled once the count has not moved for the given
// number of ticks, with the process's CPU time over that span in why.
type stallWatch struct {
	n       atomic.Int64
	stalled chan struct{} // closed at a stall, after why is set
	why     string
	stop    chan struct{}
	done    chan struct{}
}

// watchStall starts a stallWatch that reports a stall after ticks ticks
// without progress.
func watchStall(ticks int) *stallWatch {
	w := &stallWatch{stalled: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	go w.run(ticks)
	return w
}

// progress records that the conn moved.
func (w *stallWatch) progress() { w.n.Add(1) }

// Stop ends the watch and waits for its goroutine. It may be called more
// than once.
func (w *stallWatch) Stop() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
}

func (w *stallWatch) run(ticks int) {
	defer close(w.done)
	tk := time.NewTicker(stallTick)
	defer tk.Stop()
	last, idle := w.n.Load(), 0
	since, cpu0 := time.Now(), cpuTime()
	for {
		select {
		case <-w.stop:
			return
		case <-tk.C:
		}
		if n := w.n.Load(); n != last {
			last, idle = n, 0
			since, cpu0 = time.Now(), cpuTime()
			continue
		}
		if idle++; idle < ticks {
			continue
		}
		wall := time.Since(since)
		cpu := time.Duration(cpuTime() - cpu0)
		kind := "blocked"
		if cpuTime() != 0 && cpu > wall/4 {
			kind = "spinning"
		}
		w.why = fmt.Sprintf("no progress for %v (%d ticks), %v of CPU used meanwhile: %s",
			wall.Round(time.Millisecond), idle, cpu.Round(time.Millisecond), kind)
		close(w.stalled)
		return
	}
}
