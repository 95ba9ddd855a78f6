package pyrender

import (
	"context"
	"os"
	"strings"
	"testing"
)

// testdata/pyobjects/web.sls rendered by Brine's #!pyobjects renderer
// gives what SaltStack 3006.1 gives for it (web.salt.json: `salt-call
// --local slsutil.renderer salt://web.sls --out json` with the grain
// os_family: Debian): state factories, requisite contexts (a state, a
// requisite and a _in requisite as context), include, extend, Map over
// grains, the pillar shortcut.
func TestPyobjectsLikeSalt(t *testing.T) {
	p := interp(t)
	text, err := os.ReadFile("testdata/pyobjects/web.sls")
	if err != nil {
		t.Fatal(err)
	}
	wantJSON, err := os.ReadFile("testdata/pyobjects/web.salt.json")
	if err != nil {
		t.Fatal(err)
	}
	states := []string{"cmd.run", "file.managed", "pkg.installed", "pkg.removed", "service.running"}
	vars := Vars{Globals: map[string]any{"grains": map[string]any{"os_family": "Debian"}, "pillar": map[string]any{}, "opts": map[string]any{}, "sls": "web", "saltenv": "base"}}
	got, err := p.RenderObjects(context.Background(), text, "web.sls", states, vars)
	if err != nil {
		t.Fatal(err)
	}
	want, err := decodeOrdered(wantJSON)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := encode(got)
	w, _ := encode(want)
	if string(g) != string(w) {
		t.Errorf("got  %s\nwant %s", g, w)
	}
	// the registry starts empty at each render
	vars.Globals["grains"] = map[string]any{"os_family": "RedHat"}
	vars.Globals["pillar"] = map[string]any{"motd": map[string]any{"text": "hello"}}
	got, err = p.RenderObjects(context.Background(), text, "web.sls", states, vars)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got.Values["apt-transport-https"]; ok || len(got.Keys) != 7 {
		t.Errorf("second render: %v", got.Keys)
	}
	g, _ = encode(got.Values["samba"])
	m, _ := encode(got.Values["motd"])
	if string(g) != `{"pkg.installed":[{"name":"samba-server"}]}` || !strings.Contains(string(m), `"echo hello"`) {
		t.Errorf("second render: samba %s, motd %s", g, m)
	}
}

func TestPyobjectsErrors(t *testing.T) {
	p := interp(t)
	for _, tc := range []struct{ text, want string }{
		{"#!pyobjects\nPkg.installed('a')\nFile.managd('/x')\n", "f.sls:3: py: salt.utils.pyobjects.InvalidFunction: The function 'managd' does not exist in the StateFactory for 'file'"},
		{"#!pyobjects\nPkg.installed('a')\nPkg.installed('a')\n", "f.sls:3: py: salt.utils.pyobjects.DuplicateState:"},
		{"#!pyobjects\nfrom salt://map.sls import Samba\n", "f.sls:2: py: "},
		{"#!pyobjects\nNginx.running('a')\n", "f.sls:2: py: NameError: name 'Nginx' is not defined"},
	} {
		_, err := p.RenderObjects(context.Background(), []byte(tc.text), "f.sls", []string{"pkg.installed", "file.managed"}, Vars{})
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %s...", tc.text, err, tc.want)
		}
	}
	if !IsPyobjects([]byte("#!pyobjects\n")) || IsPyobjects([]byte("#!py\n")) || IsPy([]byte("#!pyobjects\n")) {
		t.Error("IsPyobjects")
	}
}
