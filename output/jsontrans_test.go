package output

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
)

// printJSON prints raw as ctl's json document for minion m1, through
// AddJSON or through decoding first.
func printJSON(t testing.TB, raw []byte, viaAddJSON bool) (string, error) {
	t.Helper()
	var out bytes.Buffer
	p := NewPrinter(Options{Format: JSON, Out: &out, Err: &bytes.Buffer{}}, []string{"m1"})
	if viaAddJSON {
		if err := p.AddJSON("m1", raw, false); err != nil {
			return "", err
		}
	} else {
		v, err := DecodeJSON(raw)
		if err != nil {
			return "", err
		}
		p.Add("m1", v, false)
	}
	p.Finish()
	return out.String(), p.WriteErr()
}

func checkTranscode(t *testing.T, raw []byte) {
	t.Helper()
	got, err := printJSON(t, raw, true)
	want, werr := printJSON(t, raw, false)
	if (err != nil) != (werr != nil) {
		t.Fatalf("%q: AddJSON error %v, decoding error %v", raw, err, werr)
	}
	if got != want {
		t.Fatalf("%q:\nAddJSON  %s\ndecoding %s", raw, got, want)
	}
}

var transcodeCases = []string{
	`{"b":1,"a":2}`, `{"a":1,"a":2}`, `{"a":{"z":1,"y":[{"d":1,"c":2}]}}`, `{"name":"n","result":true,"changes":{},"__id__":"x","duration":0.5}`, `{"\u0061":1,"b":2}`, `{"b":1,"\u0061":2}`,
	`{"a\u003cb":"x\u0026y\u003e","é":"\u00e9","\u007f":"del\u0085"}`, "{\"k\u0080\":1}", `"\ud83e"`, `-0`, `[-0,0.10,1E2,1e400,12345678901234567890123]`,
	`{"x":[],"y":{},"z":[[],{}]}`, ` [ 1 , "a" ] `, `{"a":1}x`, `{"a" 1}`, `"bad \xff"`, "{\"k\xff\":1}",
}

func TestTranscodeMatchesDecoding(t *testing.T) {
	for _, c := range append(transcodeCases, decodeCases...) {
		checkTranscode(t, []byte(c))
	}
	r := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 3000; i++ {
		b, err := json.Marshal(randValue(r, 0))
		if err != nil {
			continue
		}
		checkTranscode(t, b)
	}
}

// Returns are transcoded, not decoded, whatever their keys' order (a
// minion's results are structs); an object with a repeated key is
// decoded, which keeps the last value.
func TestTranscodeTakesReturns(t *testing.T) {
	for _, s := range []string{`{"a":{"b":[1,{"c":"<&>"}]},"d":null}`, `{"b":1,"a":2}`, `{"a":[{"y":1,"x":2}]}`, `{"\u0062":1,"a":2}`} {
		if !checkTranscodable([]byte(s)) {
			t.Errorf("%s was not transcoded", s)
		}
	}
	for _, s := range []string{`{"a":1,"a":2}`, `{"x":{"b":1,"a":2,"b":3}}`, `{"a":1,"\u0061":2}`, `{"\u0061":1,"b":0,"a":2}`} {
		if checkTranscodable([]byte(s)) {
			t.Errorf("%s was transcoded", s)
		}
		checkTranscode(t, []byte(s))
	}
}

func FuzzTranscodeJSON(f *testing.F) {
	for _, c := range append(transcodeCases, decodeCases...) {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, raw []byte) { checkTranscode(t, raw) })
}

// A return larger than the writer's buffer prints the same in pieces.
func TestTranscodeLarge(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	big := map[string]any{}
	for i := 0; i < 3000; i++ {
		big[jsonStrings[r.IntN(len(jsonStrings))]+string(rune('a'+i%26))+strings.Repeat("k", i%40)] = randValue(r, 2)
	}
	b, err := json.Marshal(big)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 4*jsonFlushAt {
		t.Fatalf("%d bytes: too small to test the flushes", len(b))
	}
	checkTranscode(t, b)
}

// shuffledJSON encodes v with each object's members in random order.
func shuffledJSON(r *rand.Rand, v any) []byte {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		r.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
		b := []byte{'{'}
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			kb, _ := json.Marshal(k)
			b = append(append(append(b, kb...), ':'), shuffledJSON(r, x[k])...)
		}
		return append(b, '}')
	case []any:
		b := []byte{'['}
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, shuffledJSON(r, e)...)
		}
		return append(b, ']')
	}
	b, _ := json.Marshal(v)
	return b
}

func TestTranscodeUnsortedMatchesDecoding(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for i := 0; i < 3000; i++ {
		v := randValue(r, 0)
		if _, err := json.Marshal(v); err != nil {
			continue
		}
		checkTranscode(t, shuffledJSON(r, v))
	}
}

// Deep nesting is decoded rather than transcoded (transcoding rescans
// each level), and prints the same either way.
func TestTranscodeDeep(t *testing.T) {
	deep := func(n int) []byte {
		return []byte(strings.Repeat(`{"b":1,"a":`, n) + `"x"` + strings.Repeat("}", n))
	}
	if !checkTranscodable(deep(maxTranscodeDepth - 1)) {
		t.Error("a value nested within the limit was not transcoded")
	}
	if checkTranscodable(deep(maxTranscodeDepth + 1)) {
		t.Error("a value nested past the limit was transcoded")
	}
	for _, n := range []int{maxTranscodeDepth - 1, maxTranscodeDepth, maxTranscodeDepth + 1, 1000} {
		checkTranscode(t, deep(n))
	}
}
