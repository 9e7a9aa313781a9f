package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/membership"
)

// noRedirect is a client that reports redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func TestUIRoutes(t *testing.T) {
	ts, a := newTestServer(t)
	a.Table().Upsert(membership.Member{Name: "<b>evil</b>", Addr: netip.MustParseAddr("127.0.4.5"), Port: 8301, State: membership.StateAlive,
		Maintenance: "disk <swap>"})
	tests := []struct {
		name, path string
		code       int
		location   string   // for redirects
		contains   []string // in the body
		lacks      []string
	}{
		{"ui without slash redirects", "/ui", 301, "/ui/", nil, nil},
		{"root redirects to the ui", "/", 302, "/ui/", nil, nil},
		{"page lists every member", "/ui/", 200, "", []string{
			`data-name="agent-one" data-status="alive"`, `data-name="dead" data-status="failed"`,
			`<span class="status status-failed">failed</span>`, `data-name="gone" data-status="left"`,
			`<span class="maint" title="disk &lt;swap&gt;">maintenance</span>`,
			"127.0.4.2:8301", "this agent", "datacenter <strong>dc1</strong>", "4 of 4 shown",
			"No service is registered in the catalog.", "0 of 0 instances shown",
		}, nil},
		{"names are escaped", "/ui/", 200, "", []string{"&lt;b&gt;evil&lt;/b&gt;"}, []string{"<b>evil</b>"}},
		{"status filter", "/ui/?status=failed", 200, "", []string{`data-name="dead"`, `<option value="failed" selected>`, "1 of 4 shown"},
			[]string{`data-name="agent-one"`, `data-name="gone"`}},
		{"name filter ignores case", "/ui/?name=AGENT", 200, "", []string{`data-name="agent-one"`, `value="AGENT"`}, []string{`data-name="dead"`}},
		{"no match", "/ui/?status=leaving", 200, "", []string{"No member matches the filter."}, nil},
		{"unknown status", "/ui/?status=dead", 400, "", []string{`unknown status "dead": want one of alive, leaving, left, failed`}, nil},
		{"script", "/ui/static/app.js", 200, "", []string{"members.json"}, nil},
		{"style", "/ui/static/style.css", 200, "", []string{".status-failed"}, nil},
		{"no directory listing", "/ui/static/", 404, "", nil, []string{"app.js"}},
		{"unknown ui path", "/ui/nope", 404, "", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := noRedirect.Get(ts.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			body := string(b)
			if resp.StatusCode != tt.code {
				t.Fatalf("GET %s = %d %q; want %d", tt.path, resp.StatusCode, body, tt.code)
			}
			if tt.location != "" && resp.Header.Get("Location") != tt.location {
				t.Errorf("Location = %q; want %q", resp.Header.Get("Location"), tt.location)
			}
			for _, s := range tt.contains {
				if !strings.Contains(body, s) {
					t.Errorf("GET %s lacks %q", tt.path, s)
				}
			}
			for _, s := range tt.lacks {
				if strings.Contains(body, s) {
					t.Errorf("GET %s contains %q", tt.path, s)
				}
			}
			if resp.StatusCode == 200 && !strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") {
				t.Errorf("GET %s has no Content-Security-Policy", tt.path)
			}
		})
	}
}

func TestUIMembersJSON(t *testing.T) {
	ts, a := newTestServer(t)
	changed := time.Now().Add(-90 * time.Second).UTC().Truncate(time.Second)
	a.Table().Upsert(membership.Member{Name: "web-1", Addr: netip.MustParseAddr("127.0.4.6"), Port: 8301, Role: membership.RoleClient,
		State: membership.StateAlive, StateChanged: changed})
	_, body := get(t, ts.URL+"/ui/members.json")
	var got UIMembers
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if got.Node != "agent-one" || got.Datacenter != "dc1" || len(got.Members) != 4 {
		t.Fatalf("members.json = %+v", got)
	}
	want := UIMember{Name: "web-1", Address: "127.0.4.6:8301", Status: "alive", Type: "client", Datacenter: "dc1",
		StateChanged: changed.Format(time.RFC3339), Since: "1m ago"}
	if got.Members[3] != want {
		t.Errorf("web-1 = %+v; want %+v", got.Members[3], want)
	}
	if !got.Members[0].Local || got.Members[0].Type != "server" {
		t.Errorf("agent-one = %+v; want the local server", got.Members[0])
	}
}

func TestSince(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "just now"},
		{500 * time.Millisecond, "just now"},
		{42 * time.Second, "42s ago"},
		{5*time.Minute + 59*time.Second, "5m ago"},
		{3*time.Hour + 7*time.Minute, "3h07m ago"},
		{4*24*time.Hour + 3*time.Hour, "4d3h ago"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := since(tt.d); got != tt.want {
				t.Errorf("since(%v) = %q; want %q", tt.d, got, tt.want)
			}
		})
	}
}

// hostileOutput is a check output that tries to break out of the page.
const hostileOutput = "</td></tr><script>alert(1)</script>\n<b>line two</b>"

// servicesAgent fills testAgent's catalog with services: web on agent-one
// (passing), web-2 (warning) and dead (failed: critical through
// serfHealth), db on a node in maintenance, and a hostile service on evil.
func servicesAgent(t *testing.T) *membership.Agent {
	t.Helper()
	a := testAgent(t)
	tb := a.Table()
	tb.Upsert(membership.Member{Name: "web-2", Addr: netip.MustParseAddr("127.0.4.11"), Port: 8301, State: membership.StateAlive})
	tb.Upsert(membership.Member{Name: "maint", Addr: netip.MustParseAddr("127.0.4.12"), Port: 8301, State: membership.StateAlive,
		Maintenance: "disk swap"})
	tb.Upsert(membership.Member{Name: "evil", Addr: netip.MustParseAddr("127.0.4.13"), Port: 8301, State: membership.StateAlive})
	v := catalog.Version{Epoch: 1, Seq: 1}
	web := func(addr string, port int) []catalog.Service {
		return []catalog.Service{{ID: "web", Name: "web", Tags: []string{"rails"}, Address: addr, Port: port}}
	}
	httpCheck := func(status, output string) []catalog.Check {
		return []catalog.Check{{CheckID: "service:web", Name: "Service 'web' check", Status: status, Output: output, ServiceID: "web", Type: "http"}}
	}
	tb.ReplaceRecords("agent-one", v, web("10.0.0.1", 80), httpCheck("passing", "HTTP GET http://10.0.0.1/health: 200 OK Output: ok"))
	tb.ReplaceRecords("web-2", v, web("", 8080), httpCheck("warning", "HTTP GET http://127.0.4.11:8080/health: 429 Too Many Requests"))
	tb.ReplaceRecords("dead", v, web("10.0.0.3", 80), httpCheck("passing", "HTTP GET http://10.0.0.3/health: 200 OK"))
	tb.ReplaceRecords("maint", v, []catalog.Service{{ID: "db-1", Name: "db", Port: 5432}}, nil)
	tb.ReplaceRecords("evil", v, []catalog.Service{{ID: "x", Name: "<script>alert(1)</script>", Tags: []string{`"><img src=x onerror=alert(1)>`}}},
		[]catalog.Check{{CheckID: "c1", Name: "<i>check</i>", Status: "critical", Output: hostileOutput, ServiceID: "x"}})
	return a
}

func TestUIServices(t *testing.T) {
	a := servicesAgent(t)
	s := &Server{Agent: a, Version: "test", Domain: "consul.", ListenAddr: netip.MustParseAddr("127.0.4.1")}
	ts := serve(t, s.Handler())
	tests := []struct {
		name, path string
		code       int
		contains   []string
		lacks      []string
	}{
		{"every service and instance", "/ui/", 200, []string{
			`<tbody class="service" data-service="web">`, `<span class="svc-name">web</span> <span class="tag">rails</span> <span class="svc-n">3 shown</span>`,
			`data-node="agent-one" data-id="web" data-health="passing"`, `data-node="web-2" data-id="web" data-health="warning"`,
			`data-node="dead" data-id="web" data-health="critical"`, `data-node="maint" data-id="db-1" data-health="maintenance"`,
			`<td class="addr">10.0.0.1:80</td>`, `<td class="addr">127.0.4.11:8080</td>`, `<td class="addr">127.0.4.12:5432</td>`,
			`<span class="svc-id" title="service ID">db-1</span>`,
			`<li class="check" data-check="serfHealth" data-status="critical"><span class="dot status-critical" title="critical">critical</span> <span class="check-name">Serf Health Status</span> <span class="output">Agent not live or unreachable</span></li>`,
			`<span class="output">HTTP GET http://127.0.4.11:8080/health: 429 Too Many Requests</span>`,
			`data-check="_node_maintenance" data-status="critical"`, `<span class="output">disk swap</span>`,
			`data-health="passing"><strong>1</strong> passing`, `data-health="warning"><strong>1</strong> warning`,
			`data-health="critical"><strong>2</strong> critical`, `data-health="maintenance"><strong>1</strong> maintenance`,
			`<strong id="service-total">3</strong> services · <strong id="instance-total">5</strong> instances`, "5 of 5 instances shown",
		}, []string{`<span class="svc-id" title="service ID">web</span>`}},
		{"hostile names, tags and output are escaped", "/ui/", 200, []string{
			`data-service="&lt;script&gt;alert(1)&lt;/script&gt;"`, `<span class="svc-name">&lt;script&gt;alert(1)&lt;/script&gt;</span>`,
			`<span class="tag">&#34;&gt;&lt;img src=x onerror=alert(1)&gt;</span>`, `<span class="check-name">&lt;i&gt;check&lt;/i&gt;</span>`,
			`<summary title="&lt;/td&gt;&lt;/tr&gt;&lt;script&gt;alert(1)&lt;/script&gt;
&lt;b&gt;line two&lt;/b&gt;">&lt;/td&gt;&lt;/tr&gt;&lt;script&gt;alert(1)&lt;/script&gt;…</summary>`,
			`<pre>&lt;/td&gt;&lt;/tr&gt;&lt;script&gt;alert(1)&lt;/script&gt;
&lt;b&gt;line two&lt;/b&gt;</pre>`,
		}, []string{"<script>alert", "<img src", "<i>check", "<b>line"}},
		{"health filter", "/ui/?health=critical", 200, []string{`data-node="dead" data-id="web" data-health="critical"`, `data-node="evil"`,
			`<option value="critical" selected>`, "2 of 5 instances shown", `<span class="svc-n">1 shown</span>`},
			[]string{`data-health="passing"><td`, `data-health="warning"><td`, `data-service="db"`}},
		{"service filter ignores case", "/ui/?service=WE", 200, []string{`data-service="web"`, `value="WE"`, "3 of 5 instances shown"},
			[]string{`data-service="db"`, `data-node="evil"`}},
		{"both filters", "/ui/?service=web&health=warning", 200, []string{`data-node="web-2"`, "1 of 5 instances shown"},
			[]string{`data-node="agent-one" data-id`, `data-node="dead" data-id`}},
		{"member and service filters together", "/ui/?status=failed&health=maintenance", 200, []string{
			`<option value="failed" selected>`, `<option value="maintenance" selected>`, `data-name="dead" data-status="failed"`,
			`data-service="db"`, "1 of 5 instances shown"}, []string{`data-name="agent-one"`, `data-service="web"`}},
		{"all is no filter", "/ui/?health=all", 200, []string{"5 of 5 instances shown"}, nil},
		{"no match", "/ui/?service=nope", 200, []string{"No service instance matches the filter.", "0 of 5 instances shown"}, nil},
		{"unknown health", "/ui/?health=sick", 400, []string{`unknown health "sick": want one of passing, warning, critical, maintenance`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, ts.URL+tt.path)
			if resp.StatusCode != tt.code {
				t.Fatalf("GET %s = %d %q; want %d", tt.path, resp.StatusCode, body, tt.code)
			}
			for _, s := range tt.contains {
				if !strings.Contains(body, s) {
					t.Errorf("GET %s lacks %q", tt.path, s)
				}
			}
			for _, s := range tt.lacks {
				if strings.Contains(body, s) {
					t.Errorf("GET %s contains %q", tt.path, s)
				}
			}
		})
	}
}

func TestUIServicesJSON(t *testing.T) {
	a := servicesAgent(t)
	s := &Server{Agent: a, Version: "test", Domain: "consul.", ListenAddr: netip.MustParseAddr("127.0.4.1")}
	ts := serve(t, s.Handler())
	read := func() UIMembers {
		t.Helper()
		_, body := get(t, ts.URL+"/ui/members.json")
		var got UIMembers
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	got := read()
	var names []string
	for _, svc := range got.Services {
		names = append(names, svc.Name)
	}
	if want := []string{"<script>alert(1)</script>", "db", "web"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("services = %q; want %q", names, want)
	}
	serf := func(status, output string) UICheck {
		return UICheck{CheckID: "serfHealth", Name: "Serf Health Status", Status: status, Output: output}
	}
	web := func(status, output string) UICheck {
		return UICheck{CheckID: "service:web", Name: "Service 'web' check", Status: status, Output: output}
	}
	want := UIService{Name: "web", Tags: []string{"rails"}, Instances: []UIInstance{
		{Node: "agent-one", ID: "web", Address: "10.0.0.1:80", Tags: []string{"rails"}, Status: "passing",
			Checks: []UICheck{serf("passing", "Agent alive and reachable"), web("passing", "HTTP GET http://10.0.0.1/health: 200 OK Output: ok")}},
		{Node: "dead", ID: "web", Address: "10.0.0.3:80", Tags: []string{"rails"}, Status: "critical",
			Checks: []UICheck{serf("critical", "Agent not live or unreachable"), web("passing", "HTTP GET http://10.0.0.3/health: 200 OK")}},
		{Node: "web-2", ID: "web", Address: "127.0.4.11:8080", Tags: []string{"rails"}, Status: "warning",
			Checks: []UICheck{serf("passing", "Agent alive and reachable"), web("warning", "HTTP GET http://127.0.4.11:8080/health: 429 Too Many Requests")}},
	}}
	if !reflect.DeepEqual(got.Services[2], want) {
		t.Errorf("web = %+v\nwant %+v", got.Services[2], want)
	}
	if c := got.Services[0].Instances[0].Checks[1]; c.Output != hostileOutput || c.Short != "</td></tr><script>alert(1)</script>…" {
		t.Errorf("hostile check = %+v; want the whole output and its first line as Short", c)
	}

	t.Run("a failed node's instances turn critical with the member", func(t *testing.T) {
		a.Table().SetState("web-2", membership.StateFailed)
		got := read()
		var member string
		for _, m := range got.Members {
			if m.Name == "web-2" {
				member = m.Status
			}
		}
		in := got.Services[2].Instances[2]
		if member != "failed" || in.Node != "web-2" || in.Status != "critical" || in.Checks[0] != serf("critical", "Agent not live or unreachable") {
			t.Errorf("after web-2 failed: member %q, instance %+v; want failed and critical through serfHealth", member, in)
		}
	})

	t.Run("empty catalog", func(t *testing.T) {
		ts, _ := newTestServer(t)
		_, body := get(t, ts.URL+"/ui/members.json")
		if !strings.Contains(body, `"Services": []`) {
			t.Errorf("members.json without services = %s; want \"Services\": []", body)
		}
	})
}

func TestUIShortOutput(t *testing.T) {
	long := strings.Repeat("x", uiOutputRunes)
	tests := []struct {
		name, out, want string
	}{
		{"empty", "", ""},
		{"short", "HTTP GET /health: 200 OK", ""},
		{"trailing newline", "ok\n", ""},
		{"exactly the limit", long, ""},
		{"one past the limit", long + "y", strings.Repeat("x", uiOutputRunes-1) + "…"},
		{"second line", "first\nsecond", "first…"},
		{"leading blank lines", "\n\n  first  \nsecond", "first…"},
		{"runes not bytes", strings.Repeat("é", uiOutputRunes+5), strings.Repeat("é", uiOutputRunes-1) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := shortOutput(tt.out); got != tt.want {
				t.Errorf("shortOutput(%q) = %q; want %q", tt.out, got, tt.want)
			}
		})
	}
}
