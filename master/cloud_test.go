package master

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/brine-cm/brine/cloud"
	"github.com/brine-cm/brine/proto"
	"github.com/brine-cm/brine/runners"
)

func TestMasterWithPort(t *testing.T) {
	for in, want := range map[string]string{
		"salt.example.com":        "nats://salt.example.com:4506",
		"10.0.0.1":                "nats://10.0.0.1:4506",
		"salt.example.com:4222":   "salt.example.com:4222",
		"nats://salt.example.com": "nats://salt.example.com",
		"tls://a:4506, b":         "tls://a:4506,nats://b:4506",
		"nats://127.0.0.1:4506":   "nats://127.0.0.1:4506",
	} {
		if got := masterWithPort(in); got != want {
			t.Errorf("masterWithPort(%q) = %q, want %q", in, got, want)
		}
	}
}

// tagDriver is a driver that finds a fixed set of instances by tag and
// records the actions run on them.
type tagDriver struct {
	found []*cloud.Instance
	acted []string
}

func (d *tagDriver) Create(context.Context, cloud.CreateRequest, func(string)) (*cloud.Instance, error) {
	return nil, errors.New("not here")
}
func (d *tagDriver) Destroy(context.Context, *cloud.Instance) error { return errors.New("not here") }
func (d *tagDriver) Action(_ context.Context, in *cloud.Instance, action string) (any, error) {
	d.acted = append(d.acted, action+" "+in.InstanceID)
	return map[string]any{"instance_id": in.InstanceID, "action": action, "result": true}, nil
}
func (d *tagDriver) FindByTags(context.Context, []cloud.TagFilter) ([]*cloud.Instance, error) {
	return d.found, nil
}

// A tag that no instance carries (a typo in a schedule's tag=offhour=on)
// is an error naming the tag, as a target matching no minion is, not an
// empty success that stops nothing every night.
func TestCloudActionByTagMatchingNothingFails(t *testing.T) {
	d := &tagDriver{}
	c := &cloudManager{
		cfg:     &cloud.Config{Providers: map[string]*cloud.Settings{"aws": {Driver: "ec2"}}},
		env:     cloud.Env{Log: slog.New(slog.DiscardHandler)},
		drivers: map[string]cloud.Driver{"aws": d},
	}
	out, err := c.action(context.Background(), runners.CloudActionRequest{Action: "stop", Tags: []runners.CloudTag{{Key: "offhour", Value: "on"}}})
	if err == nil {
		t.Fatalf("cloud.action stop tag=offhour=on matching nothing: no error, returned %v", out)
	}
	var pe *proto.Error
	if !errors.As(err, &pe) || pe.Kind != proto.ErrNotFound || !strings.Contains(pe.Message, "offhour=on") {
		t.Errorf("error = %#v, want a not_found error naming the tag offhour=on", err)
	}
	// One that matches still acts.
	d.found = []*cloud.Instance{{Name: "test-a", InstanceID: "i-1", State: "running"}}
	out, err = c.action(context.Background(), runners.CloudActionRequest{Action: "stop", Tags: []runners.CloudTag{{Key: "offhours", Value: "on"}}})
	if err != nil || len(d.acted) != 1 || out["test-a"] == nil {
		t.Errorf("matching tag: out %v, err %v, acted %v", out, err, d.acted)
	}
}
