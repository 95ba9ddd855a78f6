package minion

import (
	"fmt"
	"reflect"
	"strings"
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

// A return's floats keep a fraction on the wire ("70.0"), so that ctl can
// show them as Salt does; integers stay integers, and what the pillar
// reply carries decodes back to the same types on the minion.
func TestReturnAndPillarFloats(t *testing.T) {
	body, err := marshalReturn(proto.Return{JID: "j", ID: "m1", Return: map[string]any{"t": 70.0, "p": 8080, "l": []any{2.0, 0.5, int64(3)}}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), `"return":{"l":[2.0,0.5,3],"p":8080,"t":70.0}`) || !strings.Contains(string(body), `"jid":"j"`) ||
		strings.Count(string(body), `"return"`) != 1 {
		t.Fatalf("return %s", body)
	}
	var rep proto.PillarReply
	if err := decodeData([]byte(`{"pillar":{"t":70.0,"p":8080,"l":[2.0,3]}}`), &rep); err != nil {
		t.Fatal(err)
	}
	fixMap(rep.Pillar)
	if _, ok := rep.Pillar["t"].(float64); !ok {
		t.Errorf("70.0 decoded as %T", rep.Pillar["t"])
	}
	if _, ok := rep.Pillar["p"].(int); !ok {
		t.Errorf("8080 decoded as %T", rep.Pillar["p"])
	}
	if l := rep.Pillar["l"].([]any); fmt.Sprintf("%T %T", l[0], l[1]) != "float64 int" {
		t.Errorf("list decoded as %T %T", l[0], l[1])
	}
}
