// Package chaos is discod's randomized fault schedule (issue 15): real
// `discod agent` processes on loopback, services from config files and
// over the HTTP API, checks flipped by HTTP and TCP servers that the
// schedule starts and stops and by TTL checks fed and starved, Consul
// api/watch watchers running throughout, and one fault at a time —
// kill -9 and restart, SIGSTOP/SIGCONT, iptables partitions, graceful
// leave and rejoin, registration bursts — in a seeded random order. After
// every heal a checker that knows the truth polls every agent's DNS and
// HTTP answers until they equal it, within a bound, and a table of the
// convergence times closes the run. docs/RELIABILITY.md describes it.
//
// `go test ./test/chaos/` runs a short schedule (about two minutes);
// `make chaos` runs ten minutes (DISCOD_CHAOS=1 … -args -duration 10m
// -seed N).
//
// Addresses: agents on 127.0.0.100–127.0.0.105, the addresses agents move
// to on 127.0.0.110–127.0.0.120, the check targets (HTTP and TCP servers
// in the test process) on 127.0.0.121–127.0.0.130. The default ports
// (8301, 8500, 8600) are used, one "host" per address.
package chaos
