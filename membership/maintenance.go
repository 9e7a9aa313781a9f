package membership

import (
	"fmt"
	"time"

	"github.com/discod/discod/catalog"
)

// Maintenance mode (Consul's `consul maint`): the node stays in the
// cluster, alive, and gossips a reason in its metadata; DNS leaves it out
// of answers while the reason is set.

// DefaultMaintenanceReason is the reason recorded when the operator gives
// none, Consul's words (the catalog's one home for them).
const DefaultMaintenanceReason = catalog.DefaultNodeMaintReason

// MaxMaintenanceReason is the longest reason accepted, in bytes: the
// reason travels in the node metadata, which memberlist caps at 512 bytes
// for everything the node says about itself.
const MaxMaintenanceReason = 128

// maintenanceSpreadTimeout bounds how long SetMaintenance waits for the
// change to go out; gossip carries it anyway afterwards.
const maintenanceSpreadTimeout = 2 * time.Second

// SetMaintenance puts the node in maintenance with reason (enable true;
// an empty reason becomes DefaultMaintenanceReason) or takes it out
// (enable false, reason ignored), and gossips the change. It fails when
// the agent is leaving or stopped, or when the reason is too long.
func (a *Agent) SetMaintenance(enable bool, reason string) error {
	if !enable {
		reason = ""
	} else if reason == "" {
		reason = DefaultMaintenanceReason
	}
	if len(reason) > MaxMaintenanceReason {
		return fmt.Errorf("maintenance reason is %d bytes; the limit is %d (it is gossiped with the node's metadata)", len(reason), MaxMaintenanceReason)
	}
	if a.left.Load() || a.isShut() {
		return fmt.Errorf("the agent is leaving or stopped")
	}
	if _, err := a.setMeta(func(m *nodeMeta) bool { m.Maintenance = reason; return true }); err != nil {
		return fmt.Errorf("maintenance reason does not fit the node metadata: %w", err)
	}
	if enable {
		a.log.Warn("node in maintenance mode: left out of DNS answers", "reason", reason)
	} else {
		a.log.Info("node out of maintenance mode: back in DNS answers")
	}
	if err := a.ml.UpdateNode(maintenanceSpreadTimeout); err != nil {
		a.log.Debug("maintenance change did not finish spreading; gossip will carry it", "error", err)
	}
	return nil
}

// Maintenance returns the node's maintenance reason, empty when it is not
// in maintenance.
func (a *Agent) Maintenance() string {
	a.metaMu.Lock()
	defer a.metaMu.Unlock()
	return a.meta.Maintenance
}
