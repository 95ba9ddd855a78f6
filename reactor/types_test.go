package reactor

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/brine-cm/brine/render"
)

// A reaction type registered in a test file is parsed and run with no
// other change: "relay" fires the event tag its fun names.
func init() {
	registerType(reactionType{
		Name: "relay",
		Fill: func(r *Reaction, key string, p *render.Map) error {
			if _, ok := p.Get("tgt"); ok {
				return errors.New(key + ": relay takes no tgt")
			}
			return nil
		},
		Run: func(_ context.Context, b Backend, r *Reaction, data, ev map[string]any) (any, error) {
			ev["relayed"] = true
			b.Fire("relay/"+r.Fun, map[string]any{"word": r.Kwarg["word"], "from": data["id"]})
			return "relayed", nil
		},
	})
}

func TestRegisteredReactionType(t *testing.T) {
	fb := newFake()
	files := render.MapLoader{"r.sls": "go:\n  relay.say.hi:\n    - word: {{ data.word }}\n"}
	e := New(Config{Rules: []Rule{{Pattern: "in/*", Files: []string{"r.sls"}}}, Loader: files}, fb, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); e.Wait() }()
	e.Start(ctx)
	e.Handle("in/x", map[string]any{"word": "hello", "id": "web1"})
	relayed := fb.waitTag(t, "relay/say.hi")
	if !reflect.DeepEqual(relayed.data["word"], "hello") || relayed.data["from"] != "web1" {
		t.Errorf("relayed event = %v", relayed.data)
	}
	res := fb.waitTag(t, ResultTag("go"))
	if res.data["success"] != true || res.data["result"] != "relayed" || res.data["relayed"] != true || res.data["fun"] != "relay.say.hi" {
		t.Errorf("result event = %v", res.data)
	}

	if _, err := parseYAML(t, "x:\n  relay.say.hi:\n    - tgt: '*'\n"); err == nil || !strings.Contains(err.Error(), "relay takes no tgt") {
		t.Errorf("the type's own check: %v", err)
	}
	_, err := parseYAML(t, "x:\n  nosuch.say.hi: []\n")
	if err == nil || !strings.Contains(err.Error(), `unknown reaction type "nosuch.say.hi" (want caller, local, relay, runner or wheel)`) {
		t.Errorf("unknown type: %v", err)
	}
}

func TestRegisterTypeRefusesDuplicates(t *testing.T) {
	for _, name := range []string{TypeLocal, "cmd", "a.b", ""} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("registerType(%q) did not panic", name)
				}
			}()
			registerType(reactionType{Name: name})
		}()
	}
}
