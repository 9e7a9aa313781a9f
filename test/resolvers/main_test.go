package resolvers

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// discodBin is the binary under test, built once by TestMain.
var discodBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "discod-resolvers-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// The iptables test runs the agent as an unprivileged user, which
	// must be able to reach the binary.
	if err := os.Chmod(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	discodBin = filepath.Join(dir, "discod")
	build := exec.Command("go", "build", "-o", discodBin, "../../cmd/discod")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building discod:", err)
		os.Exit(1)
	}
	code := m.Run()
	stopShared()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}
