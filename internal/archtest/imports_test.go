// Package archtest keeps docs/ARCHITECTURE.md true: dependencies point one
// way, down, from cmd/discod to the catalog store.
package archtest

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/discod/discod/"

// forbidden lists, for each package (or package prefix ending in "/"), the
// imports (module-relative prefixes, or full paths of other modules) it
// must not have, directly or indirectly.
var forbidden = map[string][]string{
	"catalog":    {module, "github.com/"},
	"dnsrules":   {module, "github.com/"},
	"servicedef": {module + "membership", module + "plugin", module + "httpapi", module + "corefile", module + "config", module + "cmd", "github.com/coredns", "github.com/miekg", "github.com/hashicorp/memberlist"},
	"membership": {module + "plugin", module + "corefile", module + "httpapi", module + "config", module + "cmd", module + "local", module + "checks", "github.com/coredns"},
	"local":      {module + "membership", module + "plugin", module + "corefile", module + "httpapi", module + "cmd", "github.com/coredns", "github.com/miekg", "github.com/hashicorp/memberlist"},
	"checks":     {module + "membership", module + "plugin", module + "corefile", module + "httpapi", module + "cmd", module + "local", "github.com/coredns", "github.com/hashicorp/memberlist"},
	"plugin/":    {module + "corefile", module + "httpapi", module + "config", module + "cmd", module + "local", module + "checks"},
	"corefile":   {module + "httpapi", module + "config", module + "cmd"},
	"httpapi":    {module + "plugin", module + "corefile", module + "cmd", "github.com/coredns"},
	"config":     {module + "plugin", module + "corefile", module + "httpapi", module + "cmd", "github.com/coredns"},
	"internal/":  {module + "plugin", module + "corefile", module + "httpapi", module + "cmd"},
}

type pkg struct {
	ImportPath string
	Deps       []string
	Standard   bool
}

func TestImportDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-json=ImportPath,Deps", module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	seen := 0
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		rel := strings.TrimPrefix(p.ImportPath, module)
		if strings.HasPrefix(rel, "bench") || strings.HasPrefix(rel, "test") || rel == "internal/archtest" {
			continue // the kit and the black-box tests may use anything
		}
		for owner, bad := range forbidden {
			if !(rel == owner || strings.HasSuffix(owner, "/") && strings.HasPrefix(rel, owner)) {
				continue
			}
			seen++
			for _, dep := range p.Deps {
				for _, b := range bad {
					if strings.HasPrefix(dep, b) && !(owner == "servicedef" && dep == module+"catalog") {
						t.Errorf("%s imports %s (directly or not): docs/ARCHITECTURE.md says it must not", rel, dep)
					}
				}
			}
		}
	}
	if seen < 6 {
		t.Fatalf("checked only %d packages; the table does not match the tree", seen)
	}
}
