package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

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
