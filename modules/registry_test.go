package modules

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/brine-cm/brine/proto"
)

func TestRegistryContents(t *testing.T) {
	want := []string{
		"alternatives.show_current",
		"archive.gunzip", "archive.gzip", "archive.list", "archive.tar", "archive.unzip", "archive.zip",
		"cmd.has_exec", "cmd.retcode", "cmd.run", "cmd.run_all", "cmd.script", "cmd.shell", "cmd.which",
		"config.get",
		"cp.cache_file", "cp.get_dir", "cp.get_file", "cp.list_master", "cp.list_master_dirs", "cp.list_states", "cp.recv",
		"event.send",
		"file.basename", "file.chown", "file.contains", "file.contains_regex", "file.directory_exists", "file.dirname", "file.exists", "file.file_exists", "file.find", "file.get_gid", "file.get_group", "file.get_hash", "file.get_mode", "file.get_uid", "file.get_user", "file.join", "file.mkdir", "file.read", "file.readlink", "file.remove", "file.replace", "file.search", "file.set_mode", "file.stats", "file.symlink", "file.touch", "file.write",
		"git.checkout", "git.clone", "git.config_get", "git.config_set", "git.config_unset", "git.current_branch", "git.fetch", "git.init", "git.pull", "git.rev_parse", "git.revision",
		"grains.append", "grains.delval", "grains.get", "grains.has_value", "grains.item", "grains.items", "grains.ls", "grains.setval", "grains.setvals",
		"group.add", "group.delete", "group.info",
		"log.critical", "log.debug", "log.error", "log.exception", "log.info", "log.warning",
		"mine.delete", "mine.flush", "mine.get", "mine.send", "mine.update",
		"network.get_hostname", "network.interfaces", "network.ip_addrs", "network.ip_addrs6",
		"npm.install", "npm.list", "npm.uninstall",
		"pillar.get", "pillar.items", "pillar.raw",
		"pip.freeze", "pip.install", "pip.list", "pip.uninstall", "pip.version",
		"pkg.install", "pkg.latest_version", "pkg.list_pkgs", "pkg.purge", "pkg.refresh_db", "pkg.remove", "pkg.version", "pkg.version_cmp",
		"saltutil.find_job", "saltutil.kill_job", "saltutil.refresh_modules", "saltutil.refresh_pillar", "saltutil.running", "saltutil.sync_all", "saltutil.sync_beacons", "saltutil.sync_clouds", "saltutil.sync_engines", "saltutil.sync_executors", "saltutil.sync_grains", "saltutil.sync_log_handlers", "saltutil.sync_matchers", "saltutil.sync_modules", "saltutil.sync_output", "saltutil.sync_pillar", "saltutil.sync_proxymodules", "saltutil.sync_renderers", "saltutil.sync_returners", "saltutil.sync_sdb", "saltutil.sync_serializers", "saltutil.sync_states", "saltutil.sync_thorium", "saltutil.sync_utils",
		"schedule.disable_job", "schedule.enable_job", "schedule.list", "schedule.run_job",
		"service.available", "service.disable", "service.enable", "service.enabled", "service.missing", "service.reload", "service.restart", "service.start", "service.status", "service.stop",
		"slsutil.deserialize", "slsutil.merge", "slsutil.renderer", "slsutil.serialize", "slsutil.update",
		"smtp.send_msg",
		"state.apply", "state.highstate", "state.show_highstate", "state.show_low_sls", "state.show_lowstate", "state.show_sls", "state.show_top", "state.single", "state.sls",
		"supervisord.add", "supervisord.custom", "supervisord.remove", "supervisord.reread", "supervisord.restart", "supervisord.start", "supervisord.status", "supervisord.status_raw", "supervisord.stop", "supervisord.update",
		"sys.doc", "sys.list_functions", "sys.list_modules",
		"test.arg", "test.echo", "test.ping", "test.sleep", "test.version",
		"user.add", "user.delete", "user.info", "user.list_groups",
	}
	if got := Names(); !slices.Equal(got, want) {
		t.Fatalf("Names() = %v\nwant %v", got, want)
	}
	for _, n := range Names() {
		f, ok := Lookup(n)
		if !ok || f.Name != n || f.Fn == nil {
			t.Fatalf("Lookup(%s) = %+v, %v", n, f, ok)
		}
		if !strings.Contains(f.Doc, "CLI Example:") || !strings.Contains(f.Doc, "ctl '*' "+n) {
			t.Errorf("doc of %s lacks a CLI example:\n%s", n, f.Doc)
		}
		if first, _, _ := strings.Cut(f.Doc, "\n"); len(first) < 20 {
			t.Errorf("doc of %s has a short first paragraph: %q", n, first)
		}
	}
	if _, ok := Lookup("no.such"); ok {
		t.Errorf("Lookup(no.such) found")
	}
}

func TestRegisterPanics(t *testing.T) {
	fn := func(ctx context.Context, env *Env, call Call) (any, error) { return nil, nil }
	for _, tc := range []struct {
		name string
		fn   Func
	}{
		{"test.ping", fn}, // duplicate
		{"nodot", fn},
		{".x", fn},
		{"x.", fn},
		{"a b.c", fn},
		{"ok.name", nil},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q) did not panic", tc.name)
				}
			}()
			Register(tc.name, "doc", tc.fn)
		}()
	}
	if _, ok := Lookup("ok.name"); ok {
		t.Errorf("a panicking Register left a function behind")
	}
}

func TestWrap(t *testing.T) {
	ctx := context.Background()
	panicky := wrap("x.panic", func(ctx context.Context, env *Env, call Call) (any, error) {
		panic("boom")
	})
	_, err := panicky(ctx, nil, Call{})
	wantKind(t, err, proto.ErrInternal, "x.panic", "boom")

	badArg := wrap("x.bad", func(ctx context.Context, env *Env, call Call) (any, error) {
		return call.String(0, "name", nil)
	})
	_, err = badArg(ctx, &Env{}, Call{})
	wantKind(t, err, proto.ErrBadArgument, "x.bad: missing required argument 'name'")

	plain := errors.New("plain")
	passthrough := wrap("x.err", func(ctx context.Context, env *Env, call Call) (any, error) {
		return nil, plain
	})
	if _, err := passthrough(ctx, &Env{}, Call{}); !errors.Is(err, plain) {
		t.Errorf("err = %v, want the function's own error", err)
	}
}

func TestSplitRet(t *testing.T) {
	if v, rc := SplitRet(Ret{Value: "x", Retcode: 3}); v != "x" || rc != 3 {
		t.Errorf("Ret: %v %v", v, rc)
	}
	if v, rc := SplitRet(&Ret{Value: 1, Retcode: 2}); v != 1 || rc != 2 {
		t.Errorf("*Ret: %v %v", v, rc)
	}
	if v, rc := SplitRet(true); v != true || rc != 0 {
		t.Errorf("plain: %v %v", v, rc)
	}
	if v, rc := SplitRet((*Ret)(nil)); v != nil || rc != 0 {
		t.Errorf("nil *Ret: %v %v", v, rc)
	}
}

func TestCallAccessors(t *testing.T) {
	c := Call{
		Args: []any{"pos", 7, 2.5, true, nil, []any{1}, float64(12), "42", "yes", uint64(5)},
		Kwargs: map[string]any{
			"s": "kw", "i": 3, "f": 1.5, "b": false, "null": nil, "m": map[string]any{"a": 1},
			"fi": float64(4), "ff": 4.5, "bs": "Off", "bi": 1, "bn": 2, "big": 1e300,
		},
	}
	// positional wins over keyword; keyword, then default.
	if s, err := c.String(0, "s", nil); err != nil || s != "pos" {
		t.Errorf("String(0) = %q, %v", s, err)
	}
	if s, err := c.String(-1, "s", nil); err != nil || s != "kw" {
		t.Errorf("String(kw) = %q, %v", s, err)
	}
	if s, err := c.String(99, "missing", ptr("def")); err != nil || s != "def" {
		t.Errorf("String(default) = %q, %v", s, err)
	}
	if s, err := c.String(4, "null", ptr("def")); err != nil || s != "def" {
		t.Errorf("String(null, default) = %q, %v", s, err)
	}
	if s, err := c.String(1, "", nil); err != nil || s != "7" {
		t.Errorf("String(int) = %q, %v", s, err)
	}
	if s, err := c.String(3, "", nil); err != nil || s != "true" {
		t.Errorf("String(bool) = %q, %v", s, err)
	}
	if s, err := c.String(2, "", nil); err != nil || s != "2.5" {
		t.Errorf("String(float) = %q, %v", s, err)
	}
	_, err := c.String(99, "missing", nil)
	wantKind(t, err, proto.ErrBadArgument, "missing required argument 'missing'")
	_, err = c.String(4, "null", nil)
	wantKind(t, err, proto.ErrBadArgument, "missing required argument 'null'")
	_, err = c.String(5, "lst", nil)
	wantKind(t, err, proto.ErrBadArgument, "argument 'lst' must be a string, got a list")
	_, err = c.String(-1, "m", nil)
	wantKind(t, err, proto.ErrBadArgument, "argument 'm' must be a string, got a mapping")

	for _, tc := range []struct {
		i    int
		name string
		want int
	}{{1, "", 7}, {6, "", 12}, {7, "", 42}, {9, "", 5}, {-1, "i", 3}, {-1, "fi", 4}} {
		if n, err := c.Int(tc.i, tc.name, nil); err != nil || n != tc.want {
			t.Errorf("Int(%d, %s) = %d, %v; want %d", tc.i, tc.name, n, err, tc.want)
		}
	}
	if n, err := c.Int(99, "x", ptr(9)); err != nil || n != 9 {
		t.Errorf("Int default = %d, %v", n, err)
	}
	for _, bad := range []struct {
		i    int
		name string
	}{{0, "p"}, {2, "p"}, {3, "p"}, {5, "p"}, {-1, "ff"}, {-1, "big"}, {99, "p"}} {
		if _, err := c.Int(bad.i, bad.name, nil); err == nil {
			t.Errorf("Int(%d, %s) accepted %v", bad.i, bad.name, c.Args)
		} else {
			wantKind(t, err, proto.ErrBadArgument, "'"+bad.name+"'")
		}
	}

	for _, tc := range []struct {
		i    int
		name string
		want float64
	}{{1, "", 7}, {2, "", 2.5}, {7, "", 42}, {-1, "f", 1.5}} {
		if f, err := c.Float(tc.i, tc.name, nil); err != nil || f != tc.want {
			t.Errorf("Float(%d, %s) = %v, %v", tc.i, tc.name, f, err)
		}
	}
	if f, err := c.Float(99, "x", ptr(math.Pi)); err != nil || f != math.Pi {
		t.Errorf("Float default = %v, %v", f, err)
	}
	for _, i := range []int{0, 3, 5} {
		if _, err := c.Float(i, "p", nil); err == nil {
			t.Errorf("Float(%d) accepted %v", i, c.Args[i])
		}
	}

	for _, tc := range []struct {
		i    int
		name string
		want bool
	}{{3, "", true}, {8, "", true}, {-1, "b", false}, {-1, "bs", false}, {-1, "bi", true}} {
		if b, err := c.Bool(tc.i, tc.name, nil); err != nil || b != tc.want {
			t.Errorf("Bool(%d, %s) = %v, %v", tc.i, tc.name, b, err)
		}
	}
	if b, err := c.Bool(99, "x", ptr(true)); err != nil || !b {
		t.Errorf("Bool default = %v, %v", b, err)
	}
	for _, bad := range []struct {
		i    int
		name string
	}{{0, "p"}, {5, "p"}, {-1, "bn"}, {-1, "m"}, {99, "p"}} {
		if _, err := c.Bool(bad.i, bad.name, nil); err == nil {
			t.Errorf("Bool(%d, %s) accepted", bad.i, bad.name)
		}
	}

	if !c.Has(0, "") || !c.Has(-1, "null") || !c.Has(4, "") || c.Has(99, "nope") || c.Has(-1, "") {
		t.Errorf("Has is wrong")
	}
}
