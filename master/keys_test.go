package master

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/brine-cm/brine/proto"
)

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func testRecords() []*keyRecord {
	return []*keyRecord{
		{ID: "db1", Public: "UDB1", State: proto.KeyAccepted},
		{ID: "web1", Public: "UWEB1", State: proto.KeyAccepted, Denied: []deniedKey{{Public: "UEVIL1"}, {Public: "UEVIL2"}}},
		{ID: "web2", Public: "UWEB2", State: proto.KeyPending},
		{ID: "web3", Public: "UWEB3", State: proto.KeyRejected},
		{ID: "web.example.com", Public: "UWEBX", State: proto.KeyPending},
	}
}

func ids(recs []*keyRecord) []string {
	out := []string{}
	for _, r := range recs {
		out = append(out, r.ID)
	}
	return out
}

func TestSelectKeys(t *testing.T) {
	all := []string{proto.KeyAccepted, proto.KeyPending, proto.KeyRejected}
	tests := []struct {
		name string
		req  proto.KeyRequest
		from []string
		want []string
	}{
		{"glob pending", proto.KeyRequest{ID: "web*"}, []string{proto.KeyPending}, []string{"web2", "web.example.com"}},
		{"glob any state", proto.KeyRequest{ID: "web*"}, all, []string{"web1", "web2", "web3", "web.example.com"}},
		{"exact id", proto.KeyRequest{ID: "web3"}, all, []string{"web3"}},
		{"exact id wrong state", proto.KeyRequest{ID: "web3"}, []string{proto.KeyPending}, []string{}},
		{"question mark", proto.KeyRequest{ID: "web?"}, all, []string{"web1", "web2", "web3"}},
		{"class", proto.KeyRequest{ID: "web[13]"}, all, []string{"web1", "web3"}},
		{"dotted id", proto.KeyRequest{ID: "*.example.com"}, all, []string{"web.example.com"}},
		{"all accepted", proto.KeyRequest{All: true}, []string{proto.KeyAccepted}, []string{"db1", "web1"}},
		{"all overrides id", proto.KeyRequest{All: true, ID: "nomatch"}, []string{proto.KeyRejected}, []string{"web3"}},
		{"no match", proto.KeyRequest{ID: "mail*"}, all, []string{}},
		{"no state", proto.KeyRequest{ID: "*"}, nil, []string{}},
		{"denied is not a record state", proto.KeyRequest{ID: "*"}, []string{proto.KeyDenied}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := selectKeys(testRecords(), tt.req, tt.from...)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(ids(got), tt.want) {
				t.Errorf("selectKeys = %v, want %v", ids(got), tt.want)
			}
		})
	}
}

func TestSelectKeysErrors(t *testing.T) {
	for _, req := range []proto.KeyRequest{{}, {ID: "web[1"}, {ID: "["}} {
		_, err := selectKeys(testRecords(), req, proto.KeyPending)
		var pe *proto.Error
		if !errors.As(err, &pe) || pe.Kind != proto.ErrBadRequest {
			t.Errorf("selectKeys(%+v) error = %v, want a bad_request error", req, err)
		}
	}
}

func TestFingerprint(t *testing.T) {
	pub := "UABCDEF"
	got := fingerprint(pub)
	if !regexp.MustCompile(`^[0-9a-f]{2}(:[0-9a-f]{2}){31}$`).MatchString(got) {
		t.Fatalf("fingerprint = %q", got)
	}
	sum := sha256.Sum256([]byte(pub))
	if strings.ReplaceAll(got, ":", "") != hex.EncodeToString(sum[:]) {
		t.Errorf("fingerprint = %q is not the SHA-256 of the key", got)
	}
	if fingerprint("UOTHER") == got {
		t.Error("two keys share a fingerprint")
	}
}

func TestInfos(t *testing.T) {
	got := infos(testRecords())
	type row struct{ id, state, pub string }
	var rows []row
	for _, k := range got {
		if k.Finger != fingerprint(k.Public) {
			t.Errorf("%s: finger %q does not belong to %q", k.ID, k.Finger, k.Public)
		}
		rows = append(rows, row{k.ID, k.State, k.Public})
	}
	want := []row{
		{"db1", proto.KeyAccepted, "UDB1"},
		{"web1", proto.KeyAccepted, "UWEB1"},
		{"web1", proto.KeyDenied, "UEVIL1"},
		{"web1", proto.KeyDenied, "UEVIL2"},
		{"web2", proto.KeyPending, "UWEB2"},
		{"web3", proto.KeyRejected, "UWEB3"},
		{"web.example.com", proto.KeyPending, "UWEBX"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("infos = %v\nwant %v", rows, want)
	}
	if got := infos(nil); len(got) != 0 {
		t.Errorf("infos(nil) = %v", got)
	}
}

func TestAutosigned(t *testing.T) {
	file := filepath.Join(t.TempDir(), "autosign.conf")
	if err := os.WriteFile(file, []byte("# web servers\n\n  web*  \ndb[12]\n#mail*\nexact.example.com\n[bad\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	k := &keyStore{autosignFile: file, log: discardLog()}
	for id, want := range map[string]bool{
		"web1": true, "web.example.com": true, "db1": true, "db2": true, "db3": false,
		"mail1": false, "exact.example.com": true, "exactxexample.com": false, "x": false,
	} {
		if got := k.autosigned(id); got != want {
			t.Errorf("autosigned(%q) = %v, want %v", id, got, want)
		}
	}
	if (&keyStore{log: discardLog()}).autosigned("web1") {
		t.Error("no autosign_file signs keys")
	}
	missing := &keyStore{autosignFile: filepath.Join(t.TempDir(), "absent"), log: discardLog()}
	if missing.autosigned("web1") {
		t.Error("a missing autosign_file signs keys")
	}
}
