package servicedef

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/discod/discod/internal/rawvalue"
)

// This file holds the tables of the keys a service and a check definition
// accept. Keys match without regard to case and underscores, so Consul's
// snake_case (files, snake_case HTTP bodies) and CamelCase (HTTP bodies,
// consul/api) spellings are one key: enable_tag_override, EnableTagOverride.

// canon folds a key for lookups: lower case, underscores dropped.
func canon(k string) string {
	return strings.ToLower(strings.ReplaceAll(k, "_", ""))
}

// field is one accepted key of a definition of type T.
type field[T any] struct {
	// names are the key's spellings that fold differently, the snake_case
	// one first (it names the key in suggestions).
	names []string
	set   func(t *T, raw any) error
}

// table indexes fields by their folded names.
type table[T any] struct {
	byCanon map[string]*field[T]
	names   []string // display names, for suggestions
}

func newTable[T any](fields []field[T]) table[T] {
	t := table[T]{byCanon: map[string]*field[T]{}}
	for i := range fields {
		f := &fields[i]
		for _, n := range f.names {
			t.byCanon[canon(n)] = f
		}
		t.names = append(t.names, f.names[0])
	}
	return t
}

// lookup returns the field of key k, or an error naming k as unknown with
// a suggestion when a known key is a typo away.
func (t table[T]) lookup(k string) (*field[T], error) {
	if f, ok := t.byCanon[canon(k)]; ok {
		return f, nil
	}
	if s := rawvalue.Closest(strings.ToLower(k), t.names); s != "" {
		return nil, fmt.Errorf("unknown key (did you mean %q?)", s)
	}
	return nil, errors.New("unknown key")
}

// sortedKeys returns m's keys in order, for stable messages.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// Setters for the field tables.

func str[T any](p func(*T) *string) func(*T, any) error {
	return func(t *T, raw any) error {
		s, err := rawvalue.String(raw)
		*p(t) = s
		return err
	}
}

func boolean[T any](p func(*T) *bool) func(*T, any) error {
	return func(t *T, raw any) error {
		b, err := rawvalue.Bool(raw)
		*p(t) = b
		return err
	}
}

func integer[T any](p func(*T) *int) func(*T, any) error {
	return func(t *T, raw any) error {
		n, err := rawvalue.Int(raw)
		*p(t) = n
		return err
	}
}

func duration[T any](p func(*T) *time.Duration) func(*T, any) error {
	return func(t *T, raw any) error {
		d, err := rawvalue.Duration(raw)
		*p(t) = d
		return err
	}
}

func strs[T any](p func(*T) *[]string) func(*T, any) error {
	return func(t *T, raw any) error {
		l, err := rawvalue.Strings(raw)
		*p(t) = l
		return err
	}
}

// refused is the setter of a key discod knows and does not provide.
func refused[T any](why string) func(*T, any) error {
	return func(*T, any) error { return errors.New(why) }
}

// stringMap decodes an object of string values (meta).
func stringMap(raw any) (map[string]string, error) {
	obj, err := rawvalue.Object(raw)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(obj))
	for _, k := range sortedKeys(obj) {
		s, ok := obj[k].(string)
		if !ok {
			return nil, fmt.Errorf("key %q: want a string, got %s", k, rawvalue.Describe(obj[k]))
		}
		out[k] = s
	}
	return out, nil
}

// listMap decodes an object of string lists (an HTTP check's header); a
// single string is a list of one.
func listMap(raw any) (map[string][]string, error) {
	obj, err := rawvalue.Object(raw)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]string, len(obj))
	for _, k := range sortedKeys(obj) {
		l, err := rawvalue.Strings(obj[k])
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k, err)
		}
		out[k] = l
	}
	return out, nil
}

// subObject decodes a small object whose keys are in fields (weights, a
// tagged address), folding case and underscores.
func subObject(raw any, fields map[string]func(any) error) error {
	obj, err := rawvalue.Object(raw)
	if err != nil {
		return err
	}
	var errs []error
	names := slices.Sorted(maps.Keys(fields))
	for _, k := range sortedKeys(obj) {
		set, ok := fields[canon(k)]
		if !ok {
			err := errors.New("unknown key")
			if s := rawvalue.Closest(canon(k), names); s != "" {
				err = fmt.Errorf("unknown key (did you mean %q?)", s)
			}
			errs = append(errs, fmt.Errorf("key %q: %w", k, err))
			continue
		}
		if obj[k] == nil {
			continue
		}
		if err := set(obj[k]); err != nil {
			errs = append(errs, fmt.Errorf("key %q: %w", k, err))
		}
	}
	return errors.Join(errs...)
}
