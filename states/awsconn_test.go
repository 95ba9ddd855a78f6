package states

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"
	"github.com/brine-cm/brine/internal/fakeaws"
)

// noBackoff retries at once.
type noBackoff struct{}

func (noBackoff) BackoffDelay(int, error) (time.Duration, error) { return 0, nil }

// awsTestCtx is a context whose AWS clients retry without waiting.
func awsTestCtx() context.Context { return withAWSBackoff(context.Background(), noBackoff{}) }

// isolateAWS keeps the environment's AWS settings out of a test.
func isolateAWS(t *testing.T) {
	t.Helper()
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EC2"} {
		t.Setenv(k, "")
	}
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", dir+"/config")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", dir+"/credentials")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func TestResolveAWS(t *testing.T) {
	isolateAWS(t)
	creds := func(t *testing.T, c *awsConn) (string, string) {
		t.Helper()
		v, err := c.Config.Credentials.Retrieve(context.Background())
		if err != nil {
			t.Fatalf("credentials: %v", err)
		}
		return v.AccessKeyID, v.SecretAccessKey
	}
	cases := []struct {
		name                string
		env                 *Env
		args                AWSArgs
		prefixes            []string
		region, id, secret  string
		endpoint, errSubstr string
	}{
		{
			name: "state arguments", args: AWSArgs{Region: "eu-west-1", KeyID: "AKIDSTATE", Key: "s3cr3t"},
			region: "eu-west-1", id: "AKIDSTATE", secret: "s3cr3t",
		},
		{
			name: "profile mapping replaces the credentials and the region",
			args: AWSArgs{Region: "eu-west-1", KeyID: "AKIDSTATE", Key: "s3cr3t",
				Profile: map[string]any{"region": "ap-south-1", "keyid": "AKIDPROF", "key": "profsecret"}},
			region: "ap-south-1", id: "AKIDPROF", secret: "profsecret",
		},
		{
			name:   "a profile without region keeps the state's",
			args:   AWSArgs{Region: "eu-west-1", Profile: map[string]any{"keyid": "AKIDPROF", "key": "profsecret"}},
			region: "eu-west-1", id: "AKIDPROF", secret: "profsecret",
		},
		{
			name: "profile named in pillar",
			env:  &Env{Pillar: map[string]any{"myaws": map[string]any{"region": "us-west-2", "keyid": "AKIDPIL", "key": "pilsecret", "endpoint": "http://127.0.0.1:1"}}},
			args: AWSArgs{Profile: "myaws"}, region: "us-west-2", id: "AKIDPIL", secret: "pilsecret", endpoint: "http://127.0.0.1:1",
		},
		{
			name: "profile named in the configuration wins over pillar",
			env: &Env{
				Opts:   map[string]any{"myaws": map[string]any{"region": "us-west-1", "keyid": "AKIDOPT", "key": "optsecret"}},
				Pillar: map[string]any{"myaws": map[string]any{"region": "us-west-2", "keyid": "AKIDPIL", "key": "pilsecret"}},
			},
			args: AWSArgs{Profile: "myaws"}, region: "us-west-1", id: "AKIDOPT", secret: "optsecret",
		},
		{
			name: "service options, first prefix first",
			env: &Env{Pillar: map[string]any{
				"secgroup.region": "ca-central-1", "ec2.region": "sa-east-1",
				"ec2.keyid": "AKIDEC2", "ec2.key": "ec2secret", "ec2.endpoint": "http://127.0.0.1:2",
			}},
			prefixes: []string{"secgroup", "ec2"}, region: "ca-central-1", id: "AKIDEC2", secret: "ec2secret", endpoint: "http://127.0.0.1:2",
		},
		{
			name:     "pillar's master key is the last place",
			env:      &Env{Pillar: map[string]any{"master": map[string]any{"elb.region": "eu-north-1"}}},
			args:     AWSArgs{KeyID: "AKID", Key: "k"},
			prefixes: []string{"elb"}, region: "eu-north-1", id: "AKID", secret: "k",
		},
		{
			name: "region defaults to us-east-1", args: AWSArgs{KeyID: "AKID", Key: "k"},
			region: "us-east-1", id: "AKID", secret: "k",
		},
		{name: "keyid without key", args: AWSArgs{KeyID: "AKID"}, errSubstr: "keyid and key go together"},
		{name: "unknown profile", args: AWSArgs{Profile: "nope"}, errSubstr: "profile 'nope' is not in the minion's configuration or pillar"},
		{name: "profile not a mapping", env: &Env{Pillar: map[string]any{"p": "x"}}, args: AWSArgs{Profile: "p"}, errSubstr: "profile 'p' must be a mapping"},
		{name: "profile with a typo", args: AWSArgs{Profile: map[string]any{"keyId": "x"}}, errSubstr: "unknown key(s) keyId"},
		{name: "option of the wrong type", env: &Env{Opts: map[string]any{"sqs.region": []any{"a"}}}, prefixes: []string{"sqs"}, errSubstr: "configuration option 'sqs.region' must be a string"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := tc.env
			if env == nil {
				env = &Env{}
			}
			c, err := resolveAWS(context.Background(), env, tc.args, tc.prefixes...)
			if tc.errSubstr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errSubstr) {
					t.Fatalf("err = %v, want %q", err, tc.errSubstr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Region != tc.region || c.Config.Region != tc.region {
				t.Errorf("region = %q/%q, want %q", c.Region, c.Config.Region, tc.region)
			}
			id, secret := creds(t, c)
			if id != tc.id || secret != tc.secret {
				t.Errorf("credentials = %q/%q, want %q/%q", id, secret, tc.id, tc.secret)
			}
			got := ""
			if c.Endpoint != nil {
				got = *c.Endpoint
			}
			if got != tc.endpoint {
				t.Errorf("endpoint = %q, want %q", got, tc.endpoint)
			}
		})
	}
}

// TestResolveAWSChain: with nothing given, the standard chain's
// environment variables answer.
func TestResolveAWSChain(t *testing.T) {
	isolateAWS(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "envsecret")
	t.Setenv("AWS_REGION", "eu-central-1")
	c, err := resolveAWS(context.Background(), &Env{}, AWSArgs{}, "sqs")
	if err != nil {
		t.Fatal(err)
	}
	v, err := c.Config.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if v.AccessKeyID != "AKIDENV" || c.Region != "eu-central-1" {
		t.Errorf("chain gave %q in %q", v.AccessKeyID, c.Region)
	}
}

// TestAWSThrottleRetried: throttled calls are retried until they pass;
// an error that outlasts the retries becomes "<Code>: <Message>" without
// the secret.
func TestAWSThrottleRetried(t *testing.T) {
	isolateAWS(t)
	fake := fakeaws.NewEC2()
	defer fake.Close()
	c, err := resolveAWS(awsTestCtx(), &Env{}, AWSArgs{Region: "us-east-1", KeyID: "AKIDTEST", Key: "SECRETSHOULDNOTLEAK"}, "ec2")
	if err != nil {
		t.Fatal(err)
	}
	c.Endpoint = &[]string{fake.URL()}[0]
	client := ec2.NewFromConfig(c.Config, func(o *ec2.Options) { o.BaseEndpoint = c.Endpoint })
	fake.Throttle("DescribeInstances", 3)
	if _, err := client.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{}); err != nil {
		t.Fatalf("throttled call not retried: %v", err)
	}
	if n := len(fake.Requests()); n != 4 {
		t.Errorf("%d requests, want 4 (3 throttled + 1)", n)
	}
	fake.Throttle("DescribeInstances", awsMaxAttempts)
	_, err = client.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{})
	if err == nil {
		t.Fatal("throttled past the attempts: no error")
	}
	res := c.awsFail("sg", "describe instances", err)
	if res.Result == nil || *res.Result || res.Comment != "Failed to describe instances: RequestLimitExceeded: Request limit exceeded." {
		t.Errorf("result %v %q", resultString(res.Result), res.Comment)
	}
}

func TestAWSErrorText(t *testing.T) {
	c := &awsConn{secret: "topsecret"}
	api := &smithy.GenericAPIError{Code: "InvalidGroup.NotFound", Message: "The security group 'x' does not exist"}
	if got := c.awsErrorText(&smithy.OperationError{ServiceID: "EC2", OperationName: "DescribeSecurityGroups", Err: api}); got != "InvalidGroup.NotFound: The security group 'x' does not exist" {
		t.Errorf("api error: %q", got)
	}
	if got := c.awsErrorText(errors.New("dial: key topsecret refused")); strings.Contains(got, "topsecret") {
		t.Errorf("secret in %q", got)
	}
	if !awsIsCode(api, "Other", "InvalidGroup.NotFound") || awsIsCode(errors.New("x"), "InvalidGroup.NotFound") {
		t.Error("awsIsCode")
	}
}
