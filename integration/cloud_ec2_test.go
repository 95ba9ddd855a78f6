package integration

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brine-cm/brine/cloud"
	"github.com/brine-cm/brine/internal/fakeaws"
	"github.com/brine-cm/brine/internal/testutil"
)

// The ec2 driver end to end, against the fake EC2: the real master calls
// RunInstances through the SDK; the fake "boots" each instance by doing
// what its user data says (download the minion from the master's
// /bootstrap/minion, write the config it carries, start it). The node
// joins with its token, runs its highstate; destroy renames and
// terminates it and forgets its key. The AWS secret key and the join
// token appear in no output.
func TestCloudEC2EndToEnd(t *testing.T) {
	fake := fakeaws.NewEC2()
	defer fake.Close()
	bootErr := bootEC2Nodes(t, fake, nil)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "top.sls"), []byte("base:\n  '*':\n    - marker\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "marker.sls"), []byte("marker:\n  file.managed:\n    - name: "+filepath.Join(dir, "out", "{{ grains['id'] }}")+"\n    - makedirs: True\n    - contents: ok\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	apiPort, err := testutil.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	c := cluster(t, map[string]any{
		"file_roots": map[string]any{"base": []string{dir}},
		"api":        map[string]any{"listen": fmt.Sprintf("127.0.0.1:%d", apiPort)},
		"cloud": map[string]any{
			"providers": map[string]any{"aws": map[string]any{
				"provider": "ec2", "id": "AKIDINTEGRATION", "key": "integration-secret-key", "location": "us-east-1",
				"endpoint": fake.URL(), "keyname": "salt_master", "securitygroup": "default", "rename_on_destroy": true,
				"ssh_username": "ubuntu",
			}},
			"profiles": map[string]any{"web-ec2": map[string]any{
				"provider": "aws", "image": "ami-1234567", "size": "t3.small", "subnetid": "subnet-1",
				"grains": map[string]any{"roles": []any{"web"}}, "startup_states": "highstate", "tag": map[string]any{"team": "ops"},
			}},
		},
	})
	r := c.Ctl("cloud", "create", "-p", "web-ec2", "web-1", "--out", "json", "--timeout", "60")
	select {
	case err := <-bootErr:
		t.Fatalf("boot: %v", err)
	default:
	}
	if r.Code != 0 || !strings.Contains(r.Stdout, `"joined": true`) || !strings.Contains(r.Stdout, `"result": true`) {
		t.Fatalf("cloud create: %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "out", "web-1")); err != nil || strings.TrimSpace(string(b)) != "ok" {
		t.Errorf("highstate on the node: %q %v", b, err)
	}
	insts := fake.Instances()
	if len(insts) != 1 || insts[0].Tags["Name"] != "web-1" || insts[0].Tags["team"] != "ops" || insts[0].ImageID != "ami-1234567" || insts[0].KeyName != "salt_master" {
		t.Fatalf("instances %+v", insts)
	}
	if !strings.Contains(r.Stdout, insts[0].ID) {
		t.Errorf("the instance id is not in the result: %s", r.Stdout)
	}
	_, cfg, _ := cloud.ParseUserData(insts[0].UserData)
	token, _ := cfg["join_token"].(string)
	if !strings.HasPrefix(token, "brjt_") {
		t.Fatalf("user data token %q", token)
	}
	if keys := listKeys(t, c); !equalIDs(keys.Minions, "web-1") {
		t.Errorf("keys %v", keys)
	}
	show := c.Ctl("cloud", "show", "web-1", "--out", "json")
	r2 := c.Ctl("run", "cloud.list_profiles", "--out", "json")
	if strings.Contains(r2.Stdout, "AKIDINTEGRATION") || !strings.Contains(r2.Stdout, "ami-1234567") {
		t.Errorf("list_profiles shows credentials or misses the image: %s", r2.Stdout)
	}
	if r := c.Ctl("cloud", "destroy", "web-1", "--yes"); r.Code != 0 {
		t.Fatalf("destroy: %d %s %s", r.Code, r.Stdout, r.Stderr)
	}
	insts = fake.Instances()
	if insts[0].State != "terminated" || !strings.HasPrefix(insts[0].Tags["Name"], "web-1-DEL") {
		t.Errorf("after destroy: %+v", insts[0])
	}
	if keys := listKeys(t, c); len(keys.Minions) != 0 {
		t.Errorf("keys after destroy %v", keys)
	}
	c.StopMaster()
	for what, text := range map[string]string{"create": r.Stdout + r.Stderr, "show": show.Stdout, "master log": c.Master.Output()} {
		if strings.Contains(text, "integration-secret-key") || strings.Contains(text, token) {
			t.Errorf("a secret in the %s output", what)
		}
	}
	for _, req := range fake.Requests() {
		if req.AccessKeyID != "AKIDINTEGRATION" {
			t.Errorf("%s signed by %q", req.Action, req.AccessKeyID)
		}
	}
}

// bootEC2Nodes makes the fake EC2 "boot" each instance it runs as its
// user data says: download the minion from the master's /bootstrap/minion,
// write the config the user data carries (adjust may change it: a node's
// own settings, such as its metadata service), start it. Boot errors
// arrive on the channel.
func bootEC2Nodes(t *testing.T, fake *fakeaws.EC2, adjust func(inst fakeaws.EC2Instance, cfg map[string]any)) chan error {
	t.Helper()
	nodes := t.TempDir()
	var mu sync.Mutex
	var procs []*testutil.Proc
	bootErr := make(chan error, 4)
	fake.OnRun(func(inst fakeaws.EC2Instance) {
		url, cfg, err := cloud.ParseUserData(inst.UserData)
		if err != nil {
			bootErr <- err
			return
		}
		dir := filepath.Join(nodes, inst.ID)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			bootErr <- err
			return
		}
		resp, err := http.Get(url)
		if err != nil {
			bootErr <- err
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			bootErr <- fmt.Errorf("GET %s: %s", url, resp.Status)
			return
		}
		bin := filepath.Join(dir, "brine-minion")
		f, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
		if err == nil {
			_, err = io.Copy(f, resp.Body)
			f.Close()
		}
		if err != nil {
			bootErr <- err
			return
		}
		cfg["root_dir"] = filepath.Join(dir, "root")
		if adjust != nil {
			adjust(inst, cfg)
		}
		path := filepath.Join(dir, "minion.yaml")
		if err := testutil.WriteYAML(path, cfg); err != nil {
			bootErr <- err
			return
		}
		p, err := testutil.Start("node "+inst.ID, bin, "-c", path)
		if err != nil {
			bootErr <- err
			return
		}
		mu.Lock()
		procs = append(procs, p)
		mu.Unlock()
	})
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range procs {
			_ = p.Stop(10 * time.Second)
		}
	})

	return bootErr
}

// require_identity on an ec2 provider: a node joins only when the
// instance identity document it presents is signed by the configured
// AWS certificate and names the instance the master started for its
// token. A document signed by another key, or one of another instance
// (stolen from a neighbour), is refused: the create fails with the
// reason, and the key stays pending.
func TestCloudEC2RequireIdentity(t *testing.T) {
	fake := fakeaws.NewEC2()
	defer fake.Close()
	awsCert, awsKey, awsPEM := identityCert(t, "Amazon Web Services LLC")
	otherCert, otherKey, _ := identityCert(t, "not AWS")
	certFile := filepath.Join(t.TempDir(), "aws-rsa2048.pem")
	if err := os.WriteFile(certFile, awsPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	bootErr := bootEC2Nodes(t, fake, func(inst fakeaws.EC2Instance, cfg map[string]any) {
		if cfg["ec2_identity"] != true {
			t.Errorf("%s: the user data's minion config lacks ec2_identity: true: %v", inst.ID, cfg)
		}
		switch inst.Tags["Name"] {
		case "good-1":
			cfg["ec2_metadata_url"] = fakeIMDS(t, inst.ID, awsCert, awsKey)
		case "forged-1":
			cfg["ec2_metadata_url"] = fakeIMDS(t, inst.ID, otherCert, otherKey)
		case "stolen-1":
			cfg["ec2_metadata_url"] = fakeIMDS(t, "i-0aaaaaaaaaaaaaaaa", awsCert, awsKey)
		}
	})
	apiPort, err := testutil.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	c := cluster(t, map[string]any{
		"api": map[string]any{"listen": fmt.Sprintf("127.0.0.1:%d", apiPort)},
		"cloud": map[string]any{
			"providers": map[string]any{"aws": map[string]any{
				"driver": "ec2", "id": "AKIDINTEGRATION", "key": "integration-secret-key", "location": "us-east-1",
				"endpoint": fake.URL(), "require_identity": true, "identity_cert": certFile,
			}},
			"profiles": map[string]any{"web-ec2": map[string]any{"provider": "aws", "image": "ami-1234567", "size": "t3.small"}},
		},
	})
	r := c.Ctl("cloud", "create", "-p", "web-ec2", "good-1", "forged-1", "stolen-1", "--out", "json", "--timeout", "60")
	select {
	case err := <-bootErr:
		t.Fatalf("boot: %v", err)
	default:
	}
	var res map[string]map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &res); err != nil {
		t.Fatalf("cloud create: %d %v\n%s\n%s", r.Code, err, r.Stdout, r.Stderr)
	}
	if r.Code == 0 || res["good-1"]["result"] != true || res["good-1"]["joined"] != true {
		t.Fatalf("cloud create: %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	for name, want := range map[string]string{"forged-1": "identity: ", "stolen-1": "is instance i-0aaaaaaaaaaaaaaaa's, not"} {
		if res[name]["result"] != false || !strings.Contains(fmt.Sprint(res[name]["error"]), want) {
			t.Errorf("%s: want a refusal containing %q, got %v", name, want, res[name])
		}
	}
	kl := listKeys(t, c)
	if !equalIDs(kl.Minions, "good-1") || !equalIDs(kl.Pre, "forged-1", "stolen-1") {
		t.Fatalf("keys: %s", kl)
	}
}
