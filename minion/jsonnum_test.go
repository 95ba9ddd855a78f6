package minion

import (
	"reflect"
	"testing"

	"github.com/brine-cm/brine/proto"
)

func TestDecodeDataKeepsIntegers(t *testing.T) {
	var job proto.Job
	body := `{"jid":"20260101000000000000","fun":"state.apply","arg":[4,"x",[1.5,2]],"kwarg":{"pillar":{"port":8080,"ratio":0.5,"big":123456789012345678901,"exp":1e3}},"timeout":2.5}`
	if err := decodeData([]byte(body), &job); err != nil {
		t.Fatal(err)
	}
	for i, a := range job.Arg {
		job.Arg[i] = fixNumbers(a)
	}
	fixMap(job.Kwarg)
	if want := []any{4, "x", []any{1.5, 2}}; !reflect.DeepEqual(job.Arg, want) {
		t.Errorf("arg = %#v", job.Arg)
	}
	want := map[string]any{"port": 8080, "ratio": 0.5, "big": 123456789012345678901.0, "exp": 1000.0}
	if got := job.Kwarg["pillar"]; !reflect.DeepEqual(got, want) {
		t.Errorf("pillar = %#v", got)
	}
	if job.Timeout != 2.5 {
		t.Errorf("timeout = %v", job.Timeout)
	}
}
