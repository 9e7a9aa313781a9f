package corefile

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/coredns/caddy/caddyfile"
)

// Validate checks a Corefile without starting it: the syntax, and that
// every directive is one discod's build has. Errors carry the file and
// line. What only a start can check (addresses free, plugin options that
// need the agent) is left to Start.
func Validate(path string, contents []byte) error {
	if len(bytes.TrimSpace(contents)) == 0 {
		return fmt.Errorf("%s: the Corefile is empty", path)
	}
	blocks, err := caddyfile.Parse(path, bytes.NewReader(contents), Directives())
	if err != nil {
		return err
	}
	if len(blocks) == 0 {
		return errors.New(path + ": no server blocks")
	}
	return nil
}
