package command

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/brine-cm/brine/proto"
)

// The live line of `ctl cloud create` counts the nodes at each step from
// the events; other nodes' events do not count.
func TestCloudProgress(t *testing.T) {
	var errb bytes.Buffer
	p := newCloudProgress(&runner{stderr: &errb}, []string{"a", "b", "c"})
	ev := func(tag string, data map[string]any) {
		b, _ := json.Marshal(proto.Event{Tag: tag, Data: data})
		p.onEvent(&nats.Msg{Data: b})
	}
	ev("salt/cloud/a/requesting", nil)
	ev("salt/cloud/b/creating", nil)
	ev("brine/join/c/accepted", nil)
	ev("salt/cloud/zzz/requesting", nil)
	p.draw()
	if got := errb.String(); !strings.Contains(got, "[3 nodes, ") || !strings.Contains(got, "1 creating, 1 requesting, 1 joined") {
		t.Errorf("line %q", got)
	}
	errb.Reset()
	ev("salt/job/20261206101730782909/ret/c", map[string]any{"success": true})
	ev("salt/job/20261206101730782910/ret/a", map[string]any{"success": false})
	ev("brine/join/b/refused", map[string]any{"reason": "expired"})
	p.draw()
	if got := errb.String(); !strings.Contains(got, "1 highstated, 2 failed") {
		t.Errorf("line %q", got)
	}
	errb.Reset()
	p.clear()
	if errb.String() != "\r\033[K" {
		t.Errorf("clear %q", errb.String())
	}
	for _, tc := range []struct {
		ret  any
		want int
	}{
		{map[string]any{"a": map[string]any{"result": true}}, exitOK},
		{map[string]any{"a": map[string]any{"result": true}, "b": map[string]any{"result": false}}, exitFailed},
		{"nonsense", exitFailed},
	} {
		if got := cloudExit(tc.ret); got != tc.want {
			t.Errorf("cloudExit(%v) = %d", tc.ret, got)
		}
	}
}
