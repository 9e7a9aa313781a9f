// Package chaos is discod's randomized fault schedule (issue 15): real
// `discod agent` processes on loopback in two datacenters, services from
// config files and over the HTTP API, checks of every type flipped (HTTP,
// TCP and UDP servers that the schedule starts and stops, a gRPC health
// server set SERVING or NOT_SERVING, script checks testing a file, TTL
// checks fed and starved), Consul api/watch watchers running throughout,
// and one fault at a time — kill -9 and restart, SIGSTOP/SIGCONT,
// iptables partitions (inside dc1, across, and between the datacenters),
// graceful leave and rejoin, registration bursts, a data dir made
// read-only or full in a mount namespace — in a seeded random order. After
// every heal a checker that knows the truth polls every agent's DNS and
// HTTP answers until they equal it, within a bound, and a table of the
// convergence times closes the run. docs/RELIABILITY.md describes it.
//
// `go test ./test/chaos/` runs a short schedule (about two minutes);
// `make chaos` runs ten minutes (DISCOD_CHAOS=1 … -args -duration 10m
// -seed N).
//
// Addresses: dc1's agents on 127.0.0.100–127.0.0.105, dc2's on
// 127.0.0.106–127.0.0.108, the addresses agents move to on
// 127.0.0.110–127.0.0.120, the check targets (servers in the test
// process) on 127.0.0.121–127.0.0.128 (HTTP, TCP) and 127.0.0.129–127.0.0.137
// (gRPC, UDP, dc2's HTTP, h2ping). The default ports (8301, 8302, 8500, 8600) are
// used, one "host" per address.
package chaos
