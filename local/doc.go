// Package local is the one owner of this agent's own services and checks:
// those registered over the HTTP API (PUT /v1/agent/service/register,
// /v1/agent/check/register) and those defined in config files. It keeps
// their live state (check statuses and outputs, TTL clocks, service
// maintenance), writes the agent's whole record set to the catalog store
// at a new catalog.Version after every change, hands each change to
// Publish as a catalog.Delta so that membership can spread it, and
// persists what the API registered in the data dir so that it comes back
// after a restart.
//
// Status changes are written and published at once; a change of a check's
// output alone is held and goes out at most every CheckUpdateInterval
// (Consul's check_update_interval), so that a check printing a timestamp
// does not wake every watcher in the datacenter on every run.
package local
