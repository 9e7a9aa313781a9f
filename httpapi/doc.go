// Package httpapi is discod's Consul-compatible HTTP API: the handlers the
// agent serves on -client:-http-port, the JSON shapes (field names as
// Consul's, so Consul's own API client works against discod), the status
// page, and the small client the discod CLI uses to talk to its local agent.
//
// The handlers read the catalog store (catalog.Store, the agent's
// Table()) straight; the API never goes through DNS or CoreDNS.
//
// # Endpoints
//
//	GET  /v1/agent/members          members, Consul's shape (?wan=1: the WAN pool, servers only; ?filter=)
//	GET  /v1/agent/self             this agent's config and member entry
//	GET  /v1/agent/health           "ok" while the process serves HTTP
//	GET  /v1/agent/ready            200 once -bootstrap-expect is met, else 503
//	GET  /v1/agent/metrics          metrics, Consul's JSON shape (Metrics)
//	GET  /v1/agent/metrics?format=prometheus   the Prometheus text format
//	PUT  /v1/agent/join/<addr>      join through addr (?wan=1: the WAN pool)  (write)
//	PUT  /v1/agent/leave            leave and shut down          (write)
//	PUT  /v1/agent/force-leave/<n>  mark a failed member left (?prune removes it)  (write)
//	PUT  /v1/agent/reload           re-read the configuration    (write)
//	PUT  /v1/agent/maintenance      node maintenance (?enable=, ?reason=)  (write)
//	GET  /v1/agent/monitor          follow the agent's log (?loglevel=, ?logjson)  (write: logs name hosts)
//	*    /v1/operator/keyring       list, install, use, remove gossip keys  (write: keys are secrets)
//	GET  /v1/agent/services         this agent's own services (agent_services.go)
//	GET  /v1/agent/service/<id>     one of them
//	GET  /v1/agent/health/service/name/<s>, /id/<id>   their aggregated health
//	PUT  /v1/agent/service/register, deregister/<id>, maintenance/<id>  (write)
//	GET  /v1/agent/checks           this agent's own checks (agent_checks.go)
//	PUT  /v1/agent/check/register, deregister/<id>, pass|warn|fail/<id>, update/<id>  (write)
//	PUT  /v1/catalog/register       an external node (no agent), its service and checks; owned by this agent (catalog_register.go)  (write)
//	PUT  /v1/catalog/deregister     an external node, one of its services or one of its checks  (write)
//	GET  /v1/catalog/nodes          alive and failed nodes, external ones too (?node-meta=k:v, repeatable, AND)
//	GET  /v1/catalog/node/<name>    one node with its services keyed by ID, or null
//	GET  /v1/catalog/services       service name → union of its tags (no "consul" service)
//	GET  /v1/catalog/service/<s>    the instances of s (?tag=, repeatable, all must match)
//	GET  /v1/health/service/<s>     instances with their checks (?passing, ?tag=)
//	GET  /v1/health/node/<n>        the checks of a node (serfHealth, _node_maintenance, own)
//	GET  /v1/health/checks/<s>      the checks of the instances of s
//	GET  /v1/health/state/<st>      every check in state any|passing|warning|critical
//	GET  /v1/kv/<key>               404: discod has no key/value store
//	GET  /v1/catalog/datacenters    known datacenters: own first, then alphabetical
//	GET  /ui/                       the status page (/ui and / redirect here)
//	GET  /ui/members.json           the status page's data (UIMembers)
//
// # Indexed reads: blocking queries, filters, headers
//
// Every /v1/catalog/* (but datacenters), /v1/health/* and /v1/kv/* read
// goes through Server.read (blocking.go): ?index=N&wait=D holds it until
// the result's index is above N or D has passed (default 5 min, at most
// 10 min, plus a random extra of up to D/16); index 0 or none, or an index
// above the store's (the client kept it across a restart), answers at
// once. Each attempt registers a fresh catalog.WatchSet on the keys of its
// own result, so a blocked request wakes only when its answer may have
// changed, and nothing polls. A request that has to wait is parked
// (park.go): its connection is taken over from net/http and it waits in
// one small goroutine of its own, answering with "Connection: close";
// Server.Done makes every one answer at once at shutdown. A bad wait
// or index is a 400 ("Invalid wait time", "Invalid index"), as is ?stale
// with ?consistent; either alone, ?cached and ?near are accepted and change
// nothing (every read is local; there are no coordinates). ?filter= is a
// go-bexpr expression over the JSON shape of each element, with Consul's
// selectors (filter.go); one that does not parse or names no field is a
// 400 naming the problem, never an unfiltered answer. Every such answer,
// errors and 404s included, carries X-Consul-Index (the result's index,
// never 0), X-Consul-KnownLeader: true and X-Consul-LastContact: 0.
// docs/http.md has the whole contract.
//
// # Several datacenters
//
// ?dc= naming another datacenter forwards the catalog read to a server,
// along the path DNS questions take (federation.go): a client's request
// goes to a server of its datacenter, a server's to a server of that
// datacenter, which answers from its own table with WAN addresses. The
// hop travels in the X-Discod-Forwarded header, so nothing is forwarded
// twice. A blocking read forwarded gets its wait and the largest jitter on
// top of the hop's timeout. An unknown or unreachable datacenter gets Consul's 500 "No path
// to datacenter", with the reason.
//
// # Tokens
//
// Write endpoints — every PUT above, and the monitor and keyring
// endpoints, each wrapped with Server.write — need a token when the agent's HTTP listener is not loopback
// (Server.ListenAddr), or whenever one is configured (Server.Token). The
// token comes in the X-Consul-Token header, as with Consul, or as
// "Authorization: Bearer <token>"; it is compared in constant time. A
// missing or wrong token gets 403 and a one-line reason. A listener that is
// not loopback with no token configured refuses writes altogether: an
// agent reachable from other hosts must not leave the cluster on anyone's
// request. Consul's ?token= query parameter is not read, since URLs end up
// in logs. Reads (members, catalog, metrics, the status page) never need a
// token: they show what DNS already answers to anyone.
//
// # Metrics
//
// GET /v1/agent/metrics serves the process's default Prometheus registry
// (Go runtime, process, CoreDNS and plugin/consulnode metrics, among them
// the membership metrics coredns_consulnode_members{datacenter,status} and
// coredns_consulnode_member_events_total{event}) plus discod's own
// families, computed at scrape time:
//
//	discod_http_blocked_requests         gauge: blocking reads held now
//	discod_http_blocking_wakeups_total   counter: held reads woken by a change
//	discod_catalog_index                 gauge: the catalog's index
//
// The membership metrics are the plugin's only (see metrics.go for why);
// the catalog, check and records families are in metrics_catalog.go. Without
// ?format=prometheus the answer has Consul's JSON shape (Metrics), with
// current values rather than Consul's 10-second aggregates.
//
// # Status page
//
// /ui/ is rendered with html/template from the embedded ui/ directory, with
// no build step. A little plain JavaScript (ui/static/app.js) polls
// /ui/members.json every 2 s and applies the status and name filters as
// they change; without JavaScript the filter form still works and the page
// reloads itself every 10 s. A Content-Security-Policy keeps the page to
// its own script and style.
//
// # Not implemented: /v1/status/leader and /v1/status/peers
//
// Consul answers these from its Raft cluster: the leader's address and the
// voting servers. discod has no Raft and no leader; every agent answers
// from its own member table. Answering "" for the leader would tell
// Consul tooling the cluster has lost its leader (an outage), and a
// made-up leader would be a lie, so both endpoints are left out and get
// 404. The catalog's X-Consul-KnownLeader header is still "true": every
// discod agent answers reads on its own. Consul's Go client ignores header
// errors altogether (it never checks what parsing them returns), so the
// header is not what makes it work; what clients really need is a numeric
// X-Consul-Index above 0 on every indexed read: Prometheus and
// consul-template discard an answer whose index equals their initial 0,
// and python-consul raises KeyError without the header.
package httpapi
