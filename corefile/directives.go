package corefile

import (
	"slices"
	"sync"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"

	// The CoreDNS plugins discod ships, and only those: importing
	// core/plugin would pull in every plugin and the Kubernetes client.
	// Directive prometheus lives in package metrics. Importing metrics (and
	// cache, acl, which use it) also runs coremain's init, which registers
	// CoreDNS's CLI flags on flag.CommandLine and its Caddyfile loaders;
	// discod parses its own FlagSet and registers its own loader
	// (loader.go), so neither matters.
	_ "github.com/coredns/coredns/plugin/acl"
	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/hosts"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/metrics"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
	_ "github.com/coredns/coredns/plugin/rewrite"
	_ "github.com/coredns/coredns/plugin/whoami"

	_ "github.com/discod/discod/plugin/consulnode"
)

// directives is the execution order of the plugins discod ships: the
// subset of CoreDNS v1.15.0's plugin.cfg that discod imports, in
// plugin.cfg order, with consulnode where plugin.cfg has etcd (after the
// other authoritative backends such as hosts, before loop and forward).
// Every plugin sees the effect of the ones after it, so acl, cache and
// rewrite wrap consulnode, and forward only gets what consulnode passes on.
// The `any` plugin is left out on purpose: consulnode answers ANY itself.
var directives = []string{
	"reload",
	"bind",
	"ready",
	"health",
	"prometheus",
	"errors",
	"log",
	"rewrite",
	"acl",
	"cache",
	"hosts",
	"consulnode",
	"loop",
	"forward",
	"whoami",
}

// Directives returns the Corefile directives discod supports, in the order
// their plugins run for a query (not the order they are written in a
// server block, which does not matter). A Corefile using any other
// directive fails to load with "Unknown directive".
func Directives() []string { return slices.Clone(directives) }

// setup configures CoreDNS for embedding, once per process: it installs
// discod's directive list and silences the start-up banners. It runs
// before the first start; dnsserver.SetDirectives must not race with a
// running server, and after this nothing changes the list again.
var setup = sync.OnceValue(func() error {
	caddy.Quiet = true
	dnsserver.Quiet = true
	return dnsserver.SetDirectives(directives)
})
