package autoscale

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the master config's `autoscale:` section.
type Config struct {
	// Region of the Auto Scaling groups and the queue (default: the AWS
	// chain's, e.g. AWS_REGION).
	Region string `yaml:"region"`
	// QueueURL is the SQS queue the groups' lifecycle hooks send to.
	QueueURL string `yaml:"queue_url"`
	// HookPath is the API hook path (after /hook/) SNS notifications
	// arrive on; the api.hooks entry matching it must have auth: sns.
	HookPath string `yaml:"hook_path"`
	// MinionTimeout bounds the wait for a launching instance's minion to
	// present its key (default: the lifecycle hook's heartbeat timeout, or
	// 10 minutes when it cannot be read).
	MinionTimeout Duration `yaml:"minion_timeout"`
	// StateTimeout bounds a startup or clean state run (default 1 hour).
	StateTimeout Duration `yaml:"state_timeout"`
	// IdentityCert is the PEM file of the region's AWS certificate that
	// signs instance identity documents (require_identity).
	IdentityCert string `yaml:"identity_cert"`
	// Groups maps an AutoScalingGroupName to what its instances get.
	Groups map[string]*Group `yaml:"groups"`
}

// Group configures the instances of one Auto Scaling group.
type Group struct {
	// MinionID is the pattern of the instances' minion ids: {group} and
	// {instance_id} are replaced (default "{group}-{instance_id}").
	MinionID string `yaml:"minion_id"`
	// Grains are set on each instance's minion (grains.setvals) before
	// its startup states run, so top files can target them.
	Grains map[string]any `yaml:"grains"`
	// Minion is minion configuration for the group's instances: the
	// user data `ctl run autoscale.user_data GROUP` prints writes it
	// (see docs/autoscale.md).
	Minion map[string]any `yaml:"minion"`
	// BootstrapURL is where that user data downloads the minion binary
	// (default: the master API's /bootstrap/minion).
	BootstrapURL string `yaml:"bootstrap_url"`
	// StartupStates are applied on launch before CONTINUE: "highstate" or
	// a list of sls names.
	StartupStates StateList `yaml:"startup_states"`
	// CleanState is applied on termination, if set, before the key goes.
	CleanState StateList `yaml:"clean_state"`
	// RequireIdentity demands the EC2 instance identity document from the
	// minion before its key is accepted.
	RequireIdentity bool `yaml:"require_identity"`
}

// DefaultMinionID is the minion id pattern of a group that sets none
// (seed 001's "{group}-{instance_id}").
const DefaultMinionID = "{group}-{instance_id}"

// Defaults of the timeouts.
const (
	DefaultMinionTimeout = 10 * time.Minute
	DefaultStateTimeout  = time.Hour
)

// StateList is "highstate", one sls name, or a list of sls names.
type StateList struct {
	Highstate bool
	SLS       []string
}

// IsZero reports an unset list.
func (s StateList) IsZero() bool { return !s.Highstate && len(s.SLS) == 0 }

func (s StateList) String() string {
	if s.Highstate {
		return "highstate"
	}
	return strings.Join(s.SLS, ",")
}

// UnmarshalYAML reads a string ("highstate", "a,b") or a list of strings.
func (s *StateList) UnmarshalYAML(n *yaml.Node) error {
	var names []string
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			*s = StateList{}
			return nil
		}
		if n.Tag != "!!str" {
			return fmt.Errorf("line %d: must be highstate or a list of sls names, not %q", n.Line, n.Value)
		}
		if n.Value == "highstate" {
			*s = StateList{Highstate: true}
			return nil
		}
		names = strings.Split(n.Value, ",")
	case yaml.SequenceNode:
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode || c.Tag != "!!str" {
				return fmt.Errorf("line %d: an sls name must be text", c.Line)
			}
			names = append(names, c.Value)
		}
	default:
		return fmt.Errorf("line %d: must be highstate or a list of sls names", n.Line)
	}
	out := StateList{}
	for _, name := range names {
		name = strings.TrimSpace(name)
		if name == "" {
			return fmt.Errorf("line %d: empty sls name", n.Line)
		}
		if name == "highstate" {
			return fmt.Errorf("line %d: highstate cannot be combined with sls names", n.Line)
		}
		out.SLS = append(out.SLS, name)
	}
	*s = out
	return nil
}

// Duration is a duration written as "90s", "10m", or a number of seconds.
type Duration time.Duration

// UnmarshalYAML reads "10m" or a number of seconds.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: must be a duration such as 90s or 10m", n.Line)
	}
	if f, err := strconv.ParseFloat(n.Value, 64); err == nil && (n.Tag == "!!int" || n.Tag == "!!float") {
		if f < 0 {
			return fmt.Errorf("line %d: duration %s is negative", n.Line, n.Value)
		}
		*d = Duration(f * float64(time.Second))
		return nil
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration such as 90s or 10m", n.Line, n.Value)
	}
	if v < 0 {
		return fmt.Errorf("line %d: duration %s is negative", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// placeholderRe finds {name} placeholders of a minion id pattern.
var placeholderRe = regexp.MustCompile(`\{([^{}]*)\}`)

// LineOf finds the line of a dotted key path in the config file (0 when
// unknown), for error messages.
type LineOf func(path ...string) int

// Validate checks what the YAML types cannot say: the section is used,
// minion id patterns, group names. at names the file's line of a key.
func (c *Config) Validate(lineOf LineOf) error {
	if lineOf == nil {
		lineOf = func(...string) int { return 0 }
	}
	at := func(path ...string) string {
		key := strings.Join(path, ".")
		if l := lineOf(path...); l > 0 {
			return fmt.Sprintf("line %d: %s", l, key)
		}
		return key
	}
	if c.QueueURL == "" && c.HookPath == "" {
		return fmt.Errorf("%s: set queue_url (SQS lifecycle hooks) or hook_path (SNS notifications), or both: without either no message ever arrives", at("autoscale"))
	}
	if c.HookPath != "" && strings.Trim(c.HookPath, "/") != c.HookPath {
		return fmt.Errorf("%s: %q must not start or end with /", at("autoscale", "hook_path"), c.HookPath)
	}
	if len(c.Groups) == 0 {
		return fmt.Errorf("%s: no groups: name each Auto Scaling group whose instances this master manages", at("autoscale", "groups"))
	}
	for _, name := range c.GroupNames() {
		g := c.Groups[name]
		if g == nil {
			c.Groups[name] = &Group{}
			g = c.Groups[name]
		}
		if g.MinionID == "" {
			g.MinionID = DefaultMinionID
		}
		if err := checkPattern(g.MinionID); err != nil {
			return fmt.Errorf("%s: %w", at("autoscale", "groups", name, "minion_id"), err)
		}
		for _, k := range []string{"id", "join_token", "ec2_identity"} {
			if _, ok := g.Minion[k]; ok {
				why := map[string]string{
					"id":           "the minion id comes from minion_id",
					"join_token":   "autoscale instances join through their lifecycle messages, not join tokens",
					"ec2_identity": "it follows require_identity",
				}[k]
				return fmt.Errorf("%s: %s cannot be set here: %s", at("autoscale", "groups", name, "minion", k), k, why)
			}
		}
		if g.RequireIdentity && c.IdentityCert == "" {
			return fmt.Errorf("%s: require_identity needs autoscale.identity_cert, the region's AWS certificate (PEM) that signs instance identity documents", at("autoscale", "groups", name, "require_identity"))
		}
	}
	return nil
}

// GroupNames are the configured group names, sorted.
func (c *Config) GroupNames() []string {
	out := make([]string, 0, len(c.Groups))
	for k := range c.Groups {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func checkPattern(p string) error {
	if !strings.Contains(p, "{instance_id}") {
		return fmt.Errorf("%q must contain {instance_id}: without it every instance of the group would get the same minion id", p)
	}
	for _, m := range placeholderRe.FindAllStringSubmatch(p, -1) {
		switch m[1] {
		case "group", "instance_id":
		default:
			return fmt.Errorf("%q: unknown placeholder {%s} (known: {group}, {instance_id})", p, m[1])
		}
	}
	rest := placeholderRe.ReplaceAllString(p, "x")
	if strings.ContainsAny(rest, "{}*?[]/\\ \t\n") {
		return fmt.Errorf("%q: a minion id must not contain braces, glob characters, slashes or spaces", p)
	}
	return nil
}

// MinionID is the minion id of instance in group.
func (g *Group) minionID(group, instance string) string {
	p := g.MinionID
	if p == "" {
		p = DefaultMinionID
	}
	r := strings.NewReplacer("{group}", group, "{instance_id}", instance)
	return r.Replace(p)
}

func (c *Config) minionTimeout() time.Duration {
	if c.MinionTimeout > 0 {
		return time.Duration(c.MinionTimeout)
	}
	return 0
}

func (c *Config) stateTimeout() time.Duration {
	if c.StateTimeout > 0 {
		return time.Duration(c.StateTimeout)
	}
	return DefaultStateTimeout
}
