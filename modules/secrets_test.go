package modules

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/brine-cm/brine/render"
)

func TestSecretsDeclared(t *testing.T) {
	for _, fun := range []string{"cmd.run", "cmd.run_all", "cmd.retcode", "grains.setval", "grains.setvals"} {
		if !SecretsOf(fun).All {
			t.Errorf("%s does not declare all its arguments secret", fun)
		}
	}
	for _, fun := range []string{"test.echo", "grains.get", "state.sls"} {
		if SecretsOf(fun).All {
			t.Errorf("%s declares all its arguments secret", fun)
		}
	}
	if !SecretsOf("no.such").All {
		t.Error("an unknown function's arguments are shown")
	}
	if !IsSecret("state.sls", -1, "pillar") || IsSecret("state.sls", 0, "") || IsSecret("state.sls", -1, "saltenv") {
		t.Error("IsSecret(state.sls) wrong")
	}
	if !IsSecret("cmd.run", 0, "cmd") {
		t.Error("cmd.run's command is not secret")
	}
}

func TestRedactArgs(t *testing.T) {
	pillar := map[string]any{"pw": "hunter2", "aws": "AKIA"}
	tests := []struct {
		fun  string
		arg  []any
		want any
	}{
		{"test.ping", nil, []any{}},
		{"cmd.run", nil, []any{}},
		{"test.echo", []any{"hi"}, []any{"hi"}},
		{"cmd.run", []any{"mysql -p hunter2"}, "<1 args>"},
		{"cmd.run_all", []any{"a", "b"}, "<2 args>"},
		{"cmd.retcode", []any{"x"}, "<1 args>"},
		{"grains.setval", []any{"k", "hunter2"}, "<2 args>"},
		{"grains.get", []any{"k"}, []any{"k"}},
		{"no.such", []any{"hunter2"}, "<1 args>"},
		{"state.sls", []any{"web", `pillar={"pw": "hunter2"}`, " pillar = x"},
			[]any{"web", "pillar=<redacted>", "pillar=<redacted>"}},
		{"state.sls", []any{"web", map[string]any{"pillar": pillar, "test": true}},
			[]any{"web", map[string]any{"pillar": []string{"aws", "pw"}, "test": true}}},
	}
	for _, tt := range tests {
		if got := RedactArgs(tt.fun, tt.arg); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("RedactArgs(%q, %v) = %#v, want %#v", tt.fun, tt.arg, got, tt.want)
		}
	}
	// The caller's arguments are left as they were.
	arg := []any{map[string]any{"pillar": pillar}}
	RedactArgs("state.apply", arg)
	if !reflect.DeepEqual(arg[0], map[string]any{"pillar": pillar}) {
		t.Errorf("RedactArgs changed its argument: %v", arg)
	}
	// A rendered mapping (reactor arguments) is read too.
	rm := &render.Map{}
	rm.Set("pillar", pillar)
	rm.Set("saltenv", "prod")
	got := RedactArgs("state.apply", []any{rm})
	if !reflect.DeepEqual(got, []any{map[string]any{"pillar": []string{"aws", "pw"}, "saltenv": "prod"}}) {
		t.Errorf("RedactArgs(render.Map) = %#v", got)
	}
}

func TestRedactKwargs(t *testing.T) {
	kw := map[string]any{"cwd": "/tmp", "env": map[string]any{"PGPASSWORD": "hunter2"}, "stdin": "hunter2"}
	got := RedactKwargs("cmd.run", kw)
	for k, v := range got {
		if v != Redacted {
			t.Errorf("cmd.run kwarg %s = %v, want %s", k, v, Redacted)
		}
	}
	if len(got) != 3 || kw["stdin"] != "hunter2" {
		t.Errorf("RedactKwargs = %v (input now %v)", got, kw)
	}
	got = RedactKwargs("state.sls", map[string]any{"pillar": map[string]any{"pw": "hunter2"}, "saltenv": "prod"})
	if !reflect.DeepEqual(got, map[string]any{"pillar": []string{"pw"}, "saltenv": "prod"}) {
		t.Errorf("RedactKwargs(state.sls) = %#v", got)
	}
	if RedactKwargs("test.arg", nil) != nil {
		t.Error("nil kwargs became non-nil")
	}
}

func TestSecretOptions(t *testing.T) {
	var f Function
	for _, o := range []Option{SecretArgs(1), SecretKwargs("password")} {
		o(&f)
	}
	s := f.Secrets
	got := s.RedactArgs([]any{"alice", "hunter2", "password=hunter2", "shell=/bin/sh"})
	want := []any{"alice", Redacted, "password=" + Redacted, "shell=/bin/sh"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("RedactArgs = %#v, want %#v", got, want)
	}
	kw := s.RedactKwargs(map[string]any{"password": "hunter2", "home": "/home/alice"})
	if !reflect.DeepEqual(kw, map[string]any{"password": Redacted, "home": "/home/alice"}) {
		t.Errorf("RedactKwargs = %#v", kw)
	}
	AllArgsSecret()(&f)
	if f.Secrets.RedactArgs([]any{"a"}) != "<1 args>" {
		t.Error("AllArgsSecret not applied")
	}
}

// The minion's log never holds cmd.run's command line.
func TestCmdRunLogRedacted(t *testing.T) {
	var buf bytes.Buffer
	env := &Env{ID: "m", Logger: slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	out, _ := SplitRet(mustCall(t, env, "cmd.run", []any{"echo hunter2-secret"}, nil))
	if out != "hunter2-secret" {
		t.Fatalf("cmd.run = %v", out)
	}
	if _, err := call(t, t.Context(), env, "cmd.run_all", []any{"echo hunter2-secret; exit 3"}, nil); err != nil {
		t.Fatal(err)
	}
	log := buf.String()
	if strings.Contains(log, "hunter2") {
		t.Errorf("the minion log shows the command:\n%s", log)
	}
	if !strings.Contains(log, "executing command") {
		t.Errorf("the command was not logged at all:\n%s", log)
	}
	var first map[string]any
	if err := json.Unmarshal(bytes.SplitN(buf.Bytes(), []byte("\n"), 2)[0], &first); err != nil || first["cmd"] != Redacted {
		t.Errorf("first log line %v (%v), want cmd=%s", first, err, Redacted)
	}
}
