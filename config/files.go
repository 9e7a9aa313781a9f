package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl"

	"github.com/discod/discod/internal/rawvalue"
)

// expandSources turns the -config-file and -config-dir arguments into the
// list of files to read, in order: each file where it was given, each
// directory's .json and .hcl regular files in lexical order of name.
func expandSources(srcs []source) ([]string, error) {
	var files []string
	for _, src := range srcs {
		if !src.dir {
			fi, err := os.Stat(src.path)
			if err != nil {
				return nil, fmt.Errorf("config file %s: %w", src.path, unwrapPathError(err))
			}
			if fi.IsDir() {
				return nil, fmt.Errorf("config file %s is a directory: use -config-dir", src.path)
			}
			if formatOf(src.path) == "" {
				return nil, fmt.Errorf("config file %s: unknown extension %q: name it .json or .hcl", src.path, filepath.Ext(src.path))
			}
			files = append(files, src.path)
			continue
		}
		entries, err := os.ReadDir(src.path)
		if err != nil {
			return nil, fmt.Errorf("config dir %s: %w", src.path, unwrapPathError(err))
		}
		// os.ReadDir sorts by file name.
		for _, e := range entries {
			p := filepath.Join(src.path, e.Name())
			if formatOf(p) == "" {
				continue
			}
			fi, err := os.Stat(p) // follows symlinks
			if err != nil {
				return nil, fmt.Errorf("config file %s: %w", p, unwrapPathError(err))
			}
			if fi.Mode().IsRegular() {
				files = append(files, p)
			}
		}
	}
	return files, nil
}

// unwrapPathError drops the operation and path from an *os.PathError, since
// our messages name the path already.
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// formatOf returns "json" or "hcl" from a file's extension, or "".
func formatOf(path string) string {
	switch {
	case strings.HasSuffix(path, ".json"):
		return "json"
	case strings.HasSuffix(path, ".hcl"):
		return "hcl"
	}
	return ""
}

// decodeFile reads one configuration file into a store. It returns the
// warnings for ignored Consul keys and every problem found, joined.
func decodeFile(path string) (*store, []string, error) {
	raw, err := readFile(path)
	if err != nil {
		return nil, nil, err
	}
	w := &walker{file: path, st: newStore()}
	w.object("", raw)
	return w.st, w.warnings, errors.Join(w.errs...)
}

// readFile reads one JSON or HCL file, by its extension, into a generic
// map; errors name the file.
func readFile(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, unwrapPathError(err))
	}
	raw, err := decodeData(formatOf(path), data)
	if err != nil {
		if errors.Is(err, errUnknownFormat) {
			err = fmt.Errorf("unknown extension %q: name it .json or .hcl", filepath.Ext(path))
		}
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	return raw, nil
}

var errUnknownFormat = errors.New("unknown format")

// decodeData decodes the contents of a file in format ("json" or "hcl")
// into a generic map.
func decodeData(format string, data []byte) (map[string]any, error) {
	switch format {
	case "json":
		return decodeJSON(data)
	case "hcl":
		var raw map[string]any
		if err := hcl.Decode(&raw, string(data)); err != nil {
			return nil, fmt.Errorf("invalid HCL: %w", err)
		}
		return raw, nil
	}
	return nil, errUnknownFormat
}

// decodeJSON decodes a JSON object, keeping numbers exact and reporting
// syntax errors by line and column.
func decodeJSON(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	if err == nil {
		end := dec.InputOffset()
		if _, extra := dec.Token(); extra != io.EOF {
			rest := bytes.TrimLeft(data[end:], " \t\r\n")
			return nil, fmt.Errorf("invalid JSON at %s: data after the top-level object", lineCol(data, int64(len(data)-len(rest))))
		}
	}
	if err != nil {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			// Offset counts the bytes read, the offending one included.
			return nil, fmt.Errorf("invalid JSON at %s: %v", lineCol(data, se.Offset-1), se)
		case errors.Is(err, io.EOF):
			return nil, errors.New("invalid JSON: the file is empty (write {} for no settings)")
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, errors.New("invalid JSON: unexpected end of file")
		}
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the top level must be a JSON object, not %s", rawvalue.Describe(v))
	}
	return m, nil
}

// lineCol names the position of the byte at offset off as "line L, column
// C", both counted from 1.
func lineCol(data []byte, off int64) string {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("line %d, column %d", line, col)
}

// walker checks one decoded file against the settings table.
type walker struct {
	file     string
	st       *store
	warnings []string
	errs     []error
}

// where names a key of this file for messages.
func (w *walker) where(key string) string {
	return fmt.Sprintf("config file %s: key %q", w.file, key)
}

func (w *walker) fail(key string, err error) {
	w.errs = append(w.errs, fmt.Errorf("%s: %w", w.where(key), err))
}

// object walks the keys of one object found at path prefix ("" for the
// top level), in sorted order so messages are stable.
func (w *walker) object(prefix string, m map[string]any) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		path := k
		if prefix != "" {
			path = prefix + "." + k
		}
		raw := m[k]
		if strings.Contains(k, ".") {
			w.fail(path, errors.New("unknown key: dotted names are not read; nest the key inside its block instead"))
			continue
		}
		if prefix == "" && definitionKeys[k] {
			w.definitions(k, raw)
			continue
		}
		if s, ok := settingByKey[path]; ok {
			w.value(s, path, raw)
			continue
		}
		if path == watchesSetting.key {
			w.watches(path, raw) // watches.go
			continue
		}
		if blocks[path] {
			objs, err := rawvalue.Objects(raw)
			if err != nil {
				w.fail(path, err)
				continue
			}
			for _, o := range objs {
				w.object(path, o)
			}
			continue
		}
		if hint, ok := consulIgnored[path]; ok {
			msg := fmt.Sprintf("%s is a Consul setting discod does not implement yet; ignored", w.where(path))
			if hint != "" {
				msg += " (" + hint + ")"
			}
			w.warnings = append(w.warnings, msg)
			continue
		}
		err := errors.New("unknown key")
		if s := suggestKey(prefix, k); s != "" {
			err = fmt.Errorf("unknown key (did you mean %q?)", s)
		}
		w.fail(path, err)
	}
}

// value checks one setting's raw value and records it.
func (w *walker) value(s *setting, path string, raw any) {
	from := w.where(path)
	record := func(v any) {
		if s.check != nil {
			var err error
			if v, err = s.check(v); err != nil {
				w.fail(path, err)
				return
			}
		}
		w.st.put(s, v, from)
	}
	switch s.kind {
	case kindList:
		items, err := rawvalue.Strings(raw)
		if err != nil {
			w.fail(path, err)
			return
		}
		for _, it := range items {
			record(it)
		}
	case kindMap:
		objs, err := rawvalue.Objects(raw)
		if err != nil {
			w.fail(path, err)
			return
		}
		for _, o := range objs {
			keys := make([]string, 0, len(o))
			for k := range o {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				v, ok := o[k].(string)
				if !ok {
					w.fail(path+"."+k, fmt.Errorf("want a string, got %s", rawvalue.Describe(o[k])))
					continue
				}
				record(metaPair{key: k, value: v})
			}
		}
	default:
		v, err := scalar(s.kind, raw)
		if err != nil {
			w.fail(path, err)
			return
		}
		record(v)
	}
}
