package render

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// A renderer registered from a test file is reachable from a shebang
// pipeline without touching any other file: here "upper" (text) between
// jinja and yaml.
func init() {
	RegisterRenderer("testupper", Renderer{
		Doc: "test: upper-cases the text",
		Render: func(_ context.Context, s *Stage, _ *Context) error {
			if err := needText(s, "testupper"); err != nil {
				return err
			}
			s.Text = bytes.ToUpper(s.Text)
			return nil
		},
	})
}

func TestRendererRegistry(t *testing.T) {
	ctx := context.Background()
	m, err := SLS(ctx, []byte("#!jinja|testupper|yaml\nkey: {{ 'v' ~ 1 }}\n"), "t.sls", &Context{})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := m.Get("KEY"); got != "V1" {
		t.Fatalf("got %v", m.ToPlain())
	}
	found := false
	for _, n := range RendererNames() {
		if n == "testupper" {
			found = true
		}
	}
	if !found {
		t.Fatalf("RendererNames() = %v", RendererNames())
	}
	// the error lists what is available, the new renderer included
	_, err = SLS(ctx, []byte("#!nosuch|yaml\na: 1\n"), "x/init.sls", &Context{})
	if err == nil || !strings.Contains(err.Error(), "x/init.sls:1:") || !strings.Contains(err.Error(), "testupper") {
		t.Fatalf("got %v", err)
	}
	// the default pipeline is jinja|yaml, and the yaml stage after gpg
	// data is refused
	if m, err := SLS(ctx, []byte("a: {{ 1 + 1 }}\n"), "t.sls", &Context{}); err != nil || m.Values["a"] != 2 {
		t.Fatalf("default pipeline: %v %v", m, err)
	}
	if _, err := SLS(ctx, []byte("#!yaml|gpg|yaml\na: 1\n"), "t.sls", &Context{}); err == nil || !strings.Contains(err.Error(), "produced data") {
		t.Fatalf("yaml after data: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("registering a name twice must panic")
		}
	}()
	RegisterRenderer("yaml", Renderer{Render: func(context.Context, *Stage, *Context) error { return nil }})
}
