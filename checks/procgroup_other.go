//go:build !unix

package checks

import "os/exec"

// killProcessGroup leaves cmd's cancellation at killing the process: there
// are no process groups here.
func killProcessGroup(*exec.Cmd) {}
