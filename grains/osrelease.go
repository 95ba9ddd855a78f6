package grains

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// parseOSRelease reads an os-release(5) file: KEY=VALUE lines, values
// optionally in single or double quotes (with \" \\ \$ \` escapes inside
// double quotes), '#' comments and blank lines ignored.
func parseOSRelease(r io.Reader) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		out[strings.TrimSpace(k)] = unquoteOSRelease(strings.TrimSpace(v))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read os-release: %w", err)
	}
	return out, nil
}

func unquoteOSRelease(v string) string {
	if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
		return v[1 : len(v)-1]
	}
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
		var b strings.Builder
		for i := 0; i < len(v); i++ {
			if v[i] == '\\' && i+1 < len(v) && strings.IndexByte("\"\\$`", v[i+1]) >= 0 {
				i++
			}
			b.WriteByte(v[i])
		}
		return b.String()
	}
	return v
}

// linuxRe strips " Linux" / " GNU/Linux" from a distribution name, as Salt
// does before looking the name up.
var linuxRe = regexp.MustCompile(`(?i)\W(?:gnu/)?linux`)

// osNameMap is Salt's _OS_NAME_MAP: the first ten characters of the
// lowercased, space-free distribution name -> the "os" grain.
var osNameMap = map[string]string{
	"redhatente": "RedHat",
	"gentoobase": "Gentoo",
	"archarm":    "Arch ARM",
	"arch":       "Arch",
	"debian":     "Debian",
	"raspbian":   "Raspbian",
	"fedoraremi": "Fedora",
	"chapeau":    "Chapeau",
	"korora":     "Korora",
	"amazonami":  "Amazon",
	"alt":        "ALT",
	"enterprise": "OEL",
	"oracleserv": "OEL",
	"cloudserve": "CloudLinux",
	"cloudlinux": "CloudLinux",
	"almalinux":  "AlmaLinux",
	"pidora":     "Fedora",
	"scientific": "ScientificLinux",
	"synology":   "Synology",
	"nilrt":      "NILinuxRT",
	"poky":       "Poky",
	"manjaro":    "Manjaro",
	"manjarolin": "Manjaro",
	"univention": "Univention",
	"antergos":   "Antergos",
	"sles":       "SUSE",
	"void":       "Void",
	"slesexpand": "RES",
	"linuxmint":  "Mint",
	"neon":       "KDE neon",
	"pop":        "Pop",
	"rocky":      "Rocky",
	"rockylinux": "Rocky",
	"alinux":     "Alinux",
	"mendel":     "Mendel",
	"openeuler":  "openEuler",
}

// osIDMap names a few distributions by their os-release ID when the NAME
// does not lead to Salt's name.
var osIDMap = map[string]string{
	"pop":  "Pop",
	"rhel": "RedHat",
	"ol":   "OEL",
	"amzn": "Amazon",
	"sles": "SUSE",
}

// osFamilyMap is Salt's _OS_FAMILY_MAP: "os" grain -> "os_family" grain.
// An os not listed is its own family (Debian, Gentoo, Alpine, Arch, ...).
var osFamilyMap = map[string]string{
	"Ubuntu":                 "Debian",
	"Fedora":                 "RedHat",
	"Chapeau":                "RedHat",
	"Korora":                 "RedHat",
	"FedBerry":               "RedHat",
	"CentOS":                 "RedHat",
	"CentOS Stream":          "RedHat",
	"GoOSe":                  "RedHat",
	"Scientific":             "RedHat",
	"ScientificLinux":        "RedHat",
	"Amazon":                 "RedHat",
	"CloudLinux":             "RedHat",
	"AlmaLinux":              "RedHat",
	"OVS":                    "RedHat",
	"OEL":                    "RedHat",
	"XCP":                    "RedHat",
	"XCP-ng":                 "RedHat",
	"XenServer":              "RedHat",
	"RES":                    "RedHat",
	"Sangoma":                "RedHat",
	"VMware Photon OS":       "RedHat",
	"ALT":                    "RedHat",
	"Rocky":                  "RedHat",
	"Alinux":                 "RedHat",
	"openEuler":              "RedHat",
	"Mandrake":               "Mandriva",
	"Mint":                   "Debian",
	"Trisquel":               "Debian",
	"GCEL":                   "Debian",
	"Linaro":                 "Debian",
	"elementary OS":          "Debian",
	"elementary":             "Debian",
	"Univention":             "Debian",
	"Raspbian":               "Debian",
	"Devuan":                 "Debian",
	"antiX":                  "Debian",
	"Kali":                   "Debian",
	"neon":                   "Debian",
	"KDE neon":               "Debian",
	"Cumulus":                "Debian",
	"Deepin":                 "Debian",
	"IDMS":                   "Debian",
	"TurnKey":                "Debian",
	"Pop":                    "Debian",
	"AstraLinuxCE":           "Debian",
	"AstraLinuxSE":           "Debian",
	"Mendel":                 "Debian",
	"SLES":                   "Suse",
	"SUSE Enterprise Server": "Suse",
	"SLED":                   "Suse",
	"openSUSE":               "Suse",
	"SUSE":                   "Suse",
	"openSUSE Leap":          "Suse",
	"openSUSE Tumbleweed":    "Suse",
	"SLES_SAP":               "Suse",
	"Arch ARM":               "Arch",
	"Manjaro":                "Arch",
	"Antergos":               "Arch",
	"EndeavourOS":            "Arch",
	"Funtoo":                 "Gentoo",
	"NILinuxRT":              "NILinuxRT",
	"Void":                   "Void",
}

// idLikeFamily maps os-release ID_LIKE words to a family, used only for
// distributions Salt's tables do not know.
var idLikeFamily = map[string]string{
	"debian":   "Debian",
	"ubuntu":   "Debian",
	"rhel":     "RedHat",
	"fedora":   "RedHat",
	"centos":   "RedHat",
	"suse":     "Suse",
	"opensuse": "Suse",
	"arch":     "Arch",
	"gentoo":   "Gentoo",
	"alpine":   "Alpine",
}

// deriveOS returns Salt's "os" grain for an os-release NAME and ID.
func deriveOS(name, id string) string {
	if name == "" {
		name = id
	}
	distro := strings.TrimSpace(linuxRe.ReplaceAllString(name, ""))
	short := []rune(strings.ToLower(strings.ReplaceAll(distro, " ", "")))
	if len(short) > 10 {
		short = short[:10]
	}
	if os, ok := osNameMap[string(short)]; ok {
		return os
	}
	if os, ok := osIDMap[strings.ToLower(id)]; ok {
		return os
	}
	if distro == "" {
		return "Linux"
	}
	return distro
}

// deriveFamily returns the "os_family" grain for an "os" grain.
func deriveFamily(os, idLike string) string {
	if fam, ok := osFamilyMap[os]; ok {
		return fam
	}
	if _, known := osNameMapValues()[os]; !known {
		for _, w := range strings.Fields(strings.ToLower(idLike)) {
			if fam, ok := idLikeFamily[w]; ok {
				return fam
			}
		}
	}
	return os
}

// osNameMapValues is the set of os names Salt knows by name, which are
// their own family when osFamilyMap does not say otherwise.
func osNameMapValues() map[string]bool {
	out := make(map[string]bool, len(osNameMap)+4)
	for _, v := range osNameMap {
		out[v] = true
	}
	for _, v := range []string{"Debian", "Ubuntu", "Gentoo", "Alpine", "Arch", "NixOS"} {
		out[v] = true
	}
	return out
}

// osGrains derives the os* grains from parsed os-release fields.
func osGrains(rel map[string]string) map[string]any {
	os := deriveOS(rel["NAME"], rel["ID"])
	g := map[string]any{
		"os":         os,
		"os_family":  deriveFamily(os, rel["ID_LIKE"]),
		"osfullname": rel["NAME"],
		"osrelease":  rel["VERSION_ID"],
		"oscodename": codename(rel),
		"osrelease_info": func() []any {
			if rel["VERSION_ID"] == "" {
				return []any{}
			}
			parts := strings.Split(rel["VERSION_ID"], ".")
			out := make([]any, len(parts))
			for i, p := range parts {
				if n, err := strconv.Atoi(p); err == nil {
					out[i] = n
				} else {
					out[i] = p
				}
			}
			return out
		}(),
	}
	if g["osfullname"] == "" {
		g["osfullname"] = os
	}
	if rel := rel["VERSION_ID"]; rel != "" {
		major, _, _ := strings.Cut(rel, ".")
		if n, err := strconv.Atoi(major); err == nil {
			g["osmajorrelease"] = n
		}
		// Salt's osfinger: a few distributions use "os", the rest their
		// full name; Ubuntu and Pop keep the whole release.
		name := g["osfullname"].(string)
		if os == "Debian" || os == "Raspbian" {
			name = os
		}
		ver := major
		if os == "Ubuntu" || os == "Pop" {
			ver = rel
		}
		g["osfinger"] = name + "-" + ver
	}
	return g
}

// codename is VERSION_CODENAME, else UBUNTU_CODENAME, else the part of
// VERSION in parentheses, else PRETTY_NAME (as Salt reports for CentOS
// Stream), else "".
func codename(rel map[string]string) string {
	if c := rel["VERSION_CODENAME"]; c != "" {
		return c
	}
	if c := rel["UBUNTU_CODENAME"]; c != "" {
		return c
	}
	if v := rel["VERSION"]; v != "" {
		if i := strings.IndexByte(v, '('); i >= 0 {
			if j := strings.IndexByte(v[i:], ')'); j > 0 {
				if c := strings.TrimSpace(v[i+1 : i+j]); c != "" {
					return c
				}
			}
		}
	}
	return rel["PRETTY_NAME"]
}
