// Package config turns the arguments of `discod agent` and Consul-style
// configuration files into one validated Runtime.
//
// # Sources and precedence
//
// Settings come from three places, applied in this order, each later one
// overriding the earlier:
//
//  1. Built-in defaults (documented on each Runtime field and in
//     REFERENCE.md). -dev changes a few of them.
//  2. Configuration files, in the order their -config-file and -config-dir
//     flags appear on the command line. A -config-dir contributes its
//     regular files ending in .json or .hcl in lexical order of name; other
//     files are skipped, as Consul does. A -config-file must end in .json
//     or .hcl.
//  3. Flags.
//
// # Merging
//
// Scalars (strings, numbers, booleans, durations, addresses): the last
// source that sets a key wins. Lists (retry_join, recursors, …) and their
// repeatable flags (-retry-join, -recursor, …) append, as Consul merges
// slices: a flag adds to what the files said rather than replacing it.
// Exact duplicates are dropped, keeping the first. recursor_allow replaces
// its built-in default as soon as any source sets it. node_meta merges key
// by key; a later source's value for the same key wins.
//
// # Keys
//
// Keys are Consul's names (node_name, bind_addr, ports { dns }, …) plus a
// few discod-only ones (recursor_allow, corefile, metrics_addr, http_token,
// dns_config { failed_answer, no_reverse }). A key that Consul documents but
// discod does not implement yet (services, acl, telemetry, tls, …) is
// ignored with a Runtime.Warnings entry naming the file and the key, so a
// Consul configuration directory can be pointed at discod. A key unknown to
// Consul too is an error, with a "did you mean" suggestion when a known key
// is close.
//
// # Errors
//
// Every error names where the offending value came from: the file and the
// key (config file /etc/discod/a.json: key "ports.dns": …) or the flag
// (invalid value "x" for flag -bind: …). Problems in files are collected,
// so one run reports all of them; checks that need the merged result
// (bootstrap_expect without server, clashing ports, equal domains) report
// the first failure.
//
// # Reload
//
// Runtime.Reload re-reads the same files with the same flags, which is what
// the daemon does on SIGHUP, and RestartNeeded tells which changed settings
// only take effect after a restart.
//
// This package never opens a socket; it only lists the host's interface
// addresses to choose a default bind address. The DNS rules it shares with
// the Corefile renderer and the plugin (TTL and answer limits, zone and
// node labels, recursors, the default recursor_allow) come from package
// dnsrules, the gossip budget of node_meta and the gossip tuning types
// from membership; it never imports CoreDNS.
package config
