package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/httpapi"
	"github.com/discod/discod/internal/datadir"
	"github.com/discod/discod/membership"
)

// Maintenance mode: `discod maint` talks to PUT /v1/agent/maintenance; the
// daemon keeps the reason in the data dir so that a node in maintenance
// stays in maintenance across a restart, as Consul does, in the file
// datadir.Maintenance.

func runMaint(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("maint", "maint [options]\n\n  Places the local node, or with -service one of its services, into\n  maintenance mode, or takes it out. A node in maintenance stays in the\n  cluster (alive) but is left out of DNS answers (NXDOMAIN); `discod\n  members -detailed` shows its reason. A service in maintenance gets\n  Consul's critical _service_maintenance:<id> check and is left out of DNS\n  answers. Without -enable or -disable it lists what is in maintenance.\n  The state is kept across restarts when the agent has a -data-dir.", stderr)
	client := clientFlags(fs)
	enable := fs.Bool("enable", false, "put the node into maintenance mode")
	disable := fs.Bool("disable", false, "take the node out of maintenance mode")
	reason := fs.String("reason", "", "why the node or service is in maintenance, shown to operators (at most 128 bytes for the node)")
	service := fs.String("service", "", "the ID of a local service to act on instead of the node")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	switch {
	case *enable && *disable:
		fmt.Fprintln(stderr, "discod maint: -enable and -disable are mutually exclusive")
		return 1
	case *reason != "" && !*enable:
		fmt.Fprintln(stderr, "discod maint: -reason is only meaningful with -enable")
		return 1
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "discod maint: unexpected argument %q\n", fs.Arg(0))
		return 1
	case *service != "" && !*enable && !*disable:
		fmt.Fprintln(stderr, "discod maint: -service needs -enable or -disable")
		return 1
	}
	c, err := client()
	if err != nil {
		fmt.Fprintf(stderr, "discod maint: %v\n", err)
		return 1
	}
	ctx := context.Background()
	if !*enable && !*disable {
		self, err := c.Self(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "discod maint: %v\n", err)
			return 1
		}
		if r := self.Member.Tags[httpapi.TagMaintenance]; r != "" {
			fmt.Fprintf(stdout, "Node:\n  Name:   %s\n  Reason: %s\n", self.Member.Name, r)
		}
		checks, err := c.AgentChecks(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "discod maint: %v\n", err)
			return 1
		}
		ids := make([]string, 0, len(checks))
		for id, ch := range checks {
			if strings.HasPrefix(id, catalog.ServiceMaintPrefix) {
				ids = append(ids, ch.ServiceID)
			}
		}
		slices.Sort(ids)
		for _, id := range ids {
			fmt.Fprintf(stdout, "Service:\n  ID:     %s\n  Reason: %s\n", id, checks[catalog.ServiceMaintPrefix+id].Notes)
		}
		return 0
	}
	if *service != "" {
		if err := c.ServiceMaintenance(ctx, *service, *enable, *reason); err != nil {
			fmt.Fprintf(stderr, "discod maint: %v\n", err)
			return 1
		}
		if *enable {
			fmt.Fprintf(stdout, "Service entered maintenance mode: %s\n", *service)
		} else {
			fmt.Fprintf(stdout, "Service left maintenance mode: %s\n", *service)
		}
		return 0
	}
	if err := c.Maintenance(ctx, *enable, *reason); err != nil {
		fmt.Fprintf(stderr, "discod maint: %v\n", err)
		return 1
	}
	if *enable {
		fmt.Fprintln(stdout, "Node entered maintenance mode")
	} else {
		fmt.Fprintln(stdout, "Node left maintenance mode")
	}
	return 0
}

// readMaintenance returns the maintenance reason saved in dataDir, "" when
// the node is not in maintenance. An unreadable file is an error naming it.
func readMaintenance(dataDir string) (string, error) {
	if dataDir == "" {
		return "", nil
	}
	b, ok, err := datadir.Read(datadir.Path(dataDir, datadir.Maintenance))
	if err != nil {
		return "", fmt.Errorf("maintenance state: %w", err)
	}
	if !ok {
		return "", nil
	}
	r := strings.TrimSpace(string(b))
	if r == "" {
		r = membership.DefaultMaintenanceReason
	}
	if len(r) > membership.MaxMaintenanceReason {
		r = r[:membership.MaxMaintenanceReason]
	}
	return r, nil
}

// setMaintenance serves PUT /v1/agent/maintenance: it applies the change
// and saves it in the data dir (or removes the file).
func (d *daemon) setMaintenance(enable bool, reason string) error {
	if err := d.agent.SetMaintenance(enable, reason); err != nil {
		return err
	}
	dir := d.runtime().DataDir
	if dir == "" {
		return nil
	}
	path := datadir.Path(dir, datadir.Maintenance)
	if !enable {
		if err := datadir.Remove(path); err != nil {
			return fmt.Errorf("left maintenance, but a restart will enter it again: %w", err)
		}
		return nil
	}
	if err := datadir.Write(path, []byte(d.agent.Maintenance()+"\n")); err != nil {
		return fmt.Errorf("entered maintenance, but a restart will leave it: %w", err)
	}
	return nil
}
