package modules

import (
	"context"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/brine-cm/brine/proto"
)

const fakeSupervisorctl = `for a; do last=$a; done
case "$*" in
*"stop all") echo "web:web_00: stopped"; echo "worker: stopped" ;;
*"start web:") echo "web:web_00: started" ;;
*"stop ghost") echo "ghost: ERROR (no such process)"; exit 1 ;;
*"restart old") echo "old: ERROR (spawn error)" ;;
*status*) printf 'web:web_00                       RUNNING   pid 123, uptime 0:01:02\nworker                           STOPPED   Dec 06 09:00 AM\n'; exit 3 ;;
*) echo "$last: ok" ;;
esac`

func TestSupervisord(t *testing.T) {
	s := newStandIns(t, true)
	s.add(t, "supervisorctl", fakeSupervisorctl)
	venv := t.TempDir()
	writeT(t, filepath.Join(venv, "bin", "supervisorctl"), "")
	for _, c := range []struct {
		fun  string
		args []any
		kw   map[string]any
		want any
		cmd  string
	}{
		{"supervisord.stop", []any{"all"}, nil, "web:web_00: stopped\nworker: stopped", "supervisorctl stop all"},
		{"supervisord.stop", nil, nil, "web:web_00: stopped\nworker: stopped", "supervisorctl stop all"},
		{"supervisord.start", []any{"web:*"}, nil, "web:web_00: started", "supervisorctl start web:"},
		{"supervisord.restart", []any{"api"}, map[string]any{"conf_file": "/etc/sv.conf"}, "api: ok", "supervisorctl -c /etc/sv.conf restart api"},
		{"supervisord.add", []any{"web:*"}, nil, "web: ok", "supervisorctl add web"},
		{"supervisord.remove", []any{"web:"}, nil, "web: ok", "supervisorctl remove web"},
		{"supervisord.reread", nil, nil, "reread: ok", "supervisorctl reread"},
		{"supervisord.update", nil, map[string]any{"name": "web:*"}, "web: ok", "supervisorctl update web"},
		{"supervisord.custom", []any{"mstop '*gunicorn*'"}, nil, "*gunicorn*: ok", "supervisorctl mstop *gunicorn*"},
		{"supervisord.status_raw", []any{"worker"}, nil, "web:web_00                       RUNNING   pid 123, uptime 0:01:02\nworker                           STOPPED   Dec 06 09:00 AM", "supervisorctl status worker"},
		{"supervisord.status", nil, nil, map[string]any{
			"web:web_00": map[string]any{"state": "RUNNING", "reason": "pid 123, uptime 0:01:02"},
			"worker":     map[string]any{"state": "STOPPED", "reason": "Dec 06 09:00 AM"},
		}, "supervisorctl status"},
	} {
		got := mustCall(t, nil, c.fun, c.args, c.kw)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s %v = %q, want %q", c.fun, c.args, got, c.want)
		}
		if calls := s.calls(t); !slices.Equal(calls, []string{c.cmd}) {
			t.Errorf("%s %v ran %q, want %q", c.fun, c.args, calls, c.cmd)
		}
	}
	// ERROR in the output is an error, with or without a non-zero exit
	_, err := call(t, context.Background(), nil, "supervisord.stop", []any{"ghost"}, nil)
	wantKind(t, err, proto.ErrExecution, "supervisord.stop: ", "ghost: ERROR (no such process)")
	_, err = call(t, context.Background(), nil, "supervisord.restart", []any{"old"}, nil)
	wantKind(t, err, proto.ErrExecution, "spawn error")
	// bin_env: a virtualenv's supervisorctl
	_, err = call(t, context.Background(), nil, "supervisord.stop", []any{"all"}, map[string]any{"bin_env": venv})
	wantKind(t, err, proto.ErrExecution, filepath.Join(venv, "bin", "supervisorctl"))
}
