package suite

import (
	"fmt"
	"time"

	"github.com/hybi/ws/closecode"
)

// scaled stretches a fallback timeout by the run's timeout scale.
func (r *run) scaled(d time.Duration) time.Duration {
	if r.scale > 1 {
		return time.Duration(float64(d) * r.scale)
	}
	return d
}

// after runs fn on the case loop after d, unless the case has ended.
func (r *run) after(d time.Duration, fn func()) *time.Timer {
	t := time.AfterFunc(d, func() {
		select {
		case r.tasks <- fn:
		case <-r.done:
		}
	})
	r.mu.Lock()
	r.tmrs = append(r.tmrs, t)
	r.mu.Unlock()
	return t
}

// killAfter fails the connection after d (Autobahn's killAfter).
func (r *run) killAfter(s float64) {
	r.logf("FAIL CONNECTION AFTER %f sec", s)
	r.after(r.scaled(sec(s)), func() {
		if r.state != stateClosed {
			r.logf("FAILING CONNECTION")
			r.failConnection(int(closecode.GoingAway), "Going Away")
		}
	})
}

// closeAfter starts the closing handshake after d (Autobahn's closeAfter).
func (r *run) closeAfter(s float64) {
	r.logf("CLOSE CONNECTION AFTER %f sec", s)
	r.after(r.scaled(sec(s)), func() {
		if r.state != stateClosed {
			r.logf("CLOSING CONNECTION")
			r.sendClose(noCode, "")
		}
	})
}

// continueLater runs fn after d unless the connection is gone.
func (r *run) continueLater(s float64, tag string, fn func()) {
	r.logf("DELAY %f sec for TAG %s", s, tag)
	r.after(sec(s), func() {
		if r.state != stateClosed {
			r.logf("DELAY TIMEOUT on TAG %s", tag)
			fn()
		}
	})
}

func (r *run) enableWirelog(on bool) {
	if on != r.wirelogOn {
		r.wirelogOn = on
		if on {
			r.logf("WIRELOG ENABLED")
		} else {
			r.logf("WIRELOG DISABLED")
		}
	}
}

func (r *run) logf(format string, args ...any) {
	if len(r.wirelog) >= maxWirelog {
		r.wirelogDropped++
		return
	}
	r.wirelog = append(r.wirelog, fmt.Sprintf(format, args...))
}

func payloadLine(p []byte) string {
	if len(p) == 0 {
		return ""
	}
	return "\n    " + logData(p, 64)
}
