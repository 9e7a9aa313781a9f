// Package stockcoredns tests consulnode in a stock CoreDNS: CoreDNS
// v1.15.0 built from a copy of its module source with one line added to
// its plugin.cfg, exactly as the plugin's README (Compilation) tells users,
// plus a replace that points github.com/discod/discod at this checkout
// until the module is published.
//
// The build follows CoreDNS's own Makefile: `go generate coredns.go`, then
// `go get` to add the plugin's dependencies to go.mod, then `go build`. The
// copy is needed because the module cache is read-only. It compiles about
// 200 modules and may download the ones discod itself does not need, so it
// takes minutes on a cold build cache: the test runs only when
// DISCOD_STOCK_COREDNS=1 (`make stock-coredns`, and .ci/run under CI) and
// skips in a plain `go test ./...`.
//
// The built CoreDNS runs the plugin with its own gossip agent, joined to a
// real `discod agent` whose gossip is encrypted (-encrypt, and the same key
// as the block's `encrypt`); the test checks both directions of DNS
// (CoreDNS answers for the discod node and for a service registered with
// discod, discod answers for the CoreDNS node), the member list, the
// keyring the plugin keeps in its data_dir, and that SIGTERM makes CoreDNS
// leave the cluster gracefully.
//
// Addresses: this package uses 127.0.0.60–127.0.0.69:
//
//	127.0.0.60  discod agent "disc": gossip 8301, HTTP 8500, DNS 8600
//	127.0.0.61  stock CoreDNS, node "coredns-1": gossip 8301, DNS 8653,
//	            ready 8181
package stockcoredns
