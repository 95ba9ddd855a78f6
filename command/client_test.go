package command

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/brine-cm/brine/output"
	"github.com/brine-cm/brine/proto"
)

// clearEnv empties the variables locate reads, for this test only.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{"BRINE_MASTER", "BRINE_CREDS", "BRINE_TLS_CA", "BRINE_ROOT_DIR"} {
		t.Setenv(k, "")
	}
}

// masterRoot makes a master root_dir holding master.url.
func masterRoot(t *testing.T, url string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "master.url"), []byte(url+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestLocate(t *testing.T) {
	t.Run("flags win", func(t *testing.T) {
		clearEnv(t)
		t.Setenv("BRINE_MASTER", "nats://env:1")
		t.Setenv("BRINE_CREDS", "/env/creds")
		t.Setenv("BRINE_TLS_CA", "/env/ca")
		root := masterRoot(t, "nats://root:1")
		url, creds, ca := locate(&globals{Master: "nats://flag:1", Creds: "/flag/creds", TLSCA: "/flag/ca", RootDir: root})
		if url != "nats://flag:1" || creds != "/flag/creds" || ca != "/flag/ca" {
			t.Errorf("locate = %q %q %q", url, creds, ca)
		}
	})
	t.Run("env beats root-dir files", func(t *testing.T) {
		clearEnv(t)
		t.Setenv("BRINE_MASTER", "nats://env:1")
		t.Setenv("BRINE_CREDS", "/env/creds")
		t.Setenv("BRINE_TLS_CA", "/env/ca")
		root := masterRoot(t, "nats://root:1")
		url, creds, ca := locate(&globals{RootDir: root})
		if url != "nats://env:1" || creds != "/env/creds" || ca != "/env/ca" {
			t.Errorf("locate = %q %q %q", url, creds, ca)
		}
	})
	t.Run("root-dir files", func(t *testing.T) {
		clearEnv(t)
		root := masterRoot(t, "  nats://127.0.0.1:4999  ")
		url, creds, ca := locate(&globals{RootDir: root})
		if url != "nats://127.0.0.1:4999" || creds != filepath.Join(root, "ctl.creds") || ca != "" {
			t.Errorf("locate = %q %q %q", url, creds, ca)
		}
	})
	t.Run("BRINE_ROOT_DIR", func(t *testing.T) {
		clearEnv(t)
		root := masterRoot(t, "nats://rootenv:1")
		t.Setenv("BRINE_ROOT_DIR", root)
		url, creds, _ := locate(&globals{})
		if url != "nats://rootenv:1" || creds != filepath.Join(root, "ctl.creds") {
			t.Errorf("locate = %q %q", url, creds)
		}
	})
	t.Run("flag mixes with root-dir", func(t *testing.T) {
		clearEnv(t)
		root := masterRoot(t, "nats://root:1")
		url, creds, _ := locate(&globals{Master: "nats://flag:1", RootDir: root})
		if url != "nats://flag:1" || creds != filepath.Join(root, "ctl.creds") {
			t.Errorf("locate = %q %q", url, creds)
		}
	})
	t.Run("root-dir without master.url", func(t *testing.T) {
		clearEnv(t)
		root := t.TempDir()
		url, creds, _ := locate(&globals{RootDir: root})
		if url != "nats://127.0.0.1:4506" || creds != filepath.Join(root, "ctl.creds") {
			t.Errorf("locate = %q %q", url, creds)
		}
	})
	t.Run("url and creds need no root", func(t *testing.T) {
		clearEnv(t)
		url, creds, _ := locate(&globals{Master: "nats://flag:1", Creds: "/c"})
		if url != "nats://flag:1" || creds != "/c" {
			t.Errorf("locate = %q %q", url, creds)
		}
	})
	t.Run("default root", func(t *testing.T) {
		clearEnv(t)
		_, creds, _ := locate(&globals{Master: "nats://flag:1"})
		if creds != filepath.Join(defaultMasterRootDir, "ctl.creds") {
			t.Errorf("creds = %q", creds)
		}
	})
}

// A return is decoded with its fields, and its value's numbers exact.
func TestDecodeReturn(t *testing.T) {
	body := []byte(`{"jid":"20261206150000000000","id":"web1","fun":"test.arg","return":{"big":9007199254740993,"f":70.5,"l":[1,"x",null]},` +
		`"retcode":2,"success":false,"error":{"kind":"execution","message":"boom"},"start":"2026-12-06T15:00:00Z","end":"2026-12-06T15:00:01Z"}`)
	var r proto.Return
	raw, err := decodeReturn(body, &r)
	if err != nil {
		t.Fatal(err)
	}
	value, err := output.DecodeJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"big": int64(9007199254740993), "f": 70.5, "l": []any{int64(1), "x", nil}}
	if !reflect.DeepEqual(value, want) || r.Return != nil || r.ID != "web1" || r.JID != "20261206150000000000" || r.Fun != "test.arg" ||
		r.Retcode != 2 || r.Success || r.Error == nil || r.Error.Message != "boom" || r.End.Sub(r.Start) != time.Second {
		t.Fatalf("decoded %+v", r)
	}
	for _, bad := range []string{`[1]`, `{"return":`, `{"retcode":"x"}`, ``, `{"return":[1,]}`} {
		if _, err := decodeReturn([]byte(bad), &proto.Return{}); err == nil {
			t.Errorf("%q decoded without an error", bad)
		}
	}
}
