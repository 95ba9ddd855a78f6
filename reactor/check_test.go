package reactor

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/brine-cm/brine/render"
)

func TestCheckFile(t *testing.T) {
	cfg := Config{Loader: render.MapLoader{}, Opts: map[string]any{"id": "master", "env": "prod"}}
	for _, c := range []struct {
		name, text          string
		err, yamlW, renderW string // prefixes; "" none
	}{
		{name: "plain ok", text: "a:\n  local.test.ping:\n    - tgt: '*'\n"},
		{name: "plain, unknown type", text: "a:\n  runnr.state.orch: []\n", err: `f.sls: reaction "a": unknown reaction type "runnr.`},
		{name: "plain, bad yaml", text: "a:\n  local.test.ping:\n   - tgt: x\n  - b\n", err: "f.sls:4: yaml:"},
		{name: "jinja syntax", text: "{% for x in data['l'] %}\na: b\n", err: "f.sls:1: jinja: Jinja syntax error"},
		{name: "jinja without the event, failing", text: "{{ nosuch }}: {}\n", err: "f.sls:1: jinja: Jinja variable 'nosuch' is undefined"},
		{name: "jinja without the event, bad type", text: "{% set t = 'runnr' %}\na:\n  {{ t }}.x: []\n", err: `f.sls: reaction "a": unknown reaction type "runnr.`},
		{name: "opts are real", text: "a:\n  local.test.arg:\n    - tgt: '{{ opts['env'] }}'\n"},
		// the event's data: paths read exist, method calls work
		{name: "nested data", text: "{% if data['post']['ref'] == 'x' and data['id'].startswith('web') and data['headers'].get('X') %}{% endif %}\n" +
			"a:\n  local.state.sls:\n    - tgt: {{ data.id }}\n    - arg: [{{ tag.split('/')[-1] }}]\n"},
		{name: "placeholder cannot satisfy", text: "{% set b = data['body'] | load_json %}\na:\n  local.x.y:\n    - tgt: {{ b['id'] }}\n", renderW: "f.sls:1: jinja:"},
		{name: "yaml broken around event data", text: "a:\n  local.x.y:\n   - tgt: {{ data['id'] }}\n  - b\n", yamlW: "f.sls:4: yaml:"},
	} {
		t.Run(c.name, func(t *testing.T) {
			yw, rw, err := CheckFile(context.Background(), cfg, "salt/netapi/hook/deploy/*", "f.sls", []byte(c.text))
			for _, x := range []struct {
				what string
				got  error
				want string
			}{{"error", err, c.err}, {"yaml warning", yw, c.yamlW}, {"render warning", rw, c.renderW}} {
				switch {
				case x.want == "" && x.got != nil:
					t.Errorf("%s: %v", x.what, x.got)
				case x.want != "" && (x.got == nil || !strings.HasPrefix(x.got.Error(), x.want)):
					t.Errorf("%s: got %v, want %s...", x.what, x.got, x.want)
				}
			}
		})
	}
}

func TestPlaceholders(t *testing.T) {
	for pat, want := range map[string]string{
		"salt/netapi/hook/deploy/*": "salt/netapi/hook/deploy/dummy",
		"salt/minion/?/st[ax]rt":    "salt/minion/x/start",
		"a/[!b]c/[]]":               "a/xc/]",
		"a/[b":                      "a/[b",
	} {
		if got := PlaceholderTag(pat); got != want || !Match(pat, got) {
			t.Errorf("PlaceholderTag(%q) = %q, want %q (and matching)", pat, got, want)
		}
	}
	got := PlaceholderData([]byte(`{{ data['a']["b"].c }} {{ data.get('x') }} {{ data['h'].get('X') }} {{ data['s'].upper() }} {{ data['a']['d'] }}`))
	want := map[string]any{"a": map[string]any{"b": map[string]any{"c": "dummy"}, "d": "dummy"}, "h": map[string]any{}, "s": "dummy"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("PlaceholderData = %v, want %v", got, want)
	}
}
