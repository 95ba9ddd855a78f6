package master

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/brine-cm/brine/api"
	"github.com/brine-cm/brine/autoscale"
	"github.com/brine-cm/brine/cloud"
	"github.com/brine-cm/brine/internal/config"
	"github.com/brine-cm/brine/schedule"
)

// Config is the master's configuration file, with SaltStack's key names.
type Config struct {
	RootDir  string `yaml:"root_dir"`
	Listen   string `yaml:"listen"`
	LogLevel string `yaml:"log_level"`
	// LogFormat is text (default) or json; LogFile, when set, receives
	// the log instead of stderr.
	LogFormat string `yaml:"log_format"`
	LogFile   string `yaml:"log_file"`

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

	// Nodegroups are Salt's nodegroups: names for compound expressions or
	// lists of ids, targeted with -N NAME or N@NAME.
	Nodegroups map[string]any `yaml:"nodegroups"`

	// Metrics serves Prometheus metrics, /healthz and /readyz on
	// metrics.listen (HOST:PORT; unset: not served).
	Metrics MetricsConfig `yaml:"metrics"`

	// StateOutput and StateVerbose are Salt's state_output and
	// state_verbose: how ctl on this host prints state returns unless its
	// command line says otherwise (the master writes them to
	// root_dir/ctl.defaults for ctl to read).
	StateOutput  string `yaml:"state_output"`
	StateVerbose *bool  `yaml:"state_verbose"`

	// Keys used by later subsystems; accepted here so one file configures
	// the whole master.
	FileRoots   map[string][]string   `yaml:"file_roots"`
	PillarRoots map[string][]string   `yaml:"pillar_roots"`
	Reactor     []map[string][]string `yaml:"reactor"`
	// PyInterpreter is the Python 3 interpreter #!py reactor and
	// orchestration files run in (default: python3 on PATH).
	PyInterpreter string       `yaml:"py_interpreter"`
	Cloud         cloud.Config `yaml:"cloud"`
	// Autoscale is the EC2 Auto Scaling engine's section (autoscale/).
	Autoscale *autoscale.Config `yaml:"autoscale"`

	// The master's own schedule (runners, or jobs with tgt), checked as
	// it is read.
	Schedule schedule.MasterSection `yaml:"schedule"`

	// The HTTP API: `api:`, or salt-api's `rest_cherrypy:` (an alias, not
	// both), with Salt's `external_auth` ACLs for its users (apiconfig.go).
	APISection   *api.Section                `yaml:"api"`
	RestCherrypy *api.RestCherrypy           `yaml:"rest_cherrypy"`
	ExternalAuth map[string]map[string][]any `yaml:"external_auth"`
	// API is the API's configuration built from those; nil without one.
	API    *api.Config `yaml:"-"`
	apiKey string      // the section it came from: api or rest_cherrypy
	doc    *config.Doc // the files read, to name the line of a later error

	// Options are the custom options: top-level keys that are no setting
	// (Salt allows them; templates read them through opts and config.get).
	Options map[string]any `yaml:"-"`
	// Warnings name what the config asks for that Brine cannot honour;
	// logged once at start.
	Warnings []string `yaml:"-"`
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

// DropIns are the master's drop-in config files, beside its config file.
const DropIns = "master.d/*.conf"

// LoadConfig reads a YAML config file and its master.d/*.conf drop-ins,
// merged as Salt merges them. Unknown keys that are near misses of a
// setting, values of the wrong kind and bad values are errors naming the
// file and line, so a typo never silently falls back to a default; other
// top-level keys are custom options. A missing file at the default path is
// not an error; a missing file that was asked for is.
func LoadConfig(path string, required bool) (*Config, error) {
	c := &Config{}
	doc, err := config.Load(path, required, DropIns, c)
	if err != nil {
		return nil, fmt.Errorf("config %w", err)
	}
	if err := c.loadAPI(doc); err != nil {
		return nil, fmt.Errorf("config %w", err)
	}
	// Before the defaults, which would hide a negative value.
	if err := c.check(doc); err != nil {
		return nil, fmt.Errorf("config %w", err)
	}
	if err := c.Cloud.Load(path, doc.Where); err != nil {
		return nil, fmt.Errorf("config %w", err)
	}
	c.Warnings = append(c.Warnings, c.Cloud.Warnings()...)
	c.Options, c.doc = doc.Custom, doc
	if keys := doc.SaltSettings(); len(keys) > 0 {
		c.Warnings = append(c.Warnings, saltSettingsWarning(keys))
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

// MetricsConfig is the metrics: section.
type MetricsConfig struct {
	Listen string `yaml:"listen"`
}

// writeCtlDefaults writes root_dir/ctl.defaults: the output settings ctl
// on this host takes when its command line does not say (Salt's salt CLI
// reads them from the master config).
func (m *Master) writeCtlDefaults() error {
	path := filepath.Join(m.cfg.RootDir, "ctl.defaults")
	d := map[string]any{}
	if m.cfg.StateOutput != "" {
		d["state_output"] = strings.ToLower(m.cfg.StateOutput)
	}
	if m.cfg.StateVerbose != nil {
		d["state_verbose"] = *m.cfg.StateVerbose
	}
	if len(d) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(b, '\n'), 0o644)
}
