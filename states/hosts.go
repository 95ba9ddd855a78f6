package states

import (
	"errors"
	"fmt"
	"github.com/brine-cm/brine/internal/coerce"
	"io"
	"io/fs"
	"net"
	"os"
	"strings"
	"syscall"
)

// The hosts file as host.* see it: lines kept as they are unless an
// entry on them changes, so comments, blank lines and formatting of
// untouched entries survive.

// The read-modify-write of a hosts file needs no lock here: a state run
// executes its states one after another, and a minion runs one state run at
// a time (state.* refuse to start while another runs).

type hostsLine struct {
	raw     string
	ip      string // canonical address; "" for anything else
	names   []string
	comment string // trailing "# ..."
	dirty   bool
}

type hostsFile struct {
	path  string
	fi    fs.FileInfo // nil: the file does not exist yet
	lines []*hostsLine
	eol   bool // the file ended with a newline
}

// canonicalIP returns an address in canonical form, or "" if s is not one.
func canonicalIP(s string) string {
	ip := net.ParseIP(strings.TrimSpace(s))
	if ip == nil {
		return ""
	}
	return ip.String()
}

// isIPv4 reports whether a canonical address is IPv4.
func isIPv4(ip string) bool { return !strings.Contains(ip, ":") }

func readHosts(path string) (*hostsFile, error) {
	h := &hostsFile{path: path, eol: true}
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return h, nil
	}
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	h.fi = fi
	text := string(data)
	h.eol = text == "" || strings.HasSuffix(text, "\n")
	text = strings.TrimSuffix(text, "\n")
	if text == "" {
		return h, nil
	}
	for _, raw := range strings.Split(text, "\n") {
		l := &hostsLine{raw: raw}
		body := raw
		if i := strings.IndexByte(raw, '#'); i >= 0 {
			body, l.comment = raw[:i], strings.TrimSpace(raw[i:])
		}
		if f := strings.Fields(body); len(f) >= 2 {
			if ip := canonicalIP(f[0]); ip != "" {
				l.ip, l.names = ip, f[1:]
			}
		}
		h.lines = append(h.lines, l)
	}
	return h, nil
}

// has reports whether ip carries name.
func (h *hostsFile) has(ip, name string) bool {
	for _, l := range h.lines {
		if l.ip == ip && containsString(l.names, name) {
			return true
		}
	}
	return false
}

// ipsOf lists the addresses carrying name, in file order.
func (h *hostsFile) ipsOf(name string) []string {
	var out []string
	for _, l := range h.lines {
		if l.ip != "" && containsString(l.names, name) && !containsString(out, l.ip) {
			out = append(out, l.ip)
		}
	}
	return out
}

// add puts name on the first line of ip, or on a new line at the end.
func (h *hostsFile) add(ip, name string) {
	for _, l := range h.lines {
		if l.ip == ip {
			l.names = append(l.names, name)
			l.dirty = true
			return
		}
	}
	h.lines = append(h.lines, &hostsLine{ip: ip, names: []string{name}, dirty: true})
}

// remove takes name off every line of ip; lines left without names go.
func (h *hostsFile) remove(ip, name string) {
	for _, l := range h.lines {
		if l.ip != ip || !containsString(l.names, name) {
			continue
		}
		kept := l.names[:0:0]
		for _, n := range l.names {
			if n != name {
				kept = append(kept, n)
			}
		}
		l.names, l.dirty = kept, true
	}
}

func (h *hostsFile) render() string {
	var sb strings.Builder
	n := 0
	for _, l := range h.lines {
		if l.dirty && l.ip != "" && len(l.names) == 0 {
			continue
		}
		if n > 0 {
			sb.WriteByte('\n')
		}
		n++
		if !l.dirty {
			sb.WriteString(l.raw)
			continue
		}
		sb.WriteString(l.ip + "\t" + strings.Join(l.names, " "))
		if l.comment != "" {
			sb.WriteString(" " + l.comment)
		}
	}
	if n > 0 && h.eol {
		sb.WriteByte('\n')
	}
	return sb.String()
}

// write replaces the file atomically, keeping its mode and ownership.
func (h *hostsFile) write() error {
	uid, gid, mode := -1, -1, uint32(0o644)
	if h.fi != nil {
		uid, gid, mode = statOwner(h.fi)
	}
	text := h.render()
	target := resolveTarget(h.path)
	err := writeAtomic(target, func(w io.Writer) error {
		_, err := io.WriteString(w, text)
		return err
	}, mode, uid, gid)
	if errors.Is(err, syscall.EBUSY) || errors.Is(err, syscall.EXDEV) {
		// A bind-mounted hosts file (containers) cannot be renamed
		// over: rewrite it in place.
		return os.WriteFile(target, []byte(text), fileMode(mode))
	}
	return err
}

// hostArgs are the arguments host.present and host.absent share.
type hostArgs struct {
	Names []string `salt:"names"`
}

// names is the names argument, else the state's name.
func (a *hostArgs) names(call Call) ([]string, error) {
	names := a.Names
	if len(names) == 0 {
		names = []string{call.Name}
	}
	for _, n := range names {
		if n == "" || strings.ContainsAny(n, " \t\n#") {
			return nil, call.ArgErrorf("names", "has an invalid host name %q", n)
		}
	}
	return names, nil
}

// hostIPs is the ip argument (one or a list), canonical.
type hostIPs []string

// DecodeArg implements ArgDecoder.
func (h *hostIPs) DecodeArg(v any) error {
	raw, bad, ok := coerce.StringList(v)
	if !ok {
		return wrongArg("an address or a list of addresses", bad)
	}
	out := make([]string, 0, len(raw))
	for _, r := range raw {
		ip := canonicalIP(r)
		if ip == "" {
			return fmt.Errorf("holds an invalid IP address %q", r)
		}
		if !containsString(out, ip) {
			out = append(out, ip)
		}
	}
	*h = out
	return nil
}

// addChange appends name under changes[kind][ip].
func addChange(changes map[string]any, kind, ip, name string) {
	m, _ := changes[kind].(map[string]any)
	if m == nil {
		m = map[string]any{}
		changes[kind] = m
	}
	list, _ := m[ip].([]string)
	m[ip] = append(list, name)
}

func containsString(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// finishHosts completes a host.* result: the comments joined, and unless
// in test mode or nothing changed, the hosts file written (verb names the
// action in the error: "set", "remove").
func finishHosts(h *hostsFile, call Call, ret Result, comments []string, verb string, names []string) Result {
	ret.Comment = strings.Join(comments, "\n")
	if len(ret.Changes) == 0 || call.Test {
		if len(ret.Changes) == 0 {
			ret.Result = True()
		}
		return ret
	}
	if err := h.write(); err != nil {
		return fail(call.Name, "Failed to %s host %s: unable to write %s: %v", verb, strings.Join(names, ", "), h.path, err)
	}
	ret.Result = True()
	return ret
}
