package corefile

import (
	"fmt"
	"os"

	"github.com/coredns/caddy"
)

func init() {
	caddy.RegisterCaddyfileLoader("discod", caddy.LoaderFunc(loadRunning))
	caddy.RegisterEventHook("discod-corefile", follow)
}

// loadRunning is discod's Caddyfile loader. caddy.LoadCaddyfile asks every
// registered loader, and CoreDNS's reload plugin calls it every interval
// to see whether the Corefile changed. Without this loader it would get
// coremain's answer (linked in through the prometheus plugin): the -conf
// flag, which discod never sets, or ./Corefile in the working directory,
// which is not what discod runs.
//
// While a Server runs, the loader returns its Corefile: re-read from disk
// when its name is a regular file, so that the reload plugin sees edits
// to a user's Corefile, and the running text otherwise (a rendered
// Corefile, started as DefaultName). With no Server running it returns
// nothing and caddy falls back to its other loaders.
func loadRunning(st string) (caddy.Input, error) {
	if st != serverType {
		return nil, nil
	}
	running.mu.Lock()
	s := running.srv
	running.mu.Unlock()
	if s == nil {
		return nil, nil
	}
	s.mu.Lock()
	inst := s.inst
	s.mu.Unlock()
	if inst == nil || inst.Caddyfile() == nil {
		return nil, nil // still starting
	}
	path, contents := inst.Caddyfile().Path(), inst.Caddyfile().Body()
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
		b, err := Load(path)
		if err != nil {
			return nil, err
		}
		contents = b
	}
	return input(path, contents), nil
}

// Load reads a user's Corefile. The error names the file.
func Load(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		// os errors already carry the path: "open /etc/x: no such file".
		return nil, fmt.Errorf("read Corefile: %w", err)
	}
	return b, nil
}
