// Package httpapi is discod's Consul-compatible HTTP API: the handlers the
// agent serves on -client:-http-port, the JSON shapes (field names as
// Consul's, so Consul's own API client works against discod), and the small
// client the discod CLI uses to talk to its local agent.
//
// The handlers read the member table straight from membership; the API
// never goes through DNS or CoreDNS.
package httpapi
