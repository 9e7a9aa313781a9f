package config

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

// This file converts values decoded from JSON (encoding/json with
// UseNumber) or HCL (hcl.Decode) to the base type of a setting's kind.
// HCL gives int and float64 for numbers and []map[string]any for blocks;
// JSON gives json.Number and map[string]any.

// scalar converts raw to the base type of a scalar kind.
func scalar(k kind, raw any) (any, error) {
	switch k {
	case kindString:
		if s, ok := raw.(string); ok {
			return s, nil
		}
		return nil, fmt.Errorf("want a string, got %s", describe(raw))
	case kindBool:
		if b, ok := raw.(bool); ok {
			return b, nil
		}
		return nil, fmt.Errorf("want true or false, got %s", describe(raw))
	case kindInt:
		if n, ok := wholeNumber(raw); ok {
			return n, nil
		}
		return nil, fmt.Errorf("want a whole number, got %s", describe(raw))
	case kindSeconds:
		n, ok := wholeNumber(raw)
		if !ok {
			return nil, fmt.Errorf("want a whole number of seconds, got %s", describe(raw))
		}
		if n < 0 || n > math.MaxInt32 {
			return nil, fmt.Errorf("%d seconds is out of range 0–%d", n, math.MaxInt32)
		}
		return time.Duration(n) * time.Second, nil
	case kindDuration:
		s, ok := raw.(string)
		if !ok {
			return nil, fmt.Errorf("want a duration string such as \"30s\", got %s", describe(raw))
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not a duration such as \"30s\" or \"1m30s\"", s)
		}
		return d, nil
	}
	return nil, fmt.Errorf("internal error: kind %d is not a scalar", k)
}

// wholeNumber returns raw as an int when it is an integral number.
func wholeNumber(raw any) (int, bool) {
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

// asStrings accepts a list of strings, or a single string as a list of
// one (as Consul's decoder does).
func asStrings(raw any) ([]string, error) {
	switch v := raw.(type) {
	case string:
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for i, it := range v {
			s, ok := it.(string)
			if !ok {
				return nil, fmt.Errorf("want a list of strings, but item %d is %s", i+1, describe(it))
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("want a list of strings, got %s", describe(raw))
}

// asObjects accepts an object, an HCL block (a list of objects, one per
// occurrence) or a JSON list of objects, and returns the objects in order.
func asObjects(raw any) ([]map[string]any, error) {
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
				return nil, fmt.Errorf("want an object, got a list containing %s", describe(it))
			}
			out = append(out, m)
		}
		return out, nil
	}
	return nil, fmt.Errorf("want an object, got %s", describe(raw))
}

// describe names a decoded value's type, with short scalars quoted, for
// "want X, got Y" messages.
func describe(raw any) string {
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
