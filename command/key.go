package command

import (
	"bufio"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/brine-cm/brine/internal/glob"
	"github.com/brine-cm/brine/output"
	"github.com/brine-cm/brine/proto"
)

var keyStateTitles = []struct{ state, title, color string }{
	{proto.KeyAccepted, "Accepted Keys:", "\033[0;32m"},
	{proto.KeyDenied, "Denied Keys:", "\033[0;35m"},
	{proto.KeyPending, "Unaccepted Keys:", "\033[0;31m"},
	{proto.KeyRejected, "Rejected Keys:", "\033[0;34m"},
	{proto.KeyDamaged, "Damaged Keys (unreadable records; delete them):", "\033[1;31m"},
}

// runKey is `ctl key list|accept|reject|delete|finger [ID|--all] [--yes]`.
func (r *runner) runKey(words []string) int {
	if len(words) == 0 {
		return r.usage("ctl key list|accept|reject|delete|finger [ID|--all] [--yes]")
	}
	action, rest := words[0], words[1:]
	if len(rest) > 1 {
		return r.usage(fmt.Sprintf("key %s takes one id (glob), not %d", action, len(rest)))
	}
	req := proto.KeyRequest{All: r.g.All}
	if len(rest) == 1 {
		req.ID = rest[0]
		// salt-key reads the id as an fnmatch glob; one that cannot mean
		// what was meant ("[web") is bad input, not "no key matches".
		if _, err := glob.CompileFnmatch(req.ID); err != nil {
			return r.usage(fmt.Sprintf("key %s: %v", action, err))
		}
	}
	switch action {
	case "list", "finger":
		if req.ID == "" {
			req.All = true
		}
	case "accept", "reject", "delete":
		if req.ID == "" && !req.All {
			return r.usage(fmt.Sprintf("key %s needs an id (glob) or --all", action))
		}
	default:
		return r.usage(fmt.Sprintf("unknown key action %q (list, accept, reject, delete, finger)", action))
	}
	c, err := dial(r.g)
	if err != nil {
		return r.fail(err)
	}
	defer c.close()
	var list proto.KeyListReply
	if err := c.request(proto.OpKeyList, proto.KeyRequest{All: true}, &list, 10*time.Second); err != nil {
		return r.fail(err)
	}
	switch action {
	case "list":
		keys := filterKeys(list.Keys, req)
		if r.g.KeyState != "" {
			return r.printKeysIn(keys, r.g.KeyState)
		}
		return r.printKeys(keys)
	case "finger":
		return r.printFingers(filterKeys(list.Keys, req))
	}
	// Confirm with the keys the action would touch, as salt-key does.
	// The master accepts a rejected key, or rejects an accepted one, only
	// when it is named exactly (salt-key's --include-* flags).
	exact := !req.All && !glob.IsGlob(req.ID)
	from := map[string][]string{
		"accept": {proto.KeyPending},
		"reject": {proto.KeyPending},
		"delete": {proto.KeyAccepted, proto.KeyPending, proto.KeyRejected, proto.KeyDenied, proto.KeyDamaged},
	}[action]
	if exact && action == "accept" {
		from = append(from, proto.KeyRejected)
	}
	if exact && action == "reject" {
		from = append(from, proto.KeyAccepted)
	}
	var ids []string
	seen := map[string]bool{}
	for _, k := range filterKeys(list.Keys, req) {
		for _, s := range from {
			if k.State == s && !seen[k.ID] {
				seen[k.ID] = true
				ids = append(ids, k.ID)
			}
		}
	}
	if len(ids) == 0 {
		// Accepting an accepted key, or rejecting a rejected one, is done
		// already: say so (salt-key's "does not match any unaccepted keys"
		// left users guessing).
		done := map[string]string{"accept": proto.KeyAccepted, "reject": proto.KeyRejected}[action]
		var already []string
		for _, k := range filterKeys(list.Keys, req) {
			if done != "" && k.State == done {
				already = append(already, k.ID)
			}
		}
		if len(already) > 0 {
			sort.Strings(already)
			for _, id := range already {
				fmt.Fprintf(r.stdout, "Key for minion %s is already %s.\n", output.Escape(id), pastTense(action))
			}
			return exitOK
		}
		fmt.Fprintf(r.stderr, "ctl: no key matches %q for %s\n", req.ID, action)
		return exitFailed
	}
	if !r.g.Yes {
		if !r.inTTY {
			return r.usage(fmt.Sprintf("key %s %s: confirm with --yes when not on a terminal", action, strings.Join(ids, ", ")))
		}
		fmt.Fprintf(r.stdout, "The following keys are going to be %s:\n%s\nProceed? [n/Y] ", pastTense(action), strings.Join(ids, "\n"))
		line, _ := bufio.NewReader(r.stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" && a != "" {
			fmt.Fprintln(r.stdout, "Aborted.")
			return exitFailed
		}
	}
	op := map[string]string{"accept": proto.OpKeyAccept, "reject": proto.OpKeyReject, "delete": proto.OpKeyDelete}[action]
	var rep proto.KeyActionReply
	if err := c.request(op, req, &rep, 30*time.Second); err != nil {
		return r.fail(err)
	}
	if r.format != output.Text {
		if err := output.Value(r.opts(), map[string]any{pastTense(action): nonNil(rep.Changed)}); err != nil {
			return r.fail(err)
		}
		return exitOK
	}
	for _, id := range rep.Changed {
		fmt.Fprintf(r.stdout, "Key for minion %s %s.\n", id, pastTense(action))
	}
	if len(rep.Changed) == 0 {
		fmt.Fprintf(r.stdout, "No key was %s.\n", pastTense(action))
	}
	return exitOK
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func pastTense(action string) string {
	return map[string]string{"accept": "accepted", "reject": "rejected", "delete": "deleted"}[action]
}

// filterKeys keeps the keys whose id matches req.ID (all for --all or no
// id; none for a bad glob, which runKey refuses first).
func filterKeys(keys []proto.KeyInfo, req proto.KeyRequest) []proto.KeyInfo {
	if req.All || req.ID == "" {
		return keys
	}
	pattern, err := glob.CompileFnmatch(req.ID)
	if err != nil {
		return nil
	}
	var out []proto.KeyInfo
	for _, k := range keys {
		if pattern.Match(k.ID) {
			out = append(out, k)
		}
	}
	return out
}

func (r *runner) printKeys(keys []proto.KeyInfo) int {
	groups := map[string][]string{}
	for _, st := range keyStateTitles {
		if st.state != proto.KeyDamaged { // Salt's four lists, always; damaged only when there are some
			groups[st.state] = []string{}
		}
	}
	for _, k := range keys {
		groups[k.State] = append(groups[k.State], k.ID)
	}
	for _, ids := range groups {
		sort.Strings(ids)
	}
	if r.format != output.Text {
		if err := output.Value(r.opts(), groups); err != nil {
			return r.fail(err)
		}
		return exitOK
	}
	color := r.opts().Color
	for _, st := range keyStateTitles {
		if _, ok := groups[st.state]; !ok {
			continue
		}
		fmt.Fprintln(r.stdout, st.title)
		for _, id := range groups[st.state] {
			if color {
				fmt.Fprintf(r.stdout, "%s%s\033[0m\n", st.color, id)
			} else {
				fmt.Fprintln(r.stdout, id)
			}
		}
	}
	return exitOK
}

// printKeysIn is salt-key -l STATE: only that state's list.
func (r *runner) printKeysIn(keys []proto.KeyInfo, state string) int {
	ids := []string{}
	for _, k := range keys {
		if k.State == state {
			ids = append(ids, k.ID)
		}
	}
	sort.Strings(ids)
	if r.format != output.Text {
		if err := output.Value(r.opts(), map[string]any{state: ids}); err != nil {
			return r.fail(err)
		}
		return exitOK
	}
	for _, st := range keyStateTitles {
		if st.state != state {
			continue
		}
		fmt.Fprintln(r.stdout, st.title)
		for _, id := range ids {
			if r.opts().Color {
				fmt.Fprintf(r.stdout, "%s%s\033[0m\n", st.color, output.Escape(id))
			} else {
				fmt.Fprintln(r.stdout, output.Escape(id))
			}
		}
	}
	return exitOK
}

func (r *runner) printFingers(keys []proto.KeyInfo) int {
	out := map[string]map[string]string{}
	for _, st := range keyStateTitles {
		if st.state != proto.KeyDamaged {
			out[st.state] = map[string]string{}
		}
	}
	for _, k := range keys {
		if out[k.State] == nil { // a state this ctl does not know is still shown
			out[k.State] = map[string]string{}
		}
		out[k.State][k.ID] = k.Finger
	}
	if r.format != output.Text {
		if err := output.Value(r.opts(), out); err != nil {
			return r.fail(err)
		}
		return exitOK
	}
	for _, st := range keyStateTitles {
		if _, ok := out[st.state]; !ok {
			continue
		}
		fmt.Fprintln(r.stdout, st.title)
		ids := make([]string, 0, len(out[st.state]))
		for id := range out[st.state] {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			fmt.Fprintf(r.stdout, "%s:  %s\n", id, out[st.state][id])
		}
	}
	return exitOK
}
