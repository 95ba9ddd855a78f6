package states

// AWS connections for the boto_* states, resolved as Salt's
// salt/utils/botomod.py (_get_profile) does:
//
//  1. profile: a mapping {region, keyid, key} given inline, or the name of
//     a configuration option (the minion's config, its grains, its pillar,
//     then pillar's master key, as config.option looks) holding one. Its
//     keyid and key replace the state's; its region is used unless the
//     state gives one.
//  2. the state's region, keyid and key arguments.
//  3. the configuration options <service>.region, <service>.keyid and
//     <service>.key (e.g. secgroup.region, elb.keyid) for whatever is
//     still unset; each state names its service prefixes (Salt's module
//     documentation names some, its code others: boto_secgroup documents
//     secgroup.* and reads ec2.*, so both are looked up, in that order).
//  4. the standard AWS chain (AWS_* environment, shared files, instance
//     role) for the credentials and the region; the region falls back to
//     us-east-1 as in Salt.
//
// The endpoint is the profile's endpoint or the option <service>.endpoint,
// else what the SDK resolves (AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL,
// else AWS). Throttling is retried by the SDK's standard retryer with more
// attempts than its default and no client-side retry quota. An AWS error
// becomes a failed state whose comment is "<Code>: <Message>" (awsFail);
// the secret key never appears in a comment.

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"
	"github.com/brine-cm/brine/internal/coerce"
)

// AWSArgs are the connection arguments every boto_* state takes; embed
// it in the state's argument struct.
type AWSArgs struct {
	Region  string `salt:"region"`
	KeyID   string `salt:"keyid"`
	Key     string `salt:"key"`
	Profile any    `salt:"profile"`
}

// awsDefaultRegion is Salt's region when nothing names one.
const awsDefaultRegion = "us-east-1"

// awsMaxAttempts is how many times a throttled call is tried.
const awsMaxAttempts = 10

// awsConn is a resolved connection: the SDK configuration and the
// endpoint override (nil: the SDK's own resolution).
type awsConn struct {
	Config   aws.Config
	Endpoint *string
	// Region is the resolved region (for ARNs the states build).
	Region string
	// secret is the secret key, to scrub from error text.
	secret string
}

// awsBackoffKey carries a retry backoff override in a context (tests: no
// real waiting between throttled attempts).
type awsBackoffKey struct{}

// withAWSBackoff returns ctx with a retry backoff for the AWS clients
// resolved under it.
func withAWSBackoff(ctx context.Context, b retry.BackoffDelayer) context.Context {
	return context.WithValue(ctx, awsBackoffKey{}, b)
}

// configOption looks key up as Salt's config.option does: the minion's
// configuration, its grains, its pillar, then pillar's master mapping
// (flat keys: "secgroup.region" is one key).
func (env *Env) configOption(key string) (any, bool) {
	if env == nil {
		return nil, false
	}
	for _, m := range []map[string]any{env.Opts, env.Grains, env.Pillar} {
		if v, ok := m[key]; ok && v != nil {
			return v, true
		}
	}
	if master, ok := env.Pillar["master"].(map[string]any); ok {
		if v, ok := master[key]; ok && v != nil {
			return v, true
		}
	}
	return nil, false
}

// configString is configOption for a string setting; a value that is not
// a string is an error naming the key.
func (env *Env) configString(key string) (string, error) {
	v, ok := env.configOption(key)
	if !ok {
		return "", nil
	}
	s, ok := coerce.String(v)
	if !ok {
		return "", fmt.Errorf("configuration option '%s' must be a string, got %s", key, coerce.Describe(v))
	}
	return s, nil
}

// awsProfile reads the profile argument: a mapping, or the name of a
// configuration option holding one.
func awsProfile(env *Env, p any) (map[string]any, error) {
	switch x := p.(type) {
	case nil:
		return nil, nil
	case string:
		if x == "" {
			return nil, nil
		}
		v, ok := env.configOption(x)
		if !ok {
			return nil, fmt.Errorf("profile '%s' is not in the minion's configuration or pillar", x)
		}
		m, ok := coerce.Map(v)
		if !ok {
			return nil, fmt.Errorf("profile '%s' must be a mapping of region, keyid and key, got %s", x, coerce.Describe(v))
		}
		return m, nil
	default:
		m, ok := coerce.Map(p)
		if !ok {
			return nil, fmt.Errorf("argument 'profile' must be a mapping or the name of one in the configuration or pillar, got %s", coerce.Describe(p))
		}
		return m, nil
	}
}

// awsProfileKeys are the keys a profile may hold.
var awsProfileKeys = map[string]bool{"region": true, "keyid": true, "key": true, "endpoint": true}

// resolveAWS resolves the connection of a state whose configuration
// options start with one of prefixes (in order of precedence).
func resolveAWS(ctx context.Context, env *Env, a AWSArgs, prefixes ...string) (*awsConn, error) {
	region, keyid, key, endpoint := a.Region, a.KeyID, a.Key, ""
	prof, err := awsProfile(env, a.Profile)
	if err != nil {
		return nil, err
	}
	if prof != nil {
		var unknown []string
		for k := range prof {
			if !awsProfileKeys[k] {
				unknown = append(unknown, k)
			}
		}
		if len(unknown) > 0 {
			sort.Strings(unknown)
			return nil, fmt.Errorf("profile: unknown key(s) %s (a profile holds region, keyid, key and endpoint)", strings.Join(unknown, ", "))
		}
		get := func(k string) (string, error) {
			v, ok := prof[k]
			if !ok || v == nil {
				return "", nil
			}
			s, ok := coerce.String(v)
			if !ok {
				return "", fmt.Errorf("profile: %s must be a string, got %s", k, coerce.Describe(v))
			}
			return s, nil
		}
		// As in Salt: the profile's credentials replace the state's,
		// its region only fills in a missing one.
		if keyid, err = get("keyid"); err != nil {
			return nil, err
		}
		if key, err = get("key"); err != nil {
			return nil, err
		}
		if region == "" {
			if region, err = get("region"); err != nil {
				return nil, err
			}
		}
		if endpoint, err = get("endpoint"); err != nil {
			return nil, err
		}
	}
	for _, p := range prefixes {
		for _, s := range []struct {
			dst *string
			opt string
		}{{&region, "region"}, {&keyid, "keyid"}, {&key, "key"}, {&endpoint, "endpoint"}} {
			if *s.dst != "" {
				continue
			}
			if *s.dst, err = env.configString(p + "." + s.opt); err != nil {
				return nil, err
			}
		}
	}
	if (keyid == "") != (key == "") {
		return nil, errors.New("keyid and key go together (or give neither, for the standard AWS credential chain)")
	}
	backoff, _ := ctx.Value(awsBackoffKey{}).(retry.BackoffDelayer)
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = awsMaxAttempts
				o.MaxBackoff = 20 * time.Second
				o.RateLimiter = ratelimit.None
				if backoff != nil {
					o.Backoff = backoff
				}
			})
		}),
	}
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	if keyid != "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(keyid, key, "")))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = awsDefaultRegion
	}
	c := &awsConn{Config: cfg, Region: cfg.Region, secret: key}
	if endpoint != "" {
		c.Endpoint = aws.String(endpoint)
	}
	return c, nil
}

// awsErrorText is an AWS error as a state comment shows it: the service's
// "<Code>: <Message>" when the error came from AWS, else the error's text;
// never the secret key.
func (c *awsConn) awsErrorText(err error) string {
	var text string
	var api smithy.APIError
	if errors.As(err, &api) {
		text = api.ErrorCode() + ": " + api.ErrorMessage()
	} else {
		text = err.Error()
	}
	if c != nil && c.secret != "" {
		text = strings.ReplaceAll(text, c.secret, "<hidden>")
	}
	return text
}

// awsFail is the failed result of a state whose AWS call failed: what
// the state was doing, then the AWS error's code and message.
func (c *awsConn) awsFail(name, doing string, err error) Result {
	return Result{Name: name, Result: False(), Changes: map[string]any{}, Comment: "Failed to " + doing + ": " + c.awsErrorText(err)}
}

// awsIsCode reports whether err is the AWS error code.
func awsIsCode(err error, codes ...string) bool {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return false
	}
	for _, c := range codes {
		if api.ErrorCode() == c {
			return true
		}
	}
	return false
}
