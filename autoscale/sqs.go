package autoscale

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Queue is the part of the SQS API the engine calls (*sqs.Client).
type Queue interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
}

// SQS polling.
const (
	sqsWait        = 20 // seconds: a long poll, as seed 001's consumer
	sqsBatch       = 10
	sqsVisibility  = 120 // seconds a received message stays hidden; extended while handled
	sqsMaxInFlight = 100
)

// poll long-polls the queue until ctx ends. Each message is handled in
// its own goroutine, its visibility extended while it runs; it is deleted
// only once its handling is finished, so a master that dies mid-launch
// sees it again (and its record says where it was).
func (e *Engine) poll(ctx context.Context) error {
	url := e.o.Config.QueueURL
	sem := make(chan struct{}, sqsMaxInFlight)
	backoff := time.Second
	e.log.Info("autoscale: polling the queue", "queue_url", url)
	for ctx.Err() == nil {
		free := sqsMaxInFlight - len(sem)
		if free == 0 {
			select {
			case sem <- struct{}{}:
				<-sem
			case <-ctx.Done():
				return nil
			}
			continue
		}
		out, err := e.o.Queue.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(url),
			MaxNumberOfMessages:         int32(min(sqsBatch, free)),
			WaitTimeSeconds:             sqsWait,
			VisibilityTimeout:           sqsVisibility,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount},
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			e.log.Warn("autoscale: receiving from the queue failed", "queue_url", url, "err", err, "retry_in", backoff)
			e.o.Backend.Fire("brine/autoscale/queue/error", map[string]any{"queue_url": url, "error": err.Error()})
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, time.Minute)
			continue
		}
		backoff = time.Second
		if len(out.Messages) > 0 {
			e.log.Debug("autoscale: messages received", "count", len(out.Messages))
		}
		for _, msg := range out.Messages {
			sem <- struct{}{}
			e.wg.Add(1)
			go func() {
				defer e.wg.Done()
				defer func() { <-sem }()
				e.handleSQS(ctx, msg)
			}()
		}
	}
	return nil
}

// handleSQS handles one queue message and deletes it when finished.
func (e *Engine) handleSQS(ctx context.Context, msg types.Message) {
	url := e.o.Config.QueueURL
	hctx, stop := context.WithCancel(ctx)
	go func() { // keep the message hidden while it is handled
		t := time.NewTicker(sqsVisibility / 2 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-hctx.Done():
				return
			case <-t.C:
				if _, err := e.o.Queue.ChangeMessageVisibility(hctx, &sqs.ChangeMessageVisibilityInput{
					QueueUrl: aws.String(url), ReceiptHandle: msg.ReceiptHandle, VisibilityTimeout: sqsVisibility,
				}); err != nil && hctx.Err() == nil {
					e.log.Warn("autoscale: extending a message's visibility failed", "message_id", aws.ToString(msg.MessageId), "err", err)
				}
			}
		}
	}()
	done := e.HandleBody(ctx, []byte(aws.ToString(msg.Body)), "sqs:"+aws.ToString(msg.MessageId))
	stop()
	if !done {
		return // it comes back after its visibility timeout
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := e.o.Queue.DeleteMessage(dctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: msg.ReceiptHandle}); err != nil {
		// Handled: a second delivery is a duplicate its record answers.
		e.log.Warn("autoscale: deleting a handled message failed", "message_id", aws.ToString(msg.MessageId), "err", err)
	}
}
