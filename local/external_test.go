package local

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/servicedef"
)

func rdsReg() ExternalRegistration {
	return ExternalRegistration{Node: "rds-1", Address: "10.0.0.5", NodeMeta: map[string]string{"external-node": "true"},
		Service: &catalog.Service{Name: "postgres", Port: 5432},
		Checks:  []catalog.Check{{Name: "pg-up", ServiceID: "postgres"}}}
}

func TestRegisterExternalRefusals(t *testing.T) {
	s, store, _ := newState(t, func(c *Config) { c.MaxServices = 2 })
	store.Upsert(catalog.Node{Name: "agent-b", State: catalog.StateAlive})
	store.ReplaceRecordSet("agent-b", catalog.Version{Epoch: 1, Seq: 1}, nil, nil, []catalog.ExternalNode{{Name: "theirs", Address: "10.0.0.9"}})
	if err := s.AddService(servicedef.Service{Name: "own"}, false); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		mod  func(*ExternalRegistration)
		want string
	}{
		{"no node", func(r *ExternalRegistration) { r.Node = "" }, "Must provide node"},
		{"no address", func(r *ExternalRegistration) { r.Address = "" }, "Must provide address"},
		{"service without a name", func(r *ExternalRegistration) { r.Service.Name = "" }, "Must provide service name"},
		{"this agent's name", func(r *ExternalRegistration) { r.Node = "NODE-A" }, "this agent's own node"},
		{"a member's name", func(r *ExternalRegistration) { r.Node = "agent-b" }, `"agent-b" is the name of an agent`},
		{"another agent's external node", func(r *ExternalRegistration) { r.Node = "theirs" }, `the agent "agent-b" registered`},
		{"bad node meta", func(r *ExternalRegistration) { r.NodeMeta = map[string]string{"consul-x": "1"} }, "consul-"},
		{"bad status", func(r *ExternalRegistration) { r.Checks[0].Status = "fine" }, `status "fine"`},
		{"check of an unknown service", func(r *ExternalRegistration) { r.Checks[0].ServiceID = "nope" }, `no service "nope"`},
		{"check of another node", func(r *ExternalRegistration) { r.Checks[0].Node = "other" }, `names node "other"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			reg := rdsReg()
			svc := *reg.Service
			reg.Service = &svc
			tt.mod(&reg)
			err := s.RegisterExternal(reg)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrInvalid with %q", err, tt.want)
			}
		})
	}
	t.Run("the agent's service limit counts external services", func(t *testing.T) {
		if err := s.RegisterExternal(rdsReg()); err != nil {
			t.Fatal(err)
		}
		reg := rdsReg()
		reg.Service = &catalog.Service{Name: "mysql"}
		if err := s.RegisterExternal(reg); !errors.Is(err, ErrLimit) {
			t.Fatalf("err = %v, want ErrLimit", err)
		}
		if err := s.AddService(servicedef.Service{Name: "own-2"}, false); !errors.Is(err, ErrLimit) {
			t.Fatalf("own service past the limit: err = %v, want ErrLimit", err)
		}
		many := rdsReg()
		many.Service = nil
		many.Checks = make([]catalog.Check, DefaultMaxChecks+1)
		if err := s.RegisterExternal(many); !errors.Is(err, ErrLimit) {
			t.Fatalf("%d checks at once: err = %v, want ErrLimit", len(many.Checks), err)
		}
	})
	if got := store.ExternalNodes("node-a"); len(got) != 1 || len(got[0].Services) != 1 {
		t.Fatalf("a refused registration changed the records: %+v", got)
	}
}

func TestRegisterAndDeregisterExternal(t *testing.T) {
	s, store, rec := newState(t, nil)
	if err := s.RegisterExternal(rdsReg()); err != nil {
		t.Fatal(err)
	}
	reg := rdsReg()
	reg.Service, reg.Checks = &catalog.Service{ID: "pg-ro", Name: "postgres-ro"}, []catalog.Check{{CheckID: "node-up", Status: "passing"}}
	reg.SkipNodeUpdate, reg.Address = true, ""
	if err := s.RegisterExternal(reg); err != nil {
		t.Fatal(err)
	}
	got := store.ExternalNodes("node-a")
	if len(got) != 1 || got[0].Address != "10.0.0.5" || len(got[0].Services) != 2 || len(got[0].Checks) != 2 {
		t.Fatalf("external nodes: %+v", got)
	}
	if c := got[0].Checks[1]; c.CheckID != "pg-up" || c.Status != catalog.StatusCritical || c.ServiceName != "postgres" {
		t.Fatalf("check defaults: %+v", c)
	}
	ds := rec.all()
	if last := ds[len(ds)-1]; len(last.Nodes) != 1 || last.Nodes[0].Name != "rds-1" || last.From.Seq+1 != last.To.Seq {
		t.Fatalf("last delta: %+v", last)
	}

	for _, step := range []struct {
		name               string
		service, check     string
		services, checks   int
		nodeGone, anything bool
	}{
		{"a check", "", "node-up", 2, 1, false, true},
		{"an unknown check", "", "nope", 2, 1, false, false},
		{"a service and its checks", "postgres", "", 1, 0, false, true},
		{"the node", "", "", 0, 0, true, true},
		{"a node not held", "", "", 0, 0, true, false},
	} {
		t.Run(step.name, func(t *testing.T) {
			did, err := s.DeregisterExternal("RDS-1", step.service, step.check)
			if err != nil || did != step.anything {
				t.Fatalf("DeregisterExternal = %v, %v", did, err)
			}
			got := store.ExternalNodes("node-a")
			if step.nodeGone {
				if len(got) != 0 {
					t.Fatalf("node still there: %+v", got)
				}
				return
			}
			if len(got[0].Services) != step.services || len(got[0].Checks) != step.checks {
				t.Fatalf("external node: %+v", got[0])
			}
		})
	}
	ds = rec.all()
	if last := ds[len(ds)-1]; len(last.DeleteNodes) != 1 || last.DeleteNodes[0] != "rds-1" {
		t.Fatalf("last delta: %+v", last)
	}
}

func TestExternalPersisted(t *testing.T) {
	dir := t.TempDir()
	s, _, _ := newState(t, func(c *Config) { c.DataDir = dir })
	if err := s.RegisterExternal(rdsReg()); err != nil {
		t.Fatal(err)
	}
	s.Close()
	store := catalog.NewStore()
	s2, err := New(Config{NodeName: "node-a", Store: store, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got := store.ExternalNodes("node-a"); len(got) != 1 || got[0].Meta["external-node"] != "true" || len(got[0].Checks) != 1 {
		t.Fatalf("after a restart: %+v", got)
	}

	t.Run("a damaged entry names the file", func(t *testing.T) {
		d := t.TempDir()
		p := filepath.Join(d, FileName)
		if err := os.WriteFile(p, []byte(`{"Version":1,"External":[{"Name":"x"}]}`), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := New(Config{NodeName: "n", Store: catalog.NewStore(), DataDir: d})
		if err == nil || !strings.Contains(err.Error(), p) {
			t.Fatalf("New = %v, want an error naming %s", err, p)
		}
	})
}
