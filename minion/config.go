package minion

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"gopkg.in/yaml.v3"
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
	HostsFile     string         `yaml:"hosts.file"`
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
		case len(bytes.TrimSpace(data)) > 0:
			dec := yaml.NewDecoder(bytes.NewReader(data))
			dec.KnownFields(true)
			if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) { // EOF: only comments
				return nil, fmt.Errorf("config %s: %w", path, err)
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
	if c.MineInterval <= 0 {
		c.MineInterval = 60
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
