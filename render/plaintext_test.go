package render

import (
	"context"
	"testing"
)

// A template without Jinja syntax skips the Jinja stage; its output must
// be what rendering it gives.
func TestPlainTextSameAsRendered(t *testing.T) {
	for _, src := range []string{
		"", "a", "a\n", "a\n\n", "a\r\nb\r\n", "a\rb\r", "a\r", "\n", "{ a }\n{}\n", "x: {a: 1}\n",
		"} } }}\n", "a: '{'\n", "unicode: é\n", "trailing { ", "tabs:\t1\n\n\n",
	} {
		got, ok, err := plainText(context.Background(), []byte(src), "t")
		if !ok || err != nil {
			t.Fatalf("%q: plain %v, %v", src, ok, err)
		}
		want, _, err := renderJinja(context.Background(), []byte(src), "t", &Context{})
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%q: fast path %q, rendered %q", src, got, want)
		}
	}
	for _, src := range []string{"{{ 1 }}", "a {% if 1 %}{% endif %}", "{# c #}", "x{\n{{"} {
		if _, ok, _ := plainText(context.Background(), []byte(src), "t"); ok {
			t.Errorf("%q taken for plain text", src)
		}
	}
}
