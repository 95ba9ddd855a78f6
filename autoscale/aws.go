package autoscale

import (
	"context"
	"fmt"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Clients builds the Auto Scaling and SQS clients from the standard AWS
// chain (environment, shared config and credentials, instance role), with
// the section's region. Endpoints come from AWS_ENDPOINT_URL and
// AWS_ENDPOINT_URL_AUTO_SCALING / AWS_ENDPOINT_URL_SQS, so any
// AWS-compatible endpoint can stand in for AWS. The queue is nil without
// queue_url.
func Clients(ctx context.Context, c *Config) (Lifecycle, Queue, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if c.Region != "" {
		opts = append(opts, awsconfig.WithRegion(c.Region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("autoscale: AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, nil, fmt.Errorf("autoscale: no AWS region: set autoscale.region or AWS_REGION")
	}
	var q Queue
	if c.QueueURL != "" {
		q = sqs.NewFromConfig(cfg)
	}
	return autoscaling.NewFromConfig(cfg), q, nil
}
