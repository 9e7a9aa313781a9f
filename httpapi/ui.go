package httpapi

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/discod/discod/membership"
)

// The status page: GET /ui/ renders the member table and the services
// (each with its instances, their health and their checks: ui_services.go)
// server-side from ui/index.html.tmpl; ui/static/app.js then polls
// /ui/members.json every two seconds and redraws both, and applies the
// filters as they are typed. members.json carries the members and the
// services (UIMembers.Services) read in one snapshot of the catalog, so the
// two sections are always in step: a node seen failed shows its instances
// critical in the same refresh. Without JavaScript the page still works:
// one filter form submits ?status=&name= (members) and ?service=&health=
// (services), and a <noscript> meta refresh reloads it every 10 s.

//go:embed ui
var uiFiles embed.FS

var (
	uiTemplate = template.Must(template.New("index.html.tmpl").Funcs(template.FuncMap{"clock": clock}).
			ParseFS(uiFiles, "ui/index.html.tmpl"))
	uiStatic = mustSub(uiFiles, "ui/static")
)

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // dir is a constant naming an embedded directory
	}
	return sub
}

// uiCSP keeps the page to its own scripts, styles and JSON.
const uiCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// uiRoutes adds the status page's routes to mux.
func (s *Server) uiRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", redirect("/ui/", http.StatusFound))
	mux.HandleFunc("GET /ui", redirect("/ui/", http.StatusMovedPermanently))
	mux.HandleFunc("GET /ui/{$}", s.uiIndex)
	mux.HandleFunc("GET /ui/members.json", s.uiMembers)
	static := http.StripPrefix("/ui/static/", http.FileServerFS(uiStatic))
	mux.Handle("GET /ui/static/", uiHeaders(noListing(static)))
}

// noListing answers 404 for directories instead of listing them, and for
// paths that cannot name an embedded file (invalid UTF-8, for which the
// file server would answer 500).
func noListing(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") || !utf8.ValidString(r.URL.Path) {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func redirect(to string, code int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, to, code) }
}

// uiHeaders sets the headers every UI response carries.
func uiHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", uiCSP)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("Cache-Control", "no-cache")
		h.ServeHTTP(w, r)
	})
}

// UIMember is one row of the status page, as /ui/members.json sends it.
type UIMember struct {
	Name       string
	Address    string // host:port of the gossip endpoint
	Status     string // alive, leaving, left or failed
	Type       string // server or client
	Datacenter string
	// StateChanged is when the member entered its status (RFC 3339, UTC);
	// Since is the same as an age ("3m ago") measured by the agent's clock,
	// so that a browser with a wrong clock still shows the right age.
	StateChanged string
	Since        string
	// Local marks this agent's own entry.
	Local bool
	// Maintenance is the reason the node is in maintenance (out of DNS
	// answers), omitted when it is not.
	Maintenance string `json:",omitempty"`
}

// UIMembers is the body of GET /ui/members.json, the status page's data.
type UIMembers struct {
	Node       string
	Datacenter string
	Version    string
	Now        string // the agent's clock, RFC 3339, UTC
	Members    []UIMember
	// Services are every service of the catalog with its instances,
	// sorted by name without regard to case.
	Services []UIService
}

// uiPage is the template's data.
type uiPage struct {
	UIMembers
	Rows     []UIMember // Members after the filters
	Counts   []uiCount  // over all members
	Statuses []string   // the status filter's choices
	Status   string     // status filter, "" for all
	Name     string     // name filter, "" for all

	Svc     uiServiceFilter // the services after their filters
	Healths []string        // the health filter's choices
	Health  string          // health filter, "" for all
	Service string          // service name filter, "" for all
}

type uiCount struct {
	Status string
	N      int
}

// uiStatuses are the statuses the page knows, in the order it shows them.
var uiStatuses = []string{"alive", "leaving", "left", "failed"}

// uiSnapshotTries bounds how often uiSnapshot reads again when the store
// changed while it read.
const uiSnapshotTries = 3

// uiSnapshot reads the members and the services. It reads again when the
// store's index moved in between, so that both come from one state of the
// catalog; under a constant stream of changes it keeps the last read.
func (s *Server) uiSnapshot(now time.Time) UIMembers {
	c := s.Agent.Config()
	tb := s.Agent.Table()
	out := UIMembers{Node: c.NodeName, Datacenter: c.Datacenter, Version: s.Version,
		Now: now.UTC().Format(time.RFC3339)}
	for range uiSnapshotTries {
		idx := tb.Index()
		out.Members = []UIMember{}
		for _, m := range tb.Members() {
			out.Members = append(out.Members, uiMemberOf(m, c, now))
		}
		out.Services = uiServicesOf(tb)
		if tb.Index() == idx {
			break
		}
	}
	return out
}

func uiMemberOf(m membership.Member, c membership.Config, now time.Time) UIMember {
	kind := "client"
	if m.IsServer() {
		kind = "server"
	}
	dc := m.Datacenter
	if dc == "" {
		dc = c.Datacenter
	}
	addr := ""
	if m.Addr.IsValid() {
		addr = net.JoinHostPort(m.Addr.String(), strconv.Itoa(int(m.Port)))
	}
	return UIMember{
		Name: m.Name, Address: addr, Status: m.State.String(), Type: kind, Datacenter: dc,
		StateChanged: m.StateChanged.UTC().Format(time.RFC3339),
		Since:        since(now.Sub(m.StateChanged)),
		Local:        strings.EqualFold(m.Name, c.NodeName),
		Maintenance:  m.Maintenance,
	}
}

// since renders an age the way the page shows it: "just now", "42s ago",
// "5m ago", "3h12m ago", "4d3h ago".
func since(d time.Duration) string {
	switch {
	case d < time.Second:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm ago", int(d/time.Hour), int(d%time.Hour/time.Minute))
	default:
		return fmt.Sprintf("%dd%dh ago", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
	}
}

// clock turns an RFC 3339 UTC time into the page's display form,
// "2026-01-02 15:04:05 UTC"; app.js does the same.
func clock(rfc3339 string) string {
	return strings.Replace(strings.Replace(rfc3339, "T", " ", 1), "Z", " UTC", 1)
}

// matches applies the page's filters: status exactly, name as a substring
// without regard to case.
func (m UIMember) matches(status, name string) bool {
	return (status == "" || m.Status == status) &&
		(name == "" || strings.Contains(strings.ToLower(m.Name), strings.ToLower(name)))
}

func (s *Server) uiIndex(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page := uiPage{Statuses: uiStatuses, Status: q.Get("status"), Name: strings.TrimSpace(q.Get("name"))}
	if page.Status == "all" {
		page.Status = ""
	}
	if page.Status != "" && !slices.Contains(uiStatuses, page.Status) {
		httpError(w, http.StatusBadRequest, fmt.Sprintf("unknown status %q: want one of %s", page.Status, strings.Join(uiStatuses, ", ")))
		return
	}
	health, err := checkHealth(q.Get("health"))
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	page.Healths, page.Health, page.Service = uiHealths, health, strings.TrimSpace(q.Get("service"))
	page.UIMembers = s.uiSnapshot(time.Now())
	page.Svc = filterServices(page.Services, page.Service, page.Health)
	counts := map[string]int{}
	for _, m := range page.Members {
		counts[m.Status]++
		if m.matches(page.Status, page.Name) {
			page.Rows = append(page.Rows, m)
		}
	}
	for _, st := range uiStatuses {
		page.Counts = append(page.Counts, uiCount{Status: st, N: counts[st]})
	}
	var buf bytes.Buffer
	if err := uiTemplate.Execute(&buf, page); err != nil {
		httpError(w, http.StatusInternalServerError, "render the status page: "+err.Error())
		return
	}
	uiHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(buf.Bytes())
	})).ServeHTTP(w, r)
}

func (s *Server) uiMembers(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, s.uiSnapshot(time.Now()))
}
