package stockcoredns

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// corednsVersion is the CoreDNS release the test builds. It must be the
// version discod's go.mod requires: the plugin is compiled against it.
const corednsVersion = "v1.15.0"

// discodModule is this checkout's module path.
const discodModule = "github.com/discod/discod"

// pluginLine is the line the plugin's README tells users to add to
// CoreDNS's plugin.cfg, and afterLine the line it goes right after.
const (
	pluginLine = "consulnode:" + discodModule + "/plugin/consulnode"
	afterLine  = "etcd:etcd"
)

// binaries are the two programs the test runs.
type binaries struct {
	coredns string // stock CoreDNS with consulnode
	discod  string // this checkout's cmd/discod
}

// buildBinaries builds the stock CoreDNS and discod into dir/bin. It logs
// how long each step took: the CoreDNS build is the slow part of the test.
func buildBinaries(t *testing.T, dir string) binaries {
	t.Helper()
	ctx, cancel := buildContext(t)
	defer cancel()
	root := repoRoot(t)
	bins := binaries{
		coredns: filepath.Join(dir, "bin", "coredns"),
		discod:  filepath.Join(dir, "bin", "discod"),
	}

	start := time.Now()
	goRun(ctx, t, root, "build", "-o", bins.discod, "./cmd/discod")
	t.Logf("built discod in %v", time.Since(start).Round(time.Millisecond))

	src := corednsSource(ctx, t, root)
	mod := filepath.Join(dir, "coredns")
	start = time.Now()
	// os.CopyFS creates files writable (0666 before umask), so the copy
	// can be edited although the module cache's files are read-only.
	if err := os.CopyFS(mod, os.DirFS(src)); err != nil {
		t.Fatalf("copy CoreDNS source %s to %s: %v", src, mod, err)
	}
	if err := addPluginLine(filepath.Join(mod, "plugin.cfg")); err != nil {
		t.Fatal(err)
	}
	goRun(ctx, t, mod, "mod", "edit",
		"-require="+discodModule+"@v0.0.0",
		"-replace="+discodModule+"="+root)
	prepared := time.Since(start)

	// CoreDNS's Makefile: `go generate coredns.go` writes the plugin and
	// directive lists from plugin.cfg, then `go get` adds the imported
	// plugin's dependencies to go.mod (and go.sum), downloading what the
	// module cache lacks.
	start = time.Now()
	goRun(ctx, t, mod, "generate", "coredns.go")
	goRun(ctx, t, mod, "get")
	generated := time.Since(start)

	start = time.Now()
	goRun(ctx, t, mod, "build", "-o", bins.coredns, ".")
	built := time.Since(start)
	t.Logf("stock CoreDNS %s with consulnode: copy and edit %v, go generate + go get %v, go build %v",
		corednsVersion, prepared.Round(time.Millisecond), generated.Round(time.Millisecond), built.Round(time.Millisecond))
	return bins
}

// buildContext bounds the go commands by the test's deadline, keeping a
// minute for the rest of the test, so a hung download fails the test with
// the command's output instead of the test binary's panic.
func buildContext(t *testing.T) (context.Context, context.CancelFunc) {
	deadline, ok := t.Deadline()
	if !ok {
		return context.WithTimeout(context.Background(), 30*time.Minute)
	}
	return context.WithDeadline(context.Background(), deadline.Add(-time.Minute))
}

// repoRoot returns the absolute path of this checkout: two levels above
// the test's working directory, which is its package directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatalf("repository root: %v", err)
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatalf("repository root: %v", err)
	}
	first, _, _ := strings.Cut(string(gomod), "\n")
	if strings.TrimSpace(first) != "module "+discodModule {
		t.Fatalf("repository root %s: go.mod starts with %q, want %q", root, first, "module "+discodModule)
	}
	return root
}

// corednsSource returns the module cache directory of CoreDNS
// corednsVersion, after checking that this checkout requires that version.
func corednsSource(ctx context.Context, t *testing.T, root string) string {
	t.Helper()
	required := strings.TrimSpace(goRun(ctx, t, root, "list", "-m", "-f", "{{.Version}}", "github.com/coredns/coredns"))
	if required != corednsVersion {
		t.Fatalf("go.mod requires github.com/coredns/coredns %s, but this test builds %s: update corednsVersion", required, corednsVersion)
	}
	var info struct {
		Dir   string
		Error string
	}
	out := goRun(ctx, t, root, "mod", "download", "-json", "github.com/coredns/coredns@"+corednsVersion)
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatalf("go mod download -json: %v\n%s", err, out)
	}
	if info.Error != "" || info.Dir == "" {
		t.Fatalf("go mod download github.com/coredns/coredns@%s: no source directory (error %q)", corednsVersion, info.Error)
	}
	return info.Dir
}

// addPluginLine inserts pluginLine into the plugin.cfg at path, right
// after afterLine, as the plugin's README says.
func addPluginLine(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read plugin.cfg: %w", err)
	}
	lines := strings.Split(string(b), "\n")
	at := -1
	for i, l := range lines {
		switch strings.TrimSpace(l) {
		case pluginLine:
			return fmt.Errorf("%s already has %q", path, pluginLine)
		case afterLine:
			if at >= 0 {
				return fmt.Errorf("%s has %q twice", path, afterLine)
			}
			at = i
		}
	}
	if at < 0 {
		return fmt.Errorf("%s has no %q line to put %q after", path, afterLine, pluginLine)
	}
	lines = append(lines[:at+1], append([]string{pluginLine}, lines[at+1:]...)...)
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		return fmt.Errorf("write plugin.cfg: %w", err)
	}
	return nil
}

// goRun runs `go ARGS...` in dir and returns its standard output; it fails
// the test with the command's output if the command fails. GOWORK=off
// keeps a go.work above the temporary directory from changing the build.
func goRun(ctx context.Context, t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go %s (in %s): %v\n%s%s", strings.Join(args, " "), dir, err, stdout.String(), stderr.String())
	}
	return stdout.String()
}
