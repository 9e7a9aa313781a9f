package membership

import (
	"testing"
	"time"
)

func TestClaims(t *testing.T) {
	now := time.Now()
	var c claims
	c.note("Edge-5", "127.0.0.9:8301", now)
	if _, ok := c.take("other", now); ok {
		t.Fatal("a claim on another name")
	}
	addr, ok := c.take("EDGE-5", now.Add(time.Second))
	if !ok || addr != "127.0.0.9:8301" {
		t.Fatalf("take = %q, %v", addr, ok)
	}
	if _, ok := c.take("edge-5", now); ok {
		t.Fatal("a claim taken twice")
	}
	c.note("old", "127.0.0.9:8301", now)
	if _, ok := c.take("old", now.Add(claimWindow+time.Second)); ok {
		t.Fatal("a claim older than the window")
	}
}
