package modules

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/brine-cm/brine/proto"
)

func TestConfigGet(t *testing.T) {
	env := &Env{
		Opts:   map[string]any{"github": map[string]any{"secret": "from-opts"}, "id": "m1"},
		Grains: mapGrains{"os": "Debian", "roles": []any{"web"}, "id": "grain-id"},
		Master: &fakeMaster{cached: map[string]any{
			"pkg":    map[string]any{"apache": "apache2"},
			"os":     "pillar-os",
			"master": map[string]any{"file_roots": map[string]any{"base": []any{"/srv/salt"}}, "os": "master-os"},
		}},
	}
	for _, c := range []struct {
		args []any
		kw   map[string]any
		want any
	}{
		{[]any{"github:secret"}, nil, "from-opts"},
		{[]any{"id"}, nil, "m1"},     // opts before grains
		{[]any{"os"}, nil, "Debian"}, // grains before pillar
		{[]any{"os"}, map[string]any{"omit_grains": true}, "pillar-os"},
		{[]any{"os"}, map[string]any{"omit_grains": true, "omit_pillar": true}, "master-os"},
		{[]any{"pkg:apache"}, nil, "apache2"},
		{[]any{"pkg/apache"}, map[string]any{"delimiter": "/"}, "apache2"},
		{[]any{"file_roots:base"}, nil, []any{"/srv/salt"}},
		{[]any{"nope"}, nil, ""},
		{[]any{"nope", "httpd"}, nil, "httpd"},
		{[]any{"nope"}, map[string]any{"default": map[string]any{"a": 1}}, map[string]any{"a": 1}},
	} {
		if got := mustCall(t, env, "config.get", c.args, c.kw); !reflect.DeepEqual(got, c.want) {
			t.Errorf("config.get %v %v = %v, want %v", c.args, c.kw, got, c.want)
		}
	}
	wantBadArg(t, "config.get", []any{"x"}, map[string]any{"merge": "recurse"}, env, "merge")
	// a pillar failure is an error, not the default
	_, err := call(t, context.Background(), &Env{Master: &fakeMaster{err: errors.New("master down")}}, "config.get", []any{"x", "dflt"}, nil)
	if err == nil || !strings.Contains(err.Error(), "master down") {
		t.Errorf("err %v", err)
	}
}

func TestLogModule(t *testing.T) {
	var buf bytes.Buffer
	env := &Env{Logger: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	for _, l := range []string{"debug", "info", "warning", "error", "critical"} {
		if got := mustCall(t, env, "log."+l, []any{"msg-" + l}, nil); got != nil {
			t.Errorf("log.%s returned %v", l, got)
		}
	}
	out := buf.String()
	for _, want := range []string{"level=DEBUG msg=msg-debug", "level=INFO msg=msg-info", "level=WARN msg=msg-warning", "level=ERROR msg=msg-error", "level=ERROR+4 msg=msg-critical"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	wantBadArg(t, "log.info", nil, nil, env, "message")
}

func TestSaltutilSyncNoOps(t *testing.T) {
	got := mustCall(t, nil, "saltutil.sync_all", nil, map[string]any{"refresh": true}).(map[string]any)
	if len(got) != 18 || !reflect.DeepEqual(got["modules"], []any{}) || !reflect.DeepEqual(got["states"], []any{}) {
		t.Errorf("sync_all %v", got)
	}
	if got := mustCall(t, nil, "saltutil.sync_modules", nil, nil); !reflect.DeepEqual(got, []any{}) {
		t.Errorf("sync_modules %v", got)
	}
	if got := mustCall(t, nil, "saltutil.refresh_modules", nil, nil); got != true {
		t.Errorf("refresh_modules %v", got)
	}
}

type fakeFiles struct{ files map[string]string }

func (f fakeFiles) Cache(_ context.Context, url, saltenv string) (string, error) {
	p, ok := f.files[saltenv+":"+url]
	if !ok {
		return "", proto.Errorf(proto.ErrNotFound, "%s not found in %s", url, saltenv)
	}
	return p, nil
}

func (f fakeFiles) List(context.Context, string, string) ([]string, error) { return nil, nil }

func TestCmdHasExecAndScript(t *testing.T) {
	if got := mustCall(t, nil, "cmd.has_exec", []any{"sh"}, nil); got != true {
		t.Error("sh not found")
	}
	if got := mustCall(t, nil, "cmd.has_exec", []any{"brine-no-such-tool"}, nil); got != false {
		t.Error("a missing tool found")
	}
	dir, tmp := t.TempDir(), t.TempDir()
	t.Setenv("TMPDIR", tmp) // where the script's temporary copy goes
	script := filepath.Join(dir, "run.sh")
	writeT(t, script, "#!/bin/sh\necho \"args: $1|$2 id={{ grains['id'] }} in $(pwd)\"\necho oops >&2\nexit 3\n")
	env := &Env{Grains: mapGrains{"id": "m1"}, Files: fakeFiles{map[string]string{"base:salt://scripts/run.sh": script}}}
	got, err := call(t, context.Background(), env, "cmd.script", []any{"salt://scripts/run.sh", `-a "two words"`}, map[string]any{"cwd": dir, "template": "jinja"})
	if err != nil {
		t.Fatal(err)
	}
	v, rc := SplitRet(got)
	m := v.(map[string]any)
	if rc != 3 || m["retcode"] != 3 || m["stdout"] != "args: -a|two words id=m1 in "+dir || m["stderr"] != "oops" {
		t.Errorf("script: rc %d %v", rc, m)
	}
	// a local path without template: the braces stay
	got = mustCall(t, env, "cmd.script", []any{script}, map[string]any{"ignore_retcode": true})
	if v, rc := SplitRet(got); rc != 0 || !strings.Contains(v.(map[string]any)["stdout"].(string), "{{ grains['id'] }}") {
		t.Errorf("plain script: %d %v", rc, v)
	}
	// the temporary copy is gone
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("temporary script left behind: %v", left)
	}
	_, err = call(t, context.Background(), env, "cmd.script", []any{"salt://scripts/none.sh"}, nil)
	wantKind(t, err, proto.ErrNotFound, "salt://scripts/none.sh")
	wantBadArg(t, "cmd.script", []any{"relative.sh"}, nil, env, "absolute path")
	wantBadArg(t, "cmd.script", []any{script}, map[string]any{"template": "mako"}, env, "not supported")
	if !IsSecret("cmd.script", 1, "") {
		t.Error("cmd.script arguments are not secret")
	}
}
