//go:build unix

package deflate

import "syscall"

// cpuTime returns the CPU time (user and system) the process used so far, in
// nanoseconds, which a busy machine distorts less than wall time.
func cpuTime() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
