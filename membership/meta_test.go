package membership

import (
	"reflect"
	"strings"
	"testing"
)

func TestMetaRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   nodeMeta
	}{
		{"empty", nodeMeta{}},
		{"full", nodeMeta{ID: "0b3c", Datacenter: "dc1", Role: RoleServer, Build: "0.1.0", Meta: map[string]string{"rack": "r1", "env": "prod"}}},
		{"run, generation and maintenance", nodeMeta{ID: "0b3c", Run: "00112233aabbccdd", Gen: 7, Maintenance: "disk swap"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.in.encode()
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeMeta(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.in) {
				t.Errorf("got %+v; want %+v", got, tt.in)
			}
		})
	}
}

func TestMetaTooLarge(t *testing.T) {
	m := nodeMeta{Meta: map[string]string{"k": strings.Repeat("x", 600)}}
	if _, err := m.encode(); err == nil || !strings.Contains(err.Error(), "512") {
		t.Fatalf("err = %v; want a size error naming the limit", err)
	}
}

func TestMetaDecodeBad(t *testing.T) {
	for _, b := range [][]byte{{2}, {1, 'd', 5, 'a'}, {1, 'm', 1, 'k'}} {
		if _, err := decodeMeta(b); err == nil {
			t.Errorf("decodeMeta(%v) succeeded; want an error", b)
		}
	}
	// Unknown tags are skipped.
	got, err := decodeMeta([]byte{1, 'z', 1, 'q', 'd', 3, 'd', 'c', '2'})
	if err != nil || got.Datacenter != "dc2" {
		t.Fatalf("got %+v, %v; want dc2", got, err)
	}
}

func FuzzDecodeMeta(f *testing.F) {
	b, _ := nodeMeta{ID: "x", Datacenter: "dc1", Meta: map[string]string{"a": "b"}}.encode()
	f.Add(b)
	f.Add([]byte{1, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = decodeMeta(b) // must not panic
	})
}
