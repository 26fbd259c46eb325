package suite

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
)

// Progress numbers the cases of several runs together (both roles, cases
// run concurrently) in one display: a header naming the columns, then one
// line per case as it ends. Give it as Client.Progress or Server.Progress;
// it is safe for concurrent use.
type Progress struct {
	mu    sync.Mutex
	w     io.Writer
	done  int
	total int
	width int
}

// NewProgress returns a Progress writing to w for total cases, and writes
// the header.
func NewProgress(w io.Writer, total int) *Progress {
	p := &Progress{w: w, total: total, width: len(strconv.Itoa(total))}
	counter := len(fmt.Sprintf("[%*d/%d]", p.width, total, total))
	fmt.Fprintf(w, "%-*s %-8s %-10s %-13s %8s  %s\n", counter, "#", "case", "behavior", "close", "time", "testee")
	return p
}

// Write writes b to the underlying writer, between the case lines.
func (p *Progress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.w.Write(b)
}

func (p *Progress) add(r *Result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	fmt.Fprintf(p.w, "[%*d/%d] %s\n", p.width, p.done, p.total, caseLine(r))
}

// caseLine is a case's progress line after the counter.
func caseLine(r *Result) string {
	return strings.TrimRight(fmt.Sprintf("%-8s %-10s %-13s %5d ms  %s", r.ID, r.Behavior, r.BehaviorClose, r.Duration, r.Agent), " ")
}
