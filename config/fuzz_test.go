package config

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzConfigFile decodes arbitrary bytes as a JSON and as an HCL config
// file (decodeData, then the settings walker with its service and check
// definitions). Nothing may panic and every problem is an error, never
// empty. A file the walker accepts is also loaded in full (load, with
// the runtime's derived values), which may refuse it but must not panic.
func FuzzConfigFile(f *testing.F) {
	for _, name := range []string{"full.json", "full.hcl", "consul.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		`{}`,
		`{"node_name":"a","ports":{"dns":-1}}`,
		`{"services":[{"name":"web","port":80,"check":{"ttl":"10s"}}],"checks":{"name":"c","ttl":"1s"}}`,
		`service { name = "web" port = 80 checks = [{ tcp = "127.0.0.1:80" interval = "10s" }] }`,
		`ports { dns = 8600 } ports { http = 1 }`,
		`retry_join = "x"` + "\n" + `retry_interval = "-5s"`,
		`{"a.b":1}`,
		`{"recursors":[1,2]}`,
		`node_meta { "" = "" }`,
		`x = <<EOF` + "\n" + `EOF`,
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, format := range []string{"json", "hcl"} {
			raw, err := decodeData(format, b)
			if err != nil {
				if err.Error() == "" {
					t.Fatalf("%s: empty error", format)
				}
				continue
			}
			w := &walker{file: "fuzz." + format, st: newStore()}
			w.object("", raw)
			for _, e := range w.errs {
				if e == nil || e.Error() == "" {
					t.Fatalf("%s: empty error among %v", format, w.errs)
				}
			}
			if len(w.errs) > 0 {
				continue
			}
			path := filepath.Join(dir, "fuzz."+format)
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := load([]string{"-config-file", path}, io.Discard, oneIP); err != nil && err.Error() == "" {
				t.Fatalf("%s: load: empty error", format)
			}
		}
	})
}
