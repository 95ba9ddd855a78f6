package cloud

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/brine-cm/brine/internal/config"
)

// load decodes a master config text (its cloud: section) and the drop-in
// files, as the master does.
func load(t *testing.T, master string, files map[string]string) (*Config, error) {
	t.Helper()
	dir := t.TempDir()
	for p, s := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "master.yaml")
	var top struct {
		Cloud Config `yaml:"cloud"`
	}
	if err := config.DecodeStrict(path, []byte(master), &top); err != nil {
		return nil, err
	}
	var doc yaml.Node
	_ = yaml.Unmarshal([]byte(master), &doc)
	locate := func(p []any) (string, int) {
		keys := make([]string, len(p))
		for i, k := range p {
			keys[i], _ = k.(string)
		}
		return path, lineOf(&doc, keys...)
	}
	return &top.Cloud, top.Cloud.Load(path, locate)
}

// Seed 000's provider and profile files, indentation restored.
const seedProvider = `aws_provider:
  minion:
    master: salt.example.com
  ssh_interface: private_ips
  ssh_username:
    - ubuntu
    - ec2-user
    - root
  keyname: salt_master
  private_key: /etc/salt/keys/salt_master
  delete_sshkeys: True
  id: AKIDEXAMPLE
  key: secretexample
  region: us-east-1
  provider: ec2
  rename_on_destroy: True
`

const seedProfile = `mongodb-server:
  provider: aws_provider
  size: m3.medium
  image: ami-1234567
  ssh_interface: private_ips
  ssh_username: ubuntu
  block_device_mappings:
    - DeviceName: /dev/sda1
      Ebs.VolumeSize: 50
  subnetid: subnet-1234
  grains:
    roles:
      - mongodb
      - mongodb-server
    env: prod
`

func TestSeedConfig(t *testing.T) {
	c, err := load(t, "", map[string]string{
		"cloud.providers.d/ec2.conf":  seedProvider,
		"cloud.profiles.d/mongo.conf": seedProfile,
	})
	if err != nil {
		t.Fatal(err)
	}
	p := c.Providers["aws_provider"]
	if p.Driver != "ec2" || p.Provider != "" || !p.Rename() || p.RegionName() != "us-east-1" {
		t.Errorf("provider %+v", p)
	}
	s, err := c.Profile("mongodb-server")
	if err != nil {
		t.Fatal(err)
	}
	if s.Driver != "ec2" || s.Provider != "aws_provider" || s.Size != "m3.medium" || s.ID != "AKIDEXAMPLE" || s.Minion["master"] != "salt.example.com" ||
		s.Grains["env"] != "prod" || len(s.BlockDevices) != 1 {
		t.Errorf("merged profile %+v", s)
	}
	// One warning, naming the keys and where they are.
	w := c.Warnings()
	if len(w) != 1 || !strings.Contains(w[0], "ec2.conf line 1") || !strings.Contains(w[0], "mongo.conf line 1") || !strings.Contains(w[0], "private_key") || !strings.Contains(w[0], "user data") {
		t.Errorf("warnings %q", w)
	}
	if _, err := c.Profile("mongodb-srever"); err == nil || !strings.Contains(err.Error(), `did you mean "mongodb-server"`) {
		t.Errorf("near miss profile: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		master string
		files  map[string]string
		want   string
	}{
		{"unknown driver", "cloud:\n  providers:\n    p: {driver: ec3}\n", nil, `master.yaml line 3: provider "p": driver: unknown driver "ec3" (known: ec2, local) (did you mean "ec2"?)`},
		{"no driver", "cloud:\n  providers:\n    p: {region: x}\n", nil, `provider "p": no driver:`},
		{"driver and provider disagree", "cloud:\n  providers:\n    p: {driver: ec2, provider: local}\n", nil, "disagree"},
		{"missing provider", "cloud:\n  providers:\n    local: {driver: local}\n  profiles:\n    web: {provider: locl}\n", nil, `master.yaml line 5: profile "web": provider: "locl" is not defined (did you mean "local"?)`},
		{"unknown key", "cloud:\n  providers:\n    local: {driver: local, sise: x}\n", nil, `unknown key "sise" in cloud.providers.local (did you mean "size"?)`},
		{"wrong type", "cloud:\n  profiles:\n    web: {provider: x, grains: [a]}\n", nil, `"cloud.profiles.web.grains" must be a mapping`},
		{"local with image", "cloud:\n  providers:\n    local: {driver: local, image: ami-1}\n", nil, "image: the local driver has no such setting"},
		{"ec2 profile without image", "cloud:\n  providers:\n    aws: {driver: ec2}\n  profiles:\n    web: {provider: aws}\n", nil, `profile "web": image: an AMI id is required`},
		{"require_identity without its certificate", "cloud:\n  providers:\n    aws: {driver: ec2, require_identity: true}\n  profiles:\n    web: {provider: aws, image: ami-1}\n", nil, `profile "web": require_identity: needs identity_cert:`},
		{"local with require_identity", "cloud:\n  providers:\n    local: {driver: local, require_identity: true}\n", nil, "require_identity: the local driver has no such setting"},
		{"join_token set by hand", "cloud:\n  providers:\n    l: {driver: local, minion: {join_token: x}}\n", nil, "join_token is issued by the master"},
		{"defined twice", "cloud:\n  providers:\n    aws: {driver: ec2}\n", map[string]string{"cloud.providers.d/a.conf": "aws:\n  driver: ec2\n"}, `a.conf line 1: provider "aws" is already defined at`},
		{"drop-in unknown key", "", map[string]string{"cloud.profiles.d/w.conf": "web:\n  provider: aws\n  imgae: ami-1\n"}, `w.conf line 3: unknown key "imgae" in web (did you mean "image"?)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.master, tc.files)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("want %q, got %v", tc.want, err)
			}
		})
	}
}

// Merge carries every setting a profile may set over its provider's: a
// field Merge forgot would be silently ignored in profiles.
func TestMergeCoversEveryField(t *testing.T) {
	prof := &Settings{Provider: "p"}
	v := reflect.ValueOf(prof).Elem()
	for i := 0; i < v.NumField(); i++ {
		f, name := v.Field(i), v.Type().Field(i).Name
		if name == "Driver" || name == "Provider" {
			continue
		}
		switch f.Kind() {
		case reflect.String:
			f.SetString("x-" + name)
		case reflect.Float64:
			f.SetFloat(42)
		case reflect.Pointer:
			f.Set(reflect.New(f.Type().Elem()))
			if f.Elem().Kind() == reflect.Bool {
				f.Elem().SetBool(true)
			}
		case reflect.Slice:
			f.Set(reflect.MakeSlice(f.Type(), 1, 1))
			if f.Index(0).Kind() == reflect.String {
				f.Index(0).SetString("x")
			} else if f.Index(0).Kind() == reflect.Map {
				f.Index(0).Set(reflect.ValueOf(BlockMap{"DeviceName": "/dev/x"}))
			}
		case reflect.Map:
			m := reflect.MakeMap(f.Type())
			m.SetMapIndex(reflect.ValueOf("k"), reflect.ValueOf("v").Convert(f.Type().Elem()))
			f.Set(m)
		case reflect.Interface:
			f.Set(reflect.ValueOf("x-" + name))
		default:
			t.Fatalf("field %s: kind %s not covered by this test", name, f.Kind())
		}
	}
	c := &Config{Providers: map[string]*Settings{"p": {Driver: "ec2"}}, Profiles: map[string]*Settings{"w": prof}}
	got := reflect.ValueOf(c.Merge("w")).Elem()
	// salt-cloud's SSH keys are read only to be warned about.
	ignored := map[string]bool{"Driver": true, "PrivateKey": true, "SSHInterface": true, "SSHUsername": true, "SSHPassword": true,
		"SSHPort": true, "SSHGateway": true, "DeleteSSHKeys": true, "Deploy": true, "Script": true, "ScriptArgs": true, "DisplaySSHOut": true}
	for i := 0; i < v.NumField(); i++ {
		name := v.Type().Field(i).Name
		if ignored[name] {
			continue
		}
		if !reflect.DeepEqual(got.Field(i).Interface(), v.Field(i).Interface()) {
			t.Errorf("Merge drops the profile's %s: got %v, want %v", name, got.Field(i).Interface(), v.Field(i).Interface())
		}
	}
}

// salt-cloud's cloud.create PROVIDER INSTANCES key=value..., as seed 000's
// autoscale reactor calls it with its ec2.autoscale option's settings.
func TestInline(t *testing.T) {
	c, err := load(t, "cloud:\n  providers:\n    here: {driver: local, grains: {site: lab}}\n    aws: {driver: ec2, region: us-east-1}\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Inline("here", map[string]any{
		"provider": "here", "ssh_interface": "private_ips", "ssh_username": "ubuntu",
		"minion": map[string]any{"startup_states": "highstate", "grains": map[string]any{"env": "prod"}},
		"grains": map[string]any{"roles": "web"}, "reactor": true, "instances": "i-1", "instance_id": "i-1", "__pub_x": 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.Driver != "local" || s.Provider != "here" || s.Grains["site"] != "lab" || s.Grains["roles"] != "web" || s.Minion["startup_states"] != "highstate" {
		t.Errorf("settings %+v", s)
	}
	for _, tc := range []struct {
		provider string
		vm       map[string]any
		want     string
	}{
		{"nowhere", nil, `no cloud provider "nowhere" (providers: aws, here)`},
		{"aws", map[string]any{"instance_id": "i-1"}, "instance_id: bootstrapping an existing instance is not supported by the ec2 driver"},
		{"here", map[string]any{"sise": "t2.micro"}, "VM settings: unknown setting sise"},
		{"here", map[string]any{"size": "t2.micro"}, "size: the local driver has no such setting"},
		{"here", map[string]any{"minion": map[string]any{"id": "x"}}, "minion: id is the node's name"},
	} {
		if _, err := c.Inline(tc.provider, tc.vm); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s %v: %v, want %s...", tc.provider, tc.vm, err, tc.want)
		}
	}
}
