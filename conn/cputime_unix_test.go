//go:build unix && !js

package conn

import "syscall"

// cpuTime returns the user and system CPU time of the process so far, in
// nanoseconds: the cost of a benchmark on a machine busy with other work.
func cpuTime() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
