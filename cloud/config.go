// Package cloud provisions minions on cloud providers, in salt-cloud's
// terms: providers (a driver and its credentials), profiles (what a VM of
// that kind looks like) and drivers registered by name, one file each.
// The package knows nothing of the master: the master's cloud manager
// gives a driver a create request (name, merged settings, the minion
// config with its join token) and records what comes back.
package cloud

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/brine-cm/brine/internal/config"
)

// Config is the master config's cloud: section, completed by the
// cloud.providers.d/*.conf and cloud.profiles.d/*.conf files beside the
// config file.
type Config struct {
	Providers map[string]*Settings `yaml:"providers"`
	Profiles  map[string]*Settings `yaml:"profiles"`

	// Where each provider and profile was defined ("file:line"), for errors.
	origin map[string]string
	// warnings found while loading (SSH bootstrap keys), logged once at start.
	warnings []string
}

// Settings are the keys of a provider or a profile, salt-cloud's names.
// A profile's settings override its provider's.
type Settings struct {
	// Driver names the driver of a provider (`provider: ec2` is read as
	// `driver: ec2` in a provider, as salt-cloud does). In a profile,
	// Provider names the provider.
	Driver   string `yaml:"driver"`
	Provider string `yaml:"provider"`

	// AWS credentials; without them the standard AWS chain is used.
	ID  string `yaml:"id"`
	Key string `yaml:"key"`

	Location         string            `yaml:"location"`
	Region           string            `yaml:"region"`
	AvailabilityZone string            `yaml:"availability_zone"`
	Endpoint         string            `yaml:"endpoint"`
	Keyname          string            `yaml:"keyname"`
	SecurityGroup    StringList        `yaml:"securitygroup"`
	SubnetID         string            `yaml:"subnetid"`
	Size             string            `yaml:"size"`
	Image            string            `yaml:"image"`
	BlockDevices     []BlockMap        `yaml:"block_device_mappings"`
	Tag              map[string]string `yaml:"tag"`
	RenameOnDestroy  *bool             `yaml:"rename_on_destroy"`

	Grains        map[string]any `yaml:"grains"`
	Minion        map[string]any `yaml:"minion"`
	StartupStates any            `yaml:"startup_states"`

	// BootstrapURL is where a node downloads the minion binary (default:
	// the master API's /bootstrap/minion).
	BootstrapURL string `yaml:"bootstrap_url"`
	// Master is the bus URL the node's minion connects to (default: the
	// minion: override's master, else the master's own URL).
	Master string `yaml:"master"`
	// JoinTokenTTL is how long a join token stays valid, in seconds
	// (default 1800).
	JoinTokenTTL float64 `yaml:"join_token_ttl"`
	// RootDir is where the local driver keeps its instances (default
	// ROOT_DIR/cloud/local of the master).
	RootDir string `yaml:"root_dir"`
	// RequireIdentity makes a node prove, besides its join token, that it
	// runs on the instance the provider started for it: its minion presents
	// the EC2 instance identity document and AWS's signature, which the
	// master checks against IdentityCert (ec2 only).
	RequireIdentity *bool `yaml:"require_identity"`
	// IdentityCert is the PEM file of the region's AWS RSA-2048
	// certificate that signs instance identity documents.
	IdentityCert string `yaml:"identity_cert"`

	// salt-cloud's SSH bootstrap keys: accepted, ignored, one warning.
	PrivateKey    string `yaml:"private_key"`
	SSHInterface  string `yaml:"ssh_interface"`
	SSHUsername   any    `yaml:"ssh_username"` // a name or a list
	SSHPassword   string `yaml:"ssh_password"`
	SSHPort       any    `yaml:"ssh_port"`
	SSHGateway    string `yaml:"ssh_gateway"`
	DeleteSSHKeys *bool  `yaml:"delete_sshkeys"`
	Deploy        *bool  `yaml:"deploy"`
	Script        string `yaml:"script"`
	ScriptArgs    string `yaml:"script_args"`
	DisplaySSHOut *bool  `yaml:"display_ssh_output"`
}

// BlockMap is one of salt-cloud's block_device_mappings entries
// (`DeviceName`, `Ebs.VolumeSize`, `Ebs.VolumeType`, ...).
type BlockMap map[string]any

// StringList is a string or a list of strings (securitygroup).
type StringList []string

// UnmarshalYAML reads one string or a list of them.
func (s *StringList) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*s = StringList{n.Value}
		return nil
	case yaml.SequenceNode:
		var l []string
		if err := n.Decode(&l); err != nil {
			return err
		}
		*s = l
		return nil
	}
	return fmt.Errorf("line %d: must be a string or a list of strings", n.Line)
}

func (s *Settings) sshKeysSet() []string {
	var out []string
	for key, set := range map[string]bool{
		"private_key": s.PrivateKey != "", "ssh_interface": s.SSHInterface != "", "ssh_username": s.SSHUsername != nil,
		"ssh_password": s.SSHPassword != "", "ssh_port": s.SSHPort != nil, "ssh_gateway": s.SSHGateway != "",
		"delete_sshkeys": s.DeleteSSHKeys != nil, "deploy": s.Deploy != nil, "script": s.Script != "",
		"script_args": s.ScriptArgs != "", "display_ssh_output": s.DisplaySSHOut != nil,
	} {
		if set {
			out = append(out, key)
		}
	}
	sort.Strings(out)
	return out
}

// Warnings are what loading found worth one log line at start.
func (c *Config) Warnings() []string { return c.warnings }

// Locator names the file and line of a key path in the master config
// (line 0: unknown).
type Locator func(path []any) (file string, line int)

// Load completes c (decoded from the master config file configFile;
// locate finds its keys) with the cloud.providers.d and cloud.profiles.d
// files beside it, and validates the whole: every profile names a defined
// provider, every provider a registered driver whose settings it accepts.
// Errors name the file, the line and the key.
func (c *Config) Load(configFile string, locate Locator) error {
	if c.Providers == nil {
		c.Providers = map[string]*Settings{}
	}
	if c.Profiles == nil {
		c.Profiles = map[string]*Settings{}
	}
	c.origin = map[string]string{}
	where := func(kind, name string) string {
		if locate != nil {
			if file, line := locate([]any{"cloud", kind, name}); line > 0 {
				return fmt.Sprintf("%s line %d", file, line)
			}
		}
		if configFile == "" {
			return "cloud"
		}
		return configFile
	}
	for name := range c.Providers {
		c.origin["providers."+name] = where("providers", name)
	}
	for name := range c.Profiles {
		c.origin["profiles."+name] = where("profiles", name)
	}
	if configFile != "" {
		dir := filepath.Dir(configFile)
		if err := c.loadDir(filepath.Join(dir, "cloud.providers.d"), "providers", c.Providers); err != nil {
			return err
		}
		if err := c.loadDir(filepath.Join(dir, "cloud.profiles.d"), "profiles", c.Profiles); err != nil {
			return err
		}
	}
	return c.validate()
}

// loadDir reads every *.conf file of dir into into (a provider or profile
// defined twice is an error).
func (c *Config) loadDir(dir, kind string, into map[string]*Settings) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.conf"))
	if err != nil {
		return err
	}
	if _, err := os.Stat(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cloud: %w", err)
	}
	sort.Strings(files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("cloud: read %s: %w", f, err)
		}
		var m map[string]*Settings
		if err := config.DecodeStrict(f, data, &m); err != nil {
			return err
		}
		var doc yaml.Node
		_ = yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc)
		names := make([]string, 0, len(m))
		for name := range m {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			where := at(f, &doc, name)
			if prev, ok := c.origin[kind+"."+name]; ok {
				return fmt.Errorf("%s: %s %q is already defined at %s", where, singular(kind), name, prev)
			}
			s := m[name]
			if s == nil {
				s = &Settings{}
			}
			into[name] = s
			c.origin[kind+"."+name] = where
		}
	}
	return nil
}

func singular(kind string) string { return strings.TrimSuffix(kind, "s") }

// validate checks providers and profiles, and normalises provider: as
// driver: in providers.
func (c *Config) validate() error {
	var ssh sshNotes
	for _, name := range sortedKeys(c.Providers) {
		p := c.Providers[name]
		where := c.origin["providers."+name]
		if p == nil {
			return fmt.Errorf("%s: provider %q has no settings (it needs at least driver:)", where, name)
		}
		if p.Driver == "" {
			p.Driver = p.Provider // salt-cloud's older spelling
		} else if p.Provider != "" && p.Provider != p.Driver {
			return fmt.Errorf("%s: provider %q: driver: %q and provider: %q disagree (provider: is an old name of driver:)", where, name, p.Driver, p.Provider)
		}
		p.Provider = ""
		if p.Driver == "" {
			return fmt.Errorf("%s: provider %q: no driver: (one of %s)", where, name, strings.Join(Drivers(), ", "))
		}
		d, ok := lookup(p.Driver)
		if !ok {
			msg := fmt.Sprintf("%s: provider %q: driver: unknown driver %q (known: %s)", where, name, p.Driver, strings.Join(Drivers(), ", "))
			if s := nearest(p.Driver, Drivers()); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			return errors.New(msg)
		}
		if d.Check != nil {
			if err := d.Check(p, false); err != nil {
				return fmt.Errorf("%s: provider %q: %w", where, name, err)
			}
		}
		if err := checkCommon(p); err != nil {
			return fmt.Errorf("%s: provider %q: %w", where, name, err)
		}
		ssh.note(where, p.sshKeysSet())
	}
	for _, name := range sortedKeys(c.Profiles) {
		p := c.Profiles[name]
		where := c.origin["profiles."+name]
		if p == nil || p.Provider == "" {
			return fmt.Errorf("%s: profile %q: no provider: (one of %s)", where, name, strings.Join(sortedKeys(c.Providers), ", "))
		}
		if p.Driver != "" {
			return fmt.Errorf("%s: profile %q: driver: belongs in the provider %q, not in a profile", where, name, p.Provider)
		}
		if _, ok := c.Providers[p.Provider]; !ok {
			msg := fmt.Sprintf("%s: profile %q: provider: %q is not defined", where, name, p.Provider)
			if s := nearest(p.Provider, sortedKeys(c.Providers)); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			return errors.New(msg)
		}
		if err := checkCommon(p); err != nil {
			return fmt.Errorf("%s: profile %q: %w", where, name, err)
		}
		merged := c.Merge(name)
		if d, _ := lookup(merged.Driver); d.Check != nil {
			if err := d.Check(merged, true); err != nil {
				return fmt.Errorf("%s: profile %q: %w", where, name, err)
			}
		}
		ssh.note(where, p.sshKeysSet())
	}
	if w := ssh.warning(); w != "" {
		c.warnings = append(c.warnings, w)
	}
	return nil
}

// sshNotes gathers salt-cloud's SSH bootstrap keys found in the config,
// for one warning.
type sshNotes struct {
	keys  map[string]bool
	where []string
}

func (n *sshNotes) note(where string, keys []string) {
	if len(keys) == 0 {
		return
	}
	if n.keys == nil {
		n.keys = map[string]bool{}
	}
	for _, k := range keys {
		n.keys[k] = true
	}
	n.where = append(n.where, where)
}

func (n *sshNotes) warning() string {
	if len(n.where) == 0 {
		return ""
	}
	return fmt.Sprintf("cloud: salt-cloud's SSH bootstrap settings (%s) are ignored: Brine bootstraps nodes through user data, not SSH (at %s)",
		strings.Join(sortedKeys(n.keys), ", "), strings.Join(n.where, ", "))
}

// checkCommon checks what every driver reads.
func checkCommon(s *Settings) error {
	if s.JoinTokenTTL < 0 {
		return fmt.Errorf("join_token_ttl: %v is negative", s.JoinTokenTTL)
	}
	if s.Minion != nil {
		if _, ok := s.Minion["join_token"]; ok {
			return fmt.Errorf("minion: join_token is issued by the master for each node and cannot be set")
		}
		if _, ok := s.Minion["id"]; ok {
			return fmt.Errorf("minion: id is the node's name and cannot be set here")
		}
	}
	return nil
}

// Profile returns the named profile merged over its provider, or an error
// naming the known profiles.
func (c *Config) Profile(name string) (*Settings, error) {
	if _, ok := c.Profiles[name]; !ok {
		msg := fmt.Sprintf("no cloud profile %q", name)
		known := sortedKeys(c.Profiles)
		if s := nearest(name, known); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		} else if len(known) > 0 {
			msg += " (profiles: " + strings.Join(known, ", ") + ")"
		} else {
			msg += " (no profiles are configured)"
		}
		return nil, errors.New(msg)
	}
	return c.Merge(name), nil
}

// ProfileNames lists the profiles, sorted.
func (c *Config) ProfileNames() []string { return sortedKeys(c.Profiles) }

// Merge returns profile name's settings over its provider's: a profile's
// value wins, maps (grains, minion, tag) merge key by key.
func (c *Config) Merge(name string) *Settings {
	p := c.Profiles[name]
	prov := c.Providers[p.Provider]
	out := *prov
	out.Provider = p.Provider
	str := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	str(&out.ID, p.ID)
	str(&out.Key, p.Key)
	str(&out.Location, p.Location)
	str(&out.Region, p.Region)
	str(&out.AvailabilityZone, p.AvailabilityZone)
	str(&out.Endpoint, p.Endpoint)
	str(&out.Keyname, p.Keyname)
	str(&out.SubnetID, p.SubnetID)
	str(&out.Size, p.Size)
	str(&out.Image, p.Image)
	str(&out.BootstrapURL, p.BootstrapURL)
	str(&out.Master, p.Master)
	str(&out.RootDir, p.RootDir)
	str(&out.IdentityCert, p.IdentityCert)
	if p.RequireIdentity != nil {
		out.RequireIdentity = p.RequireIdentity
	}
	if p.SecurityGroup != nil {
		out.SecurityGroup = p.SecurityGroup
	}
	if p.BlockDevices != nil {
		out.BlockDevices = p.BlockDevices
	}
	if p.RenameOnDestroy != nil {
		out.RenameOnDestroy = p.RenameOnDestroy
	}
	if p.StartupStates != nil {
		out.StartupStates = p.StartupStates
	}
	if p.JoinTokenTTL != 0 {
		out.JoinTokenTTL = p.JoinTokenTTL
	}
	out.Grains = mergeMaps(prov.Grains, p.Grains)
	out.Minion = mergeMaps(prov.Minion, p.Minion)
	tags := map[string]string{}
	for k, v := range prov.Tag {
		tags[k] = v
	}
	for k, v := range p.Tag {
		tags[k] = v
	}
	if len(tags) > 0 {
		out.Tag = tags
	}
	return &out
}

func mergeMaps(a, b map[string]any) map[string]any {
	if a == nil && b == nil {
		return nil
	}
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// RegionName is region: or salt-cloud's location:.
func (s *Settings) RegionName() string {
	if s.Region != "" {
		return s.Region
	}
	return s.Location
}

// Rename reports rename_on_destroy.
func (s *Settings) Rename() bool { return s.RenameOnDestroy != nil && *s.RenameOnDestroy }

// Identity reports whether nodes must present their instance identity.
func (s *Settings) Identity() bool { return s.RequireIdentity != nil && *s.RequireIdentity }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// at names file:line of the mapping key at path in doc ("file" alone when
// it cannot be found).
func at(file string, doc *yaml.Node, path ...string) string {
	if line := lineOf(doc, path...); line > 0 {
		return fmt.Sprintf("%s line %d", file, line)
	}
	if file == "" {
		return "cloud"
	}
	return file
}

func lineOf(doc *yaml.Node, path ...string) int {
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
			return 0
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				line = n.Content[i].Line
				next = n.Content[i+1]
				break
			}
		}
		if next == nil {
			return 0
		}
		n = next
	}
	return line
}

// nearest is the known word closest to w, if it is a near miss.
func nearest(w string, known []string) string {
	best, bestD := "", 1<<30
	for _, k := range known {
		if d := config.Distance(strings.ToLower(w), strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	if bestD <= 2 && bestD < len(w) {
		return best
	}
	return ""
}

// inlineIgnored are keys of salt-cloud's `cloud.create PROVIDER INSTANCES
// key=value...` that are no VM setting: reactor (a salt-cloud flag for its
// own events) and the instance names.
var inlineIgnored = map[string]bool{"reactor": true, "instances": true, "names": true, "name": true, "provider": true}

// Inline returns the settings of nodes made from provider with the VM
// settings vm given inline instead of a profile, as salt-cloud's
// `cloud.create PROVIDER INSTANCES key=value...` (seed 000's autoscale
// reactor) takes them: vm's keys are a profile's and override the
// provider's. Keys starting with "__" are dropped, as salt-cloud does; an
// unknown key is an error naming it. instance_id (bootstrap an instance
// that exists) is accepted for the local driver only, whose instances are
// the minion processes it starts: another driver would create a second
// instance beside the existing one.
func (c *Config) Inline(provider string, vm map[string]any) (*Settings, error) {
	prov, ok := c.Providers[provider]
	if !ok || prov == nil {
		msg := fmt.Sprintf("no cloud provider %q", provider)
		if s := nearest(provider, sortedKeys(c.Providers)); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		} else if len(c.Providers) > 0 {
			msg += " (providers: " + strings.Join(sortedKeys(c.Providers), ", ") + ")"
		} else {
			msg += " (no providers are configured)"
		}
		return nil, errors.New(msg)
	}
	keys := map[string]any{}
	for k, v := range vm {
		switch {
		case strings.HasPrefix(k, "__") || inlineIgnored[k]:
		case k == "instance_id":
			if prov.Driver != "local" {
				return nil, fmt.Errorf("instance_id: bootstrapping an existing instance is not supported by the %s driver (it would create a second one); let the autoscale: section join instances a group launched (docs/autoscale.md)", prov.Driver)
			}
		case k == "driver":
			return nil, fmt.Errorf("driver: belongs in the provider %q, not in the VM settings", provider)
		default:
			keys[k] = v
		}
	}
	b, err := yaml.Marshal(keys)
	if err != nil {
		return nil, fmt.Errorf("VM settings: %w", err)
	}
	var p Settings
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("VM settings: %s", strings.Join(inlineErrors(te.Errors), "; "))
		}
		return nil, fmt.Errorf("VM settings: %w", err)
	}
	if err := checkCommon(&p); err != nil {
		return nil, err
	}
	p.Provider = provider
	merged := (&Config{Providers: c.Providers, Profiles: map[string]*Settings{"": &p}}).Merge("")
	if d, _ := lookup(merged.Driver); d.Check != nil {
		if err := d.Check(merged, true); err != nil {
			return nil, err
		}
	}
	return merged, nil
}

// inlineErrors turns yaml.v3's "line N: field x not found in type
// cloud.Settings" into "unknown setting x".
func inlineErrors(errs []string) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		if _, rest, ok := strings.Cut(e, "field "); ok {
			if name, _, ok := strings.Cut(rest, " not found"); ok {
				out[i] = "unknown setting " + name
				continue
			}
		}
		if _, rest, ok := strings.Cut(e, ": "); ok {
			e = rest
		}
		out[i] = strings.ReplaceAll(e, "cloud.", "")
	}
	return out
}
