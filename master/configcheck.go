package master

import (
	"bytes"
	"fmt"
	"math"
	"net"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// negativeAllowed reports the numeric settings where a negative value
// means something (mine_ttl < 0: keep answering with disconnected
// minions' data).
func negativeAllowed(key string) bool { return key == "mine_ttl" }

// numberLimit is the largest sensible value of a numeric setting. A value
// past it is a typo (minutes for hours, a stray digit), not a wish.
func numberLimit(key string) float64 {
	switch key {
	case "keep_jobs":
		return 24 * 365 * 100 // hours: a century
	case "mine_ttl", "key_lease":
		return 3600 * 24 * 365 * 100 // seconds: a century
	}
	return 1e9
}

// Validate checks the numeric settings and listen addresses of a loaded
// config (after command-line flags are applied): an error names the key.
func (c *Config) Validate() error { return c.check(nil) }

// check is Validate with the decoded document, when there is one, to name
// the line of the offending key.
func (c *Config) check(doc *yaml.Node) error {
	at := func(key string) string {
		if line := keyLine(doc, key); line > 0 {
			return fmt.Sprintf("line %d: %s", line, key)
		}
		return key
	}
	v := reflect.ValueOf(c).Elem()
	t := v.Type()
	for i := range t.NumField() {
		key, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if key == "" || key == "-" {
			continue
		}
		var f float64
		switch fv := v.Field(i); fv.Kind() {
		case reflect.Float32, reflect.Float64:
			f = fv.Float()
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			f = float64(fv.Int())
		default:
			continue
		}
		limit := numberLimit(key)
		switch {
		case math.IsNaN(f) || math.IsInf(f, 0):
			return fmt.Errorf("%s: %v is not a number", at(key), f)
		case f < 0 && !negativeAllowed(key):
			return fmt.Errorf("%s: %s is negative", at(key), strconv.FormatFloat(f, 'g', -1, 64))
		case math.Abs(f) > limit:
			return fmt.Errorf("%s: %s is too large (at most %s)", at(key), strconv.FormatFloat(f, 'g', -1, 64), strconv.FormatFloat(limit, 'f', -1, 64))
		}
	}
	if c.Listen != "" {
		if err := checkAddr(c.Listen); err != nil {
			return fmt.Errorf("%s: %w", at("listen"), err)
		}
	}
	if c.Autoscale != nil {
		lineOf := func(path ...string) int { return pathLine(doc, path...) }
		if err := c.Autoscale.Validate(lineOf); err != nil {
			return err
		}
		if c.Autoscale.HookPath != "" {
			if err := checkAutoscaleHook(c.API, c.Autoscale.HookPath, false); err != nil {
				return fmt.Errorf("%s: %w", at("autoscale"), err)
			}
		}
	}
	if s, ok := c.API["listen"].(string); ok && s != "" {
		if err := checkAddr(s); err != nil {
			return fmt.Errorf("%s: %w", at("api"), fmt.Errorf("listen: %w", err))
		}
	}
	return nil
}

// checkAddr checks a HOST:PORT listen address with a port from 1 to 65535.
func checkAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not HOST:PORT", addr)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%q: the port must be a number from 1 to 65535", addr)
	}
	return nil
}

// keyLine is the line of a top-level key in a YAML document, 0 if unknown.
func keyLine(doc *yaml.Node, key string) int {
	if doc == nil {
		return 0
	}
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		return 0
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i].Line
		}
	}
	return 0
}

// pathLine is the line of a nested key (autoscale, groups, web) in a YAML
// document, 0 if unknown; the line of the deepest key found.
func pathLine(doc *yaml.Node, path ...string) int {
	if doc == nil {
		return 0
	}
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := 0
	for _, key := range path {
		if n.Kind != yaml.MappingNode {
			return line
		}
		found := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				line, n, found = n.Content[i].Line, n.Content[i+1], true
				break
			}
		}
		if !found {
			return line
		}
	}
	return line
}

// parseDoc decodes data as a YAML node tree for keyLine; nil if it does
// not decode (the strict decoder reports why).
func parseDoc(data []byte) *yaml.Node {
	var doc yaml.Node
	if yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc) != nil {
		return nil
	}
	return &doc
}
