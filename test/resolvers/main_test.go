package resolvers

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/discod/discod/internal/testproc"
)

// discodBin is the binary under test, built once by TestMain.
var discodBin string

func TestMain(m *testing.M) {
	// The iptables test runs the agent as an unprivileged user, which can
	// reach the binary: BuildDiscod makes its directory world-readable.
	bin, err := testproc.BuildDiscod("../../cmd/discod")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	discodBin = bin
	release, err := testproc.Serialize()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	release()
	stopShared()
	_ = os.RemoveAll(filepath.Dir(bin))
	os.Exit(code)
}
