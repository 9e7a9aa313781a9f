package test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// helpCommands are the commands docs/cli.md documents, in its order.
var helpCommands = []string{"agent", "members", "join", "leave", "force-leave", "maint", "keygen", "keyring",
	"corefile", "reload", "monitor", "info", "validate", "watch",
	"services", "services register", "services deregister", "catalog", "catalog services", "catalog nodes"}

const cliDocHeader = "# discod command reference\n\n" +
	"Every command's `-h` text, exactly as the binary prints it (a test,\n" +
	"`TestHelpMatchesDocs` in `test/`, keeps this page and the binary in step;\n" +
	"`DISCOD_UPDATE_DOCS=1 go test -run TestHelpMatchesDocs ./test/` rewrites it).\n" +
	"Client commands talk to the local agent's HTTP API; see the README for the\n" +
	"environment variables `DISCOD_HTTP_ADDR` and `DISCOD_HTTP_TOKEN`.\n\n"

// TestHelpMatchesDocs: docs/cli.md holds every command's -h text verbatim.
func TestHelpMatchesDocs(t *testing.T) {
	var doc strings.Builder
	doc.WriteString(cliDocHeader)
	for _, c := range helpCommands {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		out, _ := exec.CommandContext(ctx, discodBin, append(strings.Fields(c), "-h")...).CombinedOutput()
		cancel()
		if !strings.Contains(string(out), "Usage: discod "+c) {
			t.Errorf("discod %s -h does not start with its usage line:\n%s", c, out)
		}
		doc.WriteString("## discod " + c + "\n\n```text\n" + string(out) + "```\n\n")
	}
	want := doc.String()
	if os.Getenv("DISCOD_UPDATE_DOCS") == "1" {
		if err := os.WriteFile("../docs/cli.md", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile("../docs/cli.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("docs/cli.md is out of date with the binary's -h texts; run DISCOD_UPDATE_DOCS=1 go test -run TestHelpMatchesDocs ./test/")
	}
}
