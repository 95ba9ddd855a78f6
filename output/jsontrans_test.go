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
		p.AddOwned("m1", v, false)
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
	`{"b":1,"a":2}`, `{"a":1,"a":2}`, `{"a":{"z":1,"y":[{"d":1,"c":2}]}}`, `{"\u0061":1,"b":2}`, `{"b":1,"\u0061":2}`,
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

// What minions send (encoding/json, keys sorted) is transcoded, not
// decoded; an object whose keys are out of order is decoded.
func TestTranscodeTakesSortedReturns(t *testing.T) {
	if !checkTranscodable([]byte(`{"a":{"b":[1,{"c":"<&>"}]},"d":null}`)) {
		t.Error("a sorted return was not transcoded")
	}
	for _, s := range []string{`{"b":1,"a":2}`, `{"a":1,"a":2}`, `{"a":[{"y":1,"x":2}]}`} {
		if checkTranscodable([]byte(s)) {
			t.Errorf("%s was transcoded", s)
		}
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
