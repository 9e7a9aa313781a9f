// Package checks runs an agent's health checks: the probes of Consul's
// check types (http, tcp, udp, grpc, h2ping, script), TTL checks that
// clients keep alive, and alias checks that mirror another service or node.
//
// A Runner runs each started check in its own goroutine: the first run is
// delayed by a random fraction of the interval (no thundering herd when an
// agent starts a thousand checks at once), then the check runs every
// interval (at least servicedef.MinInterval), measured from the end of the
// previous run. Each run has its own timeout, so a slow or hanging check
// never delays another.
//
// Every run's raw status goes through the check's dampener
// (success_before_passing, failures_before_warning,
// failures_before_critical, with Consul's rules) and is then reported to
// Config.Result with the run's output, also when neither changed: the
// caller decides what to spread. Outputs are capped at the check's
// output limit (servicedef.Check.OutputLimit of Config.OutputMaxSize:
// 4096 bytes by default). Definitions go through servicedef's
// Check.Normalize first, for Consul's defaults (timeouts 10 s, 30 s for
// scripts; initial status critical).
//
// Semantics, and where they differ from Consul:
//   - http: 2xx is passing, 429 warning, anything else critical; the output
//     is Consul's "HTTP GET <url>: 200 OK Output: <body>". Keep-alives are
//     off, as in Consul, so every run tests that the server accepts
//     connections; one transport is shared by all checks with the same TLS
//     settings.
//   - tcp: a connection (with tcp_use_tls, a TLS handshake) is passing.
//     Host names are dialled on IPv4 and IPv6, the first success wins.
//   - udp: a probe datagram is sent and a reply is passing. Unlike Consul,
//     which calls a read timeout healthy, no reply within the timeout is
//     critical: a check that cannot fail tells nothing. An ICMP port
//     unreachable (connection refused) is critical, as in Consul.
//   - grpc: the standard grpc.health.v1 Check call; SERVING is passing.
//   - h2ping: an HTTP/2 PING frame answered within the timeout, over TLS
//     (h2ping_use_tls, Consul's default) or cleartext HTTP/2 with prior
//     knowledge (h2c).
//   - script: args run directly, without a shell; the legacy script string
//     runs as /bin/sh -c, with a deprecation warning logged once per check.
//     Exit 0 is passing, 1 warning, anything else critical; at the timeout
//     the whole process group is killed. Whether scripts may run at all is
//     the caller's decision: the Runner runs what it is given.
//   - ttl: TTLUpdate sets the status and restarts the TTL; when it runs out
//     the check turns critical with Consul's output "TTL expired". TTL
//     updates are not dampened (as in Consul).
//   - alias: the aggregated status of a local service or a node, through
//     Config.AliasStatus; maintenance counts as critical. Alias results are
//     reported when they change, not on every evaluation.
//
// Result is called from the check's goroutine (and from TTLUpdate's caller
// for TTL updates); the calls of one started check never overlap. Start and Stop never
// wait for a run or a Result call, so a caller may hold a lock that Result
// takes while calling them: a run in flight is cancelled and its result
// dropped, and only a Result call already under way can complete after
// Stop returns. Close waits for every goroutine and Result call.
package checks
