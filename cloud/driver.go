package cloud

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"
)

// A Driver creates and destroys the instances of one provider.
type Driver interface {
	// Create starts instance req.Name and returns once the provider
	// reports it running. step reports progress ("requesting").
	Create(ctx context.Context, req CreateRequest, step func(string)) (*Instance, error)
	// Destroy terminates the instance.
	Destroy(ctx context.Context, inst *Instance) error
	// Action runs a provider action (stop, start, reboot, ...) on it.
	Action(ctx context.Context, inst *Instance, action string) (any, error)
}

// StateReporter is a Driver that can tell an instance's state cheaply;
// list and show then print what is, not what was recorded.
type StateReporter interface {
	InstanceState(inst *Instance) string
}

// TagFilter is one tag condition: Key with Value, or with any value.
type TagFilter struct {
	Key, Value string
	Any        bool
}

// TagFinder is a Driver that finds instances at the provider by tag,
// whoever started them (cloud.action with tag=, an off-hours policy).
// Terminated instances are not returned. Each Instance has InstanceID,
// Name (its Name tag, else its id) and State.
type TagFinder interface {
	FindByTags(ctx context.Context, tags []TagFilter) ([]*Instance, error)
}

// CreateRequest is what a driver needs to start one node.
type CreateRequest struct {
	Name    string
	Profile string
	// Settings are the profile's, merged over its provider's.
	Settings *Settings
	// MinionConfig is the node's minion config: id, master, grains,
	// startup_states, the minion: overrides and its join token. It holds
	// a secret: never log or return it.
	MinionConfig map[string]any
	// BootstrapURL is where the node downloads the minion binary.
	BootstrapURL string
}

// Instance is one created node, as recorded by the master.
type Instance struct {
	Name       string            `json:"name"`
	Profile    string            `json:"profile"`
	Provider   string            `json:"provider"`
	Driver     string            `json:"driver"`
	InstanceID string            `json:"instance_id"`
	State      string            `json:"state"`
	Created    time.Time         `json:"created"`
	Extra      map[string]string `json:"extra,omitempty"` // ips, size, image, pid, ...
}

// Env is what the master gives every driver.
type Env struct {
	Log *slog.Logger
	// RootDir is the master's root_dir.
	RootDir string
	// MinionBinary is the minion built alongside the master.
	MinionBinary string
}

// Factory builds a provider's driver from its settings.
type Factory func(provider string, s *Settings, env Env) (Driver, error)

// Registration is one driver: its name, a factory, and a check of the
// settings a provider (profile false) or a profile merged over its
// provider (profile true) gives it (nil: none), run at start so a bad key
// is a start-up error.
type Registration struct {
	Name  string
	New   Factory
	Check func(s *Settings, profile bool) error
}

var (
	regMu    sync.RWMutex
	registry = map[string]Registration{}
)

// Register adds a driver; call it from the driver file's init. A second
// driver of the same name panics (a programming error).
func Register(r Registration) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[r.Name]; dup {
		panic(fmt.Sprintf("cloud: driver %q registered twice", r.Name))
	}
	registry[r.Name] = r
}

func lookup(name string) (Registration, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	r, ok := registry[name]
	return r, ok
}

// Drivers lists the registered driver names, sorted.
func Drivers() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// NewDriver builds the driver of a provider (settings already validated).
func NewDriver(provider string, s *Settings, env Env) (Driver, error) {
	r, ok := lookup(s.Driver)
	if !ok {
		return nil, fmt.Errorf("provider %q: unknown driver %q", provider, s.Driver)
	}
	return r.New(provider, s, env)
}
