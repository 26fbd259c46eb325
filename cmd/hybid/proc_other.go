//go:build !unix

package main

import "os/exec"

// ownGroup does nothing where there are no process groups.
func ownGroup(cmd *exec.Cmd) {}

// signalGroup kills the program itself: without SIGTERM, the grace period
// is skipped.
func signalGroup(cmd *exec.Cmd, kill bool) {
	cmd.Process.Kill()
}
