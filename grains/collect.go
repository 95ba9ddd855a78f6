// Package grains gathers, layers and persists a minion's grains: the static
// facts about a host (operating system, kernel, network addresses, memory,
// ...) that Salt calls grains and that targeting and states rely on.
//
// Value shapes: every grain value is JSON-friendly, one of string, bool,
// int, float64, nil, []any and map[string]any. Lists are always []any (of
// strings for address lists), never []string, so a grains map has the same
// shape as the result of decoding its JSON encoding, apart from numbers:
// counts such as num_cpus and mem_total are int here and become float64
// after a JSON round trip, so compare them numerically.
package grains

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// fqdnTimeout bounds the name lookups used to find the fqdn grain.
const fqdnTimeout = 2 * time.Second

// collector reads the host's files below root ("/" in production), so
// tests can point it at a fake tree.
type collector struct {
	root   string
	logger *slog.Logger
}

// Collect gathers the grains of this Linux host for the minion id:
//
//	id, os, os_family, osfullname, osrelease, osrelease_info,
//	osmajorrelease, osfinger, oscodename, kernel, kernelrelease,
//	kernelversion, cpuarch, nodename, host, localhost, fqdn, domain,
//	ipv4, ipv6, ip4_interfaces, ip6_interfaces, ip_interfaces,
//	hwaddr_interfaces, num_cpus, cpu_model, mem_total, swap_total,
//	machine_id
//
// Missing optional sources (no os-release, no machine-id, no /proc) are
// logged through slog's default logger and leave empty or zero values;
// osmajorrelease and osfinger are absent when VERSION_ID is not numeric
// and machine_id when neither machine-id file exists. Collect fails only
// when ctx is done or the kernel will not say its name or hostname.
func Collect(ctx context.Context, id string) (map[string]any, error) {
	c := collector{root: "/", logger: slog.Default()}
	return c.collect(ctx, id)
}

func (c collector) path(p string) string { return filepath.Join(c.root, p) }

func (c collector) collect(ctx context.Context, id string) (map[string]any, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("collect grains: %w", err)
	}
	g := map[string]any{"id": id}

	if err := unameGrains(g); err != nil {
		return nil, err
	}
	Merge(g, c.osGrains(ctx))

	hostname, err := os.Hostname()
	if err != nil {
		return nil, fmt.Errorf("collect grains: hostname: %w", err)
	}
	host, _, _ := strings.Cut(hostname, ".")
	fqdn := lookupFQDN(ctx, hostname)
	_, domain, _ := strings.Cut(fqdn, ".")
	g["localhost"] = hostname
	g["host"] = host
	g["fqdn"] = fqdn
	g["domain"] = domain

	Merge(g, c.netGrains(ctx))
	Merge(g, c.cpuGrains(ctx))
	Merge(g, c.memGrains(ctx))
	if mid := c.machineID(ctx); mid != "" {
		g["machine_id"] = mid
	}
	c.coreGrains(ctx, g)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("collect grains: %w", err)
	}
	return g, nil
}

// unameGrains sets kernel, kernelrelease, kernelversion, nodename and
// cpuarch from uname(2).
func unameGrains(g map[string]any) error {
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		return fmt.Errorf("collect grains: uname: %w", err)
	}
	g["kernel"] = utsString(u.Sysname[:])
	g["kernelrelease"] = utsString(u.Release[:])
	g["kernelversion"] = utsString(u.Version[:])
	g["nodename"] = utsString(u.Nodename[:])
	g["cpuarch"] = utsString(u.Machine[:])
	if g["kernel"] == "" {
		g["kernel"] = "Linux"
	}
	return nil
}

// utsString converts a NUL-terminated utsname field (int8 or uint8
// depending on the architecture) to a string.
func utsString[T int8 | uint8](f []T) string {
	b := make([]byte, 0, len(f))
	for _, c := range f {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}

// osGrains reads /etc/os-release (or /usr/lib/os-release).
func (c collector) osGrains(ctx context.Context) map[string]any {
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		f, err := os.Open(c.path(p))
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				c.logger.WarnContext(ctx, "grains: cannot read os-release", "path", p, "err", err)
			}
			continue
		}
		rel, err := parseOSRelease(f)
		_ = f.Close()
		if err != nil {
			c.logger.WarnContext(ctx, "grains: cannot parse os-release", "path", p, "err", err)
			continue
		}
		return osGrains(rel)
	}
	c.logger.WarnContext(ctx, "grains: no os-release file; os grains are generic")
	return osGrains(map[string]string{"NAME": "Linux"})
}

// netGrains lists the addresses of every interface.
func (c collector) netGrains(ctx context.Context) map[string]any {
	ip4ifs := map[string]any{}
	ip6ifs := map[string]any{}
	ipifs := map[string]any{}
	hwifs := map[string]any{}
	var v4, v6 []netip.Addr
	ifaces, err := net.Interfaces()
	if err != nil {
		c.logger.WarnContext(ctx, "grains: cannot list network interfaces", "err", err)
	}
	for _, ifc := range ifaces {
		addrs, err := ifc.Addrs()
		if err != nil {
			c.logger.WarnContext(ctx, "grains: cannot list interface addresses", "iface", ifc.Name, "err", err)
		}
		var a4, a6 []netip.Addr
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ip, ok := netip.AddrFromSlice(ipn.IP)
			if !ok {
				continue
			}
			ip = ip.Unmap()
			if ip.Is4() {
				a4 = append(a4, ip)
			} else {
				a6 = append(a6, ip)
			}
		}
		v4 = append(v4, a4...)
		v6 = append(v6, a6...)
		ip4ifs[ifc.Name] = addrList(a4)
		ip6ifs[ifc.Name] = addrList(a6)
		ipifs[ifc.Name] = addrList(append(slices.Clone(a4), a6...))
		hw := ifc.HardwareAddr.String()
		if hw == "" {
			hw = "00:00:00:00:00:00"
		}
		hwifs[ifc.Name] = hw
	}
	return map[string]any{
		"ipv4":              addrList(v4),
		"ipv6":              addrList(v6),
		"ip4_interfaces":    ip4ifs,
		"ip6_interfaces":    ip6ifs,
		"ip_interfaces":     ipifs,
		"hwaddr_interfaces": hwifs,
	}
}

// addrList returns the distinct addresses sorted by address value (IPv4
// before IPv6), as strings in a []any.
func addrList(addrs []netip.Addr) []any {
	s := slices.Clone(addrs)
	slices.SortFunc(s, func(a, b netip.Addr) int { return a.Compare(b) })
	s = slices.Compact(s)
	out := make([]any, len(s))
	for i, a := range s {
		out[i] = a.String()
	}
	return out
}

// lookupFQDN finds the fully qualified name of hostname the way Python's
// socket.getfqdn does: a hostname with a dot is taken as is, else the
// first name containing a dot that the resolver (hosts file, then DNS)
// gives for the hostname's addresses. It falls back to hostname.
func lookupFQDN(ctx context.Context, hostname string) string {
	if strings.Contains(hostname, ".") || hostname == "" {
		return hostname
	}
	ctx, cancel := context.WithTimeout(ctx, fqdnTimeout)
	defer cancel()
	r := net.DefaultResolver
	if cname, err := r.LookupCNAME(ctx, hostname); err == nil {
		cname = strings.TrimSuffix(cname, ".")
		if strings.HasPrefix(cname, hostname+".") {
			return cname
		}
	}
	addrs, err := r.LookupHost(ctx, hostname)
	if err != nil {
		return hostname
	}
	for _, a := range addrs {
		names, err := r.LookupAddr(ctx, a)
		if err != nil {
			continue
		}
		for _, n := range names {
			n = strings.TrimSuffix(n, ".")
			if strings.HasPrefix(n, hostname+".") {
				return n
			}
		}
	}
	return hostname
}

// cpuGrains counts processors and names the model from /proc/cpuinfo.
func (c collector) cpuGrains(ctx context.Context) map[string]any {
	g := map[string]any{"num_cpus": runtime.NumCPU(), "cpu_model": ""}
	data, err := os.ReadFile(c.path("/proc/cpuinfo"))
	if err != nil {
		c.logger.WarnContext(ctx, "grains: cannot read cpuinfo", "err", err)
		return g
	}
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "processor":
			n++
		case "model name", "cpu model", "Model":
			if g["cpu_model"] == "" {
				g["cpu_model"] = v
			}
		}
	}
	if n > 0 {
		g["num_cpus"] = n
	}
	return g
}

// memGrains reads MemTotal and SwapTotal (MiB) from /proc/meminfo.
func (c collector) memGrains(ctx context.Context) map[string]any {
	g := map[string]any{"mem_total": 0, "swap_total": 0}
	data, err := os.ReadFile(c.path("/proc/meminfo"))
	if err != nil {
		c.logger.WarnContext(ctx, "grains: cannot read meminfo", "err", err)
		return g
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		var grain string
		switch k {
		case "MemTotal":
			grain = "mem_total"
		case "SwapTotal":
			grain = "swap_total"
		default:
			continue
		}
		fields := strings.Fields(v)
		if len(fields) == 0 {
			continue
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			c.logger.WarnContext(ctx, "grains: bad meminfo line", "line", sc.Text(), "err", err)
			continue
		}
		g[grain] = int(kb / 1024)
	}
	return g
}

// machineID reads /etc/machine-id, else /var/lib/dbus/machine-id.
func (c collector) machineID(ctx context.Context) string {
	for _, p := range []string{"/etc/machine-id", "/var/lib/dbus/machine-id"} {
		data, err := os.ReadFile(c.path(p))
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				c.logger.WarnContext(ctx, "grains: cannot read machine id", "path", p, "err", err)
			}
			continue
		}
		if id := strings.TrimSpace(string(data)); id != "" {
			return id
		}
	}
	c.logger.DebugContext(ctx, "grains: no machine id found")
	return ""
}
