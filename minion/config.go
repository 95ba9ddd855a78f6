package minion

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/brine-cm/brine/internal/config"
	"github.com/brine-cm/brine/internal/logging"
	"github.com/brine-cm/brine/pyrender"
	"github.com/brine-cm/brine/schedule"
)

// Config is the minion's configuration file, with SaltStack's key names.
type Config struct {
	ID       string `yaml:"id"`
	Master   string `yaml:"master"`
	RootDir  string `yaml:"root_dir"`
	LogLevel string `yaml:"log_level"`
	// LogFormat is text (default) or json; LogFile, when set, receives
	// the log instead of stderr.
	LogFormat string         `yaml:"log_format"`
	LogFile   string         `yaml:"log_file"`
	Grains    map[string]any `yaml:"grains"`
	// TLSCA verifies the master's bus certificate when it uses TLS.
	TLSCA string `yaml:"tls_ca"`

	// FileClient is remote (the master's file server, the default) or
	// local: `minion call` then reads FileRoots and PillarRoots on this
	// host (salt-call --local; defaults /srv/salt and /srv/pillar).
	FileClient  string              `yaml:"file_client"`
	FileRoots   map[string][]string `yaml:"file_roots"`
	PillarRoots map[string][]string `yaml:"pillar_roots"`

	MineFunctions map[string]any   `yaml:"mine_functions"`
	MineInterval  float64          `yaml:"mine_interval"` // minutes
	StartupStates any              `yaml:"startup_states"`
	Schedule      schedule.Section `yaml:"schedule"`
	JoinToken     string           `yaml:"join_token"`
	// EC2Identity presents the EC2 instance identity document and its
	// signature when asking to join (autoscale's require_identity);
	// EC2MetadataURL is where IMDS answers (default
	// http://169.254.169.254).
	EC2Identity    bool   `yaml:"ec2_identity"`
	EC2MetadataURL string `yaml:"ec2_metadata_url"`
	HostsFile      string `yaml:"hosts.file"`
	// PyInterpreter is the Python 3 interpreter #!py and #!pyobjects SLS
	// files render in (default: python3 on PATH).
	PyInterpreter string `yaml:"py_interpreter,omitempty"`

	// Options are the custom options: top-level keys that are no setting
	// (Salt allows them; templates read them through opts and config.get).
	Options map[string]any `yaml:"-"`
	// Warnings name, with their file and line, what the minion skips
	// (bad schedule entries); logged once at start.
	Warnings []string `yaml:"-"`
}

// Defaults, as SPEC.md gives them.
const (
	DefaultMaster     = "nats://127.0.0.1:4506"
	DefaultRootDir    = "/var/lib/brine/minion"
	DefaultConfigFile = "/etc/brine/minion.yaml"
	DefaultHostsFile  = "/etc/hosts"
)

// DropIns are the minion's drop-in config files, beside its config file.
const DropIns = "minion.d/*.conf"

// LoadConfig reads a YAML config file and its minion.d/*.conf drop-ins,
// merged as Salt merges them. Unknown keys that are near misses of a
// setting and values of the wrong kind are errors naming the file and
// line; other top-level keys are custom options; bad schedule entries are
// warnings naming the file and line. A missing file is an error only when
// required.
func LoadConfig(path string, required bool) (*Config, error) {
	c := &Config{}
	doc, err := config.Load(path, required, DropIns, c)
	if err != nil {
		return nil, fmt.Errorf("config %w", err)
	}
	c.Options = doc.Custom
	if key, err := logging.Check(logging.Options{Level: c.LogLevel, Format: c.LogFormat}); err != nil {
		if file, line := doc.Where([]any{key}); line > 0 {
			return nil, fmt.Errorf("config %s line %d: %s: %w", file, line, key, err)
		}
		return nil, fmt.Errorf("config: %s: %w", key, err)
	}
	if keys := doc.SaltSettings(); len(keys) > 0 {
		c.Warnings = append(c.Warnings, "Salt settings Brine does not implement, ignored (templates still see them in opts): "+strings.Join(keys, ", "))
	}
	// A bad schedule entry is listed with its error and skipped, not a
	// reason to stop the minion; name it with its file and line now.
	entries, _ := schedule.Parse(c.Schedule, schedule.Options{Source: "config"})
	for _, e := range entries {
		if e.Err == nil {
			continue
		}
		path := []any{"schedule", e.Name}
		if k := e.Key(); k != "" {
			path = append(path, k)
		}
		if file, line := doc.Where(path); line > 0 {
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s line %d: %v (the entry is skipped)", file, line, e.Err))
		}
	}
	return c, nil
}

// SetDefaults fills what the file and flags left empty.
func (c *Config) SetDefaults() error {
	if c.Master == "" {
		c.Master = DefaultMaster
	}
	if c.RootDir == "" {
		c.RootDir = DefaultRootDir
	}
	if c.HostsFile == "" {
		c.HostsFile = DefaultHostsFile
	}
	switch c.FileClient {
	case "", "remote", "local":
	default:
		return fmt.Errorf("file_client: %q is not remote or local", c.FileClient)
	}
	switch {
	case math.IsNaN(c.MineInterval) || math.IsInf(c.MineInterval, 0) || c.MineInterval < 0:
		return fmt.Errorf("mine_interval: %v is not a positive number of minutes", c.MineInterval)
	case c.MineInterval > 60*24*366:
		return fmt.Errorf("mine_interval: %v minutes is more than a year", c.MineInterval)
	case c.MineInterval == 0:
		c.MineInterval = 60
	}
	if err := CheckMasterURL(c.Master); err != nil {
		return fmt.Errorf("master: %w", err)
	}
	if c.ID == "" {
		h, err := os.Hostname()
		if err != nil {
			return fmt.Errorf("no id configured and hostname unknown: %w", err)
		}
		c.ID = h
	}
	if _, _, err := startupJob(c.StartupStates, c.ID); err != nil {
		return err
	}
	if c.PyInterpreter != "" {
		if _, err := pyrender.Python(c.PyInterpreter); err != nil {
			return err // names py_interpreter
		}
	}
	return nil
}

// CheckMasterURL checks the master setting: one bus URL or a comma-separated
// list of them (a cluster), each nats://, tls://, ws:// or wss:// (or a
// bare HOST:PORT, which NATS reads as nats://) with a host and a port from 1
// to 65535 when one is given. A URL that cannot be used is an error at
// start, not a reconnect loop that never succeeds.
func CheckMasterURL(s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("no master URL")
	}
	for _, one := range strings.Split(s, ",") {
		one = strings.TrimSpace(one)
		raw := one
		if !strings.Contains(raw, "://") {
			raw = "nats://" + raw
		}
		u, err := url.Parse(raw)
		if err != nil {
			return fmt.Errorf("cannot parse master URL %q: %v", one, errors.Unwrap(err))
		}
		switch u.Scheme {
		case "nats", "tls", "ws", "wss":
		default:
			return fmt.Errorf("master URL %q: unknown scheme %q (use nats://, tls://, ws:// or wss://)", one, u.Scheme)
		}
		if u.Hostname() == "" {
			return fmt.Errorf("master URL %q names no host", one)
		}
		if p := u.Port(); p != "" {
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				return fmt.Errorf("master URL %q: the port must be a number from 1 to 65535", one)
			}
		} else if strings.HasSuffix(u.Host, ":") {
			return fmt.Errorf("master URL %q: empty port", one)
		}
	}
	return nil
}
