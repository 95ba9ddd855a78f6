package output

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// stdJSON is what ctl printed before appendJSON: encoding/json indented
// by four spaces without HTML escaping, then EscapeJSON.
func stdJSON(t testing.TB, v any) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "    ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return string(EscapeJSON(b.Bytes()))
}

func fastJSON(t testing.TB, v any) string {
	t.Helper()
	var b bytes.Buffer
	if err := encodeJSON(&b, v, Style{}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

var jsonStrings = []string{"", "plain", "quote\" back\\slash", "nl\nret\rtab\t", "\b\f\x00\x01\x1f", "<html>&amp;",
	"del\x7f", "c1\u0085\u009f", "line\u2028para\u2029", "bad\xffutf8\xc3", "ünïcödé ✓ 🧂", "a\u00a0b", "\xed\xa0\x80"}

func randValue(r *rand.Rand, depth int) any {
	n := r.IntN(11)
	if depth > 3 && n >= 8 {
		n = r.IntN(8)
	}
	switch n {
	case 0:
		return nil
	case 1:
		return r.IntN(2) == 0
	case 2:
		return jsonStrings[r.IntN(len(jsonStrings))]
	case 3:
		return int64(r.Uint64())
	case 4:
		return r.Uint64()
	case 5:
		fs := []float64{0, math.Copysign(0, -1), 1.5, 1e-7, 1e21, 123456789.125, -3e-10, 1e20, math.MaxFloat64, math.SmallestNonzeroFloat64, 70.0}
		return fs[r.IntN(len(fs))] * float64(1-2*r.IntN(2))
	case 6:
		return json.Number([]string{"12345678901234567890123", "-1", "0"}[r.IntN(3)])
	case 7:
		return r.NormFloat64() * math.Pow(10, float64(r.IntN(40)-20))
	case 8:
		m := map[string]any{}
		for i := r.IntN(5); i > 0; i-- {
			m[jsonStrings[r.IntN(len(jsonStrings))]+string(rune('a'+r.IntN(26)))] = randValue(r, depth+1)
		}
		return m
	default:
		s := make([]any, r.IntN(4))
		for i := range s {
			s[i] = randValue(r, depth+1)
		}
		return s
	}
}

func TestJSONEncoderMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 5000; i++ {
		v := map[string]any{"minion": randValue(r, 0)}
		if got, want := fastJSON(t, v), stdJSON(t, v); got != want {
			t.Fatalf("value %#v:\ngot  %s\nwant %s", v, got, want)
		}
	}
}

func TestJSONEncoderOtherTypes(t *testing.T) {
	// A type normalize does not produce still encodes, through encoding/json.
	type point struct {
		X int    `json:"x"`
		Y string `json:"y"`
	}
	v := map[string]any{"p": point{1, "<b>"}, "l": []string{"a", "b"}}
	want := "{\n    \"l\": [\n        \"a\",\n        \"b\"\n    ],\n    \"p\": {\n        \"x\": 1,\n        \"y\": \"<b>\"\n    }\n}\n"
	if got := fastJSON(t, v); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if err := encodeJSON(&bytes.Buffer{}, map[string]any{"nan": math.NaN()}, Style{}); err == nil {
		t.Fatal("NaN encoded without an error")
	}
}

func FuzzJSONString(f *testing.F) {
	for _, s := range jsonStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := map[string]any{s: []any{s}}
		if got, want := fastJSON(t, v), stdJSON(t, v); got != want {
			t.Fatalf("%q:\ngot  %s\nwant %s", s, got, want)
		}
	})
}

// A document larger than the writer's buffer is written in pieces that
// make the same bytes; a number encoding/json refuses fails before
// anything is written.
func TestJSONEncoderLargeAndInvalid(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	big := map[string]any{}
	for i := 0; i < 3000; i++ {
		big[jsonStrings[r.IntN(len(jsonStrings))]+string(rune('a'+i%26))+strings.Repeat("k", i%40)] = randValue(r, 2)
	}
	v := map[string]any{"minion": big}
	got, want := fastJSON(t, v), stdJSON(t, v)
	if len(want) < 4*jsonFlushAt {
		t.Fatalf("document of %d bytes: too small to test the flushes", len(want))
	}
	if got != want {
		t.Fatal("large document differs from encoding/json's")
	}
	var b bytes.Buffer
	if err := encodeJSON(&b, map[string]any{"a": big, "n": json.Number("12abc")}, Style{}); err == nil || b.Len() != 0 {
		t.Fatalf("invalid number: err %v, %d bytes written", err, b.Len())
	}
}
