// Package dnsrules is the one home of the rules that the agent's
// configuration (package config), the Corefile renderer (package corefile)
// and the CoreDNS plugin (plugin/consulnode) must agree on: the TTL limit,
// the answer limits, the labels of zone, node and datacenter names, the
// default node name, the parsing of recursor addresses and the check that
// a recursor is not the agent itself, and the default recursor_allow
// networks. A value config accepts is one the renderer renders and the
// plugin takes, because all three ask this package.
//
// It uses the standard library only, so that every one of them may import
// it (internal/archtest keeps it that way).
package dnsrules
