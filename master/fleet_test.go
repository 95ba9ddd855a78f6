package master

import (
	"encoding/json"
	"reflect"
	"sort"
	"sync"
	"testing"

	"github.com/brine-cm/brine/proto"
)

func testFleet(t *testing.T) *fleet {
	t.Helper()
	f := newFleet(discardLog())
	for _, r := range []keyRecord{
		{ID: "web1", Public: "UW1", State: proto.KeyAccepted},
		{ID: "web2", Public: "UW2", State: proto.KeyAccepted},
		{ID: "web3", Public: "UW3", State: proto.KeyPending},
		{ID: "web4", Public: "UW4", State: proto.KeyRejected},
		{ID: "db1", Public: "UD1", State: proto.KeyAccepted},
		{ID: "db.example.com", Public: "UDX", State: proto.KeyAccepted},
		{ID: "bare", Public: "UB", State: proto.KeyAccepted}, // no grains yet
	} {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		f.applyKey(r.ID, b)
	}
	grains := map[string]string{
		"web1":           `{"id":"web1","roles":["web","app"],"env":"prod","os":"Debian"}`,
		"web2":           `{"id":"web2","roles":["web"],"env":"test","os":"Debian"}`,
		"web3":           `{"id":"web3","roles":["web"],"env":"prod"}`,
		"web4":           `{"id":"web4","roles":["web"],"env":"prod"}`,
		"db1":            `{"id":"db1","roles":["db"],"env":"prod","os":"Ubuntu"}`,
		"db.example.com": `{"id":"db.example.com","roles":["db"],"env":"test","os":"Ubuntu"}`,
	}
	for id, g := range grains {
		f.applyGrains(id, []byte(g))
	}
	return f
}

func TestFleetMatch(t *testing.T) {
	f := testFleet(t)
	tests := []struct {
		tgt  proto.Target
		want []string
	}{
		{proto.Target{Expr: "*"}, []string{"bare", "db.example.com", "db1", "web1", "web2"}},
		{proto.Target{Expr: "web*"}, []string{"web1", "web2"}},
		{proto.Target{Expr: "web*", Type: "glob"}, []string{"web1", "web2"}},
		{proto.Target{Expr: "web3"}, nil}, // pending
		{proto.Target{Expr: "web4"}, nil}, // rejected
		{proto.Target{Expr: "roles:web"}, []string{"web1", "web2"}},
		{proto.Target{Expr: "roles:db"}, []string{"db.example.com", "db1"}},
		{proto.Target{Expr: "env:prod", Type: "grain"}, []string{"db1", "web1"}},
		{proto.Target{Expr: "os:Deb*", Type: "grain"}, []string{"web1", "web2"}},
		{proto.Target{Expr: "web1,db1,web3,nosuch", Type: "list"}, []string{"db1", "web1"}},
		{proto.Target{Expr: `^db\d$`, Type: "pcre"}, []string{"db1"}},
		{proto.Target{Expr: "G@roles:web and not G@env:test", Type: "compound"}, []string{"web1"}},
		{proto.Target{Expr: `"db" in grains.roles && grains.env == "test"`, Type: "expr"}, []string{"db.example.com"}},
		{proto.Target{Expr: "bare"}, []string{"bare"}},
		{proto.Target{Expr: "id:bare", Type: "grain"}, []string{"bare"}},
	}
	for _, tt := range tests {
		got, err := f.match(tt.tgt, nil)
		if err != nil {
			t.Errorf("match(%+v): %v", tt.tgt, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("match(%+v) = %v, want %v", tt.tgt, got, tt.want)
		}
	}
}

func TestFleetMatchErrors(t *testing.T) {
	f := testFleet(t)
	for _, tgt := range []proto.Target{
		{Expr: "(", Type: "pcre"},
		{Expr: "web1", Type: "nosuchtype"},
		{Expr: "G@roles:web and", Type: "compound"},
		{Expr: "", Type: "glob"},
	} {
		if got, err := f.match(tgt, nil); err == nil {
			t.Errorf("match(%+v) = %v, want an error", tgt, got)
		}
	}
}

func TestFleetKeys(t *testing.T) {
	f := testFleet(t)
	if st, ok := f.keyState("web1", "UW1"); !ok || st != proto.KeyAccepted {
		t.Errorf("keyState(web1, own key) = %q, %v", st, ok)
	}
	if st, ok := f.keyState("web3", "UW3"); !ok || st != proto.KeyPending {
		t.Errorf("keyState(web3, own key) = %q, %v", st, ok)
	}
	if _, ok := f.keyState("web1", "UOTHER"); ok {
		t.Error("keyState answers for another key")
	}
	if _, ok := f.keyState("nosuch", "UW1"); ok {
		t.Error("keyState answers for an unknown id")
	}
	if !f.accepted("web1") || f.accepted("web3") || f.accepted("web4") || f.accepted("nosuch") {
		t.Error("accepted is wrong")
	}
	// A damaged record is not taken for the good one it replaced: the
	// minion is refused until an operator deletes the record.
	f.applyKey("web1", []byte("{not json"))
	if f.accepted("web1") {
		t.Error("a damaged record left the minion accepted")
	}
	// Deletion.
	f.applyKey("web1", nil)
	if f.accepted("web1") {
		t.Error("deleted key still accepted")
	}
	if got, _ := f.match(proto.Target{Expr: "web*"}, nil); !reflect.DeepEqual(got, []string{"web2"}) {
		t.Errorf("after delete: %v", got)
	}
}

func TestFleetGrains(t *testing.T) {
	f := testFleet(t)
	raw := []byte(`{"id":"web2","roles":["web"],"env":"test","os":"Debian"}`)
	if !f.sameGrains("web2", raw) {
		t.Error("sameGrains false for the stored grains")
	}
	if f.sameGrains("web2", []byte(`{"id":"web2"}`)) || f.sameGrains("nosuch", raw) {
		t.Error("sameGrains true for other grains")
	}
	f.applyGrains("web2", []byte("not json"))
	if !f.sameGrains("web2", raw) {
		t.Error("bad grains replaced good ones")
	}
	f.applyGrains("web2", []byte(`{"id":"web2","roles":["db"]}`))
	if got, _ := f.match(proto.Target{Expr: "roles:db"}, nil); !reflect.DeepEqual(got, []string{"db.example.com", "db1", "web2"}) {
		t.Errorf("after grains update: %v", got)
	}
	f.applyGrains("web2", nil)
	if f.sameGrains("web2", raw) {
		t.Error("deleted grains remain")
	}
	// Without grains a minion is matched on its id only.
	if got, _ := f.match(proto.Target{Expr: "web2"}, nil); !reflect.DeepEqual(got, []string{"web2"}) {
		t.Errorf("after grains delete: %v", got)
	}
}

func TestFleetConcurrent(t *testing.T) {
	f := testFleet(t)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				f.applyGrains("web1", []byte(`{"roles":["web"]}`))
				f.applyKey("web9", []byte(`{"id":"web9","public":"U9","state":"minions"}`))
			}
		}()
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				if _, err := f.match(proto.Target{Expr: "roles:web"}, nil); err != nil {
					t.Error(err)
					return
				}
				f.keyState("web9", "U9")
			}
		}()
	}
	wg.Wait()
}

func TestConns(t *testing.T) {
	var c conns
	if refs := c.take("web1"); len(refs) != 0 {
		t.Error("take from empty conns")
	}
	c.add("web1", "S1", 7)
	c.add("web1", "S2", 8) // a second connection of the same id: both are kept
	c.add("web1", "S2", 9)
	c.remove("web1", "S2", 9) // closed
	refs := c.take("web1")
	sort.Slice(refs, func(i, j int) bool { return refs[i].cid < refs[j].cid })
	if len(refs) != 2 || refs[0] != (connRef{"S1", 7}) || refs[1] != (connRef{"S2", 8}) {
		t.Errorf("take = %+v, want both live connections", refs)
	}
	if refs := c.take("web1"); len(refs) != 0 {
		t.Error("take twice")
	}
}

func TestRedactArgs(t *testing.T) {
	tests := []struct {
		fun  string
		arg  []any
		want any
	}{
		{"test.ping", nil, []any{}},
		{"cmd.run", nil, []any{}},
		{"test.echo", []any{"hi"}, []any{"hi"}},
		{"cmd.run", []any{"echo secret"}, "<1 args>"},
		{"cmd.run_all", []any{"a", "b"}, "<2 args>"},
		{"cmd.retcode", []any{"x"}, "<1 args>"},
		{"cmd.script", []any{"x"}, "<1 args>"},
		{"grains.setval", []any{"k", "v"}, "<2 args>"},
		{"grains.get", []any{"k"}, []any{"k"}},
	}
	for _, tt := range tests {
		if got := redactArgs(tt.fun, tt.arg); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("redactArgs(%q, %v) = %#v, want %#v", tt.fun, tt.arg, got, tt.want)
		}
	}
}

func TestFunRe(t *testing.T) {
	for fun, want := range map[string]bool{
		"test.ping": true, "state.apply": true, "a.b.c": true, "_x._y": true, "cmd.run_all": true, "m1.f2": true,
		"": false, "test": false, "test.": false, ".ping": false, "test..ping": false, "1test.ping": false,
		"test.1ping": false, "test.ping ": false, "test-x.ping": false, "test.ping\n": false, "test.*": false,
	} {
		if got := funRe.MatchString(fun); got != want {
			t.Errorf("funRe(%q) = %v, want %v", fun, got, want)
		}
	}
}

// An expr target that fails at run time on every minion is an error.
func TestMatchExprEvalError(t *testing.T) {
	f := newFleet(discardLog())
	b, _ := json.Marshal(keyRecord{ID: "web1", Public: "U1", State: proto.KeyAccepted})
	f.applyKey("web1", b)
	f.applyGrains("web1", []byte(`{"id":"web1","num_cpus":2}`))
	if ids, err := f.match(proto.Target{Expr: `grains.num_cpus > "4"`, Type: "expr"}, nil); err == nil {
		t.Errorf("match = %v, want the evaluation error", ids)
	}
	if ids, err := f.match(proto.Target{Expr: `grains.num_cpus > 4`, Type: "expr"}, nil); err != nil || len(ids) != 0 {
		t.Errorf("a plain non-match: %v %v", ids, err)
	}
}
