package render

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
)

// A pillar crosses the bus as JSON: nested mappings keep their order.
func TestMapJSONKeepsOrder(t *testing.T) {
	inner := NewMap()
	for _, k := range []string{"zeta", "alpha", "mid"} {
		inner.Set(k, len(k))
	}
	b, err := json.Marshal(map[string]any{"probe": inner, "list": []any{inner, "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"list":[{"zeta":4,"alpha":5,"mid":3},"x"],"probe":{"zeta":4,"alpha":5,"mid":3}}`; string(b) != want {
		t.Fatalf("got %s", b)
	}
	v, err := DecodeOrderedJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	probe := v.(*Map).Values["probe"].(*Map)
	if !reflect.DeepEqual(probe.Keys, []string{"zeta", "alpha", "mid"}) || probe.Values["alpha"] != 5 {
		t.Fatalf("decoded %+v", probe)
	}
	if _, err := DecodeOrderedJSON([]byte(`{"a": 1} {}`)); err == nil {
		t.Fatal("extra data must be an error")
	}
}

func TestMergeOrdered(t *testing.T) {
	dst := NewMap()
	a := NewMap()
	a.Set("x", 1)
	a.Set("y", 2)
	dst.Set("a", a)
	dst.Set("b", "keep")
	src := NewMap()
	a2 := NewMap()
	a2.Set("z", 3)
	a2.Set("x", 9)
	src.Set("c", "new")
	src.Set("a", a2)
	MergeOrdered(dst, src)
	got, _ := json.Marshal(dst)
	if want := `{"a":{"x":9,"y":2,"z":3},"b":"keep","c":"new"}`; string(got) != want {
		t.Fatalf("got %s want %s", got, want)
	}
}

// MarshalData writes floats with a fraction and everything else as
// encoding/json does.
func TestMarshalDataFloats(t *testing.T) {
	m := NewMap()
	m.Set("b", 70.0)
	m.Set("a", map[string]any{"y": []any{1.0, 2, 0.5, float32(3), 1e21, 1e-7}, "x": "<s>"})
	m.Set("c", nil)
	b, err := MarshalData(m)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"b":70.0,"a":{"x":"\u003cs\u003e","y":[1.0,2,0.5,3.0,1e+21,1e-7]},"c":null}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
	if _, err := MarshalData([]any{math.NaN()}); err == nil {
		t.Error("NaN encoded without an error")
	}
}
