package main

import (
	"testing"
	"time"

	"github.com/discod/discod/catalog"
)

func TestTracker(t *testing.T) {
	a, b := catalog.NewStore(), catalog.NewStore()
	tr := newTracker([]*catalog.Store{a, b}, []string{"a", "b"})
	defer tr.close()
	v := catalog.Version{Epoch: 1, Seq: 1}
	svc := []catalog.Service{{ID: "web", Name: "web"}}
	a.ReplaceRecords("a", v, svc, nil)
	ch := tr.expect(0, v, time.Now())
	select {
	case <-ch.done:
		t.Fatal("the change is done before the other store holds it")
	default:
	}
	b.ReplaceRecords("a", v, svc, nil)
	if err := waitChanges([]*change{ch}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if ch.all() < 0 || len(ch.observerDelays(0)) != 1 {
		t.Errorf("all = %v, delays %v; want one observer's delay", ch.all(), ch.observerDelays(0))
	}
}

func TestParseConfigServices(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		sizes   []int
		catalog int
		wantErr bool
	}{
		{"default", []string{"-services"}, []int{50}, 10000, false},
		{"short", []string{"-services", "-short"}, []int{8}, 400, false},
		{"sizes", []string{"-services", "-sizes", "16,64"}, []int{16, 64}, 10000, false},
		{"bad rate", []string{"-services", "-burst-rate", "0"}, nil, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseConfig(tt.args)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseConfig(%v) error = %v; want error %v", tt.args, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if !c.services || len(c.sizes) != len(tt.sizes) || c.sizes[0] != tt.sizes[0] || c.catalog != tt.catalog {
				t.Errorf("parseConfig(%v) = sizes %v, catalog %d; want %v, %d", tt.args, c.sizes, c.catalog, tt.sizes, tt.catalog)
			}
		})
	}
}

func TestInstanceValid(t *testing.T) {
	def := instance(3, 7, 1, "web")
	def.Normalize()
	if _, err := def.Validate(); err != nil {
		t.Errorf("instance(3, 7, 1) is not a valid service: %v", err)
	}
}

func TestParseCalibration(t *testing.T) {
	tests := []struct {
		in      string
		wantErr bool
	}{
		{"hop=3ms,jitter=10ms,send=60us,recv=250us,set=27us,delta=96,digest=16,from=50", false},
		{"hop=3ms", false},
		{"hop", true},
		{"hop=fast", true},
		{"speed=3ms", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			cal, err := parseCalibration(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseCalibration(%q) error = %v; want error %v", tt.in, err, tt.wantErr)
			}
			if err == nil && cal.Hop != 3*time.Millisecond {
				t.Errorf("parseCalibration(%q).Hop = %v; want 3ms", tt.in, cal.Hop)
			}
		})
	}
}
