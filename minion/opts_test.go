package minion

import "testing"

func TestOptsHidesSecrets(t *testing.T) {
	o := configOpts(&Config{ID: "m1", Master: "nats://m:4506", JoinToken: "s3cret", Grains: map[string]any{"roles": []any{"web"}}})
	if o["id"] != "m1" || o["master"] != "nats://m:4506" || o["grains"] == nil {
		t.Errorf("opts %v", o)
	}
	if _, ok := o["join_token"]; ok {
		t.Error("join_token shown in opts")
	}
}
