package cloud

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
	"gopkg.in/yaml.v3"
)

// The ec2 driver starts nodes with RunInstances. A node bootstraps itself
// from its user data: it downloads the minion binary, writes its config
// (with its join token), installs a systemd unit and starts it; the minion
// generates its key pair there and joins with the token. Nothing reaches
// the node over SSH and its private key never travels.
//
// Credentials: the provider's id/key, else the standard AWS chain
// (environment, shared files, instance role). The endpoint: the provider's
// endpoint:, else AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL, else AWS.
// Throttling is retried by the SDK's retryer (more attempts than its
// default, no client-side retry quota); an instance id that is not yet
// visible right after RunInstances (EC2's eventual consistency) is
// waited for.
func init() {
	Register(Registration{Name: "ec2", New: newEC2, Check: checkEC2})
}

// ec2BlockKeys are the keys of a salt-cloud block_device_mappings entry.
var ec2BlockKeys = map[string]bool{
	"DeviceName": true, "VirtualName": true, "NoDevice": true,
	"Ebs.VolumeSize": true, "Ebs.VolumeType": true, "Ebs.SnapshotId": true, "Ebs.DeleteOnTermination": true,
	"Ebs.Iops": true, "Ebs.Encrypted": true, "Ebs.Throughput": true, "Ebs.KmsKeyId": true,
}

func checkEC2(s *Settings, profile bool) error {
	if (s.ID == "") != (s.Key == "") {
		return errors.New("id: and key: go together (or leave both out for the standard AWS credential chain)")
	}
	if s.RootDir != "" {
		return errors.New("root_dir: the ec2 driver has no such setting")
	}
	for i, bm := range s.BlockDevices {
		for k := range bm {
			if !ec2BlockKeys[k] {
				known := make([]string, 0, len(ec2BlockKeys))
				for x := range ec2BlockKeys {
					known = append(known, x)
				}
				msg := fmt.Sprintf("block_device_mappings[%d]: unknown key %q", i, k)
				if n := nearest(k, known); n != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", n)
				}
				return errors.New(msg)
			}
		}
		if _, ok := bm["DeviceName"].(string); !ok {
			return fmt.Errorf("block_device_mappings[%d]: DeviceName is missing", i)
		}
	}
	if profile {
		if s.Image == "" {
			return errors.New("image: an AMI id is required")
		}
	}
	return nil
}

type ec2Driver struct {
	provider string
	client   *ec2.Client
	env      Env
	// poll is the interval of DescribeInstances while a node starts.
	poll time.Duration
	// runTimeout bounds the wait for "running".
	runTimeout time.Duration
	// rename is the provider's rename_on_destroy.
	rename bool
	// aws is true when the endpoint is AWS itself (no endpoint setting or
	// AWS_ENDPOINT_URL*): its nodes cannot reach this machine's loopback.
	aws bool
}

// ec2MaxAttempts is how many times a throttled call is tried.
const ec2MaxAttempts = 10

func newEC2(provider string, s *Settings, env Env) (Driver, error) {
	return newEC2Driver(provider, s, env, nil)
}

// newEC2Driver builds the driver; backoff, when not nil, replaces the
// SDK's retry backoff (tests).
func newEC2Driver(provider string, s *Settings, env Env, backoff retry.BackoffDelayer) (*ec2Driver, error) {
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = ec2MaxAttempts
				o.MaxBackoff = 20 * time.Second
				o.RateLimiter = ratelimit.None
				if backoff != nil {
					o.Backoff = backoff
				}
			})
		}),
	}
	if r := s.RegionName(); r != "" {
		opts = append(opts, awsconfig.WithRegion(r))
	}
	if s.ID != "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(s.ID, s.Key, "")))
	}
	cfg, err := awsconfig.LoadDefaultConfig(context.Background(), opts...)
	if err != nil {
		return nil, fmt.Errorf("provider %q: AWS configuration: %w", provider, err)
	}
	client := ec2.NewFromConfig(cfg, func(o *ec2.Options) {
		if s.Endpoint != "" {
			o.BaseEndpoint = aws.String(s.Endpoint)
		}
	})
	realAWS := s.Endpoint == "" && os.Getenv("AWS_ENDPOINT_URL_EC2") == "" && os.Getenv("AWS_ENDPOINT_URL") == ""
	return &ec2Driver{provider: provider, client: client, env: env, poll: 5 * time.Second, runTimeout: 10 * time.Minute, rename: s.Rename(), aws: realAWS}, nil
}

func (d *ec2Driver) Create(ctx context.Context, req CreateRequest, step func(string)) (*Instance, error) {
	s := req.Settings
	if req.BootstrapURL == "" {
		return nil, errors.New("no URL to download the minion from: set the master's api.listen (it serves /bootstrap/minion) or the profile's bootstrap_url")
	}
	if d.aws {
		// A node on AWS reaches neither this machine's loopback nor a
		// bare name that only resolves here: say so now, not after a
		// node that never joins.
		master, _ := req.MinionConfig["master"].(string)
		for what, u := range map[string]string{"the bus (master:)": master, "the minion download (bootstrap_url)": req.BootstrapURL} {
			if loopbackURL(u) {
				return nil, fmt.Errorf("the node would reach %s at %s, a loopback address: set the profile's minion: master: / master: and api.listen or bootstrap_url to an address the node can reach", what, u)
			}
		}
	}
	userData, err := UserData(req.BootstrapURL, req.MinionConfig)
	if err != nil {
		return nil, err
	}
	tags := []types.Tag{{Key: aws.String("Name"), Value: aws.String(req.Name)}}
	for _, k := range sortedKeys(s.Tag) {
		if k == "Name" {
			continue
		}
		tags = append(tags, types.Tag{Key: aws.String(k), Value: aws.String(s.Tag[k])})
	}
	in := &ec2.RunInstancesInput{
		ImageId:      aws.String(s.Image),
		MinCount:     aws.Int32(1),
		MaxCount:     aws.Int32(1),
		UserData:     aws.String(base64.StdEncoding.EncodeToString([]byte(userData))),
		ClientToken:  aws.String(clientToken()),
		InstanceType: types.InstanceType(s.Size),
		TagSpecifications: []types.TagSpecification{
			{ResourceType: types.ResourceTypeInstance, Tags: tags},
			{ResourceType: types.ResourceTypeVolume, Tags: tags},
		},
	}
	if s.Keyname != "" {
		in.KeyName = aws.String(s.Keyname)
	}
	if s.SubnetID != "" {
		in.SubnetId = aws.String(s.SubnetID)
	}
	if s.AvailabilityZone != "" {
		in.Placement = &types.Placement{AvailabilityZone: aws.String(s.AvailabilityZone)}
	}
	for _, g := range s.SecurityGroup {
		if strings.HasPrefix(g, "sg-") {
			in.SecurityGroupIds = append(in.SecurityGroupIds, g)
		} else {
			in.SecurityGroups = append(in.SecurityGroups, g)
		}
	}
	for i, bm := range s.BlockDevices {
		m, err := blockMapping(bm)
		if err != nil {
			return nil, fmt.Errorf("block_device_mappings[%d]: %w", i, err)
		}
		in.BlockDeviceMappings = append(in.BlockDeviceMappings, m)
	}
	step("requesting")
	out, err := d.client.RunInstances(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("RunInstances: %w", awsErr(err))
	}
	if len(out.Instances) != 1 || out.Instances[0].InstanceId == nil {
		return nil, errors.New("RunInstances returned no instance")
	}
	id := aws.ToString(out.Instances[0].InstanceId)
	inst := &Instance{Name: req.Name, Provider: d.provider, Driver: "ec2", InstanceID: id, State: "pending", Created: time.Now().UTC(), Extra: map[string]string{}}
	running, err := d.waitRunning(ctx, id)
	if err != nil {
		// Do not leave a node behind that nobody records.
		if _, terr := d.client.TerminateInstances(context.WithoutCancel(ctx), &ec2.TerminateInstancesInput{InstanceIds: []string{id}}); terr != nil {
			d.env.Log.Error("terminate the instance that did not start", "instance_id", id, "err", awsErr(terr))
		}
		return nil, err
	}
	inst.State = "running"
	describe(running, inst.Extra)
	if s.Rename() {
		inst.Extra["rename_on_destroy"] = "true"
	}
	return inst, nil
}

// waitRunning polls DescribeInstances until id is running. An id not yet
// visible (InvalidInstanceID.NotFound) is waited for: EC2 is eventually
// consistent right after RunInstances.
func (d *ec2Driver) waitRunning(ctx context.Context, id string) (*types.Instance, error) {
	deadline := time.Now().Add(d.runTimeout)
	for {
		out, err := d.client.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
		switch {
		case err != nil && errorCode(err) == "InvalidInstanceID.NotFound":
		case err != nil:
			return nil, fmt.Errorf("DescribeInstances %s: %w", id, awsErr(err))
		default:
			for _, r := range out.Reservations {
				for i := range r.Instances {
					in := &r.Instances[i]
					if aws.ToString(in.InstanceId) != id || in.State == nil {
						continue
					}
					switch in.State.Name {
					case types.InstanceStateNameRunning:
						return in, nil
					case types.InstanceStateNameShuttingDown, types.InstanceStateNameTerminated, types.InstanceStateNameStopped, types.InstanceStateNameStopping:
						reason := ""
						if in.StateReason != nil {
							reason = ": " + aws.ToString(in.StateReason.Message)
						}
						return nil, fmt.Errorf("instance %s is %s%s", id, in.State.Name, reason)
					}
				}
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("instance %s not running within %s", id, d.runTimeout)
		}
		t := time.NewTimer(d.poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// describe copies what list and show print.
func describe(in *types.Instance, extra map[string]string) {
	set := func(k, v string) {
		if v != "" {
			extra[k] = v
		}
	}
	set("private_ips", aws.ToString(in.PrivateIpAddress))
	set("public_ips", aws.ToString(in.PublicIpAddress))
	set("size", string(in.InstanceType))
	set("image", aws.ToString(in.ImageId))
	if in.Placement != nil {
		set("availability_zone", aws.ToString(in.Placement.AvailabilityZone))
	}
}

func (d *ec2Driver) Destroy(ctx context.Context, inst *Instance) error {
	if inst.InstanceID == "" {
		return nil
	}
	if d.renameOnDestroy(inst) {
		// salt-cloud's rename_on_destroy: a later node may take the name.
		newName := inst.Name + "-DEL" + randomHex(8)
		_, err := d.client.CreateTags(ctx, &ec2.CreateTagsInput{
			Resources: []string{inst.InstanceID},
			Tags:      []types.Tag{{Key: aws.String("Name"), Value: aws.String(newName)}},
		})
		if err != nil && errorCode(err) != "InvalidInstanceID.NotFound" {
			return fmt.Errorf("rename %s before terminating it: %w", inst.InstanceID, awsErr(err))
		}
	}
	_, err := d.client.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{inst.InstanceID}})
	if err != nil && errorCode(err) != "InvalidInstanceID.NotFound" {
		return fmt.Errorf("TerminateInstances %s: %w", inst.InstanceID, awsErr(err))
	}
	return nil
}

// renameOnDestroy is the provider's rename_on_destroy, or the profile's as
// recorded with the instance when it was created.
func (d *ec2Driver) renameOnDestroy(inst *Instance) bool {
	return d.rename || inst.Extra["rename_on_destroy"] == "true"
}

func (d *ec2Driver) Action(ctx context.Context, inst *Instance, action string) (any, error) {
	ids := []string{inst.InstanceID}
	var err error
	switch action {
	case "stop":
		_, err = d.client.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: ids})
	case "start":
		_, err = d.client.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: ids})
	case "reboot":
		_, err = d.client.RebootInstances(ctx, &ec2.RebootInstancesInput{InstanceIds: ids})
	case "show_instance":
		out, derr := d.client.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids})
		if derr != nil {
			return nil, fmt.Errorf("DescribeInstances: %w", awsErr(derr))
		}
		v := map[string]string{}
		for _, r := range out.Reservations {
			for i := range r.Instances {
				describe(&r.Instances[i], v)
				if st := r.Instances[i].State; st != nil {
					v["state"] = string(st.Name)
				}
			}
		}
		return v, nil
	default:
		return nil, fmt.Errorf("ec2 driver: unknown action %q (stop, start, reboot, show_instance)", action)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", action, inst.InstanceID, awsErr(err))
	}
	return map[string]any{"instance_id": inst.InstanceID, "action": action, "result": true}, nil
}

// FindByTags lists the instances carrying every tag (DescribeInstances
// with tag: / tag-key filters, all pages), terminated ones left out.
func (d *ec2Driver) FindByTags(ctx context.Context, tags []TagFilter) ([]*Instance, error) {
	if len(tags) == 0 {
		return nil, errors.New("no tag to search by")
	}
	filters := []types.Filter{{Name: aws.String("instance-state-name"), Values: []string{"pending", "running", "stopping", "stopped"}}}
	for _, t := range tags {
		if t.Any {
			filters = append(filters, types.Filter{Name: aws.String("tag-key"), Values: []string{t.Key}})
		} else {
			filters = append(filters, types.Filter{Name: aws.String("tag:" + t.Key), Values: []string{t.Value}})
		}
	}
	var out []*Instance
	p := ec2.NewDescribeInstancesPaginator(d.client, &ec2.DescribeInstancesInput{Filters: filters})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("DescribeInstances: %w", awsErr(err))
		}
		for _, r := range page.Reservations {
			for i := range r.Instances {
				in := &r.Instances[i]
				id := aws.ToString(in.InstanceId)
				inst := &Instance{Name: id, InstanceID: id, Provider: d.provider, Driver: "ec2", Extra: map[string]string{}}
				for _, t := range in.Tags {
					if aws.ToString(t.Key) == "Name" && aws.ToString(t.Value) != "" {
						inst.Name = aws.ToString(t.Value)
					}
				}
				if in.State != nil {
					inst.State = string(in.State.Name)
				}
				describe(in, inst.Extra)
				out = append(out, inst)
			}
		}
	}
	return out, nil
}

// blockMapping reads one salt-cloud block_device_mappings entry.
func blockMapping(bm BlockMap) (types.BlockDeviceMapping, error) {
	var m types.BlockDeviceMapping
	str := func(k string) (string, bool) {
		v, ok := bm[k]
		if !ok {
			return "", false
		}
		return fmt.Sprint(v), true
	}
	if v, ok := str("DeviceName"); ok {
		m.DeviceName = aws.String(v)
	}
	if v, ok := str("VirtualName"); ok {
		m.VirtualName = aws.String(v)
	}
	if v, ok := str("NoDevice"); ok {
		m.NoDevice = aws.String(v)
	}
	var ebs types.EbsBlockDevice
	hasEBS := false
	for _, k := range []string{"Ebs.VolumeSize", "Ebs.Iops", "Ebs.Throughput"} {
		v, ok := str(k)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n <= 0 {
			return m, fmt.Errorf("%s: %q is not a positive whole number", k, v)
		}
		hasEBS = true
		switch k {
		case "Ebs.VolumeSize":
			ebs.VolumeSize = aws.Int32(int32(n))
		case "Ebs.Iops":
			ebs.Iops = aws.Int32(int32(n))
		case "Ebs.Throughput":
			ebs.Throughput = aws.Int32(int32(n))
		}
	}
	for _, k := range []string{"Ebs.DeleteOnTermination", "Ebs.Encrypted"} {
		v, ok := bm[k]
		if !ok {
			continue
		}
		b, isBool := v.(bool)
		if !isBool {
			return m, fmt.Errorf("%s: %v is not true or false", k, v)
		}
		hasEBS = true
		if k == "Ebs.Encrypted" {
			ebs.Encrypted = aws.Bool(b)
		} else {
			ebs.DeleteOnTermination = aws.Bool(b)
		}
	}
	if v, ok := str("Ebs.VolumeType"); ok {
		ebs.VolumeType, hasEBS = types.VolumeType(v), true
	}
	if v, ok := str("Ebs.SnapshotId"); ok {
		ebs.SnapshotId, hasEBS = aws.String(v), true
	}
	if v, ok := str("Ebs.KmsKeyId"); ok {
		ebs.KmsKeyId, hasEBS = aws.String(v), true
	}
	if hasEBS {
		m.Ebs = &ebs
	}
	return m, nil
}

// loopbackURL reports whether u's host is localhost or a loopback IP.
func loopbackURL(u string) bool {
	if u == "" {
		return false
	}
	if !strings.Contains(u, "://") {
		u = "nats://" + u
	}
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	h := p.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// errorCode is an AWS API error's code ("" for others).
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// awsErr shortens an SDK error to its API code and message when it has
// them (the SDK's wrapping names operation, request id and retries).
func awsErr(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return fmt.Errorf("%s: %s", ae.ErrorCode(), ae.ErrorMessage())
	}
	return err
}

func clientToken() string { return "brine-" + randomHex(16) }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Paths on a node bootstrapped by user data.
const (
	NodeMinionBinary = "/usr/local/bin/brine-minion"
	NodeMinionConfig = "/etc/brine/minion.yaml"
	NodeMinionUnit   = "/etc/systemd/system/brine-minion.service"
	NodeMinionRoot   = "/var/lib/brine/minion"
)

const userDataEOF = "BRINE_MINION_CONFIG_EOF"

// UserData is the boot script of a node: download the minion binary from
// url, write the minion config (with its join token; mode 0600), install
// a systemd unit and start it. The minion makes its key pair on first
// start.
func UserData(url string, minionConfig map[string]any) (string, error) {
	cfg := map[string]any{}
	for k, v := range minionConfig {
		cfg[k] = v
	}
	if _, ok := cfg["root_dir"]; !ok {
		cfg["root_dir"] = NodeMinionRoot
	}
	b, err := yaml.Marshal(cfg)
	if err != nil {
		return "", fmt.Errorf("encode minion config: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(line) == userDataEOF {
			return "", errors.New("minion config contains the user data's end marker")
		}
	}
	if strings.ContainsAny(url, "'\n") {
		return "", fmt.Errorf("bootstrap URL %q contains a quote or a line break", url)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, `#!/bin/sh
# Brine cloud bootstrap: minion binary, config with join token, systemd unit.
set -eu
umask 077
url='%s'
tmp=$(mktemp)
if command -v curl >/dev/null 2>&1; then
  curl -fsSL --retry 20 --retry-delay 3 --retry-connrefused -o "$tmp" "$url"
else
  wget -q -t 20 -w 3 -O "$tmp" "$url"
fi
install -D -m 0755 "$tmp" %s
rm -f "$tmp"
mkdir -p /etc/brine %s
cat > %s <<'%s'
%s%s
chmod 0600 %s
cat > %s <<'%s'
[Unit]
Description=Brine minion
After=network-online.target
Wants=network-online.target

[Service]
ExecStart=%s -c %s
Restart=always
RestartSec=5

[Install]
WantedBy=multi-user.target
%s
systemctl daemon-reload
systemctl enable --now brine-minion.service
`, url, NodeMinionBinary, NodeMinionRoot, NodeMinionConfig, userDataEOF, b, userDataEOF, NodeMinionConfig,
		NodeMinionUnit, userDataEOF, NodeMinionBinary, NodeMinionConfig, userDataEOF)
	return sb.String(), nil
}

// ParseUserData returns the minion config and bootstrap URL a UserData
// script carries (tests, and fakes that boot a node).
func ParseUserData(script string) (url string, cfg map[string]any, err error) {
	_, rest, ok := strings.Cut(script, "\nurl='")
	if !ok {
		return "", nil, errors.New("no bootstrap URL in user data")
	}
	url, _, _ = strings.Cut(rest, "'")
	_, rest, ok = strings.Cut(script, "<<'"+userDataEOF+"'\n")
	if !ok {
		return "", nil, errors.New("no minion config in user data")
	}
	body, _, ok := strings.Cut(rest, "\n"+userDataEOF+"\n")
	if !ok {
		return "", nil, errors.New("unterminated minion config in user data")
	}
	if err := yaml.Unmarshal([]byte(body), &cfg); err != nil {
		return "", nil, fmt.Errorf("minion config in user data: %w", err)
	}
	return url, cfg, nil
}
