package states

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

const hostsBase = `# static table lookup for hostnames
127.0.0.1	localhost
::1	localhost ip6-localhost

10.0.0.5  db-1   # the database
`

func hostsEnv(t *testing.T) (*Env, string) {
	path := filepath.Join(t.TempDir(), "hosts")
	writeFile(t, path, hostsBase)
	env := testEnv(t)
	env.HostsFile = path
	return env, path
}

func TestHostPresent(t *testing.T) {
	env, path := hostsEnv(t)
	snap := func() string { return readFile(t, path) }

	// The seed's shape: one name on 127.0.0.1, joining localhost's line.
	first := cycle(t, env, "host.present", "web-1", map[string]any{"ip": "127.0.0.1", "names": []any{"web-1"}}, snap)
	if !reflect.DeepEqual(first.Changes, map[string]any{"added": map[string]any{"127.0.0.1": []string{"web-1"}}}) {
		t.Errorf("changes %v", first.Changes)
	}
	if first.Comment != "Added host web-1 (127.0.0.1)" {
		t.Errorf("comment %q", first.Comment)
	}
	expect := "# static table lookup for hostnames\n127.0.0.1\tlocalhost web-1\n::1\tlocalhost ip6-localhost\n\n10.0.0.5  db-1   # the database\n"
	if got := readFile(t, path); got != expect {
		t.Fatalf("hosts:\n%s\nwant:\n%s", got, expect)
	}

	// Several names on a new address: one new line.
	cycle(t, env, "host.present", "app", map[string]any{"ip": "10.0.0.7", "names": []any{"app-1", "app"}}, snap)
	if got := readFile(t, path); got != expect+"10.0.0.7\tapp-1 app\n" {
		t.Fatalf("hosts:\n%s", got)
	}

	// A name moves to its new address (same family); the emptied line
	// goes; other families keep it.
	first = cycle(t, env, "host.present", "db-1", map[string]any{"ip": "10.0.0.6"}, snap)
	if !reflect.DeepEqual(first.Changes["removed"], map[string]any{"10.0.0.5": []string{"db-1"}}) {
		t.Errorf("changes %v", first.Changes)
	}
	got := readFile(t, path)
	if expect := "# static table lookup for hostnames\n127.0.0.1\tlocalhost web-1\n::1\tlocalhost ip6-localhost\n\n10.0.0.7\tapp-1 app\n10.0.0.6\tdb-1\n"; got != expect {
		t.Fatalf("hosts:\n%s\nwant:\n%s", got, expect)
	}
	res := apply(t, env, "host.present", "localhost", map[string]any{"ip": "127.0.0.1"}, false)
	if len(res.Changes) != 0 {
		t.Errorf("localhost on ::1 must not be moved: %v", res.Changes)
	}
	// Multiple addresses.
	cycle(t, env, "host.present", "multi", map[string]any{"ip": []any{"10.1.0.1", "10.1.0.2"}}, snap)
	wantFail(t, apply(t, env, "host.present", "x", map[string]any{"ip": "999.1.1.1"}, false), "'ip'", "999.1.1.1")
	wantFail(t, apply(t, env, "host.present", "x", nil, false), "'ip'")
}

func TestHostPresentMissingFile(t *testing.T) {
	env := testEnv(t)
	env.HostsFile = filepath.Join(t.TempDir(), "hosts")
	cycle(t, env, "host.present", "a", map[string]any{"ip": "::1"}, func() string {
		data, _ := os.ReadFile(env.HostsFile)
		return string(data)
	})
	if got := readFile(t, env.HostsFile); got != "::1\ta\n" {
		t.Fatalf("hosts %q", got)
	}
}

func TestHostAbsent(t *testing.T) {
	env, path := hostsEnv(t)
	snap := func() string { return readFile(t, path) }
	first := cycle(t, env, "host.absent", "ip6-localhost", map[string]any{"ip": "::1"}, snap)
	if !reflect.DeepEqual(first.Changes, map[string]any{"removed": map[string]any{"::1": []string{"ip6-localhost"}}}) {
		t.Errorf("changes %v", first.Changes)
	}
	// Without ip: every address.
	cycle(t, env, "host.absent", "localhost", nil, snap)
	expect := "# static table lookup for hostnames\n\n10.0.0.5  db-1   # the database\n"
	if got := readFile(t, path); got != expect {
		t.Fatalf("hosts:\n%s\nwant:\n%s", got, expect)
	}
	res := apply(t, env, "host.absent", "nothere", nil, false)
	if res.Result == nil || !*res.Result || res.Comment != "Host nothere already absent" {
		t.Errorf("result %+v", res)
	}
}

func TestHostOnly(t *testing.T) {
	env, path := hostsEnv(t)
	writeFile(t, path, hostsBase+"10.0.0.5 db-old\n")
	snap := func() string { return readFile(t, path) }
	first := cycle(t, env, "host.only", "10.0.0.5", map[string]any{"hostnames": []any{"db-1", "db.example.com"}}, snap)
	if !reflect.DeepEqual(first.Changes, map[string]any{"10.0.0.5": map[string]any{"old": "db-1 db-old", "new": "db-1 db.example.com"}}) {
		t.Errorf("changes %v", first.Changes)
	}
	if first.Comment != `successfully changed 10.0.0.5 from "db-1 db-old" to "db-1 db.example.com"` {
		t.Errorf("comment %q", first.Comment)
	}
	expect := "# static table lookup for hostnames\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n\n10.0.0.5\tdb-1 db.example.com # the database\n"
	if got := readFile(t, path); got != expect {
		t.Fatalf("hosts:\n%s\nwant:\n%s", got, expect)
	}
	// A new address; a single name; then no names removes the address.
	cycle(t, env, "host.only", "192.168.1.1", map[string]any{"hostnames": "gw"}, snap)
	if got := readFile(t, path); got != expect+"192.168.1.1\tgw\n" {
		t.Fatalf("hosts:\n%s", got)
	}
	cycle(t, env, "host.only", "192.168.1.1", map[string]any{"hostnames": []any{}}, snap)
	if got := readFile(t, path); got != expect {
		t.Fatalf("hosts:\n%s", got)
	}
	want(t, apply(t, env, "host.only", "10.0.0.5", map[string]any{"hostnames": []any{"db-1", "db.example.com"}}, false),
		True(), false, `IP address 10.0.0.5 already set to "db-1 db.example.com"`)
	wantFail(t, apply(t, env, "host.only", "db-1", map[string]any{"hostnames": "x"}, false), "must be an IP address")
	wantFail(t, apply(t, env, "host.only", "10.0.0.5", map[string]any{"hostnames": "a b"}, false), "'hostnames'", "invalid host name")
	wantFail(t, apply(t, env, "host.only", "10.0.0.5", map[string]any{"hostname": "a"}, false), "'hostnames'", "did you mean")
	if readFile(t, path) != expect {
		t.Error("a failed host.only changed the file")
	}
}
