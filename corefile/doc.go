// Package corefile embeds CoreDNS in discod: it picks and orders the
// plugins discod ships, renders discod's default Corefile from the agent's
// settings, loads a user's Corefile, and starts, reloads and stops the
// embedded server.
//
// Use:
//
//	text, err := corefile.Render(opts)            // or corefile.Load(path)
//	srv, err := corefile.Start(corefile.DefaultName, []byte(text))
//	err = srv.Reload(path, newText)               // on SIGHUP; the old config keeps running on error
//	err = srv.Stop()                              // shutdown hooks, close listeners, wait
//
// The Corefile is the only channel into the consulnode plugin: this
// package blank-imports it and never imports membership. Inside discod the
// daemon registers its gossip agent (membership.Register under
// membership.DefaultAgent) before Start, and consulnode answers from that
// agent's member table.
//
// Process-wide state, all of it CoreDNS's or caddy's: the directive list
// (Directives, installed once before the first Start), caddy's Caddyfile
// loaders (discod registers one that returns the running Corefile, see
// loader.go) and caddy's instance list. Hence one Server per process.
// Importing the prometheus plugin links in CoreDNS's coremain, which puts
// its CLI flags (-conf, -p, -dns.port, -pidfile, -plugins, -version,
// -quiet, -log-format) on flag.CommandLine; discod parses its own
// flag.FlagSet, never flag.CommandLine, so they have no effect.
package corefile
