package modules

import (
	"context"
	"strings"
)

// pkg.version_cmp compares package versions as the host's package manager
// does: dpkg's algorithm on apt hosts (epoch, upstream, revision; ~ sorts
// before anything), rpm's rpmvercmp on dnf/yum and apk hosts.

func init() {
	Register("pkg.version_cmp", `Compare two package versions as the host's package manager does: -1 if pkg1 is older than pkg2, 0 if equal, 1 if newer (dpkg's ordering on apt hosts, rpm's on dnf/yum and apk hosts). ignore_epoch=True compares without the epoch.`+pkgFamilyDoc+`

CLI Example:

    ctl '*' pkg.version_cmp '0.2.4-0ubuntu1' '0.2.4.1-0ubuntu1'`, pkgVersionCmp)
}

func pkgVersionCmp(_ context.Context, env *Env, c Call) (any, error) {
	a, err := c.String(0, "pkg1", nil)
	if err != nil {
		return nil, err
	}
	b, err := c.String(1, "pkg2", nil)
	if err != nil {
		return nil, err
	}
	ignoreEpoch, err := c.Bool(2, "ignore_epoch", ptr(false))
	if err != nil {
		return nil, err
	}
	if ignoreEpoch {
		a, b = dropEpoch(a), dropEpoch(b)
	}
	m, err := pkgManagerFor(env)
	if err != nil {
		return nil, err
	}
	if m.kind == "apt" {
		return debVersionCmp(a, b), nil
	}
	return rpmVersionCmp(a, b), nil
}

func dropEpoch(v string) string {
	if i := strings.IndexByte(v, ':'); i >= 0 {
		return v[i+1:]
	}
	return v
}

// debVersionCmp is dpkg's version comparison.
func debVersionCmp(a, b string) int {
	split := func(v string) (epoch int, upstream, revision string) {
		if i := strings.IndexByte(v, ':'); i >= 0 {
			for _, r := range v[:i] {
				if r >= '0' && r <= '9' {
					epoch = epoch*10 + int(r-'0')
				}
			}
			v = v[i+1:]
		}
		if i := strings.LastIndexByte(v, '-'); i >= 0 {
			return epoch, v[:i], v[i+1:]
		}
		return epoch, v, ""
	}
	ea, ua, ra := split(a)
	eb, ub, rb := split(b)
	switch {
	case ea < eb:
		return -1
	case ea > eb:
		return 1
	}
	if c := debPartCmp(ua, ub); c != 0 {
		return c
	}
	return debPartCmp(ra, rb)
}

// debOrder is dpkg's order of a non-digit character: ~ first, then the
// end of the string, then letters, then everything else.
func debOrder(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	c := s[i]
	switch {
	case c >= '0' && c <= '9':
		return 0
	case c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z':
		return int(c)
	case c == '~':
		return -1
	}
	return int(c) + 256
}

func debPartCmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			ac, bc := debOrder(a, i), debOrder(b, j)
			if ac != bc {
				return sign(ac - bc)
			}
			i++
			j++
		}
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		first := 0
		for i < len(a) && isDigit(a[i]) && j < len(b) && isDigit(b[j]) {
			if first == 0 {
				first = int(a[i]) - int(b[j])
			}
			i++
			j++
		}
		if i < len(a) && isDigit(a[i]) {
			return 1
		}
		if j < len(b) && isDigit(b[j]) {
			return -1
		}
		if first != 0 {
			return sign(first)
		}
	}
	return 0
}

// rpmVersionCmp is rpm's rpmvercmp over [epoch:]version[-release].
func rpmVersionCmp(a, b string) int {
	ea, va := splitEpoch(a)
	eb, vb := splitEpoch(b)
	if c := rpmvercmp(ea, eb); c != 0 {
		return c
	}
	return rpmvercmp(va, vb)
}

func splitEpoch(v string) (string, string) {
	if i := strings.IndexByte(v, ':'); i >= 0 {
		return v[:i], v[i+1:]
	}
	return "0", v
}

func rpmvercmp(a, b string) int {
	if a == b {
		return 0
	}
	isAlnum := func(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for i < len(a) && !isAlnum(a[i]) && a[i] != '~' && a[i] != '^' {
			i++
		}
		for j < len(b) && !isAlnum(b[j]) && b[j] != '~' && b[j] != '^' {
			j++
		}
		// ~ sorts before everything, ^ after the end but before anything else.
		if (i < len(a) && a[i] == '~') || (j < len(b) && b[j] == '~') {
			if i >= len(a) || a[i] != '~' {
				return 1
			}
			if j >= len(b) || b[j] != '~' {
				return -1
			}
			i++
			j++
			continue
		}
		if (i < len(a) && a[i] == '^') || (j < len(b) && b[j] == '^') {
			if i >= len(a) {
				return -1
			}
			if j >= len(b) {
				return 1
			}
			if a[i] != '^' {
				return 1
			}
			if b[j] != '^' {
				return -1
			}
			i++
			j++
			continue
		}
		if i >= len(a) || j >= len(b) {
			break
		}
		si, sj := i, j
		numeric := isDigit(a[i])
		if numeric {
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
		} else {
			for i < len(a) && isAlnum(a[i]) && !isDigit(a[i]) {
				i++
			}
			for j < len(b) && isAlnum(b[j]) && !isDigit(b[j]) {
				j++
			}
		}
		x, y := a[si:i], b[sj:j]
		if y == "" {
			// different types: a number is newer than letters
			if numeric {
				return 1
			}
			return -1
		}
		if numeric {
			x, y = strings.TrimLeft(x, "0"), strings.TrimLeft(y, "0")
			if len(x) != len(y) {
				return sign(len(x) - len(y))
			}
		}
		if c := strings.Compare(x, y); c != 0 {
			return c
		}
	}
	switch {
	case i >= len(a) && j >= len(b):
		return 0
	case i >= len(a):
		return -1
	}
	return 1
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
