package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// imageUID is the unprivileged user the master runs as in the image.
const imageUID = 65532

// buildImage writes an OCI image layout at dir: one layer on an empty
// base with the (static) master at /usr/bin/brine-master, its config at
// /etc/brine/master.yaml and its state directory /var/lib/brine/master
// owned by an unprivileged user. No Docker daemon is involved.
func buildImage(masterBin, configFile, dir, version, arch string) error {
	bin, err := os.ReadFile(masterBin)
	if err != nil {
		return err
	}
	conf, err := os.ReadFile(configFile)
	if err != nil {
		return err
	}
	mtime := time.Unix(0, 0)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := []struct {
		name string
		uid  int
		mode int64
	}{
		{"etc/", 0, 0o755}, {"etc/brine/", 0, 0o755}, {"usr/", 0, 0o755}, {"usr/bin/", 0, 0o755},
		{"tmp/", 0, 0o1777}, {"var/", 0, 0o755}, {"var/lib/", 0, 0o755}, {"var/lib/brine/", 0, 0o755},
		{"var/lib/brine/master/", imageUID, 0o700},
	}
	for _, d := range dirs {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d.name, Mode: d.mode, Uid: d.uid, Gid: d.uid, ModTime: mtime}); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		name string
		mode int64
		data []byte
	}{
		{"usr/bin/brine-master", 0o755, bin},
		{"etc/brine/master.yaml", 0o644, conf},
		{"etc/passwd", 0o644, []byte(fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\nbrine:x:%d:%d:brine:/var/lib/brine/master:/sbin/nologin\n", imageUID, imageUID))},
		{"etc/group", 0o644, []byte(fmt.Sprintf("root:x:0:\nbrine:x:%d:\n", imageUID))},
	} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: f.name, Mode: f.mode, Size: int64(len(f.data)), ModTime: mtime}); err != nil {
			return err
		}
		if _, err := tw.Write(f.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	data := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		return err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	cf.Config.Entrypoint = []string{"/usr/bin/brine-master", "-c", "/etc/brine/master.yaml"}
	cf.Config.User = fmt.Sprintf("%d:%d", imageUID, imageUID)
	cf.Config.WorkingDir = "/var/lib/brine/master"
	cf.Config.ExposedPorts = map[string]struct{}{"4506/tcp": {}, "8000/tcp": {}, "9506/tcp": {}}
	cf.Config.Volumes = map[string]struct{}{"/var/lib/brine/master": {}}
	cf.Config.StopSignal = "SIGTERM"
	cf.Config.Labels = map[string]string{
		"org.opencontainers.image.title":   "brine-master",
		"org.opencontainers.image.version": version,
		"org.opencontainers.image.source":  "https://github.com/brine-cm/brine",
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	return lp.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "brine-master:" + version}), layout.WithPlatform(v1.Platform{OS: "linux", Architecture: arch}))
}

// verifyImage reads an OCI layout back: one image, for linux, whose
// config runs the master as a non-root user and whose layer holds the
// master binary and its config.
func verifyImage(dir string) error {
	lp, err := layout.FromPath(dir)
	if err != nil {
		return err
	}
	idx, err := lp.ImageIndex()
	if err != nil {
		return err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	if len(im.Manifests) != 1 {
		return fmt.Errorf("%d images in the layout, want 1", len(im.Manifests))
	}
	img, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		return err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	if cf.OS != "linux" || len(cf.Config.Entrypoint) == 0 || cf.Config.Entrypoint[0] != "/usr/bin/brine-master" || cf.Config.User == "" || cf.Config.User[0] == '0' {
		return fmt.Errorf("unexpected image config: os %q entrypoint %q user %q", cf.OS, cf.Config.Entrypoint, cf.Config.User)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		return fmt.Errorf("layers: %d, %v", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	found := map[string]bool{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		found[h.Name] = true
	}
	for _, want := range []string{"usr/bin/brine-master", "etc/brine/master.yaml", "var/lib/brine/master/"} {
		if !found[want] {
			return fmt.Errorf("the image lacks %s", want)
		}
	}
	fmt.Printf("image %s: %s/%s, entrypoint %q, user %s\n", im.Manifests[0].Digest, cf.OS, cf.Architecture, cf.Config.Entrypoint, cf.Config.User)
	return nil
}
