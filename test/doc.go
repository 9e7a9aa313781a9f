// Package test holds discod's black-box tests: real discod processes on
// loopback addresses, driven through the CLI, the HTTP API and DNS, as an
// operator would. Each test builds nothing itself: TestMain builds the
// binary once.
//
// Addresses: this package uses 127.0.0.10–127.0.0.29, and 127.0.0.50–59
// for the multi-datacenter test, with the default
// ports (8301 gossip, 8302 WAN gossip, 8500 HTTP, 8600 DNS, 8181 ready), one "host" per
// address, exactly as the getting-started walk-through does. Tests that
// start agents run one at a time (no t.Parallel) so gossip timing is not
// starved on a 2-core machine.
package test
