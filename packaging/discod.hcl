# A sample discod agent configuration (HCL; JSON with the same keys works
# too). Keys are Consul's; see config/REFERENCE.md for every key and flag.
# Install as /etc/discod.d/discod.hcl for packaging/discod.service.

datacenter = "dc1"

# The address other agents reach this one at, and what DNS answers for it.
# Without it the agent uses the host's single private IPv4 address.
bind_addr = "10.0.0.10"

# Where DNS (8600) and the HTTP API (8500) listen.
client_addr = "127.0.0.1"

# Servers count for bootstrap_expect (a readiness gate, see docs/agent.md).
server           = true
bootstrap_expect = 3

# Join these at start and keep retrying until one answers.
retry_join     = ["10.0.0.11", "10.0.0.12"]
retry_interval = "30s"

# Gossip encryption: generate with `discod keygen`. The keyring is then kept
# (and rotated) in the data dir.
# encrypt = "..."

# Names outside the zone go to these resolvers, for clients in
# recursor_allow only.
recursors = ["10.0.0.2"]

dns_config {
  node_ttl = "5s"
  soa {
    min_ttl = 5
  }
}

node_meta {
  rack = "r1"
}

log_level = "info"
