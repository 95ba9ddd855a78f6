package states

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/brine-cm/brine/internal/coerce"
)

func init() {
	RegisterTyped(Typed[sqsPresentArgs]{
		Name: "boto_sqs.present",
		Doc: `Ensure an SQS queue exists with the given attributes (Salt's boto_sqs.present).

name: the queue's name. attributes: a mapping of SQS attribute names (DelaySeconds, VisibilityTimeout, MessageRetentionPeriod, Policy, RedrivePolicy, ...) to values; a mapping value (Policy, RedrivePolicy) is compared and sent as JSON. Attributes not given are left alone.
region, keyid, key, profile: the AWS connection, as in Salt; else the options sqs.*, else the standard AWS chain.
Changes: {"old": {"url": null}, "new": {"url": ...}} on creation, else {"old": {"attributes": ...}, "new": {"attributes": ...}} for the attributes that changed.`,
		Apply: sqsPresent,
	})
	RegisterTyped(Typed[sqsAbsentArgs]{
		Name: "boto_sqs.absent",
		Doc: `Ensure an SQS queue does not exist (Salt's boto_sqs.absent).

name: the queue's name. region, keyid, key, profile: as for boto_sqs.present.`,
		Apply: sqsAbsent,
	})
}

var sqsPrefixes = []string{"sqs"}

type sqsPresentArgs struct {
	AWSArgs
	Attributes map[string]any `salt:"attributes"`
}

func (a *sqsPresentArgs) Validate() error {
	_, err := sqsAttributes(a.Attributes)
	return err
}

type sqsAbsentArgs struct {
	AWSArgs
}

// sqsAttributes turns the attributes argument into SQS's strings: a
// mapping or list becomes JSON, a boolean "true"/"false".
func sqsAttributes(m map[string]any) (map[string]string, error) {
	out := make(map[string]string, len(m))
	for k, v := range m {
		switch x := v.(type) {
		case map[string]any, []any:
			b, err := json.Marshal(x)
			if err != nil {
				return nil, ArgErrorf("attributes", "%s: %v", k, err)
			}
			out[k] = string(b)
		case bool:
			out[k] = fmt.Sprint(x)
		default:
			s, ok := coerce.String(v)
			if !ok || v == nil {
				return nil, ArgErrorf("attributes", "%s: must be a string, number or mapping, got %s", k, coerce.Describe(v))
			}
			out[k] = s
		}
	}
	return out, nil
}

// sqsSame compares an attribute value; JSON values compare as data.
func sqsSame(want, have string) bool {
	if want == have {
		return true
	}
	var a, b any
	if json.Unmarshal([]byte(want), &a) == nil && json.Unmarshal([]byte(have), &b) == nil {
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		return string(ja) == string(jb)
	}
	return false
}

func (c *awsConn) sqsClient() *sqs.Client {
	return sqs.NewFromConfig(c.Config, func(o *sqs.Options) {
		if c.Endpoint != nil {
			o.BaseEndpoint = c.Endpoint
		}
	})
}

// sqsQueueURL returns the queue's URL, "" when it does not exist.
func sqsQueueURL(ctx context.Context, client *sqs.Client, name string) (string, error) {
	out, err := client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
	if err != nil {
		var nf *sqstypes.QueueDoesNotExist
		if errors.As(err, &nf) || awsIsCode(err, "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist") {
			return "", nil
		}
		return "", err
	}
	return aws.ToString(out.QueueUrl), nil
}

func sqsPresent(ctx context.Context, env *Env, call Call, a *sqsPresentArgs) Result {
	name := call.Name
	conn, err := resolveAWS(ctx, env, a.AWSArgs, sqsPrefixes...)
	if err != nil {
		return failErr(name, err)
	}
	want, _ := sqsAttributes(a.Attributes)
	client := conn.sqsClient()
	u, err := sqsQueueURL(ctx, client, name)
	if err != nil {
		return conn.awsFail(name, "look up SQS queue "+name, err)
	}
	if u == "" {
		changes := map[string]any{"old": map[string]any{"url": nil}, "new": map[string]any{"url": name}}
		if call.Test {
			if len(want) > 0 {
				changes["new"].(map[string]any)["attributes"] = want
			}
			return Result{Name: name, Changes: changes, Comment: fmt.Sprintf("SQS queue %s is set to be created.", name)}
		}
		out, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: want})
		if err != nil {
			return conn.awsFail(name, "create SQS queue "+name, err)
		}
		changes["new"] = map[string]any{"url": aws.ToString(out.QueueUrl)}
		return Result{Name: name, Result: True(), Changes: changes, Comment: fmt.Sprintf("SQS queue %s created.", name)}
	}
	if len(want) == 0 {
		return Result{Name: name, Result: True(), Changes: map[string]any{}, Comment: fmt.Sprintf("SQS queue %s present.", name)}
	}
	out, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(u), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
	if err != nil {
		return conn.awsFail(name, "read the attributes of SQS queue "+name, err)
	}
	diff := map[string]string{}
	old, new := map[string]any{}, map[string]any{}
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		have, ok := out.Attributes[k]
		if ok && sqsSame(want[k], have) {
			continue
		}
		diff[k] = want[k]
		if ok {
			old[k] = have
		} else {
			old[k] = nil
		}
		new[k] = want[k]
	}
	if len(diff) == 0 {
		return Result{Name: name, Result: True(), Changes: map[string]any{}, Comment: fmt.Sprintf("SQS queue %s present.", name)}
	}
	changes := map[string]any{"old": map[string]any{"attributes": old}, "new": map[string]any{"attributes": new}}
	changed := make([]string, 0, len(diff))
	for k := range diff {
		changed = append(changed, k)
	}
	sort.Strings(changed)
	if call.Test {
		return Result{Name: name, Changes: changes, Comment: fmt.Sprintf("Attribute(s) %s of SQS queue %s are set to be updated.", strings.Join(changed, ", "), name)}
	}
	if _, err := client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(u), Attributes: diff}); err != nil {
		return conn.awsFail(name, "set the attributes of SQS queue "+name, err)
	}
	return Result{Name: name, Result: True(), Changes: changes, Comment: fmt.Sprintf("Updated attribute(s) %s of SQS queue %s.", strings.Join(changed, ", "), name)}
}

func sqsAbsent(ctx context.Context, env *Env, call Call, a *sqsAbsentArgs) Result {
	name := call.Name
	conn, err := resolveAWS(ctx, env, a.AWSArgs, sqsPrefixes...)
	if err != nil {
		return failErr(name, err)
	}
	client := conn.sqsClient()
	u, err := sqsQueueURL(ctx, client, name)
	if err != nil {
		return conn.awsFail(name, "look up SQS queue "+name, err)
	}
	if u == "" {
		return Result{Name: name, Result: True(), Changes: map[string]any{}, Comment: fmt.Sprintf("SQS queue %s does not exist.", name)}
	}
	changes := map[string]any{"old": map[string]any{"url": u}, "new": map[string]any{"url": nil}}
	if call.Test {
		return Result{Name: name, Changes: changes, Comment: fmt.Sprintf("SQS queue %s is set to be removed.", name)}
	}
	if _, err := client.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(u)}); err != nil {
		return conn.awsFail(name, "delete SQS queue "+name, err)
	}
	return Result{Name: name, Result: True(), Changes: changes, Comment: fmt.Sprintf("SQS queue %s deleted.", name)}
}
