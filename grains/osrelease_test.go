package grains

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseOSRelease(t *testing.T) {
	in := `# comment
NAME="Debian GNU/Linux"
VERSION_ID='12'
PRETTY_NAME="A \"quoted\" \$name"
ID=debian

garbage line
`
	got, err := parseOSRelease(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"NAME":        "Debian GNU/Linux",
		"VERSION_ID":  "12",
		"PRETTY_NAME": `A "quoted" $name`,
		"ID":          "debian",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v, want %#v", got, want)
	}
}

func TestOSGrains(t *testing.T) {
	cases := []struct {
		name, release                       string
		os, family, osrel, codename, finger string
		major                               any
	}{
		{"debian12", `NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian`, "Debian", "Debian", "12", "bookworm", "Debian-12", 12},
		{"ubuntu", `NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.3 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
UBUNTU_CODENAME=jammy`, "Ubuntu", "Debian", "22.04", "jammy", "Ubuntu-22.04", 22},
		{"centos-stream", `NAME="CentOS Stream"
VERSION="9"
ID="centos"
ID_LIKE="rhel fedora"
VERSION_ID="9"
PRETTY_NAME="CentOS Stream 9"`, "CentOS Stream", "RedHat", "9", "CentOS Stream 9", "CentOS Stream-9", 9},
		{"alpine", `NAME="Alpine Linux"
ID=alpine
VERSION_ID=3.19.1
PRETTY_NAME="Alpine Linux v3.19"`, "Alpine", "Alpine", "3.19.1", "Alpine Linux v3.19", "Alpine Linux-3", 3},
		{"rocky", `NAME="Rocky Linux"
VERSION="9.3 (Blue Onyx)"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.3"`, "Rocky", "RedHat", "9.3", "Blue Onyx", "Rocky Linux-9", 9},
		{"rhel", `NAME="Red Hat Enterprise Linux"
ID="rhel"
VERSION_ID="9.2"
VERSION="9.2 (Plow)"`, "RedHat", "RedHat", "9.2", "Plow", "Red Hat Enterprise Linux-9", 9},
		{"almalinux", `NAME="AlmaLinux"
ID="almalinux"
VERSION_ID="9.3"`, "AlmaLinux", "RedHat", "9.3", "", "AlmaLinux-9", 9},
		{"opensuse", `NAME="openSUSE Leap"
VERSION_ID="15.5"
ID="opensuse-leap"
ID_LIKE="suse opensuse"`, "openSUSE Leap", "Suse", "15.5", "", "openSUSE Leap-15", 15},
		{"sles", `NAME="SLES"
VERSION_ID="15.4"
ID="sles"`, "SUSE", "Suse", "15.4", "", "SLES-15", 15},
		{"arch", `NAME="Arch Linux"
ID=arch
PRETTY_NAME="Arch Linux"`, "Arch", "Arch", "", "Arch Linux", "", nil},
		{"fedora", `NAME="Fedora Linux"
VERSION_ID=39
ID=fedora`, "Fedora", "RedHat", "39", "", "Fedora Linux-39", 39},
		{"mint", `NAME="Linux Mint"
VERSION_ID="21.2"
ID=linuxmint
ID_LIKE="ubuntu debian"`, "Mint", "Debian", "21.2", "", "Linux Mint-21", 21},
		{"amazon", `NAME="Amazon Linux"
VERSION_ID="2023"
ID="amzn"
ID_LIKE="fedora"`, "Amazon", "RedHat", "2023", "", "Amazon Linux-2023", 2023},
		{"unknown-derivative", `NAME="Zorin OS"
VERSION_ID="17"
ID=zorin
ID_LIKE="ubuntu debian"`, "Zorin OS", "Debian", "17", "", "Zorin OS-17", 17},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rel, err := parseOSRelease(strings.NewReader(tc.release))
			if err != nil {
				t.Fatal(err)
			}
			g := osGrains(rel)
			check := func(k string, want any) {
				t.Helper()
				if got := g[k]; !reflect.DeepEqual(got, want) {
					t.Errorf("%s = %#v, want %#v", k, got, want)
				}
			}
			check("os", tc.os)
			check("os_family", tc.family)
			check("osrelease", tc.osrel)
			check("oscodename", tc.codename)
			if tc.finger == "" {
				if _, ok := g["osfinger"]; ok {
					t.Errorf("osfinger = %v, want absent", g["osfinger"])
				}
			} else {
				check("osfinger", tc.finger)
			}
			if tc.major == nil {
				if _, ok := g["osmajorrelease"]; ok {
					t.Errorf("osmajorrelease present: %v", g["osmajorrelease"])
				}
			} else {
				check("osmajorrelease", tc.major)
			}
		})
	}
}
