package consulnode

// Ready implements the ready plugin's Readiness interface: the plugin has
// a gossip agent and the agent reports ready (it runs and, with
// bootstrap_expect, enough servers are alive). It only reads memory.
func (cn *ConsulNode) Ready() bool {
	be := cn.be.Load()
	return be != nil && be.src != nil && be.src.Ready()
}
