package autoscale

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/smithy-go"
)

// Lifecycle is the part of the Auto Scaling API the engine calls
// (*autoscaling.Client).
type Lifecycle interface {
	CompleteLifecycleAction(ctx context.Context, in *autoscaling.CompleteLifecycleActionInput, opts ...func(*autoscaling.Options)) (*autoscaling.CompleteLifecycleActionOutput, error)
	RecordLifecycleActionHeartbeat(ctx context.Context, in *autoscaling.RecordLifecycleActionHeartbeatInput, opts ...func(*autoscaling.Options)) (*autoscaling.RecordLifecycleActionHeartbeatOutput, error)
	DescribeLifecycleHooks(ctx context.Context, in *autoscaling.DescribeLifecycleHooksInput, opts ...func(*autoscaling.Options)) (*autoscaling.DescribeLifecycleHooksOutput, error)
}

// Lifecycle action results.
const (
	ResultContinue = "CONTINUE"
	ResultAbandon  = "ABANDON"
)

// AWS's defaults for a lifecycle hook, and the cap on its global timeout.
const (
	awsDefaultHeartbeat = time.Hour
	awsMaxGlobal        = 48 * time.Hour
)

// hookTimeouts reads the lifecycle hook's heartbeat and global timeouts
// (cached per hook); AWS's defaults when they cannot be read.
func (e *Engine) hookTimeouts(ctx context.Context, m *Message) hookInfo {
	k := m.AutoScalingGroupName + "/" + m.LifecycleHookName
	e.mu.Lock()
	hi, ok := e.hooks[k]
	e.mu.Unlock()
	if ok {
		return hi
	}
	hi = hookInfo{heartbeat: awsDefaultHeartbeat, global: 100 * awsDefaultHeartbeat}
	out, err := e.o.Lifecycle.DescribeLifecycleHooks(ctx, &autoscaling.DescribeLifecycleHooksInput{
		AutoScalingGroupName: aws.String(m.AutoScalingGroupName),
		LifecycleHookNames:   []string{m.LifecycleHookName},
	})
	if err != nil {
		e.log.Warn("autoscale: cannot read the lifecycle hook's timeouts; assuming AWS's defaults", "group", m.AutoScalingGroupName, "hook", m.LifecycleHookName, "err", err)
	} else {
		for _, h := range out.LifecycleHooks {
			if aws.ToString(h.LifecycleHookName) != m.LifecycleHookName {
				continue
			}
			if h.HeartbeatTimeout != nil && *h.HeartbeatTimeout > 0 {
				hi.heartbeat = time.Duration(*h.HeartbeatTimeout) * time.Second
			}
			hi.global = 100 * hi.heartbeat
			if h.GlobalTimeout != nil && *h.GlobalTimeout > 0 {
				hi.global = time.Duration(*h.GlobalTimeout) * time.Second
			}
		}
	}
	hi.global = min(hi.global, awsMaxGlobal)
	if err == nil {
		e.mu.Lock()
		e.hooks[k] = hi
		e.mu.Unlock()
	}
	return hi
}

// heartbeats records lifecycle action heartbeats every half heartbeat
// timeout until ctx ends, so a long wait or state run does not time out.
func (e *Engine) heartbeats(ctx context.Context, m *Message, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		_, err := e.o.Lifecycle.RecordLifecycleActionHeartbeat(ctx, &autoscaling.RecordLifecycleActionHeartbeatInput{
			AutoScalingGroupName: aws.String(m.AutoScalingGroupName),
			LifecycleHookName:    aws.String(m.LifecycleHookName),
			LifecycleActionToken: aws.String(m.LifecycleActionToken),
			InstanceId:           aws.String(m.EC2InstanceID),
		})
		if err != nil && ctx.Err() == nil {
			e.log.Warn("autoscale: RecordLifecycleActionHeartbeat failed", "group", m.AutoScalingGroupName, "instance", m.EC2InstanceID, "err", err)
		}
	}
}

// complete sends CompleteLifecycleAction, retrying transient failures. An
// action AWS no longer knows (completed before a restart, or timed out) is
// not an error: there is nothing left to complete.
func (e *Engine) complete(ctx context.Context, m *Message, result string) error {
	var err error
	wait := 200 * time.Millisecond
	for attempt := range 5 {
		_, err = e.o.Lifecycle.CompleteLifecycleAction(ctx, &autoscaling.CompleteLifecycleActionInput{
			AutoScalingGroupName:  aws.String(m.AutoScalingGroupName),
			LifecycleHookName:     aws.String(m.LifecycleHookName),
			LifecycleActionToken:  aws.String(m.LifecycleActionToken),
			LifecycleActionResult: aws.String(result),
			InstanceId:            aws.String(m.EC2InstanceID),
		})
		if err == nil {
			return nil
		}
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "ValidationError" && strings.Contains(ae.ErrorMessage(), "No active Lifecycle Action") {
			e.log.Info("autoscale: lifecycle action already completed or expired", "group", m.AutoScalingGroupName, "instance", m.EC2InstanceID)
			return nil
		}
		if errors.As(err, &ae) && ae.ErrorFault() == smithy.FaultClient && ae.ErrorCode() != "Throttling" {
			return err
		}
		if attempt < 4 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
			wait *= 2
		}
	}
	return err
}
