package config

import (
	"fmt"
	"math"
	"time"

	"github.com/discod/discod/internal/rawvalue"
)

// This file converts values decoded from JSON (encoding/json with
// UseNumber) or HCL (hcl.Decode) to the base type of a setting's kind,
// through package rawvalue.

// scalar converts raw to the base type of a scalar kind.
func scalar(k kind, raw any) (any, error) {
	switch k {
	case kindString:
		return rawvalue.String(raw)
	case kindBool:
		return rawvalue.Bool(raw)
	case kindInt:
		return rawvalue.Int(raw)
	case kindSeconds:
		n, ok := rawvalue.WholeNumber(raw)
		if !ok {
			return nil, fmt.Errorf("want a whole number of seconds, got %s", rawvalue.Describe(raw))
		}
		if n < 0 || n > math.MaxInt32 {
			return nil, fmt.Errorf("%d seconds is out of range 0–%d", n, math.MaxInt32)
		}
		return time.Duration(n) * time.Second, nil
	case kindDuration:
		return rawvalue.Duration(raw)
	}
	return nil, fmt.Errorf("internal error: kind %d is not a scalar", k)
}
