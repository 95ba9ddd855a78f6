package states

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/brine-cm/brine/internal/coerce"
)

func init() {
	RegisterTyped(Typed[snsPresentArgs]{
		Name: "boto_sns.present",
		Doc: `Ensure an SNS topic exists with the given subscriptions (Salt's boto_sns.present).

name: the topic's name. subscriptions: a list of {protocol, endpoint}; each missing one is subscribed (subscriptions not listed are left alone, as in Salt). A password in an http(s) endpoint is masked in the state's output.
region, keyid, key, profile: the AWS connection, as in Salt; else the options sns.*, else the standard AWS chain.
Changes: {"old": {"topic": null}, "new": {"topic": name, "subscriptions": [...]}} on creation, else {"new": {"subscriptions": [...]}} for those added.`,
		Apply: snsPresent,
	})
	RegisterTyped(Typed[snsAbsentArgs]{
		Name: "boto_sns.absent",
		Doc: `Ensure an SNS topic does not exist (Salt's boto_sns.absent).

name: the topic's name. unsubscribe: also remove its subscriptions first (default false).
region, keyid, key, profile: as for boto_sns.present.`,
		Apply: snsAbsent,
	})
}

var snsPrefixes = []string{"sns"}

type snsSubscription struct{ Protocol, Endpoint string }

type snsSubscriptionsArg []snsSubscription

func (s *snsSubscriptionsArg) DecodeArg(v any) error {
	l, ok := v.([]any)
	if !ok {
		return fmt.Errorf("must be a list of {protocol, endpoint}, got %s", coerce.Describe(v))
	}
	for i, e := range l {
		m, ok := coerce.Map(e)
		if !ok {
			return fmt.Errorf("subscription %d: must be a mapping of protocol and endpoint, got %s", i+1, coerce.Describe(e))
		}
		var sub snsSubscription
		for k, x := range m {
			str, ok := coerce.String(x)
			if !ok || x == nil {
				return fmt.Errorf("subscription %d: %s must be a string, got %s", i+1, k, coerce.Describe(x))
			}
			switch k {
			case "protocol":
				sub.Protocol = str
			case "endpoint":
				sub.Endpoint = str
			default:
				return fmt.Errorf("subscription %d: unknown key '%s' (a subscription has protocol and endpoint)", i+1, k)
			}
		}
		if sub.Protocol == "" || sub.Endpoint == "" {
			return fmt.Errorf("subscription %d: protocol and endpoint are required", i+1)
		}
		*s = append(*s, sub)
	}
	return nil
}

type snsPresentArgs struct {
	AWSArgs
	Subscriptions snsSubscriptionsArg `salt:"subscriptions"`
}

type snsAbsentArgs struct {
	AWSArgs
	Unsubscribe bool `salt:"unsubscribe"`
}

func (c *awsConn) snsClient() *sns.Client {
	return sns.NewFromConfig(c.Config, func(o *sns.Options) {
		if c.Endpoint != nil {
			o.BaseEndpoint = c.Endpoint
		}
	})
}

// findTopic returns the ARN of the topic named name ("" : none).
func findTopic(ctx context.Context, client *sns.Client, name string) (string, error) {
	p := sns.NewListTopicsPaginator(client, &sns.ListTopicsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return "", err
		}
		for _, t := range out.Topics {
			arn := aws.ToString(t.TopicArn)
			if arn[strings.LastIndexByte(arn, ':')+1:] == name {
				return arn, nil
			}
		}
	}
	return "", nil
}

// maskEndpoint hides the password of an http(s) endpoint.
func maskEndpoint(ep string) string {
	u, err := url.Parse(ep)
	if err != nil || u.User == nil {
		return ep
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
		return u.String()
	}
	return ep
}

// starEndpointPassword is the endpoint as SNS lists it: the password of
// an http(s) endpoint with credentials shown as **** (Salt's boto_sns
// compares so).
func starEndpointPassword(ep string) string {
	scheme, rest, ok := strings.Cut(ep, "://")
	if !ok || (scheme != "http" && scheme != "https") {
		return ep
	}
	authority, path, hasPath := strings.Cut(rest, "/")
	at := strings.LastIndexByte(authority, '@')
	if at < 0 {
		return ep
	}
	user, _, hasPass := strings.Cut(authority[:at], ":")
	if !hasPass {
		return ep
	}
	out := scheme + "://" + user + ":****" + authority[at:]
	if hasPath {
		out += "/" + path
	}
	return out
}

func subView(s snsSubscription) map[string]any {
	return map[string]any{"protocol": s.Protocol, "endpoint": maskEndpoint(s.Endpoint)}
}

func snsPresent(ctx context.Context, env *Env, call Call, a *snsPresentArgs) Result {
	name := call.Name
	conn, err := resolveAWS(ctx, env, a.AWSArgs, snsPrefixes...)
	if err != nil {
		return failErr(name, err)
	}
	client := conn.snsClient()
	arn, err := findTopic(ctx, client, name)
	if err != nil {
		return conn.awsFail(name, "list SNS topics", err)
	}
	var missing []snsSubscription
	if arn == "" {
		missing = a.Subscriptions
	} else if len(a.Subscriptions) > 0 {
		have := map[snsSubscription]bool{}
		p := sns.NewListSubscriptionsByTopicPaginator(client, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(arn)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return conn.awsFail(name, "list the subscriptions of SNS topic "+name, err)
			}
			for _, s := range out.Subscriptions {
				have[snsSubscription{aws.ToString(s.Protocol), aws.ToString(s.Endpoint)}] = true
			}
		}
		for _, s := range a.Subscriptions {
			// SNS lists an endpoint's password as ****: compare so (as
			// Salt does), or the subscription is never found
			listed := snsSubscription{s.Protocol, starEndpointPassword(s.Endpoint)}
			if !have[s] && !have[listed] {
				missing = append(missing, s)
			}
		}
	}
	views := make([]any, 0, len(missing))
	for _, s := range missing {
		views = append(views, subView(s))
	}
	if arn != "" && len(missing) == 0 {
		return Result{Name: name, Result: True(), Changes: map[string]any{}, Comment: fmt.Sprintf("AWS SNS topic %s present.", name)}
	}
	changes := map[string]any{"new": map[string]any{"subscriptions": views}}
	if arn == "" {
		changes = map[string]any{"old": map[string]any{"topic": nil}, "new": map[string]any{"topic": name, "subscriptions": views}}
	}
	if call.Test {
		msg := fmt.Sprintf("AWS SNS topic %s is set to be created.", name)
		if arn != "" {
			msg = fmt.Sprintf("AWS SNS topic %s is set to have %d subscription(s) added.", name, len(missing))
		}
		return Result{Name: name, Changes: changes, Comment: msg}
	}
	var comments []string
	if arn == "" {
		out, err := client.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
		if err != nil {
			return conn.awsFail(name, "create SNS topic "+name, err)
		}
		arn = aws.ToString(out.TopicArn)
		comments = append(comments, fmt.Sprintf("AWS SNS topic %s created.", name))
	}
	for i, s := range missing {
		if _, err := client.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String(s.Protocol), Endpoint: aws.String(s.Endpoint)}); err != nil {
			changes["new"].(map[string]any)["subscriptions"] = views[:i]
			res := conn.awsFail(name, fmt.Sprintf("subscribe %s %s to SNS topic %s", s.Protocol, maskEndpoint(s.Endpoint), name), err)
			res.Changes = changes
			res.Comment = strings.TrimSpace(strings.Join(comments, " ") + " " + res.Comment)
			return res
		}
	}
	if len(missing) > 0 {
		comments = append(comments, fmt.Sprintf("%d subscription(s) added to AWS SNS topic %s.", len(missing), name))
	}
	return Result{Name: name, Result: True(), Changes: changes, Comment: strings.Join(comments, " ")}
}

func snsAbsent(ctx context.Context, env *Env, call Call, a *snsAbsentArgs) Result {
	name := call.Name
	conn, err := resolveAWS(ctx, env, a.AWSArgs, snsPrefixes...)
	if err != nil {
		return failErr(name, err)
	}
	client := conn.snsClient()
	arn, err := findTopic(ctx, client, name)
	if err != nil {
		return conn.awsFail(name, "list SNS topics", err)
	}
	if arn == "" {
		return Result{Name: name, Result: True(), Changes: map[string]any{}, Comment: fmt.Sprintf("AWS SNS topic %s does not exist.", name)}
	}
	changes := map[string]any{"old": map[string]any{"topic": name}, "new": map[string]any{"topic": nil}}
	if call.Test {
		return Result{Name: name, Changes: changes, Comment: fmt.Sprintf("AWS SNS topic %s is set to be removed.", name)}
	}
	if a.Unsubscribe {
		p := sns.NewListSubscriptionsByTopicPaginator(client, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(arn)})
		var subs []string
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return conn.awsFail(name, "list the subscriptions of SNS topic "+name, err)
			}
			for _, s := range out.Subscriptions {
				if sa := aws.ToString(s.SubscriptionArn); strings.HasPrefix(sa, "arn:") {
					subs = append(subs, sa)
				}
			}
		}
		for _, s := range subs {
			if _, err := client.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(s)}); err != nil {
				return conn.awsFail(name, "unsubscribe "+s, err)
			}
		}
	}
	if _, err := client.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: aws.String(arn)}); err != nil {
		return conn.awsFail(name, "delete SNS topic "+name, err)
	}
	return Result{Name: name, Result: True(), Changes: changes, Comment: fmt.Sprintf("AWS SNS topic %s deleted.", name)}
}
