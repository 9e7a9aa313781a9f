// Package httpapi is discod's Consul-compatible HTTP API: the handlers the
// agent serves on -client:-http-port, the JSON shapes (field names as
// Consul's, so Consul's own API client works against discod), the status
// page, and the small client the discod CLI uses to talk to its local agent.
//
// The handlers read the member table straight from membership; the API
// never goes through DNS or CoreDNS.
//
// # Endpoints
//
//	GET  /v1/agent/members          members, Consul's shape (?wan=1: the WAN pool, servers only)
//	GET  /v1/agent/self             this agent's config and member entry
//	GET  /v1/agent/health           "ok" while the process serves HTTP
//	GET  /v1/agent/ready            200 once -bootstrap-expect is met, else 503
//	GET  /v1/agent/metrics          metrics, Consul's JSON shape (Metrics)
//	GET  /v1/agent/metrics?format=prometheus   the Prometheus text format
//	PUT  /v1/agent/join/<addr>      join through addr (?wan=1: the WAN pool)  (write)
//	PUT  /v1/agent/leave            leave and shut down          (write)
//	GET  /v1/catalog/nodes          alive and failed nodes (?dc=: another datacenter's)
//	GET  /v1/catalog/node/<name>    one node, or null (?dc= too)
//	GET  /v1/catalog/datacenters    known datacenters: own first, then alphabetical
//	GET  /ui/                       the status page (/ui and / redirect here)
//	GET  /ui/members.json           the status page's data (UIMembers)
//
// # Several datacenters
//
// ?dc= naming another datacenter forwards the catalog read to a server,
// along the path DNS questions take (federation.go): a client's request
// goes to a server of its datacenter, a server's to a server of that
// datacenter, which answers from its own table with WAN addresses. The
// hop travels in the X-Discod-Forwarded header, so nothing is forwarded
// twice. An unknown or unreachable datacenter gets Consul's 500 "No path
// to datacenter", with the reason.
//
// # Tokens
//
// Write endpoints — join and leave today, and any later force-leave,
// keyring or monitor endpoint, which must be wrapped with Server.write —
// need a token when the agent's HTTP listener is not loopback
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
// (Go runtime, process, CoreDNS and plugin/consulnode metrics) plus two
// families computed from the member table at scrape time:
//
//	discod_members{datacenter,status}    gauge: members by datacenter and status
//	discod_member_events_total{event}    counter: join, leave, failure, reap
//
// The event counts are derived by comparing the table with what the
// previous scrape saw (see eventTracker), so a change undone between two
// scrapes goes uncounted; name conflicts are not counted at all, since the
// table does not record them. Both need a change hook from membership to be
// exact. Without ?format=prometheus the answer has Consul's JSON shape
// (Metrics), with current values rather than Consul's 10-second aggregates.
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
// 404. The catalog's X-Consul-KnownLeader header is still "true", because
// Consul's API client refuses reads without it and every discod agent can
// answer reads on its own.
package httpapi
