package httpapi

import (
	"bytes"
	"context"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/discod/discod/membership"
)

// The status page is checked in a real browser: headless Chromium, driven
// from the command line (--dump-dom, --screenshot), so the test needs no Go
// module beyond the standard library.

// screenshotEnv, set to 1, makes TestUIInBrowser write its screenshot to
// docs/ui-members.png instead of a temporary directory.
const screenshotEnv = "DISCOD_UPDATE_SCREENSHOT"

// chromiumPath returns the browser to drive. It skips the test when none is
// installed, or fails it under CI=true, where a skipped browser test would
// hide a broken page.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const msg = "headless Chromium not found: install the Debian package chromium (apt-get install chromium) to run the status page test"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// runChromium loads url in a fresh headless Chromium with extra flags and
// returns its standard output. JavaScript gets 3 s of virtual time: enough
// for the first fetch of members.json and one 2-second poll.
func runChromium(t *testing.T, bin, url string, extra ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	home := t.TempDir()
	args := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--hide-scrollbars",
		"--user-data-dir=" + filepath.Join(home, "profile"),
		"--virtual-time-budget=3000",
	}
	args = append(append(args, extra...), url)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+home)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\nstderr:\n%s", strings.Join(extra, " "), err, stderr.String())
	}
	return stdout.String()
}

// uiFixture serves the API of an agent whose table holds a small cluster.
// The member "late" (failed) is added only once the page itself has been
// served, so it reaches the DOM only through the page's JavaScript.
func uiFixture(t *testing.T) string {
	t.Helper()
	a := testAgent(t) // agent-one (alive server), dead (failed), gone (left)
	now := time.Now()
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	tbl := a.Table()
	for _, m := range []membership.Member{
		{Name: "dead", Addr: netip.MustParseAddr("127.0.4.2"), Port: 8301, Datacenter: "dc1", Role: membership.RoleServer, State: membership.StateFailed, StateChanged: ago(4 * time.Minute)},
		{Name: "gone", Addr: netip.MustParseAddr("127.0.4.3"), Port: 8301, Datacenter: "dc1", Role: membership.RoleClient, State: membership.StateLeft, StateChanged: ago(2*time.Hour + 13*time.Minute)},
		{Name: "web-1", Addr: netip.MustParseAddr("127.0.4.10"), Port: 8301, Datacenter: "dc1", Role: membership.RoleClient, State: membership.StateAlive, StateChanged: ago(26 * time.Hour)},
		{Name: "web-2", Addr: netip.MustParseAddr("127.0.4.11"), Port: 8301, Datacenter: "dc1", Role: membership.RoleClient, State: membership.StateAlive, StateChanged: ago(47 * time.Minute)},
		{Name: "cache-1", Addr: netip.MustParseAddr("127.0.4.12"), Port: 8301, Datacenter: "dc1", Role: membership.RoleClient, State: membership.StateLeaving, StateChanged: ago(3 * time.Second)},
	} {
		tbl.Remove(m.Name) // so StateChanged is taken as given
		tbl.Upsert(m)
	}
	s := &Server{Agent: a, Version: "0.1.0", Domain: "consul.", ListenAddr: netip.MustParseAddr("127.0.4.1")}
	api := s.Handler()
	var once sync.Once
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		api.ServeHTTP(w, r)
		if r.URL.Path == "/ui/" {
			once.Do(func() {
				tbl.Upsert(membership.Member{Name: "late", Addr: netip.MustParseAddr("127.0.4.13"), Port: 8301, Datacenter: "dc1",
					Role: membership.RoleClient, State: membership.StateFailed, StateChanged: ago(12 * time.Second)})
			})
		}
	})
	return serve(t, h).URL
}

var rowRE = regexp.MustCompile(`(?s)<tr class="member" data-name="([^"]+)" data-status="([^"]+)">(.*?)</tr>`)

// domRows returns name → (status attribute, row text) for every member row.
func domRows(dom string) map[string][2]string {
	out := map[string][2]string{}
	for _, m := range rowRE.FindAllStringSubmatch(dom, -1) {
		out[m[1]] = [2]string{m[2], m[3]}
	}
	return out
}

func TestUIInBrowser(t *testing.T) {
	bin := chromiumPath(t)
	base := uiFixture(t)

	t.Run("dom after the script ran", func(t *testing.T) {
		dom := runChromium(t, bin, base+"/ui", "--dump-dom")
		if !strings.Contains(dom, `data-source="live"`) || !strings.Contains(dom, `data-live="on"`) {
			t.Fatalf("the page's script did not redraw the table from members.json; DOM:\n%s", dom)
		}
		rows := domRows(dom)
		want := map[string]string{"agent-one": "alive", "dead": "failed", "gone": "left", "web-1": "alive",
			"web-2": "alive", "cache-1": "leaving", "late": "failed"}
		for name, status := range want {
			r, ok := rows[name]
			if !ok {
				t.Errorf("no row for %s in the DOM", name)
				continue
			}
			if r[0] != status || !strings.Contains(r[1], `<span class="status status-`+status+`">`+status+`</span>`) {
				t.Errorf("row %s: status %q, cells %q; want %s", name, r[0], r[1], status)
			}
		}
		if len(rows) != len(want) {
			t.Errorf("DOM has %d member rows; want %d", len(rows), len(want))
		}
		if !strings.Contains(rows["dead"][1], "4m ago") || !strings.Contains(rows["dead"][1], "127.0.4.2:8301") {
			t.Errorf("row dead = %q; want its address and last change", rows["dead"][1])
		}
		if !strings.Contains(dom, "7 of 7 shown") {
			t.Error(`DOM lacks "7 of 7 shown"`)
		}
	})

	t.Run("status filter", func(t *testing.T) {
		dom := runChromium(t, bin, base+"/ui/?status=failed", "--dump-dom")
		rows := domRows(dom)
		if len(rows) != 2 || rows["dead"][0] != "failed" || rows["late"][0] != "failed" || !strings.Contains(dom, `data-source="live"`) {
			t.Errorf("status=failed shows %v; want dead and late, drawn by the script", rows)
		}
	})

	t.Run("screenshot", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "ui-members.png")
		if os.Getenv(screenshotEnv) == "1" {
			out = filepath.Join("..", "docs", "ui-members.png")
		}
		runChromium(t, bin, base+"/ui/", "--screenshot="+out, "--window-size=1200,800")
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) || len(b) < 10000 {
			t.Errorf("%s: %d bytes, not a plausible PNG of the page", out, len(b))
		}
		t.Logf("screenshot: %s (%d bytes)", out, len(b))
	})
}
