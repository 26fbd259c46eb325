package bench

import (
	"syscall"
	"time"
)

// CPUTime returns the user plus system CPU time the process has used so
// far, from getrusage(RUSAGE_SELF). Benchmarks report its delta per
// operation as "cpu-ns/op" beside the wall time: on a loopback benchmark the
// wall time hides how much of both cores the client and server burned.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
