package output

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// stdDecode is what ctl did before DecodeJSON: encoding/json with
// numbers as json.Number, then normalize.
func stdDecode(data []byte) (any, error) {
	if !json.Valid(data) {
		var v any
		return nil, json.Unmarshal(data, &v)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return normalize(v), nil
}

func checkDecode(t *testing.T, data []byte) {
	t.Helper()
	got, err := DecodeJSON(data)
	want, werr := stdDecode(data)
	if (err != nil) != (werr != nil) {
		t.Fatalf("%q: DecodeJSON error %v, encoding/json error %v", data, err, werr)
	}
	if err == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%q:\ngot  %#v\nwant %#v", data, got, want)
	}
}

var decodeCases = []string{
	`null`, `true`, `false`, `0`, `-0`, `1`, `-1`, `9223372036854775807`, `9223372036854775808`, `18446744073709551615`,
	`18446744073709551616`, `-9223372036854775809`, `1.5`, `1e3`, `1E+3`, `-2.5e-3`, `1e400`, `70.0`, `0.1`,
	`""`, `"plain"`, `"esc \" \\ \/ \b \f \n \r \t"`, `"\u00e9\u2028"`, `"\ud83e\uddc2"`, `"\ud83e"`, `"\udc00x"`, `"\ud83e\u0041"`,
	"\"bad \xff utf8\"", "\"ok ünï ✓\"", `{}`, `[]`, ` { "a" : [ 1 , { "b" : null } ] , "a" : 2 } `, `{"k":{"k":{"k":[[],[{}]]}}}`,
	// invalid
	``, ` `, `{`, `[`, `"`, `"abc`, `{"a"}`, `{"a":}`, `{"a":1,}`, `[1,]`, `[1 2]`, `01`, `-`, `1.`, `1e`, `.5`, `+1`,
	`tru`, `nul`, `nulll`, `{} {}`, `"\x"`, `"\u12"`, `"\u12g4"`, "\"tab\there\"", `{1:2}`, `[1]]`, `"a"x`,
}

func TestDecodeJSONMatchesEncodingJSON(t *testing.T) {
	for _, c := range decodeCases {
		checkDecode(t, []byte(c))
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 3000; i++ {
		b, err := json.Marshal(map[string]any{"minion": randValue(r, 0)})
		if err != nil {
			continue // NaN and such: not JSON
		}
		checkDecode(t, b)
		var ind bytes.Buffer
		if err := json.Indent(&ind, b, "", "\t"); err == nil {
			checkDecode(t, ind.Bytes())
		}
	}
}

func TestDecodeJSONDepth(t *testing.T) {
	deep := strings.Repeat("[", 10001) + strings.Repeat("]", 10001)
	if _, err := DecodeJSON([]byte(deep)); err == nil {
		t.Fatal("10001 nested arrays decoded; encoding/json refuses them")
	}
	ok := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	if _, err := DecodeJSON([]byte(ok)); err != nil {
		t.Fatal(err)
	}
	checkDecode(t, []byte(deep))
	checkDecode(t, []byte(ok))
}

func FuzzDecodeJSON(f *testing.F) {
	for _, c := range decodeCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkDecode(t, data) })
}

func checkCut(t *testing.T, data []byte) {
	t.Helper()
	value, rest, err := CutMember(data, "return")
	whole, werr := DecodeJSON(data)
	m, isObj := whole.(map[string]any)
	if werr != nil || !isObj {
		if err == nil {
			t.Fatalf("%q: cut, but it is not a JSON object", data)
		}
		return
	}
	if err != nil {
		t.Fatalf("%q: %v", data, err)
	}
	want, has := m["return"]
	delete(m, "return")
	got, err := DecodeJSON(rest)
	if err != nil || !reflect.DeepEqual(got, m) {
		t.Fatalf("%q: rest %q (%v), want %#v", data, rest, err, m)
	}
	if has != (value != nil) {
		t.Fatalf("%q: value %q", data, value)
	}
	if has {
		v, err := DecodeJSON(value)
		if err != nil || !reflect.DeepEqual(v, want) {
			t.Fatalf("%q: value %q (%v), want %#v", data, value, err, want)
		}
	}
}

func TestCutMember(t *testing.T) {
	for _, c := range append(decodeCases, `{"jid":"1","return":{"a":[1,"\"}"]},"id":"x"}`, `{"return":1,"return":[2]}`, `{ }`, `{"a":1}`,
		`{"return":"\u0041\ud83e\uddc2","b":"\\"}`, `{"return":tru}`, `{"return":[1,]}`, `{"return":"\q"}`, `{"return":1}}`) {
		checkCut(t, []byte(c))
	}
	r := rand.New(rand.NewPCG(9, 10))
	for i := 0; i < 2000; i++ {
		b, err := json.Marshal(map[string]any{"jid": "j", "return": randValue(r, 0), "x": randValue(r, 2)})
		if err == nil {
			checkCut(t, b)
		}
	}
}

func FuzzCutMember(f *testing.F) {
	for _, c := range decodeCases {
		f.Add([]byte(c))
	}
	f.Add([]byte(`{"jid":"1","return":{"a":[1,"\"}"]},"id":"x"}`))
	f.Fuzz(func(t *testing.T, data []byte) { checkCut(t, data) })
}
