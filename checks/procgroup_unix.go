//go:build unix

package checks

import (
	"os/exec"
	"syscall"
)

// killProcessGroup makes cmd the leader of a new process group and its
// cancellation kill the whole group, so a script's children die with it.
func killProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
