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
