package command

import (
	"fmt"
	"strings"

	"github.com/brine-cm/brine/proto"
)

// salt-key's flags under `ctl key`: `ctl key -L`, `ctl key -a web-1`,
// `ctl key -D -y`, ... are read as the action words they stand for
// (`ctl key list`, `ctl key accept web-1`, `ctl key delete --all --yes`).
// With an action word given, -A keeps its meaning of --all.

// saltKeyFlag is one salt-key flag: the action it means, whether it takes
// the key id (or glob) as its value, and whether it means every key.
type saltKeyFlag struct {
	action string
	takes  bool
	all    bool
}

var saltKeyFlags = map[string]saltKeyFlag{
	"-L": {"list", false, false}, "--list-all": {"list", false, false},
	"-l": {"list", true, false}, "--list": {"list", true, false},
	"-a": {"accept", true, false}, "--accept": {"accept", true, false},
	"-A": {"accept", false, true}, "--accept-all": {"accept", false, true},
	"-r": {"reject", true, false}, "--reject": {"reject", true, false},
	"-R": {"reject", false, true}, "--reject-all": {"reject", false, true},
	"-d": {"delete", true, false}, "--delete": {"delete", true, false},
	"-D": {"delete", false, true}, "--delete-all": {"delete", false, true},
	"-f": {"finger", true, false}, "--finger": {"finger", true, false},
	"-F": {"finger", false, true}, "--finger-all": {"finger", false, true},
}

// keyActions are ctl key's action words.
var keyActions = map[string]bool{"list": true, "accept": true, "reject": true, "delete": true, "finger": true}

// keyStates maps salt-key's -l values to key states.
var keyStates = map[string]string{
	"acc": proto.KeyAccepted, "accepted": proto.KeyAccepted,
	"pre": proto.KeyPending, "un": proto.KeyPending, "unaccepted": proto.KeyPending, "pending": proto.KeyPending,
	"rej": proto.KeyRejected, "rejected": proto.KeyRejected,
	"den": proto.KeyDenied, "denied": proto.KeyDenied,
	"all": "",
}

// commandWord is the first word of args that is not a flag or a flag's
// value, and its index (-1 when there is none).
func commandWord(args []string) (string, int) {
	specs := map[string]bool{}
	for _, s := range flagSpecs() {
		for _, n := range s.names {
			specs[n] = s.value
		}
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			if i+1 < len(args) {
				return args[i+1], i + 1
			}
			return "", -1
		}
		if len(a) < 2 || a[0] != '-' {
			return a, i
		}
		if takes := specs[a]; takes && !strings.Contains(a, "=") {
			i++
		}
	}
	return "", -1
}

// translateSaltKey rewrites `ctl key` with salt-key's flags into ctl's
// words. Other command lines are returned unchanged.
func translateSaltKey(args []string) ([]string, error) {
	word, at := commandWord(args)
	if word != "key" {
		return args, nil
	}
	rest := args[at+1:]
	for _, w := range rest {
		if keyActions[w] {
			return args, nil // ctl's own words; -A means --all
		}
	}
	out := append([]string(nil), args[:at+1]...)
	action, id, state := "", "", ""
	all := false
	for i := 0; i < len(rest); i++ {
		name, val, hasVal := strings.Cut(rest[i], "=")
		f, ok := saltKeyFlags[name]
		if !ok {
			out = append(out, rest[i])
			continue
		}
		if action != "" && action != f.action {
			return nil, fmt.Errorf("key: %s and the %s flag before it ask for two different actions", name, action)
		}
		action = f.action
		if f.takes {
			if !hasVal {
				if i+1 >= len(rest) {
					return nil, fmt.Errorf("key: %s needs a value", name)
				}
				i++
				val = rest[i]
			}
			if f.action == "list" {
				st, ok := keyStates[strings.ToLower(val)]
				if !ok {
					return nil, fmt.Errorf("key: %s wants acc, pre, rej, den or all, not %q", name, val)
				}
				if st != "" { // "all": every list
					state = val
				}
				continue
			}
			id = val
		} else if hasVal {
			return nil, fmt.Errorf("key: %s takes no value", name)
		}
		all = all || f.all
	}
	if action == "" {
		return args, nil
	}
	out = append(out, action)
	if all {
		out = append(out, "--all")
	}
	if state != "" {
		out = append(out, "--key-state", state)
	}
	if id != "" {
		// Last, after "--": an id is never read as a flag.
		out = append(out, "--", id)
	}
	return out, nil
}
