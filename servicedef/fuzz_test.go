package servicedef

import (
	"bytes"
	"encoding/json"
	"testing"
)

// fuzzObject decodes b as config files and HTTP bodies are (numbers kept
// exact); ok is false when b is not one JSON object.
func fuzzObject(b []byte) (map[string]any, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, false
	}
	return m, true
}

// FuzzDecodeService runs a service definition from arbitrary JSON through
// DecodeService, Normalize and Validate, as a registration does: none may
// panic, an error is never empty, and a definition that validates still
// validates after a second Normalize (normalizing is idempotent) and
// converts to a catalog record.
func FuzzDecodeService(f *testing.F) {
	for _, s := range []string{
		`{"name":"web","port":80,"tags":["a","b"],"meta":{"v":"1"}}`,
		`{"Name":"web","ID":"web-1","Address":"10.0.0.1","Port":8080,"Check":{"HTTP":"http://127.0.0.1/","Interval":"10s"}}`,
		`{"service":"db","checks":[{"ttl":"30s"},{"tcp":"127.0.0.1:5432","interval":"5s","timeout":"1s"}]}`,
		`{"name":"x","weights":{"passing":3,"warning":1},"tagged_addresses":{"lan":{"address":"10.0.0.1","port":1}}}`,
		`{"name":"x","kind":"connect-proxy"}`,
		`{"name":"x","port":-1}`,
		`{"name":"x","port":1e400}`,
		`{"name":"x","check":{"args":["/bin/true"],"interval":"1ns"}}`,
		`{"name":"x","checks":{"ttl":"1s"}}`,
		`{"name":"x","meta":{"":""}}`,
		`{"name":"\u0000","tags":[null]}`,
		`{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		raw, ok := fuzzObject(b)
		if !ok {
			return
		}
		s, err := DecodeService(raw, "fuzz")
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		s.Normalize()
		if _, err := s.Validate(); err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		s.Normalize()
		if _, err := s.Validate(); err != nil {
			t.Fatalf("valid once normalized, invalid after a second Normalize: %v", err)
		}
		_ = s.ToCatalog()
		for i := range s.Checks {
			_ = s.Checks[i].ToCatalog("critical", "")
			_ = s.Checks[i].RunInterval()
			_ = s.Checks[i].OutputLimit(4096)
		}
	})
}

// FuzzDecodeCheck is FuzzDecodeService for a check definition on its own
// (PUT /v1/agent/check/register, a config file's check block).
func FuzzDecodeCheck(f *testing.F) {
	for _, s := range []string{
		`{"name":"c","ttl":"10s"}`,
		`{"ID":"c1","Name":"c","ServiceID":"web-1","HTTP":"https://127.0.0.1/health","Method":"POST","Header":{"X":["1"]},"Interval":"10s"}`,
		`{"name":"c","tcp":"[::1]:80","interval":"1s","timeout":"500ms","deregister_critical_service_after":"1m"}`,
		`{"name":"c","grpc":"127.0.0.1:9000/svc","grpc_use_tls":true,"interval":"10s"}`,
		`{"name":"c","alias_service":"web"}`,
		`{"name":"c","udp":"127.0.0.1:53","interval":"10s"}`,
		`{"name":"c","h2ping":"127.0.0.1:443","interval":"10s"}`,
		`{"name":"c","script":"echo hi","interval":"10s"}`,
		`{"name":"c","ttl":"10s","http":"http://x/"}`,
		`{"name":"c","ttl":"-1s"}`,
		`{"name":"c","ttl":99999999999999999999}`,
		`{"name":"c","status":"bogus","ttl":"1s"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		raw, ok := fuzzObject(b)
		if !ok {
			return
		}
		c, err := DecodeCheck(raw, "fuzz")
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		c.Normalize()
		if _, err := c.Validate(); err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		c.Normalize()
		if _, err := c.Validate(); err != nil {
			t.Fatalf("valid once normalized, invalid after a second Normalize: %v", err)
		}
		_ = c.Type()
		_ = c.ToCatalog("passing", "")
		_ = c.RunInterval()
		_ = c.OutputLimit(4096)
	})
}
