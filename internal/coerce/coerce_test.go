package coerce

import (
	"math"
	"testing"
)

func TestCoerce(t *testing.T) {
	for _, tc := range []struct {
		v       any
		s       string
		sok     bool
		i       int
		iok     bool
		f       float64
		fok     bool
		descrip string
	}{
		{"42", "42", true, 42, true, 42, true, `"42"`},
		{" 7 ", " 7 ", true, 7, true, 7, true, `" 7 "`},
		{"x", "x", true, 0, false, 0, false, `"x"`},
		{3.0, "3", true, 3, true, 3, true, "number 3"},
		{2.5, "2.5", true, 0, false, 2.5, true, "number 2.5"},
		{int64(9), "9", true, 9, true, 9, true, "number 9"},
		{uint64(math.MaxUint64), "18446744073709551615", true, 0, false, math.MaxUint64, true, "number 1.8446744073709552e+19"},
		{true, "true", true, 0, false, 0, false, "boolean true"},
		{nil, "", false, 0, false, 0, false, "null"},
		{[]any{1}, "", false, 0, false, 0, false, "a list"},
		{map[string]any{}, "", false, 0, false, 0, false, "a mapping"},
		{struct{}{}, "", false, 0, false, 0, false, "a value of type struct {}"},
	} {
		if s, ok := String(tc.v); s != tc.s || ok != tc.sok {
			t.Errorf("String(%#v) = %q, %v", tc.v, s, ok)
		}
		if i, ok := Int(tc.v); i != tc.i || ok != tc.iok {
			t.Errorf("Int(%#v) = %d, %v", tc.v, i, ok)
		}
		if f, ok := Float(tc.v); f != tc.f || ok != tc.fok {
			t.Errorf("Float(%#v) = %v, %v", tc.v, f, ok)
		}
		if d := Describe(tc.v); d != tc.descrip {
			t.Errorf("Describe(%#v) = %q", tc.v, d)
		}
	}
}

func TestBoolListMapMode(t *testing.T) {
	for v, want := range map[any]bool{true: true, "Yes": true, " on ": true, "1": true, 1: true,
		false: false, "no": false, "OFF": false, "0": false, "": false, 0: false, 0.0: false} {
		if got, ok := Bool(v); !ok || got != want {
			t.Errorf("Bool(%#v) = %v, %v; want %v", v, got, ok, want)
		}
	}
	for _, v := range []any{"maybe", 2, []any{}, nil, 0.5} {
		if _, ok := Bool(v); ok {
			t.Errorf("Bool(%#v) should fail", v)
		}
	}
	if l, _, ok := StringList("one"); !ok || len(l) != 1 || l[0] != "one" {
		t.Errorf("StringList(scalar) = %v %v", l, ok)
	}
	if l, _, ok := StringList([]any{"a", 2, true}); !ok || len(l) != 3 || l[1] != "2" || l[2] != "true" {
		t.Errorf("StringList(list) = %v %v", l, ok)
	}
	if _, bad, ok := StringList([]any{"a", map[string]any{}}); ok || Describe(bad) != "a mapping" {
		t.Errorf("StringList with a mapping: bad %v ok %v", bad, ok)
	}
	if m, ok := Map(map[any]any{1: "x"}); !ok || m["1"] != "x" {
		t.Errorf("Map(map[any]any) = %v %v", m, ok)
	}
	if _, ok := Map("x"); ok {
		t.Error("Map(string) should fail")
	}
	for v, want := range map[any]uint32{"0644": 0o644, 644: 0o644, "755": 0o755, "0o600": 0o600, 4755: 0o4755} {
		if m, keep, ok := Mode(v); !ok || keep || m != want {
			t.Errorf("Mode(%#v) = %o %v %v, want %o", v, m, keep, ok, want)
		}
	}
	if _, keep, ok := Mode("Keep"); !ok || !keep {
		t.Error("Mode(keep) should give keep")
	}
	for _, v := range []any{"rwx", 999, "0999", 17777, []any{}, true, ""} {
		if _, _, ok := Mode(v); ok {
			t.Errorf("Mode(%#v) should fail", v)
		}
	}
}
