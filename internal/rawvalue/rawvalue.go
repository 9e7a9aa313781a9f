// Package rawvalue converts values decoded from JSON (encoding/json with
// UseNumber) or HCL v1 (hcl.Decode) to Go types, and suggests names for
// typos. It is the one home of these conversions: package config reads
// agent settings with it and package servicedef service and check
// definitions.
//
// JSON gives json.Number for numbers, map[string]any for objects and []any
// for lists; HCL gives int and float64 for numbers and []map[string]any for
// blocks (one map per occurrence).
package rawvalue

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

// WholeNumber returns raw as an int when it is an integral number.
func WholeNumber(raw any) (int, bool) {
	switch n := raw.(type) {
	case int:
		return n, true
	case int64:
		if n < math.MinInt || n > math.MaxInt {
			return 0, false
		}
		return int(n), true
	case json.Number:
		i, err := strconv.ParseInt(string(n), 10, 0)
		if err != nil {
			return 0, false
		}
		return int(i), true
	case float64:
		if n != math.Trunc(n) || n < math.MinInt32 || n > math.MaxInt32 {
			return 0, false
		}
		return int(n), true
	}
	return 0, false
}

// Int returns raw as an int, or an error saying what it is instead.
func Int(raw any) (int, error) {
	if n, ok := WholeNumber(raw); ok {
		return n, nil
	}
	return 0, fmt.Errorf("want a whole number, got %s", Describe(raw))
}

// String returns raw as a string, or an error saying what it is instead.
func String(raw any) (string, error) {
	if s, ok := raw.(string); ok {
		return s, nil
	}
	return "", fmt.Errorf("want a string, got %s", Describe(raw))
}

// Bool returns raw as a bool, or an error saying what it is instead.
func Bool(raw any) (bool, error) {
	if b, ok := raw.(bool); ok {
		return b, nil
	}
	return false, fmt.Errorf("want true or false, got %s", Describe(raw))
}

// Duration parses a Go duration string such as "10s" or "1m30s". Numbers
// are refused: Consul's files and its API clients give durations as
// strings.
func Duration(raw any) (time.Duration, error) {
	s, ok := raw.(string)
	if !ok {
		return 0, fmt.Errorf("want a duration string such as \"30s\", got %s", Describe(raw))
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as \"30s\" or \"1m30s\"", s)
	}
	return d, nil
}

// Strings accepts a list of strings, or a single string as a list of one
// (as Consul's decoder does).
func Strings(raw any) ([]string, error) {
	switch v := raw.(type) {
	case string:
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for i, it := range v {
			s, ok := it.(string)
			if !ok {
				return nil, fmt.Errorf("want a list of strings, but item %d is %s", i+1, Describe(it))
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("want a list of strings, got %s", Describe(raw))
}

// Objects accepts an object, an HCL block (a list of objects, one per
// occurrence) or a JSON list of objects, and returns the objects in order.
func Objects(raw any) ([]map[string]any, error) {
	switch v := raw.(type) {
	case map[string]any:
		return []map[string]any{v}, nil
	case []map[string]any:
		return v, nil
	case []any:
		out := make([]map[string]any, 0, len(v))
		for _, it := range v {
			m, ok := it.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("want an object, got a list containing %s", Describe(it))
			}
			out = append(out, m)
		}
		return out, nil
	}
	return nil, fmt.Errorf("want an object, got %s", Describe(raw))
}

// Object accepts one object, or HCL blocks or a JSON list of objects whose
// keys are merged in order (HCL gives a nested block such as meta { … } as
// a list of one map). A key given twice is an error.
func Object(raw any) (map[string]any, error) {
	objs, err := Objects(raw)
	if err != nil {
		return nil, err
	}
	if len(objs) == 1 {
		return objs[0], nil
	}
	out := map[string]any{}
	for _, o := range objs {
		for k, v := range o {
			if _, dup := out[k]; dup {
				return nil, fmt.Errorf("key %q is given twice", k)
			}
			out[k] = v
		}
	}
	return out, nil
}

// Describe names a decoded value's type, with short scalars quoted, for
// "want X, got Y" messages.
func Describe(raw any) string {
	switch v := raw.(type) {
	case nil:
		return "null"
	case string:
		if len(v) > 40 {
			return "a string"
		}
		return fmt.Sprintf("string %q", v)
	case bool:
		return fmt.Sprintf("boolean %t", v)
	case json.Number:
		return "number " + string(v)
	case int, int64:
		return fmt.Sprintf("number %d", v)
	case float64:
		return "number " + strconv.FormatFloat(v, 'g', -1, 64)
	case []any, []map[string]any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("a value of type %T", raw)
}
