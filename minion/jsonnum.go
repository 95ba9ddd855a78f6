package minion

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// decodeData decodes JSON from the master keeping integers integers:
// encoding/json would make every number a float64, and a pillar or job
// argument of 8080 would then render as "8080.0" in a template, unlike
// the same value written in an SLS file. Integers become int, other
// numbers (and integers beyond int64) float64, as the YAML stage gives
// them.
func decodeData(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}

// fixNumbers replaces the json.Number values decodeData left in v.
func fixNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		s := x.String()
		if !strings.ContainsAny(s, ".eE") {
			if i, err := strconv.ParseInt(s, 10, 64); err == nil {
				return int(i)
			}
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
		return s
	case map[string]any:
		for k, e := range x {
			x[k] = fixNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = fixNumbers(e)
		}
	}
	return v
}

func fixMap(m map[string]any) map[string]any {
	if m != nil {
		fixNumbers(m)
	}
	return m
}
