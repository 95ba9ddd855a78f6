// Command package builds Brine's .deb and .rpm packages (nfpm as a
// library) and an OCI image of the master (go-containerregistry, no Docker
// daemon) from binaries already built: `make package` runs it.
//
// It is a module of its own so that the packaging libraries stay out of
// the binaries' dependencies.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/template"

	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb"
	_ "github.com/goreleaser/nfpm/v2/rpm"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "package:", err)
		os.Exit(1)
	}
}

func run() error {
	bin := flag.String("bin", "bin", "directory holding the built master, minion and ctl")
	src := flag.String("src", ".", "the source tree (packaging/, README.md)")
	out := flag.String("out", "dist", "where the packages and the image go")
	version := flag.String("version", "0.1.0", "package version")
	arch := flag.String("arch", "amd64", "architecture (Go's name)")
	verify := flag.String("verify-image", "", "check the OCI image layout in this directory and print its entrypoint, instead of building")
	flag.Parse()
	if *verify != "" {
		return verifyImage(*verify)
	}
	for _, b := range []string{"master", "minion", "ctl"} {
		if _, err := os.Stat(filepath.Join(*bin, b)); err != nil {
			return fmt.Errorf("%w (run make build first)", err)
		}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	abs := func(p string) string { a, _ := filepath.Abs(p); return a }
	cfg, err := renderConfig(abs(*bin), abs(*src), strings.TrimPrefix(*version, "v"), *arch)
	if err != nil {
		return err
	}
	parsed, err := nfpm.Parse(bytes.NewReader(cfg))
	if err != nil {
		return fmt.Errorf("nfpm config: %w", err)
	}
	for _, format := range []string{"deb", "rpm"} {
		info, err := parsed.Get(format)
		if err != nil {
			return err
		}
		info = nfpm.WithDefaults(info)
		if err := info.Validate(); err != nil {
			return fmt.Errorf("%s: %w", format, err)
		}
		p, err := nfpm.Get(format)
		if err != nil {
			return err
		}
		name := filepath.Join(*out, p.ConventionalFileName(info))
		f, err := os.Create(name)
		if err != nil {
			return err
		}
		if err := p.Package(info, f); err != nil {
			f.Close()
			return fmt.Errorf("%s: %w", format, err)
		}
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Println(name)
	}
	dir := filepath.Join(*out, "oci", "brine-master")
	if err := buildImage(filepath.Join(*bin, "master"), filepath.Join(*src, "packaging", "master-image.yaml"), dir, *version, *arch); err != nil {
		return fmt.Errorf("image: %w", err)
	}
	fmt.Println(dir)
	return nil
}

// nfpmConfig is the packages' contents: the three binaries under their
// packaged names, both systemd units, default configs kept on upgrade,
// and the user the master runs as.
const nfpmConfig = `name: brine
arch: {{.Arch}}
platform: linux
version: {{.Version}}
section: admin
priority: optional
maintainer: Brine developers <brine@example.invalid>
description: |
  Configuration management and remote execution in the SaltStack model:
  brine-master (with its embedded NATS bus), brine-minion, and brine-ctl.
vendor: Brine
homepage: https://github.com/brine-cm/brine
license: Apache-2.0
contents:
  - src: {{.Bin}}/master
    dst: /usr/bin/brine-master
    file_info: {mode: 0755}
  - src: {{.Bin}}/minion
    dst: /usr/bin/brine-minion
    file_info: {mode: 0755}
  - src: {{.Bin}}/ctl
    dst: /usr/bin/brine-ctl
    file_info: {mode: 0755}
  - src: {{.Src}}/packaging/brine-master.service
    dst: /lib/systemd/system/brine-master.service
    file_info: {mode: 0644}
  - src: {{.Src}}/packaging/brine-minion.service
    dst: /lib/systemd/system/brine-minion.service
    file_info: {mode: 0644}
  - src: {{.Src}}/packaging/master.yaml
    dst: /etc/brine/master.yaml
    type: config|noreplace
    file_info: {mode: 0640}
  - src: {{.Src}}/packaging/minion.yaml
    dst: /etc/brine/minion.yaml
    type: config|noreplace
    file_info: {mode: 0640}
  - src: {{.Src}}/README.md
    dst: /usr/share/doc/brine/README.md
    file_info: {mode: 0644}
  - dst: /etc/brine/master.d
    type: dir
    file_info: {mode: 0755}
  - dst: /etc/brine/minion.d
    type: dir
    file_info: {mode: 0755}
scripts:
  postinstall: {{.Src}}/packaging/postinstall.sh
  preremove: {{.Src}}/packaging/preremove.sh
`

func renderConfig(bin, src, version, arch string) ([]byte, error) {
	t := template.Must(template.New("nfpm").Parse(nfpmConfig))
	var b bytes.Buffer
	err := t.Execute(&b, map[string]string{"Bin": bin, "Src": src, "Version": version, "Arch": arch})
	return b.Bytes(), err
}
