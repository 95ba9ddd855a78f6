package master

import (
	"fmt"
	"math"
	"net"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/brine-cm/brine/internal/config"
	"github.com/brine-cm/brine/internal/logging"
	"github.com/brine-cm/brine/pyrender"
	"github.com/brine-cm/brine/target"
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
// the file and line of the offending key.
func (c *Config) check(doc *config.Doc) error {
	at := func(key ...any) string {
		if file, line := doc.Where(key); line > 0 {
			return fmt.Sprintf("%s line %d: %s", file, line, config.PathString(key))
		}
		return config.PathString(key)
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
	if key, err := logging.Check(logging.Options{Level: c.LogLevel, Format: c.LogFormat}); err != nil {
		return fmt.Errorf("%s: %w", at(key), err)
	}
	if c.NATSUser != "" || c.NATSPassword != "" {
		key := "nats_user"
		if c.NATSUser == "" {
			key = "nats_password"
		}
		return fmt.Errorf("%s: not supported: the master connects to an external NATS with the credentials in root_dir that `master --print-nats-config` writes into the server's configuration; remove nats_user and nats_password", at(key))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		key, other := "tls_cert", "tls_key"
		if c.TLSCert == "" {
			key, other = "tls_key", "tls_cert"
		}
		return fmt.Errorf("%s: needs %s too (the bus's TLS certificate and its key go together)", at(key), other)
	}
	if c.PyInterpreter != "" {
		if _, err := pyrender.Python(c.PyInterpreter); err != nil {
			_, msg, _ := strings.Cut(err.Error(), ": ")
			return fmt.Errorf("%s: %s", at("py_interpreter"), msg)
		}
	}
	if c.Listen != "" {
		if err := checkAddr(c.Listen); err != nil {
			return fmt.Errorf("%s: %w", at("listen"), err)
		}
	}
	if c.Autoscale != nil {
		lineOf := func(path ...string) int {
			p := make([]any, len(path))
			for i, k := range path {
				p[i] = k
			}
			_, line := doc.Where(p)
			return line
		}
		if err := c.Autoscale.Validate(lineOf); err != nil {
			if file, _ := doc.Where([]any{"autoscale"}); file != "" {
				return fmt.Errorf("%s %w", file, err)
			}
			return err
		}
		if c.Autoscale.HookPath != "" {
			if err := checkAutoscaleHook(c.API, c.Autoscale.HookPath, false); err != nil {
				if file, line := doc.Where([]any{"autoscale", "hook_path"}); line > 0 {
					return fmt.Errorf("%s line %d: %w", file, line, err)
				}
				return err
			}
		}
	}
	if c.StateOutput != "" {
		ok := false
		for _, v := range []string{"full", "terse", "mixed", "changes", "full_id", "terse_id", "mixed_id", "changes_id"} {
			ok = ok || strings.ToLower(c.StateOutput) == v
		}
		if !ok {
			return fmt.Errorf("%s: %q is not full, terse, mixed or changes (or one of them with _id)", at("state_output"), c.StateOutput)
		}
	}
	if c.Metrics.Listen != "" {
		if err := checkAddr(c.Metrics.Listen); err != nil {
			return fmt.Errorf("%s: %w", at("metrics", "listen"), err)
		}
	}
	// Every nodegroup expands (no undefined names, no cycles, only
	// expressions or lists of ids), so a bad one fails the start, not the
	// first job that names it.
	groups := target.Nodegroups(c.Nodegroups)
	names := make([]string, 0, len(groups))
	for name := range groups {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if _, _, err := groups.Expand("nodegroup", name); err != nil {
			return fmt.Errorf("%s: %w", at("nodegroups", name), err)
		}
	}
	if c.API != nil && c.API.Listen != "" {
		if err := checkAddr(c.API.Listen); err != nil {
			key := c.apiKey
			if key == "" {
				key = "api"
			}
			return fmt.Errorf("%s: %w", at(key, "listen"), err)
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
