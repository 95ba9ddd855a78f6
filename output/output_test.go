package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	cyan   = "\033[0;36m"
	green  = "\033[0;32m"
	red    = "\033[0;31m"
	yellow = "\033[1;33m"
	end    = "\033[0;0m"
)

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{
		"text": Text, "json": JSON, "yaml": YAML, "nested": Text, "JSON": JSON, " yaml ": YAML,
	} {
		got, err := ParseFormat(in)
		if err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "xml", "table"} {
		_, err := ParseFormat(in)
		if err == nil {
			t.Errorf("ParseFormat(%q): no error", in)
			continue
		}
		for _, name := range []string{"text", "json", "yaml"} {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("ParseFormat(%q) error %q does not name %q", in, err, name)
			}
		}
	}
}

type kv struct {
	Name  string    `json:"name"`
	Count int       `json:"count"`
	When  time.Time `json:"when"`
	//lint:ignore U1000 an unexported field is what normalize must leave out
	skip int
}

type level int

type textKey struct{ a, b string }

func (k textKey) MarshalText() ([]byte, error) { return []byte(k.a + "/" + k.b), nil }

// textCases are golden outputs of one return in the nested (text) format.
var textCases = []struct {
	name  string
	value any
	want  string
}{
	{"true", true, "web-1:\n    True\n"},
	{"false", false, "web-1:\n    False\n"},
	{"nil", nil, "web-1:\n    None\n"},
	{"int", 42, "web-1:\n    42\n"},
	{"negative int8", int8(-7), "web-1:\n    -7\n"},
	{"uint64 max", uint64(math.MaxUint64), "web-1:\n    18446744073709551615\n"},
	{"integral float", 3.0, "web-1:\n    3\n"},
	{"large integral float", 1e6, "web-1:\n    1000000\n"},
	{"huge float", 1e21, "web-1:\n    1e+21\n"},
	{"fraction", 0.25, "web-1:\n    0.25\n"},
	{"tiny float", 1e-5, "web-1:\n    1e-05\n"},
	{"float32", float32(0.1), "web-1:\n    0.1\n"},
	{"NaN", math.NaN(), "web-1:\n    NaN\n"},
	{"json int", json.Number("12"), "web-1:\n    12\n"},
	{"json float", json.Number("1.50"), "web-1:\n    1.5\n"},
	{"json big int", json.Number("123456789012345678901234567890"), "web-1:\n    123456789012345678901234567890\n"},
	{"named int", level(3), "web-1:\n    3\n"},
	{"string", "hello world", "web-1:\n    hello world\n"},
	{"string true", "True", "web-1:\n    True\n"},
	{"empty string", "", "web-1:\n"},
	{"multi-line string", "line one\nline two\n\nline four\n",
		"web-1:\n    line one\n    line two\n    \n    line four\n"},
	{"crlf string", "a\r\nb", "web-1:\n    a\n    b\n"},
	{"map", map[string]any{"roles": []any{"web", "db"}, "kernel": "Linux"},
		`web-1:
    ----------
    kernel:
        Linux
    roles:
        - web
        - db
`},
	{"nested maps", map[string]any{
		"b": map[string]any{"y": map[string]any{"deep": true}, "x": 1},
		"a": map[string]any{},
	}, `web-1:
    ----------
    a:
        ----------
    b:
        ----------
        x:
            1
        y:
            ----------
            deep:
                True
`},
	{"list of maps", []any{
		map[string]any{"name": "nginx", "version": "1.24"},
		map[string]any{"name": "redis", "ports": []any{6379, 16379}},
	}, `web-1:
    |_
      ----------
      name:
          nginx
      version:
          1.24
    |_
      ----------
      name:
          redis
      ports:
          - 6379
          - 16379
`},
	{"list of lists and scalars", []any{"a", []any{1, []any{true}}, nil},
		`web-1:
    - a
    |_
      - 1
      |_
        - True
    - None
`},
	{"multi-line string in list", []any{"first\nsecond", "third"},
		"web-1:\n    - first\n      second\n    - third\n"},
	{"multi-line string in map", map[string]any{"stdout": "a\nb"},
		"web-1:\n    ----------\n    stdout:\n        a\n        b\n"},
	{"empty list", []any{}, "web-1:\n"},
	{"empty map", map[string]any{}, "web-1:\n    ----------\n"},
	{"typed slice and map", map[string][]string{"k": {"v1", "v2"}},
		"web-1:\n    ----------\n    k:\n        - v1\n        - v2\n"},
	{"int keys", map[int]string{10: "ten", 2: "two"},
		"web-1:\n    ----------\n    10:\n        ten\n    2:\n        two\n"},
	{"text marshaler keys", map[textKey]int{{"a", "b"}: 1},
		"web-1:\n    ----------\n    a/b:\n        1\n"},
	{"struct via json", &kv{Name: "x", Count: 2, When: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)},
		`web-1:
    ----------
    count:
        2
    name:
        x
    when:
        2024-01-02T03:04:05Z
`},
	{"error value", errors.New("boom"), "web-1:\n    boom\n"},
	{"nil pointer", (*kv)(nil), "web-1:\n    None\n"},
}

func TestTextGolden(t *testing.T) {
	for _, tc := range textCases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			p := NewPrinter(Options{Format: Text, Out: &out, Err: &errb}, []string{"web-1"})
			p.Add("web-1", tc.value, false)
			if got := out.String(); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
			if missing := p.Finish(); len(missing) != 0 {
				t.Errorf("missing = %v", missing)
			}
			if got := out.String(); got != tc.want {
				t.Errorf("Finish printed more:\n%q", got)
			}
			if errb.Len() != 0 {
				t.Errorf("stderr: %q", errb.String())
			}
		})
	}
}

// TestTextPrintsOnAdd checks that text output streams: each return is on
// Out as soon as Add returns, in arrival order.
func TestTextPrintsOnAdd(t *testing.T) {
	var out bytes.Buffer
	p := NewPrinter(Options{Format: Text, Out: &out, Err: &bytes.Buffer{}}, []string{"web-1", "web-2"})
	p.Add("web-2", true, false)
	if got, want := out.String(), "web-2:\n    True\n"; got != want {
		t.Fatalf("after first Add: %q, want %q", got, want)
	}
	p.Add("web-1", "ok", false)
	if got, want := out.String(), "web-2:\n    True\nweb-1:\n    ok\n"; got != want {
		t.Fatalf("after second Add: %q, want %q", got, want)
	}
	p.Finish()
	if got, want := out.String(), "web-2:\n    True\nweb-1:\n    ok\n"; got != want {
		t.Fatalf("after Finish: %q, want %q", got, want)
	}
}

func TestJSONDocument(t *testing.T) {
	var out, errb bytes.Buffer
	p := NewPrinter(Options{Format: JSON, Out: &out, Err: &errb}, []string{"web-2", "web-1", "db-1"})
	p.Add("web-2", true, false)
	p.Add("web-1", map[string]any{"roles": []any{"web"}, "cpu": 4.0, "html": "<a&b>"}, false)
	p.Add("db-1", "error: no such function", true)
	if out.Len() != 0 {
		t.Fatalf("json printed before Finish: %q", out.String())
	}
	if missing := p.Finish(); len(missing) != 0 {
		t.Fatalf("missing = %v", missing)
	}
	want := `{
    "db-1": "error: no such function",
    "web-1": {
        "cpu": 4,
        "html": "<a&b>",
        "roles": [
            "web"
        ]
    },
    "web-2": true
}
`
	if got := out.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if errb.Len() != 0 {
		t.Errorf("stderr: %q", errb.String())
	}
}

func TestJSONEmpty(t *testing.T) {
	var out, errb bytes.Buffer
	p := NewPrinter(Options{Format: JSON, Out: &out, Err: &errb}, nil)
	p.Finish()
	if got := out.String(); got != "{}\n" {
		t.Errorf("got %q, want {}", got)
	}
}

func TestYAMLDocument(t *testing.T) {
	var out, errb bytes.Buffer
	p := NewPrinter(Options{Format: YAML, Out: &out, Err: &errb}, []string{"web-1", "web-2"})
	p.Add("web-2", map[string]any{
		"kernel": "Linux", "roles": []any{"web", "db"}, "mem": 1e6, "ratio": 0.5,
		"flag": "yes", "none": nil, "motd": "hello\nworld\n",
		"pkgs": []any{map[string]any{"name": "nginx"}},
	}, false)
	p.Add("web-1", true, false)
	p.Finish()
	want := `web-1: true
web-2:
  flag: "yes"
  kernel: Linux
  mem: 1000000
  motd: |
    hello
    world
  none: null
  pkgs:
    - name: nginx
  ratio: 0.5
  roles:
    - web
    - db
`
	if got := out.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if errb.Len() != 0 {
		t.Errorf("stderr: %q", errb.String())
	}
}

func TestMissingText(t *testing.T) {
	var out, errb bytes.Buffer
	p := NewPrinter(Options{Format: Text, Out: &out, Err: &errb},
		[]string{"web-1", "web-3", "web-2", "web-3"})
	p.Add("web-1", true, false)
	missing := p.Finish()
	if want := []string{"web-2", "web-3"}; !equal(missing, want) {
		t.Errorf("missing = %v, want %v", missing, want)
	}
	wantOut := `web-1:
    True
web-2:
    Minion did not return. [No response]
web-3:
    Minion did not return. [No response]
`
	if got := out.String(); got != wantOut {
		t.Errorf("stdout:\n%s\nwant:\n%s", got, wantOut)
	}
	if got, want := errb.String(), "ERROR: minions did not return: web-2, web-3\n"; got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}

	// Finish again: same answer, nothing printed.
	again := p.Finish()
	if !equal(again, missing) {
		t.Errorf("second Finish = %v", again)
	}
	if out.String() != wantOut || strings.Count(errb.String(), "ERROR") != 1 {
		t.Errorf("second Finish printed: %q / %q", out.String(), errb.String())
	}
}

func TestMissingJSONAndYAML(t *testing.T) {
	for _, f := range []Format{JSON, YAML} {
		t.Run(string(f), func(t *testing.T) {
			var out, errb bytes.Buffer
			p := NewPrinter(Options{Format: f, Out: &out, Err: &errb}, []string{"web-1", "web-3"})
			p.Add("web-1", true, false)
			if missing := p.Finish(); !equal(missing, []string{"web-3"}) {
				t.Errorf("missing = %v", missing)
			}
			if strings.Contains(out.String(), "web-3") || strings.Contains(out.String(), "did not return") {
				t.Errorf("stdout names the missing minion: %q", out.String())
			}
			if got, want := errb.String(), "ERROR: minions did not return: web-3\n"; got != want {
				t.Errorf("stderr = %q, want %q", got, want)
			}
		})
	}
}

func TestColor(t *testing.T) {
	var out bytes.Buffer
	p := NewPrinter(Options{Format: Text, Color: true, Out: &out, Err: &bytes.Buffer{}},
		[]string{"web-1", "web-2", "web-3"})
	p.Add("web-1", map[string]any{"roles": []any{"web", []any{1}}, "up": true}, false)
	want := cyan + "web-1" + end + ":\n" +
		"    " + cyan + "----------" + end + "\n" +
		"    " + cyan + "roles" + end + ":\n" +
		"        " + green + "- web" + end + "\n" +
		"        " + green + "|_" + end + "\n" +
		"          " + yellow + "- 1" + end + "\n" +
		"    " + cyan + "up" + end + ":\n" +
		"        " + yellow + "True" + end + "\n"
	if got := out.String(); got != want {
		t.Errorf("coloured return:\n got %q\nwant %q", got, want)
	}

	out.Reset()
	p.Add("web-2", map[string]any{"error": "failed\nbadly", "code": 2}, true)
	want = red + "web-2" + end + ":\n" +
		"    " + red + "----------" + end + "\n" +
		"    " + red + "code" + end + ":\n" +
		"        " + red + "2" + end + "\n" +
		"    " + red + "error" + end + ":\n" +
		"        " + red + "failed" + end + "\n" +
		"        " + red + "badly" + end + "\n"
	if got := out.String(); got != want {
		t.Errorf("failed return:\n got %q\nwant %q", got, want)
	}

	out.Reset()
	p.Finish()
	want = cyan + "web-3" + end + ":\n" +
		"    " + red + NoResponse + end + "\n"
	if got := out.String(); got != want {
		t.Errorf("missing minion:\n got %q\nwant %q", got, want)
	}
}

func TestNoColor(t *testing.T) {
	var out, errb bytes.Buffer
	p := NewPrinter(Options{Format: Text, Out: &out, Err: &errb}, []string{"a", "b", "c"})
	p.Add("a", map[string]any{"x": []any{map[string]any{"y": 1}}, "s": "str"}, false)
	p.Add("b", "bad", true)
	p.Finish()
	if s := out.String() + errb.String(); strings.Contains(s, "\033") {
		t.Errorf("escape codes without Color: %q", s)
	}
	var v bytes.Buffer
	if err := Value(Options{Format: Text, Out: &v}, map[string]any{"k": true}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(v.String(), "\033") {
		t.Errorf("escape codes in Value without Color: %q", v.String())
	}
}

func TestColorOnlyInText(t *testing.T) {
	for _, f := range []Format{JSON, YAML} {
		var out bytes.Buffer
		p := NewPrinter(Options{Format: f, Color: true, Out: &out, Err: &bytes.Buffer{}}, []string{"a"})
		p.Add("a", map[string]any{"k": "v"}, true)
		p.Finish()
		if strings.Contains(out.String(), "\033") {
			t.Errorf("%s output has escape codes: %q", f, out.String())
		}
	}
}

func TestProgressText(t *testing.T) {
	var out, errb bytes.Buffer
	p := NewPrinter(Options{Format: Text, Out: &out, Err: &errb, Progress: true},
		[]string{"web-1", "web-2", "web-3"})
	p.Add("web-1", true, false)
	if got, want := errb.String(), "\r[1/3 returned]"; got != want {
		t.Fatalf("after first Add stderr = %q, want %q", got, want)
	}
	p.Add("web-2", true, false)
	p.Add("web-2", true, false) // a duplicate is not counted twice
	p.Add("other", true, false) // an unexpected id grows the total
	missing := p.Finish()
	wantErr := "\r[1/3 returned]" +
		"\r\033[K\r[2/3 returned]" +
		"\r\033[K\r[2/3 returned]" +
		"\r\033[K\r[3/4 returned]" +
		"\r\033[K" +
		"ERROR: minions did not return: web-3\n"
	if got := errb.String(); got != wantErr {
		t.Errorf("stderr:\n got %q\nwant %q", got, wantErr)
	}
	if !equal(missing, []string{"web-3"}) {
		t.Errorf("missing = %v", missing)
	}
	if strings.Contains(out.String(), "returned]") || strings.Contains(out.String(), "\r") {
		t.Errorf("progress on stdout: %q", out.String())
	}
}

func TestProgressJSON(t *testing.T) {
	var out, errb bytes.Buffer
	p := NewPrinter(Options{Format: JSON, Out: &out, Err: &errb, Progress: true}, []string{"a", "b"})
	p.Add("a", 1, false)
	p.Add("b", 2, false)
	p.Finish()
	if got, want := errb.String(), "\r[1/2 returned]\r[2/2 returned]\r\033[K"; got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
	if got, want := out.String(), "{\n    \"a\": 1,\n    \"b\": 2\n}\n"; got != want {
		t.Errorf("stdout = %q, want %q", got, want)
	}
}

func TestNoProgress(t *testing.T) {
	for _, f := range []Format{Text, JSON, YAML} {
		var out, errb bytes.Buffer
		p := NewPrinter(Options{Format: f, Out: &out, Err: &errb}, []string{"a", "b"})
		p.Add("a", 1, false)
		p.Add("b", 2, false)
		p.Finish()
		if errb.Len() != 0 {
			t.Errorf("%s: stderr without Progress: %q", f, errb.String())
		}
		if strings.ContainsAny(out.String(), "\r\033") {
			t.Errorf("%s: control characters on stdout: %q", f, out.String())
		}
	}
}

func TestValue(t *testing.T) {
	keys := map[string]any{
		"minions":          []string{"web-1", "web-2"},
		"minions_pre":      []string{},
		"minions_rejected": []string{},
		"minions_denied":   []string{"evil"},
	}
	cases := []struct {
		f    Format
		v    any
		want string
	}{
		{Text, keys, `minions:
    - web-1
    - web-2
minions_denied:
    - evil
minions_pre:
minions_rejected:
`},
		{JSON, keys, `{
    "minions": [
        "web-1",
        "web-2"
    ],
    "minions_denied": [
        "evil"
    ],
    "minions_pre": [],
    "minions_rejected": []
}
`},
		{YAML, keys, `minions:
  - web-1
  - web-2
minions_denied:
  - evil
minions_pre: []
minions_rejected: []
`},
		{Text, true, "True\n"},
		{Text, "a\nb", "a\nb\n"},
		{Text, []any{"x", map[string]any{"k": "v"}}, "- x\n|_\n  ----------\n  k:\n      v\n"},
		{"", 1.5, "1.5\n"},
		{JSON, nil, "null\n"},
		{JSON, math.Inf(1), "\"Infinity\"\n"},
		{YAML, nil, "null\n"},
		{YAML, "123", "\"123\"\n"},
		{YAML, []any{"on", "No", "Y", "yes please", "true"}, "- \"on\"\n- \"No\"\n- \"Y\"\n- yes please\n- \"true\"\n"},
		{YAML, json.Number("99999999999999999999"), "99999999999999999999\n"},
		{JSON, json.Number("99999999999999999999"), "99999999999999999999\n"},
		{JSON, kv{Name: "n", When: time.Unix(0, 0).UTC()}, "{\n    \"count\": 0,\n    \"name\": \"n\",\n    \"when\": \"1970-01-01T00:00:00Z\"\n}\n"},
	}
	for _, tc := range cases {
		var out bytes.Buffer
		if err := Value(Options{Format: tc.f, Out: &out, Err: &bytes.Buffer{}}, tc.v); err != nil {
			t.Errorf("Value(%s, %#v): %v", tc.f, tc.v, err)
			continue
		}
		if got := out.String(); got != tc.want {
			t.Errorf("Value(%s, %#v):\n got %q\nwant %q", tc.f, tc.v, got, tc.want)
		}
	}
}

func TestValueColor(t *testing.T) {
	var out bytes.Buffer
	if err := Value(Options{Format: Text, Color: true, Out: &out}, map[string]any{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), cyan+"k"+end+":\n    "+green+"v"+end+"\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestValueBadFormat(t *testing.T) {
	var out bytes.Buffer
	err := Value(Options{Format: "xml", Out: &out}, 1)
	if err == nil || !strings.Contains(err.Error(), "json") {
		t.Errorf("err = %v", err)
	}
	if out.Len() != 0 {
		t.Errorf("wrote %q", out.String())
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrors(t *testing.T) {
	p := NewPrinter(Options{Format: Text, Out: failWriter{}, Err: &bytes.Buffer{}}, []string{"a"})
	p.Add("a", 1, false)
	p.Finish()
	if err := p.WriteErr(); err == nil || err.Error() != "disk full" {
		t.Errorf("WriteErr = %v", err)
	}
	if err := Value(Options{Format: JSON, Out: failWriter{}}, 1); err == nil {
		t.Error("Value: no error from failing writer")
	}
	ok := NewPrinter(Options{Format: JSON, Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}, nil)
	ok.Finish()
	if err := ok.WriteErr(); err != nil {
		t.Errorf("WriteErr = %v", err)
	}
}

func TestConcurrentAdd(t *testing.T) {
	var out, errb bytes.Buffer
	const n = 50
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("m-%02d", i)
	}
	for _, f := range []Format{Text, JSON} {
		out.Reset()
		errb.Reset()
		p := NewPrinter(Options{Format: f, Out: &out, Err: &errb, Progress: true}, ids)
		var wg sync.WaitGroup
		for i, id := range ids {
			wg.Go(func() { p.Add(id, map[string]any{"i": i}, i%7 == 0) })
		}
		wg.Wait()
		if missing := p.Finish(); len(missing) != 0 {
			t.Fatalf("%s: missing %v", f, missing)
		}
		switch f {
		case JSON:
			var doc map[string]map[string]int
			if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
				t.Fatalf("json: %v\n%s", err, out.String())
			}
			for i, id := range ids {
				if doc[id]["i"] != i {
					t.Errorf("%s: %v", id, doc[id])
				}
			}
		case Text:
			for _, id := range ids {
				if strings.Count(out.String(), id+":\n") != 1 {
					t.Errorf("%s printed %d times", id, strings.Count(out.String(), id+":\n"))
				}
			}
		}
		if !strings.Contains(errb.String(), fmt.Sprintf("[%d/%d returned]", n, n)) ||
			!strings.HasSuffix(errb.String(), "\r\033[K") {
			t.Errorf("%s: progress %q", f, errb.String())
		}
	}
}

func TestIsTerminal(t *testing.T) {
	if IsTerminal(nil) {
		t.Error("nil is a terminal")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if IsTerminal(r) || IsTerminal(w) {
		t.Error("pipe is a terminal")
	}
	f, err := os.CreateTemp(t.TempDir(), "f")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) {
		t.Error("regular file is a terminal")
	}
	if runtime.GOOS == "linux" {
		if dn, err := os.Open(os.DevNull); err == nil {
			if IsTerminal(dn) {
				t.Error("/dev/null is a terminal")
			}
			dn.Close()
		}
		pt, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
		if err != nil {
			t.Skipf("no pty: %v", err)
		}
		defer pt.Close()
		if !IsTerminal(pt) {
			t.Error("pty master is not a terminal")
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
