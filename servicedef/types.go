// Package servicedef holds service and check definitions as users write
// them, in config files (service, services, check, checks blocks, JSON or
// HCL) and in HTTP bodies (PUT /v1/agent/service/register,
// /v1/agent/check/register): their decoding with Consul's keys (CamelCase
// and snake_case alike), defaults, validation and limits, and their
// conversion to catalog rows. It is the one home of these rules: config
// and httpapi both decode through it. Standard library only.
package servicedef

import (
	"time"

	"github.com/discod/discod/catalog"
)

// Service is one service definition.
type Service struct {
	ID                string // default: Name
	Name              string
	Tags              []string
	Address           string // IP or host name; "" for the node's
	Port              int
	Meta              map[string]string
	TaggedAddresses   map[string]catalog.ServiceAddress
	EnableTagOverride bool
	Weights           *catalog.Weights // nil: Consul's default 1/1
	// Checks are the service's checks, in the order given (check and
	// checks); their ServiceID is the service's.
	Checks []Check
	// Token is Consul's ACL token key, accepted for compatibility and
	// ignored (discod has no ACLs); Validate warns about it.
	Token string
	// Source says where the definition came from, for messages
	// ("config file /etc/discod.d/web.json", "HTTP API").
	Source string
	// FromFile is set for definitions read from config files; Normalize
	// copies it to the service's checks.
	FromFile bool
}

// Check is one check definition, of a node (ServiceID "") or of a service.
type Check struct {
	ID        string // default: Name, or service:<service-id>[:N] inside a service
	Name      string // default inside a service: "Service '<name>' check"
	ServiceID string
	Notes     string
	// Status is the initial status; default critical.
	Status string

	// Exactly one of these selects the type (Type reports it).
	HTTP   string
	TCP    string
	UDP    string
	GRPC   string // host:port[/service]
	H2PING string
	TTL    time.Duration
	// Args is the command of a script check; Shell the legacy "script"
	// string, run as /bin/sh -c.
	Args         []string
	Script       string
	AliasNode    string
	AliasService string

	// HTTP options.
	Method           string
	Header           map[string][]string
	Body             string
	TLSServerName    string
	TLSSkipVerify    bool
	DisableRedirects bool
	TCPUseTLS        bool
	GRPCUseTLS       bool
	H2PingUseTLS     bool // Consul's default is true; DecodeCheck applies it

	Interval time.Duration
	Timeout  time.Duration // default: Consul's per type

	SuccessBeforePassing           int
	FailuresBeforeWarning          int // default: FailuresBeforeCritical
	FailuresBeforeCritical         int
	DeregisterCriticalServiceAfter time.Duration // minimum 1 minute
	OutputMaxSize                  int           // default: the agent's check_output_max_size (4096)

	// Token is Consul's ACL token key, ignored as the service's.
	Token string

	// Source says where the definition came from, for messages.
	Source string
	// FromFile is set for definitions read from config files: script
	// checks from files need only enable_local_script_checks.
	FromFile bool
}

// The check types.
const (
	TypeHTTP   = "http"
	TypeTCP    = "tcp"
	TypeUDP    = "udp"
	TypeGRPC   = "grpc"
	TypeH2Ping = "h2ping"
	TypeTTL    = "ttl"
	TypeScript = "script"
	TypeAlias  = "alias"
)

// Type returns the check's type, or "" when none is set.
func (c *Check) Type() string {
	switch {
	case c.HTTP != "":
		return TypeHTTP
	case c.TCP != "":
		return TypeTCP
	case c.UDP != "":
		return TypeUDP
	case c.GRPC != "":
		return TypeGRPC
	case c.H2PING != "":
		return TypeH2Ping
	case c.TTL > 0:
		return TypeTTL
	case len(c.Args) > 0 || c.Script != "":
		return TypeScript
	case c.AliasNode != "" || c.AliasService != "":
		return TypeAlias
	}
	return ""
}
