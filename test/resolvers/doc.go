// Package resolvers tests the forwarding recipes of docs/resolvers.md
// against the real resolvers they are written for: dnsmasq, unbound, BIND
// named, an iptables REDIRECT inside a network namespace, glibc's
// getaddrinfo (through getent) and Go's own resolver. systemd-resolved
// needs systemd as PID 1 and is not run here; its recipe is checked
// against the documentation only.
//
// The recipes live in testdata/ and the document quotes them verbatim
// (TestDocQuotesRecipes checks it). A test writes a resolver's
// configuration from two parts: harness lines of its own (where to
// listen, the pid file, the default upstream, DNSSEC trust) and the
// recipe file, unchanged except for one documented substitution: the
// recipe's discod address 127.0.0.1 becomes the test agent's address.
//
// A fake upstream (upstream_test.go) stands in for the Internet: a
// recursive server whose root zone is DNSSEC-signed with a key made at
// start and given to the resolvers as their root trust anchor. So the
// resolvers validate as in production, and the DNSSEC traps of private
// TLDs (the root proves consul. does not exist) are real here.
//
// Addresses: 127.0.0.30–127.0.0.49 with these roles:
//
//	127.0.0.30  discod agent "web-1", DNS 8600, no recursors (no RA)
//	127.0.0.32  dnsmasq, ports 5353 and up
//	127.0.0.33  unbound, ports 5353 and up
//	127.0.0.34  named, ports 5353 and up (added to lo while the test runs:
//	            named only listens on addresses an interface carries)
//	127.0.0.35  discod agent "web-5" on port 53 with a recursor (RA)
//	127.0.0.36  discod agent "web-6" on port 53 without recursors (no RA)
//	127.0.0.37  discod "web-7", which must fail to bind port 53
//	127.0.0.40  the fake upstream, port 53
//
// The iptables test runs in a network namespace of its own (removed at
// the end, even on failure) and uses that namespace's 127.0.0.1. The
// getaddrinfo and nslookup tests bind-mount their own resolv.conf and
// nsswitch.conf in a private mount namespace: the host's files are never
// touched.
//
// The tests need root (namespaces, port 53, iptables) and the Debian
// packages dnsmasq-base, unbound, bind9, bind9-dnsutils, iptables and
// iproute2 (plus util-linux, mount and libc-bin, which every Debian
// system has). A missing tool skips the test with a message naming the
// package; under CI=true it fails it instead. Tests run one at a time.
package resolvers
