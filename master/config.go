package master

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/brine-cm/brine/autoscale"
	"github.com/brine-cm/brine/internal/config"
)

// Config is the master's configuration file, with SaltStack's key names.
type Config struct {
	RootDir  string `yaml:"root_dir"`
	Listen   string `yaml:"listen"`
	LogLevel string `yaml:"log_level"`

	// NATSURL points the master at an existing NATS server or cluster; the
	// master then embeds none. NATSUser and NATSPassword are the credentials
	// of the auth-callout service user configured on that server (see
	// `master --print-nats-config`).
	NATSURL      string `yaml:"nats_url"`
	NATSUser     string `yaml:"nats_user"`
	NATSPassword string `yaml:"nats_password"`

	// TLS for the bus (embedded server).
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
	// TLSCA is the CA minions and ctl use to verify an external bus.
	TLSCA string `yaml:"tls_ca"`

	AutoAccept   bool    `yaml:"auto_accept"`
	AutosignFile string  `yaml:"autosign_file"`
	KeepJobs     float64 `yaml:"keep_jobs"` // hours
	// MineTTL leaves out of mine.get answers the data of minions that have
	// been disconnected longer than this many seconds (default 3600; a
	// negative value keeps answering with them, as Salt does).
	MineTTL float64 `yaml:"mine_ttl"`

	// Per-minion limits on what a minion may ask of the master (costly
	// requests per second and burst, requests in flight); 0 takes the
	// defaults (50/s, 200, 16).
	MinionRequestRate      float64 `yaml:"minion_request_rate"`
	MinionRequestBurst     int     `yaml:"minion_request_burst"`
	MinionRequestsInFlight int     `yaml:"minion_requests_in_flight"`
	// MinionEventRate bounds the events one minion may fire per second
	// (event.send; default 1000, burst 5x).
	MinionEventRate float64 `yaml:"minion_event_rate"`
	// MaxPendingKeys bounds the keys waiting for acceptance; past it new
	// ids are refused without being recorded (default 10000).
	MaxPendingKeys int `yaml:"max_pending_keys"`
	// KeyLease removes the key (and mine data) of a leased minion (one
	// autoscale or cloud made join) that has been disconnected longer than
	// this many seconds (default 86400).
	KeyLease float64 `yaml:"key_lease"`

	// Keys used by later subsystems; accepted here so one file configures
	// the whole master.
	FileRoots   map[string][]string   `yaml:"file_roots"`
	PillarRoots map[string][]string   `yaml:"pillar_roots"`
	Reactor     []map[string][]string `yaml:"reactor"`
	API         map[string]any        `yaml:"api"`
	Cloud       map[string]any        `yaml:"cloud"`
	// Autoscale is the EC2 Auto Scaling engine's section (autoscale/).
	Autoscale *autoscale.Config `yaml:"autoscale"`
	Schedule  map[string]any    `yaml:"schedule"`
}

// Defaults, as SPEC.md gives them.
const (
	DefaultRootDir    = "/var/lib/brine/master"
	DefaultListen     = "127.0.0.1:4506"
	DefaultConfigFile = "/etc/brine/master.yaml"
	DefaultKeepJobs   = 24
	DefaultMineTTL    = 3600  // seconds
	DefaultKeyLease   = 86400 // seconds
)

// LoadConfig reads a YAML config file. Unknown keys are errors naming the
// line, so a typo never silently falls back to a default. A missing file at
// the default path is not an error; a missing file that was asked for is.
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
			// Before the defaults, which would hide a negative value.
			if err := c.check(parseDoc(data)); err != nil {
				return nil, fmt.Errorf("config %s: %w", path, err)
			}
		}
	}
	c.setDefaults()
	return c, nil
}

func (c *Config) setDefaults() {
	if c.RootDir == "" {
		c.RootDir = DefaultRootDir
	}
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.KeyLease == 0 {
		c.KeyLease = DefaultKeyLease
	}
	if c.MineTTL == 0 {
		c.MineTTL = DefaultMineTTL
	}
	if c.KeepJobs <= 0 {
		c.KeepJobs = DefaultKeepJobs
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	if c.FileRoots == nil {
		c.FileRoots = map[string][]string{"base": {"/srv/salt"}}
	}
	if c.PillarRoots == nil {
		c.PillarRoots = map[string][]string{"base": {"/srv/pillar"}}
	}
}

// keepJobs is the job cache retention.
func (c *Config) keepJobs() time.Duration {
	return time.Duration(c.KeepJobs * float64(time.Hour))
}
