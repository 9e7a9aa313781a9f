package rawvalue

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestConversions(t *testing.T) {
	tests := []struct {
		name string
		f    func(any) (any, error)
		raw  any
		want any
		err  string
	}{
		{"int from JSON", func(v any) (any, error) { return Int(v) }, json.Number("80"), 80, ""},
		{"int from HCL", func(v any) (any, error) { return Int(v) }, 80, 80, ""},
		{"int from float", func(v any) (any, error) { return Int(v) }, 80.0, 80, ""},
		{"int fraction", func(v any) (any, error) { return Int(v) }, 80.5, nil, "want a whole number, got number 80.5"},
		{"int JSON fraction", func(v any) (any, error) { return Int(v) }, json.Number("1e3"), nil, "got number 1e3"},
		{"string", func(v any) (any, error) { return String(v) }, "x", "x", ""},
		{"string from bool", func(v any) (any, error) { return String(v) }, true, nil, "want a string, got boolean true"},
		{"bool", func(v any) (any, error) { return Bool(v) }, false, false, ""},
		{"bool from string", func(v any) (any, error) { return Bool(v) }, "yes", nil, `want true or false, got string "yes"`},
		{"duration", func(v any) (any, error) { return Duration(v) }, "1m30s", 90 * time.Second, ""},
		{"duration number", func(v any) (any, error) { return Duration(v) }, json.Number("10"), nil, `want a duration string such as "30s", got number 10`},
		{"duration bad", func(v any) (any, error) { return Duration(v) }, "soon", nil, `"soon" is not a duration`},
		{"strings", func(v any) (any, error) { return Strings(v) }, []any{"a", "b"}, []string{"a", "b"}, ""},
		{"strings one", func(v any) (any, error) { return Strings(v) }, "a", []string{"a"}, ""},
		{"strings bad item", func(v any) (any, error) { return Strings(v) }, []any{"a", 1}, nil, "item 2 is number 1"},
		{"object merged from HCL blocks", func(v any) (any, error) { return Object(v) },
			[]map[string]any{{"a": 1}, {"b": 2}}, map[string]any{"a": 1, "b": 2}, ""},
		{"object key twice", func(v any) (any, error) { return Object(v) },
			[]map[string]any{{"a": 1}, {"a": 2}}, nil, `key "a" is given twice`},
		{"objects from JSON list", func(v any) (any, error) { return Objects(v) },
			[]any{map[string]any{"a": 1}}, []map[string]any{{"a": 1}}, ""},
		{"objects bad", func(v any) (any, error) { return Objects(v) }, []any{1}, nil, "want an object, got a list containing number 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.f(tt.raw)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, %v; want %#v", got, err, tt.want)
			}
		})
	}
}

func TestClosest(t *testing.T) {
	names := []string{"port", "name", "tags", "enable_tag_override"}
	for in, want := range map[string]string{"prot": "port", "nmae": "name", "enable_tag_overide": "enable_tag_override", "zzzzzz": ""} {
		if got := Closest(in, names); got != want {
			t.Errorf("Closest(%q) = %q, want %q", in, got, want)
		}
	}
}
