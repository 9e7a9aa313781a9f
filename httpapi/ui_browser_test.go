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

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/membership"
)

// The status page is checked in a real browser: headless Chromium, driven
// from the command line (--dump-dom, --screenshot), so the test needs no Go
// module beyond the standard library.

// screenshotEnv, set to 1, makes TestUIInBrowser write its screenshots to
// docs/ui-members.png and docs/ui-services.png instead of a temporary
// directory.
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

// uiFixture serves the API of an agent whose table holds a small cluster
// with services: api (passing), web (passing, warning, and critical on the
// failed node dead) and redis (critical, with a long output). The member
// "late" (failed) and its service queue (in maintenance) are added only
// once the page itself has been served, so they reach the DOM only through
// the page's JavaScript. With hostile, queue's tag, check name and output
// are markup that must show as text.
func uiFixture(t *testing.T, hostile bool) string {
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
	v := catalog.Version{Epoch: 1, Seq: 1}
	svc := func(id, name string, port int, tags ...string) []catalog.Service {
		return []catalog.Service{{ID: id, Name: name, Tags: tags, Port: port}}
	}
	chk := func(svc, typ, status, output string) []catalog.Check {
		return []catalog.Check{{CheckID: "service:" + svc, Name: "Service '" + svc + "' check", Status: status, Output: output, ServiceID: svc, Type: typ}}
	}
	tbl.ReplaceRecords("agent-one", v, svc("api", "api", 9000, "v2"), chk("api", "tcp", "passing", "TCP connect 127.0.4.1:9000: Success"))
	tbl.ReplaceRecords("web-1", v, svc("web", "web", 80, "rails", "primary"),
		chk("web", "http", "passing", "HTTP GET http://127.0.4.10/health: 200 OK Output: ok"))
	tbl.ReplaceRecords("web-2", v, svc("web", "web", 80, "rails"),
		chk("web", "http", "warning", "HTTP GET http://127.0.4.11/health: 429 Too Many Requests Output: slow down"))
	tbl.ReplaceRecords("dead", v, []catalog.Service{{ID: "web", Name: "web", Tags: []string{"rails"}, Address: "10.1.0.7", Port: 80}},
		chk("web", "http", "passing", "HTTP GET http://10.1.0.7/health: 200 OK Output: ok"))
	tbl.ReplaceRecords("cache-1", v, svc("redis-1", "redis", 6379),
		chk("redis-1", "script", "critical", "redis-cli -h 127.0.4.12 -p 6379 ping: Could not connect to Redis at 127.0.4.12:6379: Connection refused\nexit status 1"))
	late := func() {
		tbl.Upsert(membership.Member{Name: "late", Addr: netip.MustParseAddr("127.0.4.13"), Port: 8301, Datacenter: "dc1",
			Role: membership.RoleClient, State: membership.StateFailed, StateChanged: ago(12 * time.Second)})
		tag, name, output := "amqp", "Service Maintenance Mode", ""
		if hostile {
			tag, name, output = "<img src=x onerror=alert(1)>", "<i>maint</i>", "</li><script>alert(1)</script>"
		}
		tbl.ReplaceRecords("late", v, svc("queue", "queue", 5672, tag),
			[]catalog.Check{{CheckID: catalog.ServiceMaintPrefix + "queue", Name: name, Status: "critical", Notes: "draining for the upgrade",
				Output: output, ServiceID: "queue"}})
	}
	s := &Server{Agent: a, Version: "0.1.0", Domain: "consul.", ListenAddr: netip.MustParseAddr("127.0.4.1")}
	api := s.Handler()
	var once sync.Once
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		api.ServeHTTP(w, r)
		if r.URL.Path == "/ui/" {
			once.Do(late)
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

var (
	serviceRE  = regexp.MustCompile(`(?s)<tbody class="service" data-service="([^"]+)">(.*?)</tbody>`)
	instanceRE = regexp.MustCompile(`(?s)<tr class="instance" data-node="([^"]+)" data-id="([^"]+)" data-health="([^"]+)">(.*?)</tr>`)
)

// domInstances returns "service/node" → (health attribute, row HTML) for
// every instance row.
func domInstances(dom string) map[string][2]string {
	out := map[string][2]string{}
	for _, s := range serviceRE.FindAllStringSubmatch(dom, -1) {
		for _, in := range instanceRE.FindAllStringSubmatch(s[2], -1) {
			out[s[1]+"/"+in[1]] = [2]string{in[3], in[4]}
		}
	}
	return out
}

func TestUIInBrowser(t *testing.T) {
	bin := chromiumPath(t)
	base := uiFixture(t, false)

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

		if !strings.Contains(dom, `<table id="services" data-source="live">`) {
			t.Fatalf("the page's script did not redraw the services from members.json; DOM:\n%s", dom)
		}
		ins := domInstances(dom)
		wantIns := map[string]string{"api/agent-one": "passing", "web/web-1": "passing", "web/web-2": "warning", "web/dead": "critical",
			"redis/cache-1": "critical", "queue/late": "maintenance"}
		for key, health := range wantIns {
			r, ok := ins[key]
			if !ok {
				t.Errorf("no instance row for %s in the DOM", key)
				continue
			}
			if r[0] != health || !strings.Contains(r[1], `<span class="status status-`+health+`">`+health+`</span>`) {
				t.Errorf("instance %s: health %q, cells %q; want %s", key, r[0], r[1], health)
			}
		}
		if len(ins) != len(wantIns) {
			t.Errorf("DOM has %d instance rows; want %d", len(ins), len(wantIns))
		}
		for key, frag := range map[string]string{
			"web/dead":  `<li class="check" data-check="serfHealth" data-status="critical"><span class="dot status-critical" title="critical">critical</span> <span class="check-name">Serf Health Status</span> <span class="output">Agent not live or unreachable</span></li>`,
			"web/web-1": `<td class="tags"><span class="tag">rails</span> <span class="tag">primary</span> </td>`,
			"redis/cache-1": `<summary title="redis-cli -h 127.0.4.12 -p 6379 ping: Could not connect to Redis at 127.0.4.12:6379: Connection refused
exit status 1">redis-cli -h 127.0.4.12 -p 6379 ping: Could not connect to Redis at 127.0.4.12:…</summary>`,
			"queue/late": `<span class="output">draining for the upgrade</span>`,
		} {
			if !strings.Contains(ins[key][1], frag) {
				t.Errorf("instance %s = %q; want it to hold %q", key, ins[key][1], frag)
			}
		}
		for _, s := range []string{"6 of 6 instances shown", `<strong id="service-total">4</strong>`,
			`data-health="critical"><strong>2</strong> critical`, `data-health="maintenance"><strong>1</strong> maintenance`} {
			if !strings.Contains(dom, s) {
				t.Errorf("DOM lacks %q", s)
			}
		}
	})

	t.Run("health and service filters", func(t *testing.T) {
		dom := runChromium(t, bin, base+"/ui/?health=critical&service=WEB", "--dump-dom")
		ins := domInstances(dom)
		if len(ins) != 1 || ins["web/dead"][0] != "critical" || !strings.Contains(dom, `<table id="services" data-source="live">`) ||
			!strings.Contains(dom, "1 of 6 instances shown") {
			t.Errorf("health=critical&service=WEB shows %v; want web on dead, drawn by the script", ins)
		}
	})

	t.Run("hostile data stays text", func(t *testing.T) {
		dom := runChromium(t, bin, uiFixture(t, true)+"/ui/", "--dump-dom")
		row := domInstances(dom)["queue/late"][1]
		for _, frag := range []string{`<span class="tag">&lt;img src=x onerror=alert(1)&gt;</span>`, `<span class="check-name">&lt;i&gt;maint&lt;/i&gt;</span>`,
			`<span class="output">&lt;/li&gt;&lt;script&gt;alert(1)&lt;/script&gt;</span>`} {
			if !strings.Contains(row, frag) {
				t.Errorf("instance queue/late = %q; want it to hold %q", row, frag)
			}
		}
		if strings.Contains(dom, "<img") || strings.Contains(dom, "<i>maint") || strings.Contains(dom, "<script>alert") {
			t.Errorf("hostile data became markup; DOM:\n%s", dom)
		}
	})

	t.Run("status filter", func(t *testing.T) {
		dom := runChromium(t, bin, base+"/ui/?status=failed", "--dump-dom")
		rows := domRows(dom)
		if len(rows) != 2 || rows["dead"][0] != "failed" || rows["late"][0] != "failed" || !strings.Contains(dom, `data-source="live"`) {
			t.Errorf("status=failed shows %v; want dead and late, drawn by the script", rows)
		}
	})

	// The members shot is the top of the page; the services shot is the
	// whole page, tall enough to hold every service.
	for _, shot := range []struct{ file, size string }{{"ui-members.png", "1200,800"}, {"ui-services.png", "1200,1500"}} {
		t.Run("screenshot "+shot.file, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), shot.file)
			if os.Getenv(screenshotEnv) == "1" {
				out = filepath.Join("..", "docs", shot.file)
			}
			runChromium(t, bin, base+"/ui/", "--screenshot="+out, "--window-size="+shot.size)
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
}
