package cloud

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/brine-cm/brine/internal/fakeaws"
)

const (
	testAKID   = "AKIDBRINETEST0001"
	testSecret = "s3cr3t/KEY+never-in-logs"
)

// isolateAWS keeps the SDK away from this machine's AWS files and IMDS.
func isolateAWS(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EC2", "AWS_REGION"} {
		t.Setenv(k, "")
	}
}

func fastBackoff() retry.BackoffDelayer {
	return retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
}

func seedSettings(endpoint string) *Settings {
	yes := true
	return &Settings{
		Driver: "ec2", Provider: "aws_provider", ID: testAKID, Key: testSecret, Region: "us-east-1", Endpoint: endpoint,
		Keyname: "salt_master", SecurityGroup: StringList{"default", "sg-0123"}, SubnetID: "subnet-42",
		AvailabilityZone: "us-east-1b", Size: "m3.medium", Image: "ami-1234567",
		BlockDevices:    []BlockMap{{"DeviceName": "/dev/sda1", "Ebs.VolumeSize": 50}},
		Tag:             map[string]string{"env": "prod"},
		RenameOnDestroy: &yes,
	}
}

func newTestEC2(t *testing.T, s *Settings, log *slog.Logger) *ec2Driver {
	t.Helper()
	d, err := newEC2Driver("aws_provider", s, Env{Log: log}, fastBackoff())
	if err != nil {
		t.Fatal(err)
	}
	d.poll = time.Millisecond
	d.runTimeout = 10 * time.Second
	return d
}

// Create: RunInstances with the profile's settings, tags and a user data
// that bootstraps the minion with its join token; throttling and an
// instance id not yet visible are retried; destroy renames and
// terminates. The secret key appears nowhere.
func TestEC2CreateDestroy(t *testing.T) {
	isolateAWS(t)
	fake := fakeaws.NewEC2()
	defer fake.Close()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := seedSettings(fake.URL())
	d := newTestEC2(t, s, log)

	fake.Throttle("RunInstances", 2)
	fake.Throttle("DescribeInstances", 1)
	fake.HideNewInstances(2)
	var steps []string
	mcfg := map[string]any{"id": "web-1", "master": "nats://master.example:4506", "join_token": "brjt_TOKEN", "grains": map[string]any{"roles": []any{"web"}}}
	inst, err := d.Create(context.Background(), CreateRequest{Name: "web-1", Profile: "web", Settings: s, MinionConfig: mcfg, BootstrapURL: "https://master.example:8000/bootstrap/minion"}, func(st string) { steps = append(steps, st) })
	if err != nil {
		t.Fatal(err)
	}
	if inst.State != "running" || inst.Extra["private_ips"] == "" || inst.Extra["availability_zone"] != "us-east-1b" || len(steps) != 1 || steps[0] != "requesting" {
		t.Errorf("instance %+v, steps %v", inst, steps)
	}
	insts := fake.Instances()
	if len(insts) != 1 {
		t.Fatalf("instances launched: %d (a retried RunInstances must not launch twice)", len(insts))
	}
	got := insts[0]
	if got.ID != inst.InstanceID || got.ImageID != "ami-1234567" || got.InstanceType != "m3.medium" || got.KeyName != "salt_master" ||
		got.SubnetID != "subnet-42" || got.AvailabilityZone != "us-east-1b" ||
		strings.Join(got.SecurityGroups, ",") != "default" || strings.Join(got.SecurityGroupIDs, ",") != "sg-0123" {
		t.Errorf("RunInstances got %+v", got)
	}
	if got.Tags["Name"] != "web-1" || got.Tags["env"] != "prod" || got.VolumeTags["Name"] != "web-1" {
		t.Errorf("tags %v, volume tags %v", got.Tags, got.VolumeTags)
	}
	if len(got.BlockDevices) != 1 || got.BlockDevices[0]["DeviceName"] != "/dev/sda1" || got.BlockDevices[0]["Ebs.VolumeSize"] != "50" {
		t.Errorf("block devices %v", got.BlockDevices)
	}
	// The user data: download, config with the token (0600), unit, start.
	for _, want := range []string{
		"url='https://master.example:8000/bootstrap/minion'", "curl -fsSL", "install -D -m 0755", NodeMinionBinary,
		"chmod 0600 " + NodeMinionConfig, "ExecStart=" + NodeMinionBinary + " -c " + NodeMinionConfig,
		"systemctl enable --now brine-minion.service",
	} {
		if !strings.Contains(got.UserData, want) {
			t.Errorf("user data lacks %q:\n%s", want, got.UserData)
		}
	}
	url, cfg, err := ParseUserData(got.UserData)
	if err != nil || url != "https://master.example:8000/bootstrap/minion" || cfg["id"] != "web-1" || cfg["join_token"] != "brjt_TOKEN" ||
		cfg["master"] != "nats://master.example:4506" || cfg["root_dir"] != NodeMinionRoot {
		t.Errorf("user data config %v %q %v", cfg, url, err)
	}
	if strings.Contains(got.UserData, "BEGIN") || strings.Contains(got.UserData, "PRIVATE") {
		t.Error("user data carries a key")
	}
	count := map[string]int{}
	for _, r := range fake.Requests() {
		count[r.Action]++
		if r.AccessKeyID != testAKID {
			t.Errorf("%s signed with %q", r.Action, r.AccessKeyID)
		}
	}
	if count["RunInstances"] != 3 || count["DescribeInstances"] < 4 {
		t.Errorf("calls %v: want 3 RunInstances (2 throttled) and DescribeInstances past a throttle and 2 NotFound", count)
	}

	if err := d.Destroy(context.Background(), inst); err != nil {
		t.Fatal(err)
	}
	got = fake.Instances()[0]
	if got.State != "terminated" || !strings.HasPrefix(got.Tags["Name"], "web-1-DEL") {
		t.Errorf("after destroy: state %s, Name %q", got.State, got.Tags["Name"])
	}
	// Destroying again (already gone) is not an error.
	if err := d.Destroy(context.Background(), inst); err != nil {
		t.Errorf("second destroy: %v", err)
	}
	b, _ := json.Marshal(inst)
	if strings.Contains(logs.String(), testSecret) || strings.Contains(string(b), testSecret) {
		t.Error("the secret key leaked into logs or the instance record")
	}
}

// Without rename_on_destroy the Name tag stays; a throttle that outlasts
// the retries is an error naming the AWS code, without credentials.
func TestEC2NoRenameAndPersistentThrottle(t *testing.T) {
	isolateAWS(t)
	fake := fakeaws.NewEC2()
	defer fake.Close()
	s := seedSettings(fake.URL())
	s.RenameOnDestroy = nil
	d := newTestEC2(t, s, slog.New(slog.DiscardHandler))
	req := CreateRequest{Name: "db-1", Settings: s, MinionConfig: map[string]any{"id": "db-1", "join_token": "brjt_X"}, BootstrapURL: "http://m/bootstrap/minion"}
	inst, err := d.Create(context.Background(), req, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Destroy(context.Background(), inst); err != nil {
		t.Fatal(err)
	}
	if got := fake.Instances()[0]; got.Tags["Name"] != "db-1" || got.State != "terminated" {
		t.Errorf("after destroy without rename: %+v", got)
	}
	fake.Throttle("RunInstances", 100)
	req.Name = "db-2"
	_, err = d.Create(context.Background(), req, func(string) {})
	if err == nil || !strings.Contains(err.Error(), "RequestLimitExceeded") || strings.Contains(err.Error(), testSecret) || strings.Contains(err.Error(), "brjt_") {
		t.Errorf("persistent throttle: %v", err)
	}
	if n := len(fake.Instances()); n != 1 {
		t.Errorf("instances = %d", n)
	}
	// No bootstrap URL: nothing launched.
	req.BootstrapURL = ""
	if _, err := d.Create(context.Background(), req, func(string) {}); err == nil || !strings.Contains(err.Error(), "bootstrap_url") {
		t.Errorf("no bootstrap URL: %v", err)
	}
}

// The endpoint comes from AWS_ENDPOINT_URL_EC2 when the provider names
// none, and credentials from the standard chain (here the environment).
func TestEC2EndpointAndCredentialsFromEnvironment(t *testing.T) {
	isolateAWS(t)
	fake := fakeaws.NewEC2()
	defer fake.Close()
	t.Setenv("AWS_ENDPOINT_URL_EC2", fake.URL())
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "envsecret")
	s := seedSettings("")
	s.ID, s.Key = "", ""
	d := newTestEC2(t, s, slog.New(slog.DiscardHandler))
	inst, err := d.Create(context.Background(), CreateRequest{Name: "n", Settings: s, MinionConfig: map[string]any{"id": "n"}, BootstrapURL: "http://m/b"}, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	if r := fake.Requests(); len(r) == 0 || r[0].AccessKeyID != "AKIDFROMENV" {
		t.Errorf("requests %v", r)
	}
	if res, err := d.Action(context.Background(), inst, "stop"); err != nil || fake.Instances()[0].State != "stopped" {
		t.Errorf("stop: %v %v", res, err)
	}
	if _, err := d.Action(context.Background(), inst, "explode"); err == nil {
		t.Error("unknown action accepted")
	}
}

func TestBlockMappingErrors(t *testing.T) {
	if _, err := blockMapping(BlockMap{"DeviceName": "/dev/sda1", "Ebs.VolumeSize": "big"}); err == nil {
		t.Error("non-numeric size accepted")
	}
	s := &Settings{Image: "ami-1", BlockDevices: []BlockMap{{"DeviceName": "/dev/sda1", "Ebs.VolumeSzie": 50}}}
	if err := checkEC2(s, true); err == nil || !strings.Contains(err.Error(), `did you mean "Ebs.VolumeSize"`) {
		t.Errorf("typo in block device key: %v", err)
	}
	if err := checkEC2(&Settings{ID: "x"}, false); err == nil {
		t.Error("id without key accepted")
	}
	if err := checkEC2(&Settings{}, true); err == nil || !strings.Contains(err.Error(), "image") {
		t.Errorf("profile without image: %v", err)
	}
}

// Against AWS itself, a node told to reach a loopback master is refused
// before anything is launched.
func TestEC2LoopbackMasterRefused(t *testing.T) {
	isolateAWS(t)
	fake := fakeaws.NewEC2()
	defer fake.Close()
	s := seedSettings(fake.URL())
	d := newTestEC2(t, s, slog.New(slog.DiscardHandler))
	d.aws = true // as with no endpoint setting
	for _, tc := range []struct{ master, boot string }{
		{"nats://127.0.0.1:4506", "https://master.example/bootstrap/minion"},
		{"nats://master.example:4506", "http://localhost:8000/bootstrap/minion"},
		{"[::1]:4506", "https://master.example/bootstrap/minion"},
	} {
		req := CreateRequest{Name: "n", Settings: s, MinionConfig: map[string]any{"id": "n", "master": tc.master}, BootstrapURL: tc.boot}
		if _, err := d.Create(context.Background(), req, func(string) {}); err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("%v: %v", tc, err)
		}
	}
	if n := len(fake.Instances()); n != 0 {
		t.Errorf("%d instances launched", n)
	}
	if loopbackURL("nats://10.0.0.5:4506") || loopbackURL("") {
		t.Error("loopbackURL too eager")
	}
}

// The autoscale boot script makes the minion id on the instance from the
// metadata service's instance id: run that part of it with a stand-in
// curl.
func TestAutoscaleUserDataMakesTheID(t *testing.T) {
	script, err := AutoscaleUserData("https://salt.example.com:8000/bootstrap/minion", map[string]any{"master": "nats://salt:4506", "ec2_identity": true}, "web-asg-{instance_id}")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(script, "join_token") || !strings.Contains(script, "ec2_identity: true") || !strings.Contains(script, "master: nats://salt:4506") {
		t.Fatalf("script:\n%s", script)
	}
	start := strings.Index(script, "imds=")
	end := strings.Index(script, "\nurl=")
	if start < 0 || end < start {
		t.Fatalf("no id part in:\n%s", script)
	}
	bin := t.TempDir()
	curl := "#!/bin/sh\ncase \"$*\" in *api/token*) echo tok;; *instance-id*) echo i-0abc12345678def01;; *) exit 22;; esac\n"
	if err := os.WriteFile(filepath.Join(bin, "curl"), []byte(curl), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := runIDPart(bin, script[start:end])
	if err != nil || string(out) != "web-asg-i-0abc12345678def01" {
		t.Fatalf("id part: %v %q", err, out)
	}
	// A metadata service answering something else stops the script.
	if err := os.WriteFile(filepath.Join(bin, "curl"), []byte("#!/bin/sh\necho '<html>'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := runIDPart(bin, script[start:end]); err == nil {
		t.Fatalf("a bad instance id was taken: %q", out)
	}
	if _, err := AutoscaleUserData("u", nil, "web-'{instance_id}"); err == nil {
		t.Fatal("a quote in the pattern was accepted")
	}
}

// runIDPart runs the boot script's id part with bin first on PATH and
// prints the id it made.
func runIDPart(bin, part string) ([]byte, error) {
	cmd := exec.Command("/bin/sh", "-c", "set -eu\n"+part+"\nprintf '%s' \"$id\"")
	cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin"}
	return cmd.CombinedOutput()
}

// FindByTags finds every instance carrying the tags at the provider,
// whoever started it, terminated ones left out; Action then stops it.
func TestEC2FindByTags(t *testing.T) {
	isolateAWS(t)
	fake := fakeaws.NewEC2()
	defer fake.Close()
	d := newTestEC2(t, seedSettings(fake.URL()), slog.New(slog.DiscardHandler))
	a := fake.AddInstance("running", map[string]string{"Name": "test-a", "offhours": "on"})
	b := fake.AddInstance("stopped", map[string]string{"offhours": "on", "team": "qa"})
	fake.AddInstance("running", map[string]string{"Name": "prod", "offhours": "off"})
	fake.AddInstance("terminated", map[string]string{"Name": "gone", "offhours": "on"})
	fake.AddInstance("running", map[string]string{"Name": "untagged"})
	got, err := d.FindByTags(context.Background(), []TagFilter{{Key: "offhours", Value: "on"}})
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, in := range got {
		seen = append(seen, in.Name+"/"+in.InstanceID+"/"+in.State)
	}
	sort.Strings(seen)
	if want := []string{b + "/" + b + "/stopped", "test-a/" + a + "/running"}; !reflect.DeepEqual(seen, want) {
		t.Errorf("found %v, want %v", seen, want)
	}
	got, err = d.FindByTags(context.Background(), []TagFilter{{Key: "offhours", Value: "on"}, {Key: "team", Any: true}})
	if err != nil || len(got) != 1 || got[0].InstanceID != b {
		t.Errorf("two conditions: %v %v", got, err)
	}
	if _, err := d.FindByTags(context.Background(), nil); err == nil {
		t.Error("no tags: no error")
	}
}
