package minion

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/brine-cm/brine/internal/config"
)

// Config is the minion's configuration file, with SaltStack's key names.
type Config struct {
	ID       string         `yaml:"id"`
	Master   string         `yaml:"master"`
	RootDir  string         `yaml:"root_dir"`
	LogLevel string         `yaml:"log_level"`
	Grains   map[string]any `yaml:"grains"`
	// TLSCA verifies the master's bus certificate when it uses TLS.
	TLSCA string `yaml:"tls_ca"`

	MineFunctions map[string]any `yaml:"mine_functions"`
	MineInterval  float64        `yaml:"mine_interval"` // minutes
	StartupStates any            `yaml:"startup_states"`
	Schedule      map[string]any `yaml:"schedule"`
	JoinToken     string         `yaml:"join_token"`
	// EC2Identity presents the EC2 instance identity document and its
	// signature when asking to join (autoscale's require_identity);
	// EC2MetadataURL is where IMDS answers (default
	// http://169.254.169.254).
	EC2Identity    bool   `yaml:"ec2_identity"`
	EC2MetadataURL string `yaml:"ec2_metadata_url"`
	HostsFile      string `yaml:"hosts.file"`
}

// Defaults, as SPEC.md gives them.
const (
	DefaultMaster     = "nats://127.0.0.1:4506"
	DefaultRootDir    = "/var/lib/brine/minion"
	DefaultConfigFile = "/etc/brine/minion.yaml"
	DefaultHostsFile  = "/etc/hosts"
)

// LoadConfig reads a YAML config file; unknown keys are errors naming the
// line. A missing file is an error only when required.
func LoadConfig(path string, required bool) (*Config, error) {
	c := &Config{}
	if path != "" {
		data, err := os.ReadFile(path)
		switch {
		case errors.Is(err, fs.ErrNotExist) && !required:
		case err != nil:
			return nil, fmt.Errorf("read config %s: %w", path, err)
		default:
			if err := config.DecodeStrict(path, data, c); err != nil {
				return nil, fmt.Errorf("config %w", err)
			}
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
