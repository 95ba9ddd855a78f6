package grains

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// Store holds a minion's grains: collected + static (config) + persisted
// setval values. The view it serves is the deep merge (see Merge) of the
// three layers, later ones winning: collected < static < persisted. Only
// the persisted layer is written back to disk, so a grain set with SetVal
// overrides collected and static values across restarts, while maps are
// merged key by key with the lower layers.
//
// A Store is safe for concurrent use.
type Store struct {
	mu          sync.RWMutex
	collected   map[string]any
	static      map[string]any
	persisted   map[string]any
	merged      map[string]any
	persistPath string
}

// NewStore builds a Store from collected and static grains (both copied)
// and the persisted grains file at persistPath, a YAML (or JSON) mapping,
// if it exists. An empty persistPath keeps set values in memory only.
func NewStore(collected, static map[string]any, persistPath string) (*Store, error) {
	s := &Store{
		collected:   normalizeMap(collected),
		static:      normalizeMap(static),
		persisted:   map[string]any{},
		persistPath: persistPath,
	}
	if persistPath != "" {
		p, err := readPersisted(persistPath)
		if err != nil {
			return nil, err
		}
		s.persisted = p
	}
	s.rebuild()
	return s, nil
}

// readPersisted loads the grains file; a missing or empty file is no
// grains.
func readPersisted(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]any{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read grains file: %w", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return map[string]any{}, nil
	}
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("parse grains file %s: %w", path, err)
	}
	if v == nil {
		return map[string]any{}, nil
	}
	m, ok := normalize(v).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("parse grains file %s: top level is not a mapping", path)
	}
	return m, nil
}

// rebuild recomputes the merged view; s.mu must be held for writing (or s
// not yet shared).
func (s *Store) rebuild() {
	m := Copy(s.collected)
	Merge(m, s.static)
	Merge(m, s.persisted)
	s.merged = m
}

// Items returns a deep copy of all grains.
func (s *Store) Items() map[string]any {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return Copy(s.merged)
}

// Get returns (a deep copy of) the grain named key, which may be nested as
// "a:b:c" (list elements by index: "a:0").
func (s *Store) Get(key string) (any, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := Traverse(s.merged, key, Delimiter)
	if !ok {
		return nil, false
	}
	return copyValue(v), true
}

// SetVal sets the grain key to val (normalised to JSON-friendly types) in
// the persisted layer and writes that layer to the grains file. A nested
// key "a:b" sets grains["a"]["b"], turning a non-map "a" into a map. On a
// write error the Store is left unchanged.
func (s *Store) SetVal(key string, val any) error {
	if key == "" {
		return errors.New("set grain: empty key")
	}
	parts := strings.Split(key, Delimiter)
	for _, p := range parts {
		if p == "" {
			return fmt.Errorf("set grain %q: empty key part", key)
		}
	}
	val = normalize(val)

	s.mu.Lock()
	defer s.mu.Unlock()
	next := Copy(s.persisted)
	cur := next
	for _, p := range parts[:len(parts)-1] {
		sub, ok := cur[p].(map[string]any)
		if !ok {
			sub = map[string]any{}
			cur[p] = sub
		}
		cur = sub
	}
	cur[parts[len(parts)-1]] = val

	if s.persistPath != "" {
		if err := writeAtomic(s.persistPath, next); err != nil {
			return fmt.Errorf("set grain %q: %w", key, err)
		}
	}
	s.persisted = next
	s.rebuild()
	return nil
}

// writeAtomic writes m as YAML to path through a temporary file in the
// same directory (mode 0600) renamed over path.
func writeAtomic(path string, m map[string]any) (err error) {
	data, err := yaml.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode grains: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create grains directory: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create temporary grains file: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		_ = f.Close()
		return fmt.Errorf("chmod temporary grains file: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return fmt.Errorf("write temporary grains file: %w", err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fmt.Errorf("sync temporary grains file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close temporary grains file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replace grains file: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
