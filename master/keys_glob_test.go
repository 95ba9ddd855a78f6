package master

import (
	"errors"
	"testing"

	"github.com/brine-cm/brine/proto"
)

func TestSelectKeysGlob(t *testing.T) {
	recs := []*keyRecord{
		{ID: "web-1", State: proto.KeyPending},
		{ID: "web-2", State: proto.KeyAccepted},
		{ID: "db-1", State: proto.KeyPending},
	}
	ids := func(rs []*keyRecord) (out []string) {
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	got, err := selectKeys(recs, proto.KeyRequest{ID: "web-*"}, proto.KeyPending)
	if err != nil || len(got) != 1 || got[0].ID != "web-1" {
		t.Errorf("web-* pending = %v, %v", ids(got), err)
	}
	got, err = selectKeys(recs, proto.KeyRequest{ID: "[!w]*"}, proto.KeyPending, proto.KeyAccepted)
	if err != nil || len(got) != 1 || got[0].ID != "db-1" {
		t.Errorf("[!w]* = %v, %v", ids(got), err)
	}
	for _, bad := range []string{"[web", "web[1-"} {
		_, err = selectKeys(recs, proto.KeyRequest{ID: bad}, proto.KeyPending)
		var pe *proto.Error
		if !errors.As(err, &pe) || pe.Kind != proto.ErrBadRequest {
			t.Errorf("selectKeys(%q) = %v, want a bad-request error", bad, err)
		}
	}
}
