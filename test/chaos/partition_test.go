package chaos

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// partitionChain is this package's own iptables chain (test/faults_test.go
// uses another), jumped to from INPUT while a partition lasts.
const partitionChain = "DISCOD-CHAOS"

// partitionsAvailable reports whether iptables can be used (root and the
// binary), and why not.
func partitionsAvailable() (bool, string) {
	if _, err := exec.LookPath("iptables"); err != nil {
		return false, "iptables is not installed (apt-get install iptables)"
	}
	if os.Geteuid() != 0 {
		return false, "iptables needs root"
	}
	return true, ""
}

func iptables(args ...string) error {
	if out, err := exec.Command("iptables", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("iptables %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

// partition drops every packet between an address of a and one of b, both
// ways.
func partition(a, b []string) error {
	healPartition()
	if err := iptables("-N", partitionChain); err != nil {
		return err
	}
	for _, x := range a {
		for _, y := range b {
			if err := iptables("-A", partitionChain, "-s", x, "-d", y, "-j", "DROP"); err != nil {
				return err
			}
			if err := iptables("-A", partitionChain, "-s", y, "-d", x, "-j", "DROP"); err != nil {
				return err
			}
		}
	}
	return iptables("-I", "INPUT", "-j", partitionChain)
}

// healPartition removes the rules; it is safe to call when there are none.
func healPartition() {
	_ = exec.Command("iptables", "-D", "INPUT", "-j", partitionChain).Run()
	_ = exec.Command("iptables", "-F", partitionChain).Run()
	_ = exec.Command("iptables", "-X", partitionChain).Run()
}
